package io.storepulse.wallboard;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import storepulse.v1.actions.CouponAction;
import storepulse.v1.actions.DimensionType;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.InventoryAlert;
import storepulse.v1.actions.PriceAction;
import storepulse.v1.actions.PriceActionType;
import storepulse.v1.actions.WindowType;
import storepulse.v1.events.Product;

/**
 * The wallboard's bounded in-memory view of the topics it reads, and the {@link Snapshot} the page
 * is drawn from.
 *
 * <p>Metric records are kept per window, and a record replaces the one held for the same window
 * (same dimension, value, window type and start) when its {@code revision} is higher, or equal with
 * a later (or equal) {@code emitted_at}: late corrections ({@code revision} + 1) and the running
 * day's minute-by-minute updates both win, an older record arriving late never does.
 *
 * <p>Everything is bounded: a fixed number of windows per kind (pruned relative to the newest
 * window seen, not to the wall clock, so replays work), a cap on values per window (the smallest by
 * GMV give way), on products, alerts and remembered action ids. Thread-safe: the Kafka feed writes,
 * the server reads snapshots.
 */
public final class WallboardView {

    private static final long MINUTE_MS = 60_000L;

    /** Sizes and thresholds of the view. */
    public record Limits(
            Duration staleAfter,
            Duration actionsStaleAfter,
            int funnelMinutes,
            int topSkus,
            int breakdownRows,
            int alerts,
            int actionMinutes,
            int maxValuesPerWindow,
            int maxProducts,
            int maxActionIds) {

        public static Limits defaults() {
            return new Limits(
                    Duration.ofMinutes(3),
                    Duration.ofMinutes(30),
                    60,
                    10,
                    8,
                    12,
                    30,
                    5_000,
                    200_000,
                    200_000);
        }

        public Limits withStaleness(Duration metrics, Duration actions) {
            return new Limits(
                    metrics,
                    actions,
                    funnelMinutes,
                    topSkus,
                    breakdownRows,
                    alerts,
                    actionMinutes,
                    maxValuesPerWindow,
                    maxProducts,
                    maxActionIds);
        }
    }

    /** The figures of one metric record, as the view keeps them. */
    record Figures(
            long windowStart,
            long windowEnd,
            long visitors,
            boolean visitorsExact,
            long productViews,
            long addToCarts,
            long checkoutsStarted,
            long orders,
            long units,
            BigDecimal gmv,
            BigDecimal aov,
            double conversion,
            String currency,
            int revision,
            long emittedAt) {

        static Figures of(FunnelMetrics m) {
            return new Figures(
                    m.getWindowStart().toEpochMilli(),
                    m.getWindowEnd().toEpochMilli(),
                    m.getVisitors(),
                    m.getVisitorsExact(),
                    m.getProductViews(),
                    m.getAddToCarts(),
                    m.getCheckoutsStarted(),
                    m.getOrders(),
                    m.getUnits(),
                    m.getGmv(),
                    m.getAov(),
                    m.getConversionRate(),
                    m.getCurrency(),
                    m.getRevision(),
                    m.getEmittedAt().toEpochMilli());
        }

        /** Whether this record replaces {@code current} for the same window. */
        boolean supersedes(Figures current) {
            return current == null
                    || revision > current.revision
                    || (revision == current.revision && emittedAt >= current.emittedAt);
        }
    }

    /** One running day (DAY window, ALL): its current figures and every emission, by time. */
    private static final class DayTimeline {
        Figures latest;
        final TreeMap<Long, Figures> byEmittedAt = new TreeMap<>();
    }

    private record ProductInfo(String name, String category) {}

    private record ActionRecord(long minute, String kind) {}

    private static final class ActionMinuteCounts {
        long coupons;
        long markdowns;
        long restores;
    }

    private static final int MAX_DAY_EMISSIONS = 3_000;
    private static final int DAYS_KEPT = 3;
    private static final int BREAKDOWN_WINDOWS_KEPT = 3;
    private static final int SKU_MINUTES_KEPT = 5;
    private static final int ALERTS_KEPT = 200;
    private static final long SAME_TIME_TOLERANCE_MS = 15 * MINUTE_MS;

    private final Clock clock;
    private final Limits limits;

    private final TreeMap<Long, DayTimeline> days = new TreeMap<>();
    private final TreeMap<Long, Figures> minutes = new TreeMap<>();
    private final Map<DimensionType, TreeMap<Long, Map<String, Figures>>> dayBreakdowns =
            new EnumMap<>(DimensionType.class);
    private final Map<DimensionType, TreeMap<Long, Map<String, Figures>>> minuteBreakdowns =
            new EnumMap<>(DimensionType.class);
    private final TreeMap<Long, Map<String, Figures>> skuMinutes = new TreeMap<>();
    private final LinkedHashMap<String, ProductInfo> products = new LinkedHashMap<>();
    private final LinkedHashMap<String, InventoryAlert> alerts = new LinkedHashMap<>();
    private final LinkedHashMap<String, ActionRecord> seenActions = new LinkedHashMap<>();
    private final TreeMap<Long, ActionMinuteCounts> actionMinutes = new TreeMap<>();
    private Long actionsAsOf;
    private Long alertsAsOf;

    private long version;
    private long applied;
    private long skipped;

    public WallboardView(Clock clock, Limits limits) {
        this.clock = clock;
        this.limits = limits;
    }

    public Limits limits() {
        return limits;
    }

    /** Increases on every change; the server pushes a snapshot when it moved. */
    public synchronized long version() {
        return version;
    }

    /** Applies one {@code conversion-metrics} record. */
    public synchronized void onMetrics(FunnelMetrics m) {
        Figures f = Figures.of(m);
        DimensionType dim = m.getDimensionType();
        WindowType window = m.getWindowType();
        boolean changed;
        if (window == WindowType.DAY && dim == DimensionType.ALL) {
            changed = applyDay(f);
        } else if (window == WindowType.MINUTE && dim == DimensionType.ALL) {
            changed = applyWindow(minutes, f, 2L * limits.funnelMinutes());
        } else if (dim == DimensionType.CHANNEL || dim == DimensionType.CATEGORY) {
            var byDim = window == WindowType.DAY ? dayBreakdowns : minuteBreakdowns;
            if (window != WindowType.DAY && window != WindowType.MINUTE) {
                changed = false;
            } else {
                changed =
                        applyValue(
                                byDim.computeIfAbsent(dim, d -> new TreeMap<>()),
                                m.getDimensionValue(),
                                f,
                                BREAKDOWN_WINDOWS_KEPT);
            }
        } else if (dim == DimensionType.SKU && window == WindowType.MINUTE) {
            changed = applyValue(skuMinutes, m.getDimensionValue(), f, SKU_MINUTES_KEPT);
        } else {
            changed = false; // SKU running days and unknown symbols are not shown
        }
        count(changed);
    }

    /** Applies one {@code catalog} record; a null product (tombstone) forgets the SKU. */
    public synchronized void onProduct(String sku, Product p) {
        if (sku == null && p == null) {
            count(false);
            return;
        }
        String key = p != null ? p.getSku() : sku;
        products.remove(key);
        if (p != null) {
            products.put(key, new ProductInfo(p.getName(), p.getCategory()));
            evictOldest(products, limits.maxProducts());
        }
        count(true);
    }

    /** Applies one {@code inventory-alerts} record (repeats of an action id are ignored). */
    public synchronized void onAlert(InventoryAlert a) {
        if (alerts.containsKey(a.getActionId())) {
            count(false);
            return;
        }
        alerts.put(a.getActionId(), a);
        if (alerts.size() > ALERTS_KEPT) {
            // drop the oldest by event time
            String oldest =
                    alerts.values().stream()
                            .min(Comparator.comparing(InventoryAlert::getEventTime))
                            .map(InventoryAlert::getActionId)
                            .orElseThrow();
            alerts.remove(oldest);
        }
        long t = a.getEventTime().toEpochMilli();
        alertsAsOf = alertsAsOf == null ? t : Math.max(alertsAsOf, t);
        count(true);
    }

    /** Applies one {@code coupon-actions} record. */
    public synchronized void onCoupon(CouponAction c) {
        count(applyAction(c.getActionId(), c.getEventTime().toEpochMilli(), "coupon"));
    }

    /** Applies one {@code price-actions} record: a markdown or a restore. */
    public synchronized void onPrice(PriceAction p) {
        String kind =
                p.getType() == PriceActionType.MARKDOWN
                        ? "markdown"
                        : p.getType() == PriceActionType.RESTORE ? "restore" : null;
        if (kind == null) {
            count(false);
            return;
        }
        count(applyAction(p.getActionId(), p.getEventTime().toEpochMilli(), kind));
    }

    /** Counts a record that could not be decoded or used. */
    public synchronized void onSkipped() {
        skipped++;
        version++;
    }

    // ---------------------------------------------------------------- applying

    private void count(boolean changed) {
        if (changed) {
            applied++;
            version++;
        }
    }

    private boolean applyDay(Figures f) {
        DayTimeline day = days.get(f.windowStart());
        if (day == null) {
            if (!days.isEmpty() && days.size() >= DAYS_KEPT && f.windowStart() < days.firstKey()) {
                return false; // older than anything kept
            }
            day = new DayTimeline();
            days.put(f.windowStart(), day);
            while (days.size() > DAYS_KEPT) {
                days.pollFirstEntry();
            }
        }
        Figures atSameTime = day.byEmittedAt.get(f.emittedAt());
        if (f.supersedes(atSameTime)) {
            day.byEmittedAt.put(f.emittedAt(), f);
            while (day.byEmittedAt.size() > MAX_DAY_EMISSIONS) {
                day.byEmittedAt.pollFirstEntry();
            }
        }
        if (f.supersedes(day.latest)) {
            day.latest = f;
            return true;
        }
        return false;
    }

    private static boolean applyWindow(TreeMap<Long, Figures> windows, Figures f, long keep) {
        if (windows.size() >= keep && f.windowStart() < windows.firstKey()) {
            return false;
        }
        Figures current = windows.get(f.windowStart());
        if (!f.supersedes(current)) {
            return false;
        }
        windows.put(f.windowStart(), f);
        while (windows.size() > keep) {
            windows.pollFirstEntry();
        }
        return true;
    }

    private boolean applyValue(
            TreeMap<Long, Map<String, Figures>> windows, String value, Figures f, int keep) {
        if (windows.size() >= keep && f.windowStart() < windows.firstKey()) {
            return false;
        }
        Map<String, Figures> values =
                windows.computeIfAbsent(f.windowStart(), s -> new HashMap<>());
        while (windows.size() > keep) {
            windows.pollFirstEntry();
        }
        Figures current = values.get(value);
        if (!f.supersedes(current)) {
            return false;
        }
        if (current == null && values.size() >= limits.maxValuesPerWindow()) {
            // Full: the value with the smallest GMV gives way, if the newcomer is larger.
            Map.Entry<String, Figures> smallest =
                    values.entrySet().stream()
                            .min(Comparator.comparing(e -> e.getValue().gmv()))
                            .orElseThrow();
            if (smallest.getValue().gmv().compareTo(f.gmv()) >= 0) {
                return false;
            }
            values.remove(smallest.getKey());
        }
        values.put(value, f);
        return true;
    }

    private boolean applyAction(String actionId, long eventTime, String kind) {
        if (seenActions.containsKey(actionId)) {
            return false;
        }
        long minute = Math.floorDiv(eventTime, MINUTE_MS) * MINUTE_MS;
        long keep = 2L * limits.actionMinutes();
        if (actionMinutes.size() >= keep && minute < actionMinutes.firstKey()) {
            return false;
        }
        seenActions.put(actionId, new ActionRecord(minute, kind));
        evictOldest(seenActions, limits.maxActionIds());
        ActionMinuteCounts counts =
                actionMinutes.computeIfAbsent(minute, m -> new ActionMinuteCounts());
        switch (kind) {
            case "coupon" -> counts.coupons++;
            case "markdown" -> counts.markdowns++;
            default -> counts.restores++;
        }
        while (actionMinutes.size() > keep) {
            actionMinutes.pollFirstEntry();
        }
        actionsAsOf = actionsAsOf == null ? eventTime : Math.max(actionsAsOf, eventTime);
        return true;
    }

    private static <K, V> void evictOldest(LinkedHashMap<K, V> map, int max) {
        Iterator<K> it = map.keySet().iterator();
        while (map.size() > max && it.hasNext()) {
            it.next();
            it.remove();
        }
    }

    // ---------------------------------------------------------------- snapshot

    /** The page's content now. */
    public synchronized Snapshot snapshot() {
        long now = clock.millis();
        long staleMs = limits.staleAfter().toMillis();
        long actionsStaleMs = limits.actionsStaleAfter().toMillis();
        return new Snapshot(
                now,
                staleMs,
                actionsStaleMs,
                kpis(now, staleMs),
                funnel(now, staleMs),
                topSkus(now, staleMs),
                breakdown(DimensionType.CHANNEL, now, staleMs),
                breakdown(DimensionType.CATEGORY, now, staleMs),
                alertsTile(now, actionsStaleMs),
                actionsTile(now, actionsStaleMs),
                new Snapshot.Counters(applied, skipped));
    }

    private static boolean stale(Long asOf, long now, long thresholdMs) {
        return asOf != null && now - asOf > thresholdMs;
    }

    private Snapshot.Kpis kpis(long now, long staleMs) {
        if (days.isEmpty()) {
            return new Snapshot.Kpis(
                    null, false, null, null, null, null, null, null, true, null, null, 0, null);
        }
        Map.Entry<Long, DayTimeline> today = days.lastEntry();
        Figures t = today.getValue().latest;
        Snapshot.Comparison yesterday = null;
        Map.Entry<Long, DayTimeline> before = days.lowerEntry(today.getKey());
        if (before != null && before.getValue().latest.windowEnd() == t.windowStart()) {
            // The same elapsed time into yesterday (robust to 23- and 25-hour days).
            long target = before.getKey() + (t.emittedAt() - t.windowStart());
            Map.Entry<Long, Figures> then = before.getValue().byEmittedAt.floorEntry(target);
            if (then != null && target - then.getKey() <= SAME_TIME_TOLERANCE_MS) {
                Figures y = then.getValue();
                yesterday =
                        new Snapshot.Comparison(
                                y.emittedAt(),
                                y.gmv(),
                                y.orders(),
                                y.visitors(),
                                y.conversion(),
                                y.aov());
            }
        }
        return new Snapshot.Kpis(
                t.emittedAt(),
                stale(t.emittedAt(), now, staleMs),
                t.windowStart(),
                t.windowEnd(),
                t.currency(),
                t.gmv(),
                t.orders(),
                t.visitors(),
                t.visitorsExact(),
                t.conversion(),
                t.aov(),
                t.revision(),
                yesterday);
    }

    private Snapshot.Funnel funnel(long now, long staleMs) {
        List<Snapshot.FunnelPoint> points = new ArrayList<>();
        Long asOf = null;
        String currency = null;
        NavigableMap<Long, Figures> shown = minutes.descendingMap();
        int n = 0;
        for (Figures f : shown.values()) {
            if (n++ >= limits.funnelMinutes()) {
                break;
            }
            points.add(
                    0,
                    new Snapshot.FunnelPoint(
                            f.windowStart(),
                            f.visitors(),
                            f.productViews(),
                            f.addToCarts(),
                            f.checkoutsStarted(),
                            f.orders(),
                            f.gmv(),
                            f.revision()));
            asOf = asOf == null ? f.emittedAt() : Math.max(asOf, f.emittedAt());
            currency = currency == null ? f.currency() : currency;
        }
        return new Snapshot.Funnel(asOf, stale(asOf, now, staleMs), currency, points);
    }

    private Snapshot.TopSkus topSkus(long now, long staleMs) {
        Map.Entry<Long, Map<String, Figures>> latest = skuMinutes.lastEntry();
        if (latest == null || latest.getValue().isEmpty()) {
            return new Snapshot.TopSkus(null, false, null, null, List.of());
        }
        List<Map.Entry<String, Figures>> ranked = new ArrayList<>(latest.getValue().entrySet());
        ranked.sort(
                Comparator.<Map.Entry<String, Figures>, BigDecimal>comparing(
                                e -> e.getValue().gmv())
                        .reversed()
                        .thenComparing(e -> -e.getValue().units())
                        .thenComparing(Map.Entry::getKey));
        List<Snapshot.SkuRow> rows = new ArrayList<>();
        long asOf = Long.MIN_VALUE;
        String currency = null;
        for (Map.Entry<String, Figures> e : ranked) {
            Figures f = e.getValue();
            asOf = Math.max(asOf, f.emittedAt());
            if (rows.size() < limits.topSkus()) {
                ProductInfo p = products.get(e.getKey());
                rows.add(
                        new Snapshot.SkuRow(
                                rows.size() + 1,
                                e.getKey(),
                                p == null ? null : p.name(),
                                p == null ? null : p.category(),
                                f.gmv(),
                                f.units(),
                                f.orders(),
                                f.conversion(),
                                f.revision()));
                currency = currency == null ? f.currency() : currency;
            }
        }
        return new Snapshot.TopSkus(
                asOf, stale(asOf, now, staleMs), latest.getKey(), currency, rows);
    }

    private Snapshot.Breakdown breakdown(DimensionType dim, long now, long staleMs) {
        TreeMap<Long, Map<String, Figures>> byDay = dayBreakdowns.get(dim);
        if (byDay == null || byDay.isEmpty()) {
            return new Snapshot.Breakdown(null, false, null, null, List.of(), 0);
        }
        // Today: the day of the ALL figures when known, else the newest day of this dimension.
        Long day = days.isEmpty() ? byDay.lastKey() : days.lastKey();
        Map<String, Figures> values = byDay.getOrDefault(day, Map.of());
        if (values.isEmpty()) {
            day = byDay.lastKey();
            values = byDay.get(day);
        }
        TreeMap<Long, Map<String, Figures>> byMinute = minuteBreakdowns.get(dim);
        Map<String, Figures> lastMinute =
                byMinute == null || byMinute.isEmpty() ? Map.of() : byMinute.lastEntry().getValue();
        BigDecimal total =
                values.values().stream().map(Figures::gmv).reduce(BigDecimal.ZERO, BigDecimal::add);
        List<Map.Entry<String, Figures>> ranked = new ArrayList<>(values.entrySet());
        ranked.sort(
                Comparator.<Map.Entry<String, Figures>, BigDecimal>comparing(
                                e -> e.getValue().gmv())
                        .reversed()
                        .thenComparing(Map.Entry::getKey));
        List<Snapshot.BreakdownRow> rows = new ArrayList<>();
        long asOf = Long.MIN_VALUE;
        String currency = null;
        for (Map.Entry<String, Figures> e : ranked) {
            Figures f = e.getValue();
            asOf = Math.max(asOf, f.emittedAt());
            if (rows.size() < limits.breakdownRows()) {
                Figures m = lastMinute.get(e.getKey());
                rows.add(
                        new Snapshot.BreakdownRow(
                                e.getKey(),
                                f.visitors(),
                                f.orders(),
                                f.gmv(),
                                f.conversion(),
                                f.aov(),
                                total.signum() == 0
                                        ? 0.0
                                        : f.gmv().doubleValue() / total.doubleValue(),
                                m == null ? null : m.gmv()));
                currency = currency == null ? f.currency() : currency;
            }
        }
        return new Snapshot.Breakdown(
                asOf,
                stale(asOf, now, staleMs),
                day,
                currency,
                rows,
                Math.max(0, ranked.size() - rows.size()));
    }

    private Snapshot.Alerts alertsTile(long now, long staleMs) {
        List<InventoryAlert> newest = new ArrayList<>(alerts.values());
        newest.sort(
                Comparator.comparing(InventoryAlert::getEventTime)
                        .reversed()
                        .thenComparing(InventoryAlert::getActionId));
        List<Snapshot.AlertRow> rows = new ArrayList<>();
        for (InventoryAlert a : newest) {
            if (rows.size() >= limits.alerts()) {
                break;
            }
            ProductInfo p = products.get(a.getSku());
            rows.add(
                    new Snapshot.AlertRow(
                            a.getActionId(),
                            a.getEventTime().toEpochMilli(),
                            a.getType().name(),
                            a.getSku(),
                            p == null ? null : p.name(),
                            a.getWarehouseId(),
                            a.getAvailable(),
                            a.getReorderPoint(),
                            a.getExplanation() == null ? null : a.getExplanation().getText()));
        }
        return new Snapshot.Alerts(alertsAsOf, stale(alertsAsOf, now, staleMs), rows);
    }

    private Snapshot.Actions actionsTile(long now, long staleMs) {
        List<Snapshot.ActionMinute> shown = new ArrayList<>();
        long coupons = 0;
        long markdowns = 0;
        long restores = 0;
        if (!actionMinutes.isEmpty()) {
            long last = actionMinutes.lastKey();
            long first = last - (limits.actionMinutes() - 1L) * MINUTE_MS;
            for (long m = first; m <= last; m += MINUTE_MS) {
                ActionMinuteCounts c = actionMinutes.get(m);
                long cc = c == null ? 0 : c.coupons;
                long mm = c == null ? 0 : c.markdowns;
                long rr = c == null ? 0 : c.restores;
                shown.add(new Snapshot.ActionMinute(m, cc, mm, rr));
                coupons += cc;
                markdowns += mm;
                restores += rr;
            }
        }
        return new Snapshot.Actions(
                actionsAsOf, stale(actionsAsOf, now, staleMs), shown, coupons, markdowns, restores);
    }

    /** Remembered product names (for tests and sizing). */
    synchronized int productCount() {
        return products.size();
    }

    /** Windows held for a kind (for tests of the bounds). */
    synchronized int minuteWindowCount() {
        return minutes.size();
    }

    synchronized int skuValueCount() {
        return skuMinutes.values().stream().mapToInt(Map::size).sum();
    }

    synchronized int actionIdCount() {
        return seenActions.size();
    }
}
