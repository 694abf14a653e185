package io.storepulse.engagement;

import static io.storepulse.engagement.EngagementRules.*;

import io.storepulse.engagement.UserState.AddEntry;
import io.storepulse.engagement.UserState.OrderEntry;
import io.storepulse.engagement.UserState.PendingCoupon;
import io.storepulse.engagement.UserState.SentCoupon;
import io.storepulse.rules.ResolvedRules;
import io.storepulse.rules.RuleBook;
import io.storepulse.rules.RulesState;
import io.storepulse.serde.DeadLetters;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topics;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
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
import org.apache.flink.util.OutputTag;
import storepulse.v1.actions.CouponAction;
import storepulse.v1.actions.CouponTrigger;
import storepulse.v1.actions.CouponType;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.actions.Segment;
import storepulse.v1.actions.SegmentChange;
import storepulse.v1.common.Explanation;

/**
 * The engagement decisions of one user: abandoned carts, repeated add-to-cart, RFM segments,
 * dormancy and win-back, behind the guard rails (cooldown, per-trigger caps, quiet hours).
 *
 * <p><b>How time works.</b> Incoming events are buffered and applied strictly in event-time order
 * once the watermark has passed their event time plus the {@code allowed-lateness} rule; the
 * logical deadlines (cart idle deadline, coupon delivery at the end of quiet hours, AT_RISK and
 * DORMANT after long silences, window pruning) are merged into the same ordered sweep. So a
 * decision due at time D is taken only when every event up to D that arrives within the allowed
 * lateness has been seen: an order placed before the cart deadline but delivered late still
 * suppresses the coupon, and any arrival order within the lateness gives the same actions. Events
 * at the same instant as a deadline are applied before it. Events later than the lateness go to
 * dead-letters ({@code TOO_LATE}, side output {@link DeadLetters#TAG}); since processed events are
 * always that late, this also makes duplicates harmless (a duplicate still buffered is dropped by
 * its event_id).
 *
 * <p><b>Timers.</b> Exactly one event-time timer per user is live at any time: the earliest of the
 * buffered events and the logical deadlines, plus the lateness ({@link #WAKE_UP}).
 *
 * <p><b>State.</b> {@link #USER} holds the cart episode, the orders of the RFM window, the ADDs of
 * the repeated-add window, pending and recently sent coupons; each is pruned when its episode or
 * window ends, and the whole value is cleared once nothing is left (a DORMANT customer keeps a few
 * fields so that a return can be recognised). A TTL is the backstop.
 */
public class EngagementFunction
        extends KeyedBroadcastProcessFunction<String, UserEvent, Control, CouponAction> {

    private static final long serialVersionUID = 1L;

    public static final OutputTag<SegmentChange> SEGMENT_CHANGES =
            new OutputTag<>("segment-changes", TypeInformation.of(SegmentChange.class));

    /** Catalogue facts per SKU, broadcast next to the rules. */
    public static final MapStateDescriptor<String, Control> CATALOG_FACTS =
            new MapStateDescriptor<>(
                    "catalog-facts", Types.STRING, TypeInformation.of(Control.class));

    /** The user's remembered episodes. */
    static final ValueStateDescriptor<UserState> USER =
            new ValueStateDescriptor<>("user", TypeInformation.of(UserState.class));

    /** Events waiting for the watermark to pass their time plus the lateness, by event_id. */
    static final MapStateDescriptor<String, UserEvent> BUFFER =
            new MapStateDescriptor<>("buffer", Types.STRING, TypeInformation.of(UserEvent.class));

    /** The one event-time timer registered for this user, if any. */
    static final ValueStateDescriptor<Long> WAKE_UP =
            new ValueStateDescriptor<>("wake-up", Types.LONG);

    /** Backstop only: every path clears its state long before. */
    private static final Duration STATE_TTL = Duration.ofDays(400);

    private static final String CART_ABANDONED = CouponTrigger.CART_ABANDONED.name();
    private static final String REPEATED_ADD = CouponTrigger.REPEATED_ADD_TO_CART.name();
    private static final String WIN_BACK = CouponTrigger.WIN_BACK.name();
    private static final long DAY = Duration.ofDays(1).toMillis();

    private transient ValueState<UserState> user;
    private transient MapState<String, UserEvent> buffer;
    private transient ValueState<Long> wakeUp;
    private transient RuleBook book;

    @Override
    public void open(OpenContext openContext) {
        StateTtlConfig ttl =
                StateTtlConfig.newBuilder(STATE_TTL)
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .build();
        ValueStateDescriptor<UserState> userDescriptor = copy(USER);
        userDescriptor.enableTimeToLive(ttl);
        MapStateDescriptor<String, UserEvent> bufferDescriptor =
                new MapStateDescriptor<>(
                        BUFFER.getName(), Types.STRING, TypeInformation.of(UserEvent.class));
        bufferDescriptor.enableTimeToLive(ttl);
        user = getRuntimeContext().getState(userDescriptor);
        buffer = getRuntimeContext().getMapState(bufferDescriptor);
        wakeUp = getRuntimeContext().getState(WAKE_UP);
    }

    private static ValueStateDescriptor<UserState> copy(ValueStateDescriptor<UserState> d) {
        return new ValueStateDescriptor<>(d.getName(), TypeInformation.of(UserState.class));
    }

    // ---- inputs --------------------------------------------------------------------------

    @Override
    public void processElement(UserEvent event, ReadOnlyContext ctx, Collector<CouponAction> out)
            throws Exception {
        ResolvedRules rules = rules(ctx.getBroadcastState(RulesState.DESCRIPTOR));
        long lateness = rules.get(ALLOWED_LATENESS).toMillis();
        long watermark = ctx.timerService().currentWatermark();
        if (watermark != Long.MIN_VALUE && event.eventTime <= watermark - lateness) {
            ctx.output(DeadLetters.TAG, tooLate(event, watermark, lateness));
            return;
        }
        if (buffer.contains(event.eventId)) {
            return; // a duplicate: the first copy is still waiting its turn
        }
        buffer.put(event.eventId, event);
        reschedule(ctx, user.value(), lateness);
    }

    @Override
    public void processBroadcastElement(Control control, Context ctx, Collector<CouponAction> out)
            throws Exception {
        if (control.rule != null) {
            if (RulesState.apply(ctx.getBroadcastState(RulesState.DESCRIPTOR), control.rule)) {
                book = null;
            }
        } else if (control.sku != null) {
            ctx.getBroadcastState(CATALOG_FACTS).put(control.sku, control);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<CouponAction> out)
            throws Exception {
        wakeUp.clear();
        ResolvedRules rules = rules(ctx.getBroadcastState(RulesState.DESCRIPTOR));
        long lateness = rules.get(ALLOWED_LATENESS).toMillis();
        long horizon = Math.max(timestamp, ctx.timerService().currentWatermark()) - lateness;
        UserState state = user.value();
        if (state == null) {
            state = new UserState();
        }
        Sweep sweep =
                new Sweep(
                        ctx.getCurrentKey(),
                        state,
                        book,
                        ctx.getBroadcastState(CATALOG_FACTS),
                        out::collect,
                        change -> ctx.output(SEGMENT_CHANGES, change));
        sweep.run(dueEvents(horizon), horizon);
        if (state.isEmpty()) {
            user.clear();
            state = null;
        } else {
            user.update(state);
        }
        reschedule(ctx, state, lateness);
    }

    // ---- the one timer ---------------------------------------------------------------------

    private void reschedule(ReadOnlyContext ctx, UserState state, long lateness) throws Exception {
        long next = Long.MAX_VALUE;
        for (UserEvent e : buffer.values()) {
            next = Math.min(next, e.eventTime);
        }
        if (state != null) {
            ResolvedRules rules = rules(ctx.getBroadcastState(RulesState.DESCRIPTOR));
            Deadline d = nextDeadline(state, rules);
            if (d != null) {
                next = Math.min(next, d.time);
            }
        }
        Long registered = wakeUp.value();
        long fireAt = next == Long.MAX_VALUE ? Long.MAX_VALUE : saturatedAdd(next, lateness);
        if (registered != null && registered == fireAt) {
            return;
        }
        if (registered != null) {
            ctx.timerService().deleteEventTimeTimer(registered);
        }
        if (fireAt == Long.MAX_VALUE) {
            wakeUp.clear();
        } else {
            ctx.timerService().registerEventTimeTimer(fireAt);
            wakeUp.update(fireAt);
        }
    }

    private List<UserEvent> dueEvents(long horizon) throws Exception {
        List<UserEvent> due = new ArrayList<>();
        for (UserEvent e : buffer.values()) {
            if (e.eventTime <= horizon) {
                due.add(e);
            }
        }
        for (UserEvent e : due) {
            buffer.remove(e.eventId);
        }
        due.sort(
                Comparator.comparingLong((UserEvent e) -> e.eventTime)
                        .thenComparing(e -> e.eventId));
        return due;
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    private ResolvedRules rules(ReadOnlyBroadcastState<String, storepulse.v1.events.RuleSet> state)
            throws Exception {
        if (book == null) {
            book = RulesState.book(CATALOG, state);
        }
        return book.global();
    }

    private static DeadLetter tooLate(UserEvent e, long watermark, long lateness) {
        String topic =
                switch (e.kind) {
                    case CART -> Topics.CARTS.name();
                    case ORDER -> Topics.ORDERS.name();
                    case BROWSE -> Topics.BROWSE.name();
                };
        String message =
                "event "
                        + e.eventId
                        + " of user "
                        + e.userId
                        + " at "
                        + Instant.ofEpochMilli(e.eventTime)
                        + " is more than the allowed lateness "
                        + Duration.ofMillis(lateness)
                        + " behind the watermark "
                        + Instant.ofEpochMilli(watermark);
        return DeadLetters.ofDecoded(
                topic, e, DeadLetterKind.TOO_LATE, message, StorepulseJob.ENGAGEMENT.id());
    }

    // ---- logical deadlines -----------------------------------------------------------------

    private enum DeadlineKind {
        DELIVERY,
        CART_IDLE,
        AT_RISK,
        DORMANT,
        CART_EXPIRY,
        HOUSEKEEPING
    }

    private record Deadline(long time, DeadlineKind kind, PendingCoupon coupon) {}

    /** The earliest logical deadline of the state, or null when none is pending. */
    static Deadline nextDeadline(UserState s, ResolvedRules rules) {
        List<Deadline> all = new ArrayList<>();
        for (PendingCoupon p : s.pending) {
            all.add(new Deadline(p.deliverAt, DeadlineKind.DELIVERY, p));
        }
        if (s.cartDeadline >= 0) {
            all.add(new Deadline(s.cartDeadline, DeadlineKind.CART_IDLE, null));
        }
        if (s.lastOrderTime >= 0) {
            String seg = s.segment;
            if (!Segment.AT_RISK.name().equals(seg) && !Segment.DORMANT.name().equals(seg)) {
                all.add(
                        new Deadline(
                                s.lastOrderTime + rules.get(AT_RISK_AFTER).toMillis(),
                                DeadlineKind.AT_RISK,
                                null));
            }
            if (!Segment.DORMANT.name().equals(seg)) {
                all.add(
                        new Deadline(
                                s.lastOrderTime + rules.get(DORMANT_AFTER).toMillis(),
                                DeadlineKind.DORMANT,
                                null));
            }
        }
        if (s.cartExpiry >= 0) {
            all.add(new Deadline(s.cartExpiry, DeadlineKind.CART_EXPIRY, null));
        }
        long housekeeping = housekeepingAt(s, rules);
        if (housekeeping != Long.MAX_VALUE) {
            all.add(new Deadline(housekeeping, DeadlineKind.HOUSEKEEPING, null));
        }
        return all.stream()
                .min(Comparator.comparingLong(Deadline::time).thenComparing(Deadline::kind))
                .orElse(null);
    }

    private static long housekeepingAt(UserState s, ResolvedRules rules) {
        long at = Long.MAX_VALUE;
        long repeatWindow = rules.get(REPEAT_ADD_WINDOW).toMillis();
        for (AddEntry a : s.adds) {
            at = Math.min(at, a.time + repeatWindow);
        }
        long sentKeep = sentRetention(rules);
        for (SentCoupon c : s.sent) {
            at = Math.min(at, c.time + sentKeep);
        }
        long rfmWindow = rules.get(RFM_WINDOW).toMillis();
        for (OrderEntry o : s.orders) {
            at = Math.min(at, o.time + rfmWindow);
        }
        return at;
    }

    private static long sentRetention(ResolvedRules rules) {
        return Math.max(rules.get(COOLDOWN).toMillis(), rules.get(CAP_WINDOW).toMillis());
    }

    // ---- the in-order state machine ----------------------------------------------------------

    /** One pass over the due events and deadlines of one user, in event-time order. */
    static final class Sweep {
        private final String userId;
        private final UserState s;
        private final RuleBook book;
        private final ResolvedRules rules;
        private final ReadOnlyBroadcastState<String, Control> catalog;
        private final Consumer<CouponAction> coupons;
        private final Consumer<SegmentChange> segments;

        Sweep(
                String userId,
                UserState s,
                RuleBook book,
                ReadOnlyBroadcastState<String, Control> catalog,
                Consumer<CouponAction> coupons,
                Consumer<SegmentChange> segments) {
            this.userId = userId;
            this.s = s;
            this.book = book;
            this.rules = book.global();
            this.catalog = catalog;
            this.coupons = coupons;
            this.segments = segments;
        }

        /** The rules for a decision about this channel and SKU (most specific scope wins). */
        private ResolvedRules scoped(String channel, String sku) throws Exception {
            Control facts = sku == null ? null : catalog.get(sku);
            return book.resolve(channel, facts == null ? null : facts.category, sku);
        }

        void run(List<UserEvent> events, long horizon) throws Exception {
            int i = 0;
            while (true) {
                Deadline d = nextDeadline(s, rules);
                boolean deadlineDue = d != null && d.time <= horizon;
                if (i < events.size() && (!deadlineDue || events.get(i).eventTime <= d.time)) {
                    apply(events.get(i++));
                } else if (deadlineDue) {
                    expire(d);
                } else {
                    return;
                }
            }
        }

        private void apply(UserEvent e) throws Exception {
            if (e.currency != null) {
                s.currency = e.currency;
            }
            switch (e.kind) {
                case CART -> onCart(e);
                case ORDER -> onOrder(e);
                case BROWSE -> noticeReturn(e.eventTime, e.channel);
            }
        }

        private void onCart(UserEvent e) throws Exception {
            noticeReturn(e.eventTime, e.channel);
            // Any change means the customer is back: a coupon waiting for quiet hours to end is
            // void.
            s.pending.removeIf(p -> p.trigger.equals(CART_ABANDONED));
            switch (e.type) {
                case "ADD" -> {
                    s.cartQty.merge(e.sku, e.quantity, Integer::sum);
                    s.cartPrice.put(e.sku, price(e));
                    s.adds.add(new AddEntry(e.sku, e.eventTime));
                    checkRepeatedAdd(e);
                }
                case "REMOVE" -> {
                    int left = s.cartQty.getOrDefault(e.sku, 0) - e.quantity;
                    if (left > 0) {
                        s.cartQty.put(e.sku, left);
                    } else {
                        s.cartQty.remove(e.sku);
                        s.cartPrice.remove(e.sku);
                    }
                }
                case "CLEAR" -> {
                    s.cartQty.clear();
                    s.cartPrice.clear();
                }
                case "CHECKOUT_STARTED" -> s.checkoutStarted = true;
                default -> {}
            }
            if (s.cartQty.isEmpty()) {
                s.endCart();
            } else {
                s.cartLastChange = e.eventTime;
                s.cartDeadline =
                        e.eventTime + scoped(e.channel, null).get(CART_IDLE_TIMEOUT).toMillis();
                s.cartExpiry = -1;
                s.cartChannel = e.channel;
            }
        }

        private long price(UserEvent e) throws Exception {
            if (e.unitPriceCents >= 0) {
                return e.unitPriceCents;
            }
            Control facts = catalog.get(e.sku);
            return facts == null ? 0 : facts.listPriceCents;
        }

        private void onOrder(UserEvent e) {
            switch (e.type) {
                case "PLACED", "PAID" -> {
                    if (s.orders.stream().anyMatch(o -> o.orderId.equals(e.orderId))) {
                        return; // PAID after PLACED: the same order
                    }
                    s.orders.add(
                            new OrderEntry(e.orderId, e.eventTime, e.orderTotalCents, e.currency));
                    s.lastOrderTime = Math.max(s.lastOrderTime, e.eventTime);
                    Set<String> bought =
                            Set.of(
                                    e.orderSkus == null || e.orderSkus.isEmpty()
                                            ? new String[0]
                                            : e.orderSkus.split(","));
                    s.adds.removeIf(a -> bought.contains(a.sku));
                    s.pending.removeIf(
                            p -> p.trigger.equals(REPEATED_ADD) && bought.contains(p.sku));
                    // The order checks out the cart: the cart episode ends without a coupon.
                    s.endCart();
                    if (Segment.DORMANT.name().equals(s.segment)) {
                        s.dormantSince = -1;
                        s.winBackSentFor = -1;
                        s.pending.removeIf(p -> p.trigger.equals(WIN_BACK));
                    }
                    evaluateSegment(e.eventTime, "order " + e.orderId);
                }
                case "CANCELLED" -> {
                    for (OrderEntry o : s.orders) {
                        if (o.orderId.equals(e.orderId)) {
                            o.cancelled = true;
                        }
                    }
                }
                default -> {}
            }
        }

        /** A DORMANT customer showed up: one win-back per dormancy episode. */
        private void noticeReturn(long time, String channel) {
            if (!Segment.DORMANT.name().equals(s.segment)
                    || s.dormantSince < 0
                    || s.winBackSentFor == s.dormantSince
                    || s.pending.stream().anyMatch(p -> p.trigger.equals(WIN_BACK))) {
                return;
            }
            PendingCoupon p = pending(WIN_BACK, s.dormantSince, time, channel);
            p.actionId = actionId(WIN_BACK, Long.toString(s.dormantSince));
        }

        private void checkRepeatedAdd(UserEvent e) throws Exception {
            ResolvedRules rules = scoped(e.channel, e.sku);
            long window = rules.get(REPEAT_ADD_WINDOW).toMillis();
            s.adds.removeIf(a -> a.time + window <= e.eventTime);
            int count = (int) s.adds.stream().filter(a -> a.sku.equals(e.sku)).count();
            if (count < rules.get(REPEAT_ADD_COUNT)
                    || s.pending.stream()
                            .anyMatch(p -> p.trigger.equals(REPEATED_ADD) && p.sku.equals(e.sku))) {
                return;
            }
            PendingCoupon p = pending(REPEATED_ADD, e.eventTime, e.eventTime, e.channel);
            p.sku = e.sku;
            p.count = count;
            p.actionId = actionId(REPEATED_ADD, e.sku + ":" + e.eventTime);
            // The streak is spent: the next coupon for this SKU needs a fresh run of ADDs.
            s.adds.removeIf(a -> a.sku.equals(e.sku));
        }

        private PendingCoupon pending(String trigger, long episode, long due, String channel) {
            PendingCoupon p = new PendingCoupon();
            p.trigger = trigger;
            p.episode = episode;
            p.due = due;
            p.deliverAt = endOfQuietHours(due, rules);
            p.channel = channel;
            s.pending.add(p);
            return p;
        }

        private String actionId(String trigger, String episode) {
            return "cpn:" + userId + ":" + trigger + ":" + episode;
        }

        private void expire(Deadline d) throws Exception {
            switch (d.kind) {
                case DELIVERY -> {
                    s.pending.remove(d.coupon);
                    deliver(d.coupon);
                }
                case CART_IDLE -> cartAbandoned(d.time);
                case AT_RISK, DORMANT ->
                        evaluateSegment(
                                d.time, "no order since " + Instant.ofEpochMilli(s.lastOrderTime));
                case CART_EXPIRY -> s.endCart();
                case HOUSEKEEPING -> prune(d.time);
            }
        }

        private void cartAbandoned(long deadline) {
            s.cartDeadline = -1;
            s.cartExpiry = s.cartLastChange + rules.get(CART_RETENTION).toMillis();
            if (BigDecimal.valueOf(s.cartValueCents(), 2).compareTo(rules.get(CART_MIN_VALUE))
                    < 0) {
                return;
            }
            PendingCoupon p = pending(CART_ABANDONED, s.cartLastChange, deadline, s.cartChannel);
            p.actionId = actionId(CART_ABANDONED, Long.toString(s.cartLastChange));
        }

        private void prune(long now) {
            long repeatWindow = rules.get(REPEAT_ADD_WINDOW).toMillis();
            s.adds.removeIf(a -> a.time + repeatWindow <= now);
            long sentKeep = sentRetention(rules);
            s.sent.removeIf(c -> c.time + sentKeep <= now);
            long rfmWindow = rules.get(RFM_WINDOW).toMillis();
            s.orders.removeIf(o -> o.time + rfmWindow <= now);
        }

        // ---- delivery behind the guard rails ----

        private void deliver(PendingCoupon p) throws Exception {
            long now = p.deliverAt;
            Map<String, String> figures = new LinkedHashMap<>();
            long cooldown = rules.get(COOLDOWN).toMillis();
            long lastSent = s.sent.stream().mapToLong(c -> c.time).max().orElse(-1);
            figures.put(
                    "cooldown_check",
                    (lastSent < 0
                                    ? "no coupon before"
                                    : "last coupon at " + Instant.ofEpochMilli(lastSent))
                            + ", cooldown "
                            + Duration.ofMillis(cooldown));
            if (lastSent >= 0 && now - lastSent < cooldown) {
                return; // cooldown: at most one coupon of any kind per cooldown
            }
            int cap =
                    p.trigger.equals(CART_ABANDONED)
                            ? rules.get(CART_ABANDONED_CAP)
                            : p.trigger.equals(REPEATED_ADD) ? rules.get(REPEAT_ADD_CAP) : 1;
            long capWindow = rules.get(CAP_WINDOW).toMillis();
            long used =
                    s.sent.stream()
                            .filter(c -> c.trigger.equals(p.trigger) && c.time > now - capWindow)
                            .count();
            figures.put(
                    "cap_check",
                    used + " of " + cap + " " + p.trigger + " in " + Duration.ofMillis(capWindow));
            if (!p.trigger.equals(WIN_BACK) && used >= cap) {
                return;
            }
            figures.put("due_at", Instant.ofEpochMilli(p.due).toString());
            figures.put("delivered_at", Instant.ofEpochMilli(now).toString());
            figures.put(
                    "quiet_hours",
                    quietHoursText(rules)
                            + (now > p.due ? " (delayed to their end)" : " (not in force)"));
            // Coupon values come from the most specific rules for the channel and SKU.
            ResolvedRules scoped = scoped(p.channel, p.sku);
            CouponAction action =
                    p.trigger.equals(CART_ABANDONED)
                            ? cartCoupon(p, figures, scoped)
                            : p.trigger.equals(REPEATED_ADD)
                                    ? repeatedAddCoupon(p, figures, scoped)
                                    : winBackCoupon(p, figures, scoped);
            if (action == null) {
                return;
            }
            s.sent.add(new SentCoupon(p.trigger, now));
            if (p.trigger.equals(WIN_BACK)) {
                s.winBackSentFor = p.episode;
            }
            coupons.accept(action);
        }

        private CouponAction cartCoupon(
                PendingCoupon p, Map<String, String> figures, ResolvedRules rules) {
            BigDecimal value = BigDecimal.valueOf(s.cartValueCents(), 2);
            List<BigDecimal> tiers = rules.get(CART_VALUE_TIERS).values();
            int tier = 0;
            while (tier < tiers.size() && value.compareTo(tiers.get(tier)) >= 0) {
                tier++;
            }
            boolean extra =
                    s.segment != null && rules.get(EXTRA_PERCENT_SEGMENTS).contains(s.segment);
            CouponType type = CouponType.valueOf(rules.get(CART_COUPON_TYPE));
            BigDecimal couponValue;
            BigDecimal extraValue;
            if (type == CouponType.PERCENT_OFF) {
                extraValue = extra ? rules.get(EXTRA_PERCENT) : BigDecimal.ZERO;
                couponValue =
                        tierValue(rules.get(CART_PERCENT_TIERS).values(), tier)
                                .add(extraValue)
                                .min(rules.get(MAX_PERCENT));
            } else if (type == CouponType.AMOUNT_OFF) {
                extraValue = extra ? rules.get(EXTRA_AMOUNT) : BigDecimal.ZERO;
                couponValue =
                        amountOff(
                                tierValue(rules.get(CART_AMOUNT_TIERS).values(), tier)
                                        .add(extraValue),
                                value,
                                figures,
                                rules);
            } else {
                extraValue = BigDecimal.ZERO;
                couponValue = BigDecimal.ZERO; // FREE_SHIPPING carries no value
            }
            if (type != CouponType.FREE_SHIPPING && couponValue.signum() <= 0) {
                return null;
            }
            StringBuilder items = new StringBuilder();
            s.cartQty.forEach(
                    (sku, qty) ->
                            items.append(items.length() == 0 ? "" : ", ")
                                    .append(sku)
                                    .append(" x")
                                    .append(qty)
                                    .append(" @ ")
                                    .append(
                                            BigDecimal.valueOf(s.cartPrice.getOrDefault(sku, 0L), 2)
                                                    .toPlainString()));
            figures.put("cart_items", items.toString());
            figures.put("cart_value", value.toPlainString());
            figures.put("cart_last_change", Instant.ofEpochMilli(s.cartLastChange).toString());
            figures.put("idle_timeout", rules.get(CART_IDLE_TIMEOUT).toString());
            figures.put("checkout_started", Boolean.toString(s.checkoutStarted));
            figures.put("value_tier", Integer.toString(tier));
            figures.put("segment_extra", extra ? extraValue.toPlainString() : "0");
            String text =
                    "Cart of "
                            + value.toPlainString()
                            + " "
                            + currency()
                            + " idle since "
                            + Instant.ofEpochMilli(s.cartLastChange)
                            + " with no order by the deadline "
                            + Instant.ofEpochMilli(p.due)
                            + "; cooldown and cap allow it.";
            return coupon(
                    p,
                    type,
                    couponValue,
                    value.multiply(rules.get(CART_MIN_SPEND_SHARE)),
                    rules.get(CART_COUPON_VALID_FOR),
                    List.copyOf(s.cartQty.keySet()),
                    value,
                    text,
                    figures,
                    rules);
        }

        private CouponAction repeatedAddCoupon(
                PendingCoupon p, Map<String, String> figures, ResolvedRules rules) {
            figures.put("sku", p.sku);
            figures.put("adds_in_window", Integer.toString(p.count));
            figures.put("repeat_add_window", rules.get(REPEAT_ADD_WINDOW).toString());
            String text =
                    p.sku
                            + " added "
                            + p.count
                            + " times within "
                            + rules.get(REPEAT_ADD_WINDOW)
                            + " without being bought.";
            BigDecimal cartValue = s.hasCart() ? BigDecimal.valueOf(s.cartValueCents(), 2) : null;
            CouponType type = CouponType.valueOf(rules.get(REPEAT_ADD_COUPON_TYPE));
            BigDecimal couponValue =
                    couponValue(
                            type,
                            rules.get(REPEAT_ADD_PERCENT),
                            rules.get(REPEAT_ADD_AMOUNT),
                            cartValue,
                            figures,
                            rules);
            if (couponValue == null) {
                return null;
            }
            return coupon(
                    p,
                    type,
                    couponValue,
                    null,
                    rules.get(REPEAT_ADD_VALID_FOR),
                    List.of(p.sku),
                    cartValue,
                    text,
                    figures,
                    rules);
        }

        private CouponAction winBackCoupon(
                PendingCoupon p, Map<String, String> figures, ResolvedRules rules) {
            figures.put("dormant_since", Instant.ofEpochMilli(p.episode).toString());
            figures.put("last_order", Instant.ofEpochMilli(s.lastOrderTime).toString());
            figures.put("returned_at", Instant.ofEpochMilli(p.due).toString());
            BigDecimal minSpend = rules.get(WIN_BACK_MIN_SPEND);
            String text =
                    "Dormant customer (no order since "
                            + Instant.ofEpochMilli(s.lastOrderTime)
                            + ") came back at "
                            + Instant.ofEpochMilli(p.due)
                            + "; first win-back of this dormancy.";
            CouponType type = CouponType.valueOf(rules.get(WIN_BACK_COUPON_TYPE));
            BigDecimal couponValue =
                    couponValue(
                            type,
                            rules.get(WIN_BACK_PERCENT),
                            rules.get(WIN_BACK_AMOUNT),
                            null,
                            figures,
                            rules);
            if (couponValue == null) {
                return null;
            }
            return coupon(
                    p,
                    type,
                    couponValue,
                    minSpend.signum() > 0 ? minSpend : null,
                    rules.get(WIN_BACK_VALID_FOR),
                    List.of(),
                    null,
                    text,
                    figures,
                    rules);
        }

        /**
         * The value of a coupon of the rule's type: the percent (at most max-percent), the amount
         * (see {@link #amountOff}) or 0 for free shipping; null when an amount comes to nothing.
         */
        private BigDecimal couponValue(
                CouponType type,
                BigDecimal percent,
                BigDecimal amount,
                BigDecimal cartValue,
                Map<String, String> figures,
                ResolvedRules rules) {
            if (type == CouponType.PERCENT_OFF) {
                return percent.min(rules.get(MAX_PERCENT));
            }
            if (type == CouponType.AMOUNT_OFF) {
                BigDecimal value = amountOff(amount, cartValue, figures, rules);
                return value.signum() > 0 ? value : null;
            }
            return BigDecimal.ZERO; // FREE_SHIPPING carries no value
        }

        /**
         * An amount off in the coupon's currency: at most max-amount and, where there is a cart,
         * never more than its value, so that a coupon never pays the customer to order.
         */
        private BigDecimal amountOff(
                BigDecimal amount,
                BigDecimal cartValue,
                Map<String, String> figures,
                ResolvedRules rules) {
            BigDecimal value = amount.min(rules.get(MAX_AMOUNT));
            if (cartValue != null && value.compareTo(cartValue) > 0) {
                figures.put("amount_capped_at_cart_value", cartValue.toPlainString());
                value = cartValue;
            }
            return value;
        }

        private CouponAction coupon(
                PendingCoupon p,
                CouponType type,
                BigDecimal value,
                BigDecimal minSpend,
                Duration validFor,
                List<String> skus,
                BigDecimal cartValue,
                String text,
                Map<String, String> figures,
                ResolvedRules rules) {
            figures.put("segment", String.valueOf(s.segment));
            figures.put("coupon_type", type.name());
            return CouponAction.newBuilder()
                    .setActionId(p.actionId)
                    .setUserId(userId)
                    .setTrigger(CouponTrigger.valueOf(p.trigger))
                    .setCouponType(type)
                    .setCouponValue(money(value))
                    .setMinSpend(minSpend == null ? null : money(minSpend))
                    .setCurrency(currency())
                    .setValidUntil(Instant.ofEpochMilli(p.deliverAt + validFor.toMillis()))
                    .setSkus(skus)
                    .setCartValue(cartValue == null ? null : money(cartValue))
                    .setSegment(s.segment)
                    .setEventTime(Instant.ofEpochMilli(p.deliverAt))
                    .setRuleId(rules.ruleId())
                    .setRuleVersion(rules.ruleVersion())
                    .setExplanation(new Explanation(text, figures))
                    .build();
        }

        private String currency() {
            return s.currency != null ? s.currency : rules.get(DEFAULT_CURRENCY);
        }

        // ---- RFM ----

        private void evaluateSegment(long now, String cause) {
            if (s.lastOrderTime < 0) {
                return;
            }
            long rfmWindow = rules.get(RFM_WINDOW).toMillis();
            int frequency = 0;
            long monetaryCents = 0;
            for (OrderEntry o : s.orders) {
                if (!o.cancelled && o.time <= now && o.time + rfmWindow > now) {
                    frequency++;
                    monetaryCents += o.totalCents;
                }
            }
            long silence = now - s.lastOrderTime;
            int recencyDays = (int) (silence / DAY);
            BigDecimal monetary = BigDecimal.valueOf(monetaryCents, 2);
            int r =
                    5
                            - countBelow(
                                    rules.get(RECENCY_DAYS_THRESHOLDS).values(),
                                    BigDecimal.valueOf(recencyDays),
                                    true);
            int f =
                    1
                            + countBelow(
                                    rules.get(FREQUENCY_THRESHOLDS).values(),
                                    BigDecimal.valueOf(frequency),
                                    false);
            int m = 1 + countBelow(rules.get(MONETARY_THRESHOLDS).values(), monetary, false);
            r = clamp(r);
            f = clamp(f);
            m = clamp(m);
            Segment segment;
            if (silence >= rules.get(DORMANT_AFTER).toMillis()) {
                segment = Segment.DORMANT;
            } else if (silence >= rules.get(AT_RISK_AFTER).toMillis()) {
                segment = Segment.AT_RISK;
            } else if (frequency <= 1) {
                segment = Segment.NEW;
            } else if (r >= 4 && f >= 4 && m >= 4) {
                segment = Segment.CHAMPION;
            } else if (f >= 3) {
                segment = Segment.LOYAL;
            } else {
                segment = Segment.POTENTIAL;
            }
            String previous = s.segment;
            if (segment.name().equals(previous)) {
                return;
            }
            s.segment = segment.name();
            if (segment == Segment.DORMANT) {
                s.dormantSince = now;
                s.winBackSentFor = -1;
            }
            Map<String, String> figures = new LinkedHashMap<>();
            figures.put("last_order", Instant.ofEpochMilli(s.lastOrderTime).toString());
            figures.put("recency_days", Integer.toString(recencyDays));
            figures.put("frequency", Integer.toString(frequency));
            figures.put("monetary", monetary.toPlainString());
            figures.put("scores", "R" + r + " F" + f + " M" + m);
            figures.put("cause", cause);
            segments.accept(
                    SegmentChange.newBuilder()
                            .setActionId("seg:" + userId + ":" + segment.name() + ":" + now)
                            .setUserId(userId)
                            .setPreviousSegment(previous == null ? null : Segment.valueOf(previous))
                            .setSegment(segment)
                            .setRecencyDays(recencyDays)
                            .setFrequency(frequency)
                            .setMonetary(money(monetary))
                            .setRScore(r)
                            .setFScore(f)
                            .setMScore(m)
                            .setCurrency(currency())
                            .setEventTime(Instant.ofEpochMilli(now))
                            .setRuleId(rules.ruleId())
                            .setRuleVersion(rules.ruleVersion())
                            .setExplanation(
                                    new Explanation(
                                            (previous == null
                                                            ? "New customer"
                                                            : "Customer moved from " + previous)
                                                    + " to "
                                                    + segment
                                                    + " after "
                                                    + cause
                                                    + ".",
                                            figures))
                            .build());
        }
    }

    /** How many thresholds the value passes (is above, or at least, per {@code strictly}). */
    private static int countBelow(List<BigDecimal> thresholds, BigDecimal value, boolean strictly) {
        int n = 0;
        for (BigDecimal t : thresholds) {
            int cmp = value.compareTo(t);
            if (strictly ? cmp > 0 : cmp >= 0) {
                n++;
            }
        }
        return n;
    }

    private static int clamp(int score) {
        return Math.max(1, Math.min(5, score));
    }

    /** The entry of a per-tier list for a tier; the last entry beyond its end, 0 when empty. */
    static BigDecimal tierValue(List<BigDecimal> values, int tier) {
        return values.isEmpty() ? BigDecimal.ZERO : values.get(Math.min(tier, values.size() - 1));
    }

    static BigDecimal money(BigDecimal v) {
        return v.setScale(2, RoundingMode.HALF_UP);
    }

    // ---- quiet hours ----

    /**
     * The first instant at or after {@code due} outside the quiet hours. Start and end are times on
     * the local wall clock of the zone, so they hold on the days the clocks change too: a day of 23
     * or 25 hours still has its quiet hours from 22:00 to 08:00 local (an end that falls into the
     * gap of a spring-forward moves on by the gap).
     */
    static long endOfQuietHours(long due, ResolvedRules rules) {
        long start = rules.get(QUIET_HOURS_START).toMillis();
        long end = rules.get(QUIET_HOURS_END).toMillis();
        if (start == end) {
            return due;
        }
        ZoneId zone = ZoneId.of(rules.get(QUIET_HOURS_ZONE));
        ZonedDateTime local = Instant.ofEpochMilli(due).atZone(zone);
        long wallClock = local.toLocalTime().toNanoOfDay() / 1_000_000;
        boolean quiet =
                start < end
                        ? wallClock >= start && wallClock < end
                        : wallClock >= start || wallClock < end;
        if (!quiet) {
            return due;
        }
        LocalDate endDay =
                wallClock >= start && start > end
                        ? local.toLocalDate().plusDays(1)
                        : local.toLocalDate();
        return endDay.atStartOfDay()
                .plus(Duration.ofMillis(end))
                .atZone(zone)
                .toInstant()
                .toEpochMilli();
    }

    private static String quietHoursText(ResolvedRules rules) {
        return "quiet hours "
                + rules.get(QUIET_HOURS_START)
                + "-"
                + rules.get(QUIET_HOURS_END)
                + " "
                + rules.get(QUIET_HOURS_ZONE);
    }
}
