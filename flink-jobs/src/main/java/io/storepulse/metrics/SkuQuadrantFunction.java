package io.storepulse.metrics;

import io.storepulse.rules.ResolvedRules;
import io.storepulse.rules.RuleBook;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import storepulse.v1.actions.Quadrant;
import storepulse.v1.actions.SkuQuadrant;
import storepulse.v1.common.Explanation;

/**
 * Keyed by SKU: the SKU's place in the sales x margin matrix over the trailing 7 days of event
 * time, from the lines of placed orders. Sales are bucketed by hour; the matrix position is
 * evaluated at the end of every hour in which the SKU sold (and when a bucket leaves the 7 days),
 * against the thresholds {@code quadrant_high_sales_units_7d} and {@code quadrant_high_margin_rate}
 * resolved for the SKU and its category. A record is emitted only when the quadrant changes.
 *
 * <p>State: hourly buckets (at most 7 x 24 + 1), the last quadrant, the catalog category. Buckets
 * leave with the evaluation timer that drops them; when none is left the last quadrant is cleared
 * too (the last record on the compacted topic stays), so an idle SKU keeps only its category.
 */
public class SkuQuadrantFunction
        extends KeyedBroadcastProcessFunction<String, SkuSignal, RuleUpdate, SkuQuadrant> {

    private static final long serialVersionUID = 1L;

    public static final Duration WINDOW = Duration.ofDays(7);
    static final long HOUR = Duration.ofHours(1).toMillis();

    /** Sales of one hour. A Flink POJO. */
    public static class SalesBucket {
        public long units;
        public BigDecimal revenue = BigDecimal.ZERO.setScale(2);
        public BigDecimal cost = BigDecimal.ZERO.setScale(2);
    }

    static final MapStateDescriptor<Long, SalesBucket> BUCKETS =
            new MapStateDescriptor<>(
                    "hourly-sales", Types.LONG, TypeInformation.of(SalesBucket.class));
    static final ValueStateDescriptor<Quadrant> LAST =
            new ValueStateDescriptor<>("last-quadrant", TypeInformation.of(Quadrant.class));
    static final ValueStateDescriptor<String> CATEGORY =
            new ValueStateDescriptor<>("quadrant-category", Types.STRING);

    private transient MapState<Long, SalesBucket> buckets;
    private transient ValueState<Quadrant> last;
    private transient ValueState<String> category;
    private transient RuleBook book;

    @Override
    public void open(OpenContext openContext) {
        buckets = getRuntimeContext().getMapState(BUCKETS);
        last = getRuntimeContext().getState(LAST);
        category = getRuntimeContext().getState(CATEGORY);
    }

    @Override
    public void processBroadcastElement(RuleUpdate update, Context ctx, Collector<SkuQuadrant> out)
            throws Exception {
        if (RulesState.apply(ctx.getBroadcastState(RulesState.DESCRIPTOR), update)) {
            book = RulesState.book(MetricsJob.RULES, ctx.getBroadcastState(RulesState.DESCRIPTOR));
        }
    }

    @Override
    public void processElement(SkuSignal s, ReadOnlyContext ctx, Collector<SkuQuadrant> out)
            throws Exception {
        switch (s.kind) {
            case CATALOG -> category.update(s.category);
            case PLACED -> {
                long hour = Math.floorDiv(s.eventTime, HOUR) * HOUR;
                SalesBucket b = buckets.get(hour);
                if (b == null) {
                    b = new SalesBucket();
                    // Evaluate again when this hour leaves the 7 days.
                    ctx.timerService().registerEventTimeTimer(hour + WINDOW.toMillis() + HOUR - 1);
                }
                // Evaluate when this hour ends. Registered for every sale, not only the hour's
                // first: a late sale for an hour already evaluated (orders are not gated by
                // lateness here) would otherwise wait for the next hour with sales, or for the
                // 7-day expiry, before it could move the SKU. The timer is then in the past and
                // fires with the next watermark; the same timestamp twice is one timer.
                ctx.timerService().registerEventTimeTimer(hour + HOUR - 1);
                b.units += s.units;
                b.revenue = b.revenue.add(s.revenue);
                b.cost = b.cost.add(s.cost);
                buckets.put(hour, b);
            }
            default -> {}
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<SkuQuadrant> out)
            throws Exception {
        long from = timestamp + 1 - WINDOW.toMillis();
        long units = 0;
        BigDecimal revenue = BigDecimal.ZERO.setScale(2);
        BigDecimal cost = BigDecimal.ZERO.setScale(2);
        List<Long> expired = new ArrayList<>();
        for (Map.Entry<Long, SalesBucket> e : buckets.entries()) {
            if (e.getKey() < from) {
                expired.add(e.getKey());
            } else if (e.getKey() <= timestamp) {
                units += e.getValue().units;
                revenue = revenue.add(e.getValue().revenue);
                cost = cost.add(e.getValue().cost);
            }
        }
        for (long hour : expired) {
            buckets.remove(hour);
        }
        if (book == null) {
            book = RulesState.book(MetricsJob.RULES, ctx.getBroadcastState(RulesState.DESCRIPTOR));
        }
        ResolvedRules rules = book.resolve(null, category.value(), ctx.getCurrentKey());
        long salesSplit = rules.get(MetricsJob.QUADRANT_HIGH_SALES_UNITS);
        double marginSplit = rules.get(MetricsJob.QUADRANT_HIGH_MARGIN_RATE);
        BigDecimal margin = revenue.subtract(cost);
        double marginRate =
                revenue.signum() == 0 ? 0.0 : margin.doubleValue() / revenue.doubleValue();
        Quadrant quadrant = classify(units, marginRate, salesSplit, marginSplit);
        Quadrant previous = last.value();
        if (quadrant != previous) {
            out.collect(
                    record(
                            ctx.getCurrentKey(),
                            category.value(),
                            quadrant,
                            previous,
                            units,
                            revenue,
                            margin,
                            marginRate,
                            salesSplit,
                            marginSplit,
                            timestamp + 1,
                            rules));
            last.update(quadrant);
        }
        if (buckets.isEmpty()) {
            last.clear();
        }
    }

    /** High sales: units_7d >= sales split; high margin: margin_rate >= margin split. */
    static Quadrant classify(long units, double marginRate, long salesSplit, double marginSplit) {
        boolean highSales = units >= salesSplit;
        boolean highMargin = marginRate >= marginSplit;
        if (highSales) {
            return highMargin ? Quadrant.STAR : Quadrant.TRAFFIC_DRIVER;
        }
        return highMargin ? Quadrant.PROFIT_MAKER : Quadrant.SLOW_MOVER;
    }

    private static SkuQuadrant record(
            String sku,
            String category,
            Quadrant quadrant,
            Quadrant previous,
            long units,
            BigDecimal revenue,
            BigDecimal margin,
            double marginRate,
            long salesSplit,
            double marginSplit,
            long eventTime,
            ResolvedRules rules) {
        String id = "sku-quadrant:" + sku + ":" + eventTime + ":" + quadrant;
        return SkuQuadrant.newBuilder()
                .setActionId(UUID.nameUUIDFromBytes(id.getBytes(StandardCharsets.UTF_8)).toString())
                .setSku(sku)
                .setCategory(category)
                .setQuadrant(quadrant)
                .setPreviousQuadrant(previous)
                .setUnits7d(units)
                .setRevenue7d(revenue.setScale(2, RoundingMode.HALF_UP))
                .setMargin7d(margin.setScale(2, RoundingMode.HALF_UP))
                .setMarginRate(marginRate)
                .setSalesSplit(salesSplit)
                .setMarginSplit(marginSplit)
                .setCurrency(rules.get(MetricsJob.CURRENCY))
                .setEventTime(Instant.ofEpochMilli(eventTime))
                .setRuleId(rules.ruleId())
                .setRuleVersion(rules.ruleVersion())
                .setExplanation(
                        Explanation.newBuilder()
                                .setText(
                                        String.format(
                                                java.util.Locale.ROOT,
                                                "%s sold %d units over 7 days (high from %d) at a"
                                                        + " %.1f %% margin (high from %.1f %%):"
                                                        + " %s, was %s.",
                                                sku,
                                                units,
                                                salesSplit,
                                                marginRate * 100,
                                                marginSplit * 100,
                                                quadrant,
                                                previous == null ? "unclassified" : previous))
                                .setFigures(
                                        Map.of(
                                                "units_7d", Long.toString(units),
                                                "revenue_7d", revenue.toPlainString(),
                                                "margin_7d", margin.toPlainString(),
                                                "margin_rate", Double.toString(marginRate),
                                                "sales_split", Long.toString(salesSplit),
                                                "margin_split", Double.toString(marginSplit)))
                                .build())
                .build();
    }
}
