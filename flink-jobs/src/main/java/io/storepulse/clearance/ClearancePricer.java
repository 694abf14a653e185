package io.storepulse.clearance;

import static io.storepulse.clearance.ClearanceParams.ALLOW_LOSS_ON_EXPIRY;
import static io.storepulse.clearance.ClearanceParams.CADENCE;
import static io.storepulse.clearance.ClearanceParams.EVALUATION_INTERVAL;
import static io.storepulse.clearance.ClearanceParams.EXPIRY_TIER1_DISCOUNT;
import static io.storepulse.clearance.ClearanceParams.EXPIRY_TIER1_HOURS;
import static io.storepulse.clearance.ClearanceParams.EXPIRY_TIER2_DISCOUNT;
import static io.storepulse.clearance.ClearanceParams.EXPIRY_TIER2_HOURS;
import static io.storepulse.clearance.ClearanceParams.EXPIRY_TIER3_DISCOUNT;
import static io.storepulse.clearance.ClearanceParams.EXPIRY_TIER3_HOURS;
import static io.storepulse.clearance.ClearanceParams.HYSTERESIS;
import static io.storepulse.clearance.ClearanceParams.LOSS_FLOOR_FRACTION;
import static io.storepulse.clearance.ClearanceParams.MAX_DEPTH;
import static io.storepulse.clearance.ClearanceParams.MAX_DURATION;
import static io.storepulse.clearance.ClearanceParams.MIN_ACTIVE_DAYS;
import static io.storepulse.clearance.ClearanceParams.MIN_INTERVAL;
import static io.storepulse.clearance.ClearanceParams.OVERSTOCK_DAYS_OF_COVER;
import static io.storepulse.clearance.ClearanceParams.OVERSTOCK_RESTORE_DAYS_OF_COVER;
import static io.storepulse.clearance.ClearanceParams.RESTORE_SELL_THROUGH;
import static io.storepulse.clearance.ClearanceParams.ROUNDING;
import static io.storepulse.clearance.ClearanceParams.SLOW_DAYS_OF_COVER;
import static io.storepulse.clearance.ClearanceParams.SLOW_SELL_THROUGH;
import static io.storepulse.clearance.ClearanceParams.TIER_STEP;

import io.storepulse.rules.ResolvedRules;
import io.storepulse.rules.RuleBook;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.serde.DeadLetters;
import io.storepulse.topics.StorepulseJob;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.actions.MarkdownReason;
import storepulse.v1.actions.PriceAction;
import storepulse.v1.actions.PriceActionType;
import storepulse.v1.common.Explanation;
import storepulse.v1.events.Product;
import storepulse.v1.events.RuleSet;

/**
 * Prices one SKU: keeps its catalog entry, stock per warehouse and a trailing 7-day sales window,
 * and at event-time evaluation points decides whether to start, deepen or end a markdown episode.
 *
 * <p>Every decision is taken in {@link #onTimer}, at an event time T once the watermark has passed
 * T, from the inputs with event time up to T. So the order in which inputs arrive (within the
 * watermark's out-of-orderness) does not change what is emitted, and duplicates are ignored: sales
 * by event id, levels and catalog records by content and {@code updated_at}. Evaluation points are:
 * a periodic tick (rule {@code evaluation_interval}) while the SKU holds stock or is marked down,
 * and exact timers for the expiry tiers, the cadence, the minimum interval, the hysteresis and the
 * episode's end, so expiry tiers fire on time without any other event.
 */
public class ClearancePricer
        extends KeyedBroadcastProcessFunction<String, SkuSignal, RuleUpdate, PriceAction> {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(ClearancePricer.class);

    static final String JOB = StorepulseJob.CLEARANCE.id();

    private static final long HOUR = Duration.ofHours(1).toMillis();
    private static final long LATENESS = ClearanceJob.ALLOWED_LATENESS.toMillis();
    private static final long WINDOW = Duration.ofDays(7).toMillis();

    /**
     * Backstop for SKUs that go quiet: nothing is read or written for this long. Reads count: a
     * catalog record and a slow mover's stock are written once and then only read, for months, by
     * the evaluations; expiring on write alone would drop them after 120 days of processing time
     * while the SKU still holds stock (and with them its markdown, its first-seen day, its price).
     * A SKU that holds stock or a markdown is evaluated at least every {@code evaluation_interval},
     * so only SKUs without stock, markdown or input for this long lose their state.
     */
    private static final StateTtlConfig LONG_TTL =
            StateTtlConfig.newBuilder(Duration.ofDays(120))
                    .setUpdateType(StateTtlConfig.UpdateType.OnReadAndWrite)
                    .build();

    private static final StateTtlConfig WINDOW_TTL =
            StateTtlConfig.newBuilder(Duration.ofDays(14))
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .build();

    static final ValueStateDescriptor<Product> PRODUCT =
            new ValueStateDescriptor<>("product", TypeInformation.of(Product.class));

    /**
     * Per warehouse, the levels still needed: the latest one at or before the last evaluation point
     * plus every newer one, so that an evaluation sees stock as of its own time.
     */
    static final MapStateDescriptor<String, List<InventoryLevel>> LEVELS =
            new MapStateDescriptor<>(
                    "levels-by-warehouse",
                    Types.STRING,
                    Types.LIST(TypeInformation.of(InventoryLevel.class)));

    /** Units sold per hour, keyed by the end of the hour (so a sale counts once T reaches it). */
    static final MapStateDescriptor<Long, Long> SALES =
            new MapStateDescriptor<>("sales-by-hour", Types.LONG, Types.LONG);

    /** Order event ids seen within the lateness horizon, with their event time. */
    static final MapStateDescriptor<String, Long> SEEN =
            new MapStateDescriptor<>("seen-event-ids", Types.STRING, Types.LONG);

    static final ValueStateDescriptor<Long> FIRST_SEEN =
            new ValueStateDescriptor<>("first-seen", Types.LONG);
    static final ValueStateDescriptor<Markdown> MARKDOWN =
            new ValueStateDescriptor<>("markdown", TypeInformation.of(Markdown.class));

    /** Event time of the last price change of this SKU (any episode), for the min interval. */
    static final ValueStateDescriptor<Long> LAST_CHANGE =
            new ValueStateDescriptor<>("last-change", Types.LONG);

    static {
        PRODUCT.enableTimeToLive(LONG_TTL);
        LEVELS.enableTimeToLive(LONG_TTL);
        FIRST_SEEN.enableTimeToLive(LONG_TTL);
        MARKDOWN.enableTimeToLive(LONG_TTL);
        LAST_CHANGE.enableTimeToLive(LONG_TTL);
        SALES.enableTimeToLive(WINDOW_TTL);
        SEEN.enableTimeToLive(WINDOW_TTL);
    }

    /** Time order of levels; ties broken by content so that arrival order never matters. */
    private static final java.util.Comparator<InventoryLevel> LEVEL_ORDER =
            java.util.Comparator.comparing(InventoryLevel::getUpdatedAt)
                    .thenComparing(InventoryLevel::toString);

    private transient ValueState<Product> product;
    private transient MapState<String, List<InventoryLevel>> levels;
    private transient MapState<Long, Long> sales;
    private transient MapState<String, Long> seen;
    private transient ValueState<Long> firstSeen;
    private transient ValueState<Markdown> markdown;
    private transient ValueState<Long> lastChange;

    /** Rebuilt from the broadcast state after every rules change. */
    private transient RuleBook book;

    @Override
    public void open(OpenContext openContext) {
        product = getRuntimeContext().getState(PRODUCT);
        levels = getRuntimeContext().getMapState(LEVELS);
        sales = getRuntimeContext().getMapState(SALES);
        seen = getRuntimeContext().getMapState(SEEN);
        firstSeen = getRuntimeContext().getState(FIRST_SEEN);
        markdown = getRuntimeContext().getState(MARKDOWN);
        lastChange = getRuntimeContext().getState(LAST_CHANGE);
    }

    @Override
    public void processBroadcastElement(RuleUpdate update, Context ctx, Collector<PriceAction> out)
            throws Exception {
        if (RulesState.apply(ctx.getBroadcastState(RulesState.DESCRIPTOR), update)) {
            book = null;
        }
    }

    @Override
    public void processElement(SkuSignal in, ReadOnlyContext ctx, Collector<PriceAction> out)
            throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        Product current = product.value();
        LOG.debug("{} for {} at watermark {}", in, in.sku, watermark);
        ResolvedRules rules = rules(ctx, current);
        switch (in.kind) {
            case SALE -> {
                if (watermark != Long.MIN_VALUE && in.eventTime <= watermark - LATENESS) {
                    ctx.output(
                            DeadLetters.TAG,
                            DeadLetters.ofDecoded(
                                    "orders",
                                    in,
                                    DeadLetterKind.TOO_LATE,
                                    "sale of "
                                            + in.sku
                                            + " in order event "
                                            + in.eventId
                                            + " at "
                                            + Instant.ofEpochMilli(in.eventTime)
                                            + " is behind the watermark by more than "
                                            + ClearanceJob.ALLOWED_LATENESS,
                                    JOB));
                    return;
                }
                if (seen.contains(in.eventId)) {
                    return;
                }
                seen.put(in.eventId, in.eventTime);
                long bucket = Math.floorDiv(in.eventTime + HOUR - 1, HOUR) * HOUR;
                Long units = sales.get(bucket);
                sales.put(bucket, (units == null ? 0 : units) + in.units);
            }
            case LEVEL -> {
                List<InventoryLevel> history = levels.get(in.level.getWarehouseId());
                List<InventoryLevel> updated =
                        history == null ? new ArrayList<>() : new ArrayList<>(history);
                if (updated.contains(in.level)) {
                    return; // a duplicate, e.g. a replay of the compacted topic
                }
                updated.add(in.level);
                updated.sort(LEVEL_ORDER);
                levels.put(in.level.getWarehouseId(), updated);
            }
            case PRODUCT -> {
                String problem = ClearanceJob.catalogProblem(in.product);
                if (problem != null) {
                    // The SKU is left unpriced until a valid catalog record arrives.
                    product.clear();
                    ctx.output(
                            DeadLetters.TAG,
                            DeadLetters.ofDecoded(
                                    "catalog",
                                    in.product,
                                    DeadLetterKind.IMPOSSIBLE_VALUE,
                                    problem,
                                    JOB));
                    return;
                }
                if (current != null && current.getUpdatedAt().isAfter(in.product.getUpdatedAt())) {
                    return;
                }
                product.update(in.product);
                rules = rules(ctx, in.product);
            }
        }
        Long first = firstSeen.value();
        if (first == null || in.eventTime < first) {
            firstSeen.update(in.eventTime);
        }
        long interval = rules.get(EVALUATION_INTERVAL).toMillis();
        long from =
                watermark == Long.MIN_VALUE
                        ? in.eventTime
                        : Math.max(in.eventTime, watermark - LATENESS);
        ctx.timerService().registerEventTimeTimer(nextTick(from, interval) + LATENESS);
    }

    /**
     * Evaluates the SKU as of {@code timer - lateness}: the timer for evaluation point T is set at
     * T + allowed lateness, so every sale that is not rejected as too late is in by then.
     */
    @Override
    public void onTimer(long timer, OnTimerContext ctx, Collector<PriceAction> out)
            throws Exception {
        long time = timer - LATENESS;
        Product p = product.value();
        if (LOG.isDebugEnabled()) {
            LOG.debug(
                    "evaluating {} as of {} (product {})",
                    ctx.getCurrentKey(),
                    Instant.ofEpochMilli(time),
                    p == null ? "missing" : "known");
        }
        if (p == null) {
            // Unpriced (no catalog entry, or an impossible one), but stock and sales still arrive:
            // drop what no evaluation will need, or a SKU missing from the catalog keeps every
            // level it was ever sent (each write refreshes the TTL, so the TTL never ends it).
            pruneWindow(time);
            levelsAsOf(time);
            return;
        }
        ResolvedRules rules = rules(ctx, p);
        pruneWindow(time);
        SkuFigures figures = figures(time);
        Markdown md = markdown.value();

        Markdown next;
        Markdown working = md == null ? null : md.copy();
        if (md == null) {
            next = maybeStart(time, p, rules, figures, out);
        } else if (md.reason == MarkdownReason.NEAR_EXPIRY) {
            next = continueExpiry(time, p, rules, figures, working, out);
        } else {
            next = continueLadder(time, p, rules, figures, working, out);
        }
        if (working != null && (next == null || next.episodeStart != working.episodeStart)) {
            deleteEpisodeTimers(time, rules, working, ctx);
        }
        if (next == null) {
            markdown.clear();
        } else {
            markdown.update(next);
        }
        scheduleNext(time, p, rules, figures, next, ctx);
    }

    // ---- decisions ----------------------------------------------------------------------------

    private Markdown maybeStart(
            long now, Product p, ResolvedRules rules, SkuFigures f, Collector<PriceAction> out)
            throws Exception {
        int expiryTier = expiryTier(p, rules, f, now);
        if (expiryTier > 0) {
            Markdown md = new Markdown();
            md.reason = MarkdownReason.NEAR_EXPIRY;
            md.episodeStart = now;
            md.lotExpiry = f.nextExpiry();
            md.price = money(p.getListPrice());
            return markDown(now, p, rules, f, md, expiryTier, out) ? md : null;
        }
        if (!minIntervalPassed(now, rules) || f.inReorderZone()) {
            return null;
        }
        MarkdownReason reason = null;
        if (f.daysActive() >= rules.get(MIN_ACTIVE_DAYS)) {
            if (isSlow(rules, f)) {
                reason = MarkdownReason.SLOW_MOVING;
            } else if (f.daysOfCover() > rules.get(OVERSTOCK_DAYS_OF_COVER)) {
                reason = MarkdownReason.OVERSTOCK;
            }
        }
        if (reason == null) {
            return null;
        }
        Markdown md = new Markdown();
        md.reason = reason;
        md.episodeStart = now;
        md.price = money(p.getListPrice());
        return markDown(now, p, rules, f, md, 1, out) ? md : null;
    }

    private Markdown continueLadder(
            long now,
            Product p,
            ResolvedRules rules,
            SkuFigures f,
            Markdown md,
            Collector<PriceAction> out)
            throws Exception {
        int expiryTier = expiryTier(p, rules, f, now);
        if (expiryTier > 0) {
            // Expiring stock takes over the episode when its tier cuts deeper than the ladder.
            Markdown expiry = new Markdown();
            expiry.reason = MarkdownReason.NEAR_EXPIRY;
            expiry.episodeStart = now;
            expiry.lotExpiry = f.nextExpiry();
            expiry.price = md.price;
            if (markDown(now, p, rules, f, expiry, expiryTier, out)) {
                return expiry;
            }
        }
        // The minimum interval holds back every change below, not the bookkeeping.
        boolean mayChange = minIntervalPassed(now, rules);
        if (f.inReorderZone()) {
            if (mayChange) {
                restore(now, p, rules, f, md, "stock fell to the reorder zone", out);
                return null;
            }
            return md;
        }
        if (now >= md.episodeStart + rules.get(MAX_DURATION).toMillis()) {
            if (mayChange) {
                restore(now, p, rules, f, md, "the markdown reached its maximum duration", out);
                return null;
            }
            return md;
        }
        boolean recovered =
                md.reason == MarkdownReason.SLOW_MOVING
                        ? f.sellThrough() >= rules.get(RESTORE_SELL_THROUGH)
                        : f.daysOfCover() <= rules.get(OVERSTOCK_RESTORE_DAYS_OF_COVER);
        if (recovered) {
            if (md.recoveredSince == null) {
                md.recoveredSince = now;
            }
            if (mayChange && now - md.recoveredSince >= rules.get(HYSTERESIS).toMillis()) {
                restore(now, p, rules, f, md, "sales recovered", out);
                return null;
            }
            return md;
        }
        md.recoveredSince = null;
        boolean stillHolds =
                md.reason == MarkdownReason.SLOW_MOVING
                        ? isSlow(rules, f)
                        : f.daysOfCover() > rules.get(OVERSTOCK_DAYS_OF_COVER);
        if (stillHolds && mayChange && now - md.lastChange >= rules.get(CADENCE).toMillis()) {
            // A tier that rounds to the current price (WHOLE rounding of a small price, say) is
            // passed over for the next one that lowers it, so that the ladder does not stall short
            // of its depth; at the floor no tier lowers it and the price holds.
            for (int tier = md.tier + 1; tier <= maxTier(rules); tier++) {
                if (markDown(now, p, rules, f, md, tier, out)) {
                    break;
                }
            }
        }
        return md;
    }

    private Markdown continueExpiry(
            long now,
            Product p,
            ResolvedRules rules,
            SkuFigures f,
            Markdown md,
            Collector<PriceAction> out)
            throws Exception {
        if (!p.getPerishable() || f.onHand() <= 0 || f.nextExpiry() == null) {
            restore(now, p, rules, f, md, "the expiring lot sold out", out);
            return null;
        }
        if (f.nextExpiry() > md.lotExpiry) {
            if (f.nextExpiry() - now > rules.get(EXPIRY_TIER1_HOURS) * HOUR) {
                restore(
                        now,
                        p,
                        rules,
                        f,
                        md,
                        "the expiring lot is gone and a fresh lot is next",
                        out);
                return null;
            }
            md.lotExpiry = f.nextExpiry(); // the next lot is near expiry too: carry on with it
        } else if (now >= md.lotExpiry) {
            restore(now, p, rules, f, md, "the lot expired and is off sale", out);
            return null;
        }
        int tier = expiryTier(p, rules, f, now);
        if (tier > md.tier) {
            markDown(now, p, rules, f, md, tier, out);
        }
        return md;
    }

    // ---- actions ------------------------------------------------------------------------------

    /**
     * Moves {@code md} to {@code tier} and emits the MARKDOWN, unless the floor leaves no room
     * below the current price.
     *
     * @return whether a price change was emitted
     */
    private boolean markDown(
            long now,
            Product p,
            ResolvedRules rules,
            SkuFigures f,
            Markdown md,
            int tier,
            Collector<PriceAction> out)
            throws Exception {
        BigDecimal list = money(p.getListPrice());
        BigDecimal discount = discount(md.reason, tier, rules);
        BigDecimal floor = floor(md.reason, p, rules);
        BigDecimal price = Pricing.markdownPrice(list, discount, floor, rules.get(ROUNDING));
        if (price.compareTo(md.price) >= 0) {
            return false;
        }
        BigDecimal old = md.price;
        md.tier = tier;
        md.price = price;
        md.lastChange = now;
        md.recoveredSince = null;
        long validUntil =
                md.reason == MarkdownReason.NEAR_EXPIRY
                        ? md.lotExpiry
                        : md.episodeStart + rules.get(MAX_DURATION).toMillis();
        Map<String, String> figures = figures(f, now);
        figures.put("discount", discount.toPlainString());
        figures.put("floor_price", floor.toPlainString());
        figures.put("list_price", list.toPlainString());
        figures.put("episode_start", Instant.ofEpochMilli(md.episodeStart).toString());
        String text =
                String.format(
                        Locale.ROOT,
                        "%s tier %d: %s%% off list %s (floor %s), because %s.",
                        md.reason,
                        tier,
                        discount.movePointRight(2).stripTrailingZeros().toPlainString(),
                        list.toPlainString(),
                        floor.toPlainString(),
                        because(md.reason, f, now));
        out.collect(
                action(
                        p,
                        PriceActionType.MARKDOWN,
                        md,
                        tier,
                        old,
                        price,
                        floor,
                        validUntil,
                        now,
                        rules,
                        text,
                        figures));
        lastChange.update(now);
        return true;
    }

    private void restore(
            long now,
            Product p,
            ResolvedRules rules,
            SkuFigures f,
            Markdown md,
            String why,
            Collector<PriceAction> out)
            throws Exception {
        BigDecimal list = money(p.getListPrice());
        BigDecimal floor = floor(md.reason, p, rules);
        Map<String, String> figures = figures(f, now);
        figures.put("list_price", list.toPlainString());
        figures.put("episode_start", Instant.ofEpochMilli(md.episodeStart).toString());
        figures.put("last_tier", Integer.toString(md.tier));
        String text =
                String.format(
                        Locale.ROOT,
                        "Back to list price %s after %s tier %d: %s.",
                        list.toPlainString(),
                        md.reason,
                        md.tier,
                        why);
        out.collect(
                action(
                        p,
                        PriceActionType.RESTORE,
                        md,
                        0,
                        md.price,
                        list,
                        floor,
                        null,
                        now,
                        rules,
                        text,
                        figures));
        lastChange.update(now);
    }

    private static PriceAction action(
            Product p,
            PriceActionType type,
            Markdown md,
            int tier,
            BigDecimal oldPrice,
            BigDecimal newPrice,
            BigDecimal floor,
            Long validUntil,
            long now,
            ResolvedRules rules,
            String text,
            Map<String, String> figures) {
        return PriceAction.newBuilder()
                .setActionId(actionId(p.getSku(), md.reason, md.episodeStart, type, tier))
                .setSku(p.getSku())
                .setType(type)
                .setReason(md.reason)
                .setTier(tier)
                .setListPrice(money(p.getListPrice()))
                .setOldPrice(money(oldPrice))
                .setNewPrice(money(newPrice))
                .setFloorPrice(money(floor))
                .setCurrency(p.getCurrency())
                .setValidUntil(validUntil == null ? null : Instant.ofEpochMilli(validUntil))
                .setEventTime(Instant.ofEpochMilli(now))
                .setRuleId(rules.ruleId())
                .setRuleVersion(rules.ruleVersion())
                .setExplanation(new Explanation(text, figures))
                .build();
    }

    /**
     * {@code sku/reason/e<episode start millis>/t<tier>} or {@code .../restore}: built only from
     * the SKU and event times, so a replay yields the same ids.
     */
    static String actionId(
            String sku, MarkdownReason reason, long episodeStart, PriceActionType type, int tier) {
        return sku
                + "/"
                + reason
                + "/e"
                + episodeStart
                + (type == PriceActionType.RESTORE ? "/restore" : "/t" + tier);
    }

    // ---- rules and figures --------------------------------------------------------------------

    private ResolvedRules rules(ReadOnlyContext ctx, Product p) throws Exception {
        if (book == null) {
            ReadOnlyBroadcastState<String, RuleSet> state =
                    ctx.getBroadcastState(RulesState.DESCRIPTOR);
            book = RulesState.book(ClearanceJob.RULES, state);
        }
        return book.resolve(null, p == null ? null : p.getCategory(), ctx.getCurrentKey());
    }

    private static boolean isSlow(ResolvedRules rules, SkuFigures f) {
        return !Double.isNaN(f.sellThrough())
                && f.sellThrough() < rules.get(SLOW_SELL_THROUGH)
                && f.daysOfCover() > rules.get(SLOW_DAYS_OF_COVER);
    }

    /** The expiry tier that applies now (0 when none), by hours left on the next lot. */
    static int expiryTier(Product p, ResolvedRules rules, SkuFigures f, long now) {
        if (!p.getPerishable()
                || f.nextExpiry() == null
                || f.onHand() <= 0
                || f.expiringQuantity() <= 0) {
            return 0;
        }
        long left = f.nextExpiry() - now;
        if (left <= 0) {
            return 0;
        }
        int tier = 0;
        int[] hours = expiryHours(rules);
        for (int i = 0; i < hours.length; i++) {
            if (left <= hours[i] * HOUR) {
                tier = i + 1;
            }
        }
        return tier;
    }

    private static int[] expiryHours(ResolvedRules rules) {
        return new int[] {
            rules.get(EXPIRY_TIER1_HOURS),
            rules.get(EXPIRY_TIER2_HOURS),
            rules.get(EXPIRY_TIER3_HOURS)
        };
    }

    static int maxTier(ResolvedRules rules) {
        return rules.get(MAX_DEPTH)
                .divide(rules.get(TIER_STEP), 0, RoundingMode.CEILING)
                .intValue();
    }

    static BigDecimal discount(MarkdownReason reason, int tier, ResolvedRules rules) {
        if (reason == MarkdownReason.NEAR_EXPIRY) {
            return switch (tier) {
                case 1 -> rules.get(EXPIRY_TIER1_DISCOUNT);
                case 2 -> rules.get(EXPIRY_TIER2_DISCOUNT);
                default -> rules.get(EXPIRY_TIER3_DISCOUNT);
            };
        }
        return rules.get(TIER_STEP).multiply(BigDecimal.valueOf(tier)).min(rules.get(MAX_DEPTH));
    }

    static BigDecimal floor(MarkdownReason reason, Product p, ResolvedRules rules) {
        BigDecimal regular = Pricing.regularFloor(p.getMinPrice(), p.getUnitCost());
        if (reason == MarkdownReason.NEAR_EXPIRY && rules.get(ALLOW_LOSS_ON_EXPIRY)) {
            return Pricing.lossFloor(p.getListPrice(), rules.get(LOSS_FLOOR_FRACTION), regular);
        }
        return regular;
    }

    private boolean minIntervalPassed(long now, ResolvedRules rules) throws Exception {
        Long last = lastChange.value();
        return last == null || now - last >= rules.get(MIN_INTERVAL).toMillis();
    }

    private SkuFigures figures(long now) throws Exception {
        long sold = 0;
        for (Map.Entry<Long, Long> e : sales.entries()) {
            if (e.getKey() <= now && e.getKey() > now - WINDOW) {
                sold += e.getValue();
            }
        }
        sold = Math.max(0, sold);
        long onHand = 0;
        long reorderPoint = 0;
        Long nextExpiry = null;
        List<InventoryLevel> held = new ArrayList<>();
        for (InventoryLevel l : levelsAsOf(now)) {
            onHand += Math.max(0, l.getOnHand());
            reorderPoint += Math.max(0, l.getReorderPoint());
            held.add(l);
            if (l.getOnHand() > 0 && l.getNextExpiryAt() != null && lotQuantity(l) > 0) {
                long at = l.getNextExpiryAt().toEpochMilli();
                nextExpiry = nextExpiry == null ? at : Math.min(nextExpiry, at);
            }
        }
        long expiring = 0;
        if (nextExpiry != null) {
            for (InventoryLevel l : held) {
                if (l.getOnHand() > 0
                        && l.getNextExpiryAt() != null
                        && l.getNextExpiryAt().toEpochMilli() == nextExpiry) {
                    expiring += lotQuantity(l);
                }
            }
        }
        Long first = firstSeen.value();
        return SkuFigures.of(
                sold, onHand, reorderPoint, first == null ? now : first, now, nextExpiry, expiring);
    }

    /**
     * The level of each warehouse as of {@code now}, dropping history no later evaluation needs
     * (evaluation points only move forward).
     */
    private List<InventoryLevel> levelsAsOf(long now) throws Exception {
        List<InventoryLevel> result = new ArrayList<>();
        List<Map.Entry<String, List<InventoryLevel>>> entries = new ArrayList<>();
        for (Map.Entry<String, List<InventoryLevel>> e : levels.entries()) {
            entries.add(e);
        }
        for (Map.Entry<String, List<InventoryLevel>> e : entries) {
            List<InventoryLevel> history = e.getValue();
            int current = -1;
            for (int i = 0; i < history.size(); i++) {
                if (history.get(i).getUpdatedAt().toEpochMilli() <= now) {
                    current = i;
                }
            }
            if (current < 0) {
                continue;
            }
            result.add(history.get(current));
            if (current > 0) {
                levels.put(e.getKey(), new ArrayList<>(history.subList(current, history.size())));
            }
        }
        return result;
    }

    /** Units in the level's next-expiring lot; unknown counts as all of its stock. */
    private static long lotQuantity(InventoryLevel l) {
        return l.getNextExpiryQuantity() == null
                ? Math.max(0, l.getOnHand())
                : Math.min(l.getNextExpiryQuantity(), Math.max(0, l.getOnHand()));
    }

    /** Drops sales buckets out of the window and event ids out of the lateness horizon. */
    private void pruneWindow(long now) throws Exception {
        long lateness = LATENESS;
        List<Long> oldBuckets = new ArrayList<>();
        for (Long bucket : sales.keys()) {
            if (bucket <= now - WINDOW - lateness - HOUR) {
                oldBuckets.add(bucket);
            }
        }
        for (Long b : oldBuckets) {
            sales.remove(b);
        }
        // A duplicate older than this is behind the lateness horizon and rejected as TOO_LATE.
        List<String> oldIds = new ArrayList<>();
        for (Map.Entry<String, Long> e : seen.entries()) {
            if (e.getValue() < now - lateness - HOUR) {
                oldIds.add(e.getKey());
            }
        }
        for (String id : oldIds) {
            seen.remove(id);
        }
    }

    /**
     * Arms the next evaluation points. The periodic tick only runs while the SKU holds stock or is
     * marked down, so a SKU without either stops costing timers (new input re-arms it).
     */
    private void scheduleNext(
            long now, Product p, ResolvedRules rules, SkuFigures f, Markdown md, OnTimerContext ctx)
            throws Exception {
        List<Long> at = new ArrayList<>();
        if (f.onHand() > 0 || md != null) {
            at.add(nextTick(now, rules.get(EVALUATION_INTERVAL).toMillis()));
        }
        if (p.getPerishable() && f.nextExpiry() != null) {
            for (int h : expiryHours(rules)) {
                at.add(f.nextExpiry() - h * HOUR);
            }
            at.add(f.nextExpiry());
        }
        Long last = lastChange.value();
        if (last != null) {
            at.add(last + rules.get(MIN_INTERVAL).toMillis());
        }
        if (md != null && md.reason != MarkdownReason.NEAR_EXPIRY) {
            at.add(md.lastChange + rules.get(CADENCE).toMillis());
            at.add(md.episodeStart + rules.get(MAX_DURATION).toMillis());
            if (md.recoveredSince != null) {
                at.add(md.recoveredSince + rules.get(HYSTERESIS).toMillis());
            }
        }
        for (long t : at) {
            if (t > now) {
                ctx.timerService().registerEventTimeTimer(t + LATENESS);
            }
        }
    }

    /** Deletes the timers only an ended episode needed; stock-bound timers stay. */
    private static void deleteEpisodeTimers(
            long now, ResolvedRules rules, Markdown md, OnTimerContext ctx) {
        if (md.reason == MarkdownReason.NEAR_EXPIRY) {
            return; // its timers belong to the lot, which scheduleNext re-arms while it is held
        }
        List<Long> at = new ArrayList<>();
        at.add(md.lastChange + rules.get(CADENCE).toMillis());
        at.add(md.episodeStart + rules.get(MAX_DURATION).toMillis());
        if (md.recoveredSince != null) {
            at.add(md.recoveredSince + rules.get(HYSTERESIS).toMillis());
        }
        for (long t : at) {
            if (t > now) {
                ctx.timerService().deleteEventTimeTimer(t + LATENESS);
            }
        }
    }

    private static long nextTick(long time, long interval) {
        return (Math.floorDiv(time, interval) + 1) * interval;
    }

    private static Map<String, String> figures(SkuFigures f, long now) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("sold_units_7d", Long.toString(f.soldUnits7d()));
        m.put("on_hand", Long.toString(f.onHand()));
        m.put("reorder_point", Long.toString(f.reorderPoint()));
        m.put("sell_through", format(f.sellThrough()));
        m.put("days_of_cover", format(f.daysOfCover()));
        m.put("days_active", format(f.daysActive()));
        if (f.nextExpiry() != null) {
            m.put("next_expiry_at", Instant.ofEpochMilli(f.nextExpiry()).toString());
            m.put("hours_to_expiry", format(f.hoursLeft(now)));
            m.put("expiring_quantity", Long.toString(f.expiringQuantity()));
        }
        return m;
    }

    private static String because(MarkdownReason reason, SkuFigures f, long now) {
        return switch (reason) {
            case NEAR_EXPIRY ->
                    String.format(
                            Locale.ROOT,
                            "%d units expire in %s h",
                            f.expiringQuantity(),
                            format(f.hoursLeft(now)));
            case OVERSTOCK ->
                    String.format(Locale.ROOT, "days of cover is %s", format(f.daysOfCover()));
            default ->
                    String.format(
                            Locale.ROOT,
                            "sell-through is %s with %s days of cover after %s days",
                            format(f.sellThrough()),
                            format(f.daysOfCover()),
                            format(f.daysActive()));
        };
    }

    private static String format(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        if (Double.isInfinite(v)) {
            return "infinite";
        }
        return BigDecimal.valueOf(v).setScale(3, RoundingMode.HALF_UP).toPlainString();
    }

    private static BigDecimal money(BigDecimal x) {
        return Pricing.money(x);
    }
}
