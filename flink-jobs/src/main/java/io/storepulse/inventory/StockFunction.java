package io.storepulse.inventory;

import io.storepulse.rules.ResolvedRules;
import io.storepulse.rules.RuleBook;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import storepulse.v1.actions.InventoryAlert;
import storepulse.v1.actions.InventoryAlertType;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.common.Explanation;

/**
 * The stock of one SKU in every warehouse, keyed by SKU so that transfers between warehouses are
 * decided in one place. Applies order-line deltas, stock movements and catalog updates in
 * event-time order (buffered until the watermark passes them; ties by kind, then id), and emits an
 * {@link InventoryLevel} per warehouse whenever its figures change, plus alerts on the {@link
 * #ALERTS} side output, each once per crossing.
 *
 * <p>Movements are deduplicated by event_id; remembered ids are pruned {@code dedup_retention} of
 * event time after their event. Empty lots are dropped as they empty. A TTL on every state is the
 * backstop for SKUs that stop moving altogether.
 */
public class StockFunction
        extends KeyedBroadcastProcessFunction<String, StockChange, RuleUpdate, InventoryLevel> {

    private static final long serialVersionUID = 1L;

    public static final OutputTag<InventoryAlert> ALERTS =
            new OutputTag<>("inventory-alerts", TypeInformation.of(InventoryAlert.class));

    /** Backstop for SKUs that stop moving altogether. */
    static final StateTtlConfig STATE_TTL = StateTtlConfig.newBuilder(Duration.ofDays(400)).build();

    static final ValueStateDescriptor<SkuInfo> SKU_INFO =
            withTtl(new ValueStateDescriptor<>("sku-info", TypeInformation.of(SkuInfo.class)));

    static final MapStateDescriptor<String, WarehouseStock> WAREHOUSES =
            withTtl(
                    new MapStateDescriptor<>(
                            "warehouses", Types.STRING, TypeInformation.of(WarehouseStock.class)));

    static final MapStateDescriptor<Long, List<StockChange>> PENDING =
            withTtl(
                    new MapStateDescriptor<>(
                            "pending-stock-changes",
                            Types.LONG,
                            Types.LIST(TypeInformation.of(StockChange.class))));

    /** Movement event_ids seen, with their event time, pruned on whole-hour timers. */
    static final MapStateDescriptor<String, Long> SEEN_MOVEMENT_IDS =
            withTtl(new MapStateDescriptor<>("seen-movement-ids", Types.STRING, Types.LONG));

    private static final long HOUR = Duration.ofHours(1).toMillis();
    private static final long DAY = Duration.ofDays(1).toMillis();

    private transient ValueState<SkuInfo> info;
    private transient MapState<String, WarehouseStock> warehouses;
    private transient MapState<Long, List<StockChange>> pending;
    private transient MapState<String, Long> seen;
    private transient RuleBook book;

    private static <D extends StateDescriptor<?, ?>> D withTtl(D descriptor) {
        descriptor.enableTimeToLive(STATE_TTL);
        return descriptor;
    }

    @Override
    public void open(OpenContext openContext) {
        info = getRuntimeContext().getState(SKU_INFO);
        warehouses = getRuntimeContext().getMapState(WAREHOUSES);
        pending = getRuntimeContext().getMapState(PENDING);
        seen = getRuntimeContext().getMapState(SEEN_MOVEMENT_IDS);
    }

    @Override
    public void processBroadcastElement(
            RuleUpdate update, Context ctx, Collector<InventoryLevel> out) throws Exception {
        if (RulesState.apply(ctx.getBroadcastState(RulesState.DESCRIPTOR), update)) {
            book =
                    RulesState.book(
                            InventoryJob.RULES, ctx.getBroadcastState(RulesState.DESCRIPTOR));
        }
    }

    @Override
    public void processElement(
            StockChange change, ReadOnlyContext ctx, Collector<InventoryLevel> out)
            throws Exception {
        if (change.isMovement()) {
            if (seen.contains(change.id)) {
                return;
            }
            seen.put(change.id, change.eventTime);
            long retention = rules(ctx).get(InventoryJob.DEDUP_RETENTION).toMillis();
            ctx.timerService().registerEventTimeTimer(ceilHour(change.eventTime + retention));
        }
        if (change.eventTime <= ctx.timerService().currentWatermark()) {
            apply(change, ctx, out);
            return;
        }
        List<StockChange> atT = pending.get(change.eventTime);
        List<StockChange> updated = atT == null ? new ArrayList<>() : new ArrayList<>(atT);
        updated.add(change);
        pending.put(change.eventTime, updated);
        ctx.timerService().registerEventTimeTimer(change.eventTime);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<InventoryLevel> out)
            throws Exception {
        List<StockChange> due = pending.get(timestamp);
        if (due != null) {
            pending.remove(timestamp);
            List<StockChange> sorted = new ArrayList<>(due);
            sorted.sort(StockChange.ORDER);
            for (StockChange c : sorted) {
                apply(c, ctx, out);
            }
        }
        alertExpiringLots(timestamp, ctx);
        if (timestamp % HOUR == 0) {
            pruneSeenIds(timestamp, ctx);
        }
    }

    /** Applies one change and re-evaluates every warehouse of the SKU. */
    private void apply(StockChange c, ReadOnlyContext ctx, Collector<InventoryLevel> out)
            throws Exception {
        SkuInfo sku = info.value();
        if (sku == null) {
            sku = new SkuInfo();
        }
        ResolvedRules rules = rules(ctx);
        TreeMap<String, WarehouseStock> all = loadWarehouses();
        if (c.kind == StockChange.Kind.CATALOG) {
            sku.category = c.category;
            sku.leadTimeDays = c.leadTimeDays;
            info.update(sku);
            rules = rules(ctx);
        } else {
            WarehouseStock w = all.computeIfAbsent(c.warehouseId, id -> new WarehouseStock());
            // Event time is one clock for the whole SKU: a day that ends ends in every warehouse,
            // so one without sales that day folds in a zero and its velocity decays.
            long day = Math.floorDiv(c.eventTime, DAY);
            double alpha = rules.get(InventoryJob.VELOCITY_ALPHA);
            for (WarehouseStock each : all.values()) {
                each.advanceTo(day, alpha);
            }
            switch (c.kind) {
                case RESERVE -> w.reserved += c.quantity;
                case RELEASE -> w.reserved -= c.quantity;
                case SHIP -> {
                    w.reserved -= c.quantity;
                    w.remove(c.quantity);
                    w.recordSale(c.quantity);
                }
                case RETURN, TRANSFER_IN -> w.add(c.quantity, Long.MAX_VALUE);
                case RESTOCK -> {
                    long expiry = c.lotExpiresAt == null ? Long.MAX_VALUE : c.lotExpiresAt;
                    w.add(c.quantity, expiry);
                    if (c.lotExpiresAt != null) {
                        long warnAt =
                                c.lotExpiresAt - rules.get(InventoryJob.EXPIRY_WARNING).toMillis();
                        ctx.timerService().registerEventTimeTimer(warnAt);
                    }
                }
                case ADJUSTMENT -> {
                    if (c.quantity >= 0) {
                        w.add(c.quantity, Long.MAX_VALUE);
                    } else {
                        w.remove(-c.quantity);
                    }
                }
                case TRANSFER_OUT -> w.remove(c.quantity);
                case COUNT -> w.count(c.quantity);
                default -> throw new IllegalStateException("unexpected " + c.kind);
            }
        }
        evaluate(ctx.getCurrentKey(), sku, all, c.eventTime, rules, ctx, out);
        for (Map.Entry<String, WarehouseStock> e : all.entrySet()) {
            warehouses.put(e.getKey(), e.getValue());
        }
    }

    private ResolvedRules rules(ReadOnlyContext ctx) throws Exception {
        SkuInfo sku = info.value();
        return book(ctx).resolve(null, sku == null ? null : sku.category, ctx.getCurrentKey());
    }

    private RuleBook book(ReadOnlyContext ctx) throws Exception {
        if (book == null) {
            book =
                    RulesState.book(
                            InventoryJob.RULES, ctx.getBroadcastState(RulesState.DESCRIPTOR));
        }
        return book;
    }

    private TreeMap<String, WarehouseStock> loadWarehouses() throws Exception {
        TreeMap<String, WarehouseStock> all = new TreeMap<>();
        for (Map.Entry<String, WarehouseStock> e : warehouses.entries()) {
            all.put(e.getKey(), e.getValue());
        }
        return all;
    }

    /** The computed thresholds of one warehouse. */
    private record Thresholds(long safetyStock, long reorderPoint, long rearmAbove) {}

    private static Thresholds thresholds(WarehouseStock w, SkuInfo sku, ResolvedRules rules) {
        int lead =
                sku.leadTimeDays >= 0
                        ? sku.leadTimeDays
                        : rules.get(InventoryJob.DEFAULT_LEAD_TIME_DAYS);
        long fixedSafety = rules.get(InventoryJob.SAFETY_STOCK_FIXED);
        long safety =
                fixedSafety >= 0
                        ? fixedSafety
                        : Demand.safetyStock(
                                rules.get(InventoryJob.SERVICE_LEVEL), w.variance, lead);
        long fixedRop = rules.get(InventoryJob.REORDER_POINT_FIXED);
        long rop = fixedRop >= 0 ? fixedRop : Demand.reorderPoint(safety, w.velocity, lead);
        long rearmAbove =
                (long) Math.floor(rop * (1 + rules.get(InventoryJob.LOW_STOCK_HYSTERESIS)));
        return new Thresholds(safety, rop, rearmAbove);
    }

    /**
     * Re-evaluates every warehouse of the SKU, in warehouse order: alerts on crossings, then the
     * level when its figures changed.
     */
    private void evaluate(
            String sku,
            SkuInfo skuInfo,
            TreeMap<String, WarehouseStock> all,
            long t,
            ResolvedRules rules,
            ReadOnlyContext ctx,
            Collector<InventoryLevel> out) {
        Map<String, Thresholds> th = new LinkedHashMap<>();
        for (Map.Entry<String, WarehouseStock> e : all.entrySet()) {
            th.put(e.getKey(), thresholds(e.getValue(), skuInfo, rules));
        }
        for (Map.Entry<String, WarehouseStock> e : all.entrySet()) {
            String wh = e.getKey();
            WarehouseStock w = e.getValue();
            Thresholds my = th.get(wh);
            long available = w.available();
            if (available <= 0 && !w.outOfStock) {
                w.outOfStock = true;
                alert(
                        ctx,
                        InventoryAlertType.OUT_OF_STOCK,
                        sku,
                        wh,
                        w,
                        my,
                        t,
                        rules,
                        "Available stock is " + available + ": nothing left to sell.",
                        null);
            } else if (available > 0 && w.outOfStock) {
                w.outOfStock = false;
                alert(
                        ctx,
                        InventoryAlertType.BACK_IN_STOCK,
                        sku,
                        wh,
                        w,
                        my,
                        t,
                        rules,
                        "Available stock is back to " + available + ".",
                        null);
            }
            if (w.reserved > w.onHand && !w.oversold) {
                w.oversold = true;
                alert(
                        ctx,
                        InventoryAlertType.OVERSOLD,
                        sku,
                        wh,
                        w,
                        my,
                        t,
                        rules,
                        "Reserved " + w.reserved + " exceeds on hand " + w.onHand + ".",
                        null);
            } else if (w.reserved <= w.onHand && w.oversold) {
                w.oversold = false;
            }
            boolean low = available < my.reorderPoint();
            if (low && w.lowStockArmed) {
                w.lowStockArmed = false;
                alert(
                        ctx,
                        InventoryAlertType.LOW_STOCK,
                        sku,
                        wh,
                        w,
                        my,
                        t,
                        rules,
                        "Available "
                                + available
                                + " fell below the reorder point "
                                + my.reorderPoint()
                                + ".",
                        null);
            }
            if (low && w.transferArmed) {
                suggestTransfer(sku, wh, w, my, all, th, t, rules, ctx);
            }
            if (available > my.rearmAbove()) {
                w.lowStockArmed = true;
                w.transferArmed = true;
            }
        }
        for (Map.Entry<String, WarehouseStock> e : all.entrySet()) {
            emitLevelIfChanged(sku, e.getKey(), e.getValue(), th.get(e.getKey()), t, out);
        }
    }

    /**
     * Suggests moving stock to a low warehouse from the one with the largest surplus above its own
     * reorder point: the shortfall to the re-arm level, capped by that surplus.
     */
    private void suggestTransfer(
            String sku,
            String to,
            WarehouseStock dest,
            Thresholds destTh,
            TreeMap<String, WarehouseStock> all,
            Map<String, Thresholds> th,
            long t,
            ResolvedRules rules,
            ReadOnlyContext ctx) {
        String from = null;
        long bestSurplus = 0;
        for (Map.Entry<String, WarehouseStock> e : all.entrySet()) {
            if (e.getKey().equals(to)) {
                continue;
            }
            long surplus = e.getValue().available() - th.get(e.getKey()).reorderPoint();
            if (surplus > bestSurplus) {
                bestSurplus = surplus;
                from = e.getKey();
            }
        }
        if (from == null) {
            return;
        }
        long shortfall = destTh.rearmAbove() + 1 - dest.available();
        long quantity = Math.min(shortfall, bestSurplus);
        dest.transferArmed = false;
        Transfer transfer =
                new Transfer(
                        from,
                        to,
                        quantity,
                        bestSurplus,
                        all.get(from).available(),
                        th.get(from).reorderPoint());
        alert(
                ctx,
                InventoryAlertType.TRANSFER_SUGGESTED,
                sku,
                to,
                dest,
                destTh,
                t,
                rules,
                "Move "
                        + quantity
                        + " from "
                        + from
                        + " (surplus "
                        + bestSurplus
                        + ") to "
                        + to
                        + " (available "
                        + dest.available()
                        + ", reorder point "
                        + destTh.reorderPoint()
                        + ").",
                transfer);
    }

    /** A suggested move, with the source's figures that justify it. */
    private record Transfer(
            String from,
            String to,
            long quantity,
            long sourceSurplus,
            long sourceAvailable,
            long sourceReorderPoint) {}

    private void alertExpiringLots(long timestamp, ReadOnlyContext ctx) throws Exception {
        if (warehouses.isEmpty()) {
            return;
        }
        ResolvedRules rules = rules(ctx);
        long warning = rules.get(InventoryJob.EXPIRY_WARNING).toMillis();
        SkuInfo skuInfo = info.value() == null ? new SkuInfo() : info.value();
        for (Map.Entry<String, WarehouseStock> e : loadWarehouses().entrySet()) {
            WarehouseStock w = e.getValue();
            boolean changed = false;
            for (WarehouseStock.Lot lot : w.lots) {
                if (lot.perishable()
                        && !lot.expiryAlerted
                        && lot.quantity > 0
                        && lot.expiresAt - warning <= timestamp) {
                    lot.expiryAlerted = true;
                    changed = true;
                    InventoryAlert a =
                            buildAlert(
                                    InventoryAlertType.EXPIRING_SOON,
                                    ctx.getCurrentKey(),
                                    e.getKey(),
                                    w,
                                    thresholds(w, skuInfo, rules),
                                    timestamp,
                                    rules,
                                    lot.quantity
                                            + " units expire at "
                                            + Instant.ofEpochMilli(lot.expiresAt)
                                            + ".",
                                    null);
                    a.setQuantity(lot.quantity);
                    a.setLotExpiresAt(Instant.ofEpochMilli(lot.expiresAt));
                    a.getExplanation()
                            .getFigures()
                            .put("lot_expires_at", Instant.ofEpochMilli(lot.expiresAt).toString());
                    a.getExplanation()
                            .getFigures()
                            .put("lot_quantity", Long.toString(lot.quantity));
                    ctx.output(ALERTS, a);
                }
            }
            if (changed) {
                warehouses.put(e.getKey(), w);
            }
        }
    }

    private void pruneSeenIds(long timestamp, ReadOnlyContext ctx) throws Exception {
        long retention = rules(ctx).get(InventoryJob.DEDUP_RETENTION).toMillis();
        List<String> expired = new ArrayList<>();
        for (Map.Entry<String, Long> e : seen.entries()) {
            if (e.getValue() + retention <= timestamp) {
                expired.add(e.getKey());
            }
        }
        for (String id : expired) {
            seen.remove(id);
        }
    }

    private static long ceilHour(long t) {
        return Math.floorDiv(t, HOUR) * HOUR + HOUR;
    }

    private void alert(
            ReadOnlyContext ctx,
            InventoryAlertType type,
            String sku,
            String wh,
            WarehouseStock w,
            Thresholds th,
            long t,
            ResolvedRules rules,
            String text,
            Transfer transfer) {
        ctx.output(ALERTS, buildAlert(type, sku, wh, w, th, t, rules, text, transfer));
    }

    private static InventoryAlert buildAlert(
            InventoryAlertType type,
            String sku,
            String wh,
            WarehouseStock w,
            Thresholds th,
            long t,
            ResolvedRules rules,
            String text,
            Transfer transfer) {
        w.alertSeq++;
        String seed = "inventory-alert:" + sku + "@" + wh + ":" + w.alertSeq + ":" + type + ":" + t;
        Map<String, String> figures = new LinkedHashMap<>();
        figures.put("on_hand", Long.toString(w.onHand));
        figures.put("reserved", Long.toString(w.reserved));
        figures.put("available", Long.toString(w.available()));
        figures.put("reorder_point", Long.toString(th.reorderPoint()));
        figures.put("safety_stock", Long.toString(th.safetyStock()));
        figures.put("sales_velocity", Double.toString(w.velocity));
        InventoryAlert.Builder b =
                InventoryAlert.newBuilder()
                        .setActionId(
                                UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8))
                                        .toString())
                        .setType(type)
                        .setSku(sku)
                        .setWarehouseId(wh)
                        .setOnHand(w.onHand)
                        .setReserved(w.reserved)
                        .setAvailable(w.available())
                        .setReorderPoint(th.reorderPoint())
                        .setEventTime(Instant.ofEpochMilli(t))
                        .setRuleId(rules.ruleId())
                        .setRuleVersion(rules.ruleVersion());
        if (transfer != null) {
            b.setFromWarehouse(transfer.from())
                    .setToWarehouse(transfer.to())
                    .setQuantity(transfer.quantity());
            figures.put("source_surplus", Long.toString(transfer.sourceSurplus()));
            figures.put("source_available", Long.toString(transfer.sourceAvailable()));
            figures.put("source_reorder_point", Long.toString(transfer.sourceReorderPoint()));
            figures.put("target_available", Long.toString(th.rearmAbove() + 1));
        }
        b.setExplanation(new Explanation(text, figures));
        return b.build();
    }

    private static void emitLevelIfChanged(
            String sku,
            String wh,
            WarehouseStock w,
            Thresholds th,
            long t,
            Collector<InventoryLevel> out) {
        WarehouseStock.Lot next = w.nextExpiring();
        Double cover = w.velocity > 0 ? w.available() / w.velocity : null;
        String signature =
                w.onHand
                        + "|"
                        + w.reserved
                        + "|"
                        + th.safetyStock()
                        + "|"
                        + th.reorderPoint()
                        + "|"
                        + w.velocity
                        + "|"
                        + (next == null ? "-" : next.expiresAt + "x" + next.quantity);
        if (signature.equals(w.lastLevelSignature)) {
            return;
        }
        w.lastLevelSignature = signature;
        out.collect(
                InventoryLevel.newBuilder()
                        .setSku(sku)
                        .setWarehouseId(wh)
                        .setOnHand(w.onHand)
                        .setReserved(w.reserved)
                        .setAvailable(w.available())
                        .setSafetyStock(th.safetyStock())
                        .setReorderPoint(th.reorderPoint())
                        .setSalesVelocity(w.velocity)
                        .setDaysOfCover(cover)
                        .setNextExpiryAt(next == null ? null : Instant.ofEpochMilli(next.expiresAt))
                        .setNextExpiryQuantity(next == null ? null : next.quantity)
                        .setUpdatedAt(Instant.ofEpochMilli(t))
                        .build());
    }
}
