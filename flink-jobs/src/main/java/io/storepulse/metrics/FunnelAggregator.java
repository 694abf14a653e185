package io.storepulse.metrics;

import io.storepulse.rules.ResolvedRules;
import io.storepulse.rules.RuleBook;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.serde.DeadLetters;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.actions.DimensionType;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.WindowType;

/**
 * The funnel of one breakdown ({@code dimension_type:dimension_value}), keyed by it: exact figures
 * per 1-minute event-time window, and the running calendar day (in the {@code day_time_zone} rule's
 * zone) built from the closed minutes.
 *
 * <p><b>Emission.</b> When the watermark passes a minute's end, the minute is emitted (revision 0)
 * and merged into its day, and the day is emitted as of that minute (revision = number of earlier
 * emissions of that day). A fact for a minute already emitted, but within the allowed lateness,
 * updates the minute and the day and re-emits both with revision + 1 at once. Facts later than that
 * are stopped upstream by {@link LatenessGate}; should one still reach this function (only when the
 * lateness rule changed in between), it goes to the dead letters as TOO_LATE.
 *
 * <p><b>Distinct counts.</b> Minutes keep the sets of visitors, orders and (SKU) buyers in map
 * state and are exact. Days keep order counts exact (an order's lines all fall into one minute) and
 * visitors and buyers in DataSketches HLL sketches ({@link #HLL_LG_K}).
 *
 * <p><b>State and cleanup.</b> A minute and its sets are removed by an event-time timer at window
 * end - 1 + allowed lateness; a day at day end - 1 + allowed lateness. Nothing else is kept.
 */
public class FunnelAggregator
        extends KeyedBroadcastProcessFunction<String, DimFact, RuleUpdate, FunnelMetrics> {

    private static final long serialVersionUID = 1L;

    /**
     * log2 of the HLL sketch's register count: 4096 registers, relative standard error about
     * 1.04/sqrt(4096) = 1.6 %, 2 KiB per sketch (HLL_4) once out of its sparse modes.
     */
    public static final int HLL_LG_K = 12;

    public static final String TOO_LATE_AFTER_GATE_COUNTER = "tooLateAfterGate";

    /** Open and recently emitted 1-minute windows, by window start. */
    static final MapStateDescriptor<Long, MinuteWindow> MINUTES =
            new MapStateDescriptor<>(
                    "minute-windows", Types.LONG, TypeInformation.of(MinuteWindow.class));

    /**
     * Distinct members of the minute windows: {@code <window start>|v|<person>} for visitors,
     * {@code |o|<order id>} for orders, {@code |b|<person>} for buyers (SKU breakdowns).
     */
    static final MapStateDescriptor<String, Boolean> MEMBERS =
            new MapStateDescriptor<>("minute-members", Types.STRING, Types.BOOLEAN);

    /** Running days, by day start. */
    static final MapStateDescriptor<Long, DayWindow> DAYS =
            new MapStateDescriptor<>(
                    "day-windows", Types.LONG, TypeInformation.of(DayWindow.class));

    /** Counters of one window. A Flink POJO. */
    public static class Counts {
        public long productViews;
        public long addToCarts;
        public long checkoutsStarted;
        public long orders;
        public long units;
        public BigDecimal gmv = BigDecimal.ZERO.setScale(2);

        void add(FunnelFact f, boolean newOrder) {
            switch (f.kind) {
                case PRODUCT_VIEW -> productViews++;
                case ADD_TO_CART -> addToCarts++;
                case CHECKOUT_STARTED -> checkoutsStarted++;
                case ORDER_LINE -> {
                    if (newOrder) {
                        orders++;
                    }
                    units += f.units;
                    gmv = gmv.add(f.lineValue);
                }
                default -> {}
            }
        }

        void add(Counts c) {
            productViews += c.productViews;
            addToCarts += c.addToCarts;
            checkoutsStarted += c.checkoutsStarted;
            orders += c.orders;
            units += c.units;
            gmv = gmv.add(c.gmv);
        }
    }

    /** One 1-minute window. A Flink POJO. */
    public static class MinuteWindow {
        public long start;
        public Counts counts = new Counts();
        public long visitors;
        public long buyers;

        /** -1 until first emitted. */
        public int revision = -1;

        /** Event time at which the window is forgotten; 0 until emitted. */
        public long cleanupAt;
    }

    /** One running day. A Flink POJO. */
    public static class DayWindow {
        public long start;
        public long end;
        public Counts counts = new Counts();
        public byte[] visitorSketch;
        public byte[] buyerSketch;
        public int revision = -1;
        public long cleanupAt;
    }

    private transient MapState<Long, MinuteWindow> minutes;
    private transient MapState<String, Boolean> members;
    private transient MapState<Long, DayWindow> days;

    /** The rules in force, rebuilt on every rule change; it keeps its resolved global rules. */
    private transient RuleBook book;

    private transient Counter tooLateAfterGate;

    @Override
    public void open(OpenContext openContext) {
        minutes = getRuntimeContext().getMapState(MINUTES);
        members = getRuntimeContext().getMapState(MEMBERS);
        days = getRuntimeContext().getMapState(DAYS);
        tooLateAfterGate =
                getRuntimeContext().getMetricGroup().counter(TOO_LATE_AFTER_GATE_COUNTER);
    }

    @Override
    public void processBroadcastElement(
            RuleUpdate update, Context ctx, Collector<FunnelMetrics> out) throws Exception {
        if (RulesState.apply(ctx.getBroadcastState(RulesState.DESCRIPTOR), update)) {
            book = RulesState.book(MetricsJob.RULES, ctx.getBroadcastState(RulesState.DESCRIPTOR));
        }
    }

    @Override
    public void processElement(DimFact in, ReadOnlyContext ctx, Collector<FunnelMetrics> out)
            throws Exception {
        ResolvedRules rules = rules(ctx);
        long lateness = rules.get(MetricsJob.ALLOWED_LATENESS).toMillis();
        FunnelFact fact = in.fact;
        long start = Windows.minuteStart(fact.eventTime);
        long maxTimestamp = start + Windows.MINUTE - 1;
        long watermark = ctx.timerService().currentWatermark();

        MinuteWindow window = minutes.get(start);
        if (window == null && maxTimestamp + lateness <= watermark) {
            rejectTooLate(in, watermark, ctx);
            return;
        }
        boolean created = window == null;
        if (created) {
            window = new MinuteWindow();
            window.start = start;
        }
        boolean newOrder = addToMinute(window, in);

        if (maxTimestamp > watermark) {
            if (created) {
                ctx.timerService().registerEventTimeTimer(maxTimestamp);
            }
            minutes.put(start, window);
            return;
        }
        // The minute was already closed by the watermark: a late fact, within the lateness.
        ZoneId zone = ZoneId.of(rules.get(MetricsJob.DAY_TIME_ZONE));
        DayWindow day = day(start, zone, lateness, ctx);
        day.counts.add(fact, newOrder);
        // The updated sketches give the day's estimates directly (no second read of their bytes).
        HllSketch visitorSketch = sketch(day.visitorSketch);
        visitorSketch.update(fact.person);
        day.visitorSketch = visitorSketch.toCompactByteArray();
        long dayVisitors = estimate(visitorSketch);
        long dayBuyers;
        if (in.dimensionType == DimensionType.SKU && fact.kind == FunnelFact.Kind.ORDER_LINE) {
            HllSketch buyerSketch = sketch(day.buyerSketch);
            buyerSketch.update(fact.person);
            day.buyerSketch = buyerSketch.toCompactByteArray();
            dayBuyers = estimate(buyerSketch);
        } else {
            dayBuyers = estimate(day.buyerSketch);
        }
        if (window.revision < 0) {
            window.cleanupAt = maxTimestamp + lateness;
            ctx.timerService().registerEventTimeTimer(window.cleanupAt);
        }
        String currency = rules.get(MetricsJob.CURRENCY);
        window.revision++;
        out.collect(
                minuteMetrics(in.dimensionType, in.dimensionValue, window, currency, watermark));
        day.revision++;
        out.collect(
                dayMetrics(
                        in.dimensionType,
                        in.dimensionValue,
                        day,
                        dayVisitors,
                        dayBuyers,
                        currency,
                        watermark));
        minutes.put(start, window);
        days.put(day.start, day);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<FunnelMetrics> out)
            throws Exception {
        ResolvedRules rules = rules(ctx);
        long lateness = rules.get(MetricsJob.ALLOWED_LATENESS).toMillis();
        ZoneId zone = ZoneId.of(rules.get(MetricsJob.DAY_TIME_ZONE));
        String currency = rules.get(MetricsJob.CURRENCY);
        String key = ctx.getCurrentKey();
        DimensionType type = DimensionType.valueOf(key.substring(0, key.indexOf(':')));
        String value = key.substring(key.indexOf(':') + 1);

        // One pass over the minutes finds those to close and those to forget (each read
        // deserializes a window).
        List<MinuteWindow> toClose = new ArrayList<>();
        Set<Long> toForget = new HashSet<>();
        for (Map.Entry<Long, MinuteWindow> e : minutes.entries()) {
            MinuteWindow w = e.getValue();
            if (w.revision < 0 && w.start + Windows.MINUTE - 1 <= timestamp) {
                toClose.add(w);
            } else if (w.revision >= 0 && w.cleanupAt <= timestamp) {
                toForget.add(w.start);
            }
        }
        if (toClose.isEmpty() && toForget.isEmpty()) {
            forgetDays(timestamp);
            return;
        }
        toClose.sort((a, b) -> Long.compare(a.start, b.start));
        for (MinuteWindow w : toClose) {
            w.revision = 0;
            w.cleanupAt = w.start + Windows.MINUTE - 1 + lateness;
            if (w.cleanupAt <= timestamp) {
                toForget.add(w.start);
            }
        }

        // One pass over the member sets serves every window closed or forgotten here: the
        // visitors (and buyers) each closing minute adds to its day sketch, in the sets'
        // iteration order, and the members of forgotten minutes.
        Map<Long, ClosingMembers> closing = new HashMap<>();
        for (MinuteWindow w : toClose) {
            closing.put(w.start, new ClosingMembers());
        }
        List<String> gone = new ArrayList<>();
        for (String member : members.keys()) {
            int bar = member.indexOf('|');
            long start = Long.parseLong(member, 0, bar, 10);
            if (toForget.contains(start)) {
                gone.add(member);
            }
            ClosingMembers c = closing.get(start);
            if (c != null) {
                char set = member.charAt(bar + 1);
                if (set == 'v') {
                    c.visitors.add(member.substring(bar + 3));
                } else if (set == 'b' && type == DimensionType.SKU) {
                    c.buyers.add(member.substring(bar + 3));
                }
            }
        }

        for (MinuteWindow w : toClose) {
            long end = w.start + Windows.MINUTE;
            ClosingMembers c = closing.get(w.start);
            DayWindow day = day(w.start, zone, lateness, ctx);
            day.counts.add(w.counts);
            HllSketch visitorSketch = withMembers(day.visitorSketch, c.visitors);
            day.visitorSketch = visitorSketch.toCompactByteArray();
            long dayVisitors = estimate(visitorSketch);
            long dayBuyers;
            if (type == DimensionType.SKU) {
                HllSketch buyerSketch = withMembers(day.buyerSketch, c.buyers);
                day.buyerSketch = buyerSketch.toCompactByteArray();
                dayBuyers = estimate(buyerSketch);
            } else {
                dayBuyers = estimate(day.buyerSketch);
            }
            ctx.timerService().registerEventTimeTimer(w.cleanupAt);
            out.collect(minuteMetrics(type, value, w, currency, end));
            day.revision++;
            out.collect(dayMetrics(type, value, day, dayVisitors, dayBuyers, currency, end));
            if (!toForget.contains(w.start)) {
                minutes.put(w.start, w);
            }
            days.put(day.start, day);
        }
        for (String member : gone) {
            members.remove(member);
        }
        for (long start : toForget) {
            minutes.remove(start);
        }
        forgetDays(timestamp);
    }

    /** The members of one minute being closed, in the member sets' iteration order. */
    private static final class ClosingMembers {
        final List<String> visitors = new ArrayList<>();
        final List<String> buyers = new ArrayList<>();
    }

    private void forgetDays(long timestamp) throws Exception {
        List<Long> daysToForget = new ArrayList<>();
        for (Map.Entry<Long, DayWindow> e : days.entries()) {
            if (e.getValue().cleanupAt <= timestamp) {
                daysToForget.add(e.getKey());
            }
        }
        for (long start : daysToForget) {
            days.remove(start);
        }
    }

    /** Adds a fact to a minute; returns whether it brought a new order. */
    private boolean addToMinute(MinuteWindow window, DimFact in) throws Exception {
        FunnelFact f = in.fact;
        if (addMember(window.start, 'v', f.person)) {
            window.visitors++;
        }
        boolean newOrder = false;
        if (f.kind == FunnelFact.Kind.ORDER_LINE) {
            newOrder = addMember(window.start, 'o', f.orderId);
            if (in.dimensionType == DimensionType.SKU && addMember(window.start, 'b', f.person)) {
                window.buyers++;
            }
        }
        window.counts.add(f, newOrder);
        return newOrder;
    }

    private boolean addMember(long start, char set, String id) throws Exception {
        String member = start + "|" + set + "|" + id;
        if (members.contains(member)) {
            return false;
        }
        members.put(member, true);
        return true;
    }

    private static HllSketch withMembers(byte[] sketchBytes, List<String> ids) {
        HllSketch sketch = sketch(sketchBytes);
        for (String id : ids) {
            sketch.update(id);
        }
        return sketch;
    }

    static HllSketch sketch(byte[] bytes) {
        return bytes == null ? new HllSketch(HLL_LG_K, TgtHllType.HLL_4) : HllSketch.heapify(bytes);
    }

    /** The estimate of a sketch as a count: rounded, and at least 1 when anything was added. */
    static long estimate(byte[] bytes) {
        if (bytes == null) {
            return 0;
        }
        return estimate(sketch(bytes));
    }

    /** As {@link #estimate(byte[])}, of a sketch at hand. */
    static long estimate(HllSketch sketch) {
        if (sketch.isEmpty()) {
            return 0;
        }
        return Math.max(1, Math.round(sketch.getEstimate()));
    }

    private DayWindow day(long minuteStart, ZoneId zone, long lateness, ReadOnlyContext ctx)
            throws Exception {
        long start = Windows.dayStart(minuteStart, zone);
        DayWindow day = days.get(start);
        if (day == null) {
            day = new DayWindow();
            day.start = start;
            day.end = Windows.dayEnd(start, zone);
            day.cleanupAt = day.end - 1 + lateness;
            ctx.timerService().registerEventTimeTimer(day.cleanupAt);
        }
        return day;
    }

    private void rejectTooLate(DimFact in, long watermark, ReadOnlyContext ctx) {
        tooLateAfterGate.inc();
        ctx.output(
                DeadLetters.TAG,
                DeadLetters.ofDecoded(
                        in.fact.sourceTopic,
                        in.fact,
                        DeadLetterKind.TOO_LATE,
                        "event "
                                + in.fact.eventId
                                + " at "
                                + Instant.ofEpochMilli(in.fact.eventTime)
                                + " reached "
                                + in.key()
                                + " after its minute was forgotten (watermark "
                                + Instant.ofEpochMilli(watermark)
                                + "); the allowed_lateness rule changed meanwhile",
                        LatenessGate.JOB));
    }

    private ResolvedRules rules(ReadOnlyContext ctx) throws Exception {
        if (book == null) {
            book = RulesState.book(MetricsJob.RULES, ctx.getBroadcastState(RulesState.DESCRIPTOR));
        }
        return book.global();
    }

    static FunnelMetrics minuteMetrics(
            DimensionType type, String value, MinuteWindow w, String currency, long emittedAt) {
        return metrics(
                type,
                value,
                WindowType.MINUTE,
                w.start,
                w.start + Windows.MINUTE,
                w.visitors,
                true,
                w.counts,
                w.buyers,
                currency,
                w.revision,
                emittedAt);
    }

    /** The day's record, with its visitor and buyer estimates taken from its sketches. */
    static FunnelMetrics dayMetrics(
            DimensionType type,
            String value,
            DayWindow d,
            long visitors,
            long buyers,
            String currency,
            long emittedAt) {
        return metrics(
                type,
                value,
                WindowType.DAY,
                d.start,
                d.end,
                visitors,
                false,
                d.counts,
                buyers,
                currency,
                d.revision,
                emittedAt);
    }

    /**
     * Builds the record and its derived figures: aov = gmv / orders rounded HALF_UP to cents (0
     * without orders); conversion_rate = orders / visitors (ALL, CHANNEL, CATEGORY) or buyers /
     * visitors (SKU, where visitors are the SKU's viewing visitors), 0 without visitors.
     */
    static FunnelMetrics metrics(
            DimensionType type,
            String value,
            WindowType windowType,
            long start,
            long end,
            long visitors,
            boolean exact,
            Counts c,
            long buyers,
            String currency,
            int revision,
            long emittedAt) {
        boolean sku = type == DimensionType.SKU;
        BigDecimal gmv = c.gmv.setScale(2, RoundingMode.HALF_UP);
        BigDecimal aov =
                c.orders == 0
                        ? BigDecimal.ZERO.setScale(2)
                        : gmv.divide(BigDecimal.valueOf(c.orders), 2, RoundingMode.HALF_UP);
        long numerator = sku ? buyers : c.orders;
        double conversion = visitors == 0 ? 0.0 : (double) numerator / visitors;
        // The all-fields constructor: the builder validates and tracks every field, a cost paid
        // for each of the many records this function emits.
        return new FunnelMetrics(
                type,
                value,
                windowType,
                Instant.ofEpochMilli(start),
                Instant.ofEpochMilli(end),
                visitors,
                exact,
                c.productViews,
                c.addToCarts,
                c.checkoutsStarted,
                c.orders,
                c.units,
                gmv,
                aov,
                conversion,
                sku ? visitors : 0L,
                sku ? buyers : 0L,
                currency,
                revision,
                Instant.ofEpochMilli(emittedAt));
    }

    /** The record key on {@code conversion-metrics}: {@code TYPE:value@<window start millis>}. */
    public static String key(FunnelMetrics m) {
        return m.getDimensionType()
                + ":"
                + m.getDimensionValue()
                + "@"
                + m.getWindowStart().toEpochMilli();
    }
}
