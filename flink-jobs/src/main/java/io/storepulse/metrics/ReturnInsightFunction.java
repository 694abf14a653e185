package io.storepulse.metrics;

import io.storepulse.rules.ParamSpec;
import io.storepulse.rules.ResolvedRules;
import io.storepulse.rules.RuleBook;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
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
import storepulse.v1.actions.ReturnInsight;
import storepulse.v1.common.Explanation;
import storepulse.v1.common.ReturnReason;

/**
 * Keyed by SKU: return rate and return reasons over the trailing 30 days of event time (today, in
 * UTC days, and the 29 days before). Units sold are the units of shipped order lines; returns are
 * returned order lines. Figures are evaluated at the end of every hour in which the SKU shipped or
 * was returned, and when a day leaves the 30 days; a record is emitted when they changed. The
 * {@code alert} is raised when, with at least {@code return_alert_min_returns} returns, one
 * reason's share of returns is strictly above its {@code return_alert_share_<reason>} threshold.
 *
 * <p>State: daily buckets (at most 31), the last emitted figures, the catalog category. Buckets
 * leave with the timer that drops them; with none left, the last figures are cleared too.
 */
public class ReturnInsightFunction
        extends KeyedBroadcastProcessFunction<String, SkuSignal, RuleUpdate, ReturnInsight> {

    private static final long serialVersionUID = 1L;

    public static final int WINDOW_DAYS = 30;
    static final long DAY = Duration.ofDays(1).toMillis();
    static final long HOUR = Duration.ofHours(1).toMillis();
    private static final int REASONS = ReturnReason.values().length;

    /** One UTC day of shipments and returns. A Flink POJO. */
    public static class ReturnBucket {
        public long unitsSold;
        public long unitsReturned;
        public long returns;

        /** Returns per reason, indexed by ReturnReason ordinal. */
        public long[] reasonCounts = new long[REASONS];
    }

    static final MapStateDescriptor<Long, ReturnBucket> BUCKETS =
            new MapStateDescriptor<>(
                    "daily-returns", Types.LONG, TypeInformation.of(ReturnBucket.class));
    static final ValueStateDescriptor<String> LAST_FIGURES =
            new ValueStateDescriptor<>("last-return-figures", Types.STRING);
    static final ValueStateDescriptor<String> CATEGORY =
            new ValueStateDescriptor<>("returns-category", Types.STRING);

    private transient MapState<Long, ReturnBucket> buckets;
    private transient ValueState<String> lastFigures;
    private transient ValueState<String> category;
    private transient RuleBook book;

    @Override
    public void open(OpenContext openContext) {
        buckets = getRuntimeContext().getMapState(BUCKETS);
        lastFigures = getRuntimeContext().getState(LAST_FIGURES);
        category = getRuntimeContext().getState(CATEGORY);
    }

    @Override
    public void processBroadcastElement(
            RuleUpdate update, Context ctx, Collector<ReturnInsight> out) throws Exception {
        if (RulesState.apply(ctx.getBroadcastState(RulesState.DESCRIPTOR), update)) {
            book = RulesState.book(MetricsJob.RULES, ctx.getBroadcastState(RulesState.DESCRIPTOR));
        }
    }

    @Override
    public void processElement(SkuSignal s, ReadOnlyContext ctx, Collector<ReturnInsight> out)
            throws Exception {
        if (s.kind == SkuSignal.Kind.CATALOG) {
            category.update(s.category);
            return;
        }
        if (s.kind != SkuSignal.Kind.SHIPPED && s.kind != SkuSignal.Kind.RETURNED) {
            return;
        }
        long day = Math.floorDiv(s.eventTime, DAY) * DAY;
        ReturnBucket b = buckets.get(day);
        if (b == null) {
            b = new ReturnBucket();
            ctx.timerService().registerEventTimeTimer(day + WINDOW_DAYS * DAY + HOUR - 1);
        }
        if (s.kind == SkuSignal.Kind.SHIPPED) {
            b.unitsSold += s.units;
        } else {
            b.unitsReturned += s.units;
            b.returns++;
            b.reasonCounts[s.reason.ordinal()]++;
        }
        buckets.put(day, b);
        long hour = Math.floorDiv(s.eventTime, HOUR) * HOUR;
        ctx.timerService().registerEventTimeTimer(hour + HOUR - 1);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<ReturnInsight> out)
            throws Exception {
        long from = Math.floorDiv(timestamp, DAY) * DAY - (WINDOW_DAYS - 1) * DAY;
        ReturnBucket total = new ReturnBucket();
        List<Long> expired = new ArrayList<>();
        for (Map.Entry<Long, ReturnBucket> e : buckets.entries()) {
            if (e.getKey() < from) {
                expired.add(e.getKey());
            } else if (e.getKey() <= timestamp) {
                ReturnBucket b = e.getValue();
                total.unitsSold += b.unitsSold;
                total.unitsReturned += b.unitsReturned;
                total.returns += b.returns;
                for (int i = 0; i < REASONS; i++) {
                    total.reasonCounts[i] += b.reasonCounts[i];
                }
            }
        }
        for (long day : expired) {
            buckets.remove(day);
        }
        if (book == null) {
            book = RulesState.book(MetricsJob.RULES, ctx.getBroadcastState(RulesState.DESCRIPTOR));
        }
        ResolvedRules rules = book.resolve(null, category.value(), ctx.getCurrentKey());
        ReturnReason alertReason = alertReason(total, rules);
        String figures =
                total.unitsSold
                        + "|"
                        + total.unitsReturned
                        + "|"
                        + total.returns
                        + "|"
                        + Arrays.toString(total.reasonCounts)
                        + "|"
                        + alertReason;
        if (!figures.equals(lastFigures.value())) {
            out.collect(record(ctx.getCurrentKey(), total, alertReason, timestamp + 1, rules));
            lastFigures.update(figures);
        }
        if (buckets.isEmpty()) {
            lastFigures.clear();
        }
    }

    /**
     * The reason that passes its threshold by the widest margin, or null: only with at least
     * return_alert_min_returns returns, and only a share strictly above the threshold.
     */
    static ReturnReason alertReason(ReturnBucket total, ResolvedRules rules) {
        if (total.returns == 0 || total.returns < rules.get(MetricsJob.RETURN_ALERT_MIN_RETURNS)) {
            return null;
        }
        ReturnReason best = null;
        double bestMargin = 0;
        for (Map.Entry<ReturnReason, ParamSpec<Double>> e :
                MetricsJob.RETURN_ALERT_SHARES.entrySet()) {
            double share = (double) total.reasonCounts[e.getKey().ordinal()] / total.returns;
            double margin = share - rules.get(e.getValue());
            if (margin > 0 && (best == null || margin > bestMargin)) {
                best = e.getKey();
                bestMargin = margin;
            }
        }
        return best;
    }

    private static ReturnInsight record(
            String sku,
            ReturnBucket total,
            ReturnReason alertReason,
            long eventTime,
            ResolvedRules rules) {
        Map<String, Double> shares = new TreeMap<>();
        Map<String, String> figures = new HashMap<>();
        for (ReturnReason r : ReturnReason.values()) {
            long n = total.reasonCounts[r.ordinal()];
            if (n > 0) {
                double share = (double) n / total.returns;
                shares.put(r.name(), share);
                figures.put("returns_" + r.name().toLowerCase(Locale.ROOT), Long.toString(n));
            }
        }
        double returnRate =
                total.unitsSold == 0 ? 0.0 : (double) total.unitsReturned / total.unitsSold;
        figures.put("units_sold", Long.toString(total.unitsSold));
        figures.put("units_returned", Long.toString(total.unitsReturned));
        figures.put("returns", Long.toString(total.returns));
        String text;
        if (alertReason != null) {
            ParamSpec<Double> spec = MetricsJob.RETURN_ALERT_SHARES.get(alertReason);
            double threshold = rules.get(spec);
            figures.put(spec.name(), Double.toString(threshold));
            text =
                    String.format(
                            Locale.ROOT,
                            "%s: %s is %.1f %% of %d returns over %d days, above %.1f %%.",
                            sku,
                            alertReason,
                            shares.get(alertReason.name()) * 100,
                            total.returns,
                            WINDOW_DAYS,
                            threshold * 100);
        } else {
            text =
                    String.format(
                            Locale.ROOT,
                            "%s: %d of %d units returned over %d days (%d returns); no reason"
                                    + " above its threshold.",
                            sku,
                            total.unitsReturned,
                            total.unitsSold,
                            WINDOW_DAYS,
                            total.returns);
        }
        String id = "return-insight:" + sku + ":" + eventTime;
        return ReturnInsight.newBuilder()
                .setActionId(UUID.nameUUIDFromBytes(id.getBytes(StandardCharsets.UTF_8)).toString())
                .setSku(sku)
                .setWindowDays(WINDOW_DAYS)
                .setUnitsSold(total.unitsSold)
                .setUnitsReturned(total.unitsReturned)
                .setReturns(total.returns)
                .setReturnRate(returnRate)
                .setReasonShares(new HashMap<>(shares))
                .setAlert(alertReason != null)
                .setAlertReason(alertReason)
                .setEventTime(Instant.ofEpochMilli(eventTime))
                .setRuleId(rules.ruleId())
                .setRuleVersion(rules.ruleVersion())
                .setExplanation(Explanation.newBuilder().setText(text).setFigures(figures).build())
                .build();
    }
}
