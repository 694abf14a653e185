package io.storepulse.metrics;

import java.util.Locale;
import java.util.TreeMap;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.ReturnInsight;
import storepulse.v1.actions.SkuQuadrant;

/** One stable text line per output record, for golden files (processing times left out). */
final class GoldenLines {

    private GoldenLines() {}

    static String of(FunnelMetrics m) {
        return String.format(
                Locale.ROOT,
                "metrics %s %s start=%s end=%s rev=%d visitors=%d exact=%s views=%d adds=%d"
                        + " checkouts=%d orders=%d units=%d gmv=%s aov=%s conversion=%.6f"
                        + " viewing=%d ordering=%d %s emitted_at=%s",
                FunnelAggregator.key(m),
                m.getWindowType(),
                m.getWindowStart(),
                m.getWindowEnd(),
                m.getRevision(),
                m.getVisitors(),
                m.getVisitorsExact(),
                m.getProductViews(),
                m.getAddToCarts(),
                m.getCheckoutsStarted(),
                m.getOrders(),
                m.getUnits(),
                m.getGmv().toPlainString(),
                m.getAov().toPlainString(),
                m.getConversionRate(),
                m.getViewingVisitors(),
                m.getOrderingVisitors(),
                m.getCurrency(),
                m.getEmittedAt());
    }

    static String of(SkuQuadrant q) {
        return String.format(
                Locale.ROOT,
                "quadrant %s %s category=%s previous=%s units_7d=%d revenue_7d=%s margin_7d=%s"
                        + " margin_rate=%.4f splits=%.0f/%.2f %s at=%s rule=%s/%d id=%s",
                q.getSku(),
                q.getQuadrant(),
                q.getCategory(),
                q.getPreviousQuadrant(),
                q.getUnits7d(),
                q.getRevenue7d().toPlainString(),
                q.getMargin7d().toPlainString(),
                q.getMarginRate(),
                q.getSalesSplit(),
                q.getMarginSplit(),
                q.getCurrency(),
                q.getEventTime(),
                q.getRuleId(),
                q.getRuleVersion(),
                q.getActionId());
    }

    static String of(ReturnInsight r) {
        return String.format(
                Locale.ROOT,
                "returns %s sold=%d returned=%d returns=%d rate=%.4f shares=%s alert=%s reason=%s"
                        + " at=%s rule=%s/%d id=%s",
                r.getSku(),
                r.getUnitsSold(),
                r.getUnitsReturned(),
                r.getReturns(),
                r.getReturnRate(),
                new TreeMap<>(r.getReasonShares()),
                r.getAlert(),
                r.getAlertReason(),
                r.getEventTime(),
                r.getRuleId(),
                r.getRuleVersion(),
                r.getActionId());
    }

    static String of(DeadLetter d) {
        return String.format(
                Locale.ROOT,
                "dead-letter %s %s job=%s message=%s",
                d.getSourceTopic(),
                d.getErrorKind(),
                d.getJob(),
                d.getErrorMessage());
    }
}
