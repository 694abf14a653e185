package io.storepulse.wallboard;

import java.math.BigDecimal;
import java.util.List;

/**
 * Everything the page shows, at one moment: what the server sends to each browser over server-sent
 * events, as JSON. Every tile carries {@code asOf}, the time of its newest data (epoch ms, UTC;
 * null before any data), and {@code stale}, whether that was longer ago than the tile's threshold
 * when the snapshot was taken. The browser re-evaluates staleness every second from {@code asOf},
 * {@code serverTime} and the thresholds, so a tile turns stale even when nothing new arrives.
 *
 * <p>Text from the topics (product names, SKUs, channels, explanations) is carried verbatim; the
 * page renders it as text, never as HTML.
 */
public record Snapshot(
        long serverTime,
        long staleAfterMs,
        long actionsStaleAfterMs,
        Kpis kpis,
        Funnel funnel,
        TopSkus topSkus,
        Breakdown channels,
        Breakdown categories,
        Alerts alerts,
        Actions actions,
        Counters counters) {

    /** Today's running-day figures (DAY window, dimension ALL) and the same time yesterday. */
    public record Kpis(
            Long asOf,
            boolean stale,
            Long windowStart,
            Long windowEnd,
            String currency,
            BigDecimal gmv,
            Long orders,
            Long visitors,
            boolean visitorsExact,
            Double conversion,
            BigDecimal aov,
            int revision,
            Comparison yesterday) {}

    /**
     * Yesterday's running-day figures as they stood at the same elapsed time of the day ({@code
     * asOf} is that record's emission time); null when not known.
     */
    public record Comparison(
            long asOf,
            BigDecimal gmv,
            long orders,
            long visitors,
            double conversion,
            BigDecimal aov) {}

    /** The per-minute funnel (MINUTE windows, dimension ALL), oldest first. */
    public record Funnel(Long asOf, boolean stale, String currency, List<FunnelPoint> minutes) {}

    public record FunnelPoint(
            long start,
            long visitors,
            long productViews,
            long addToCarts,
            long checkoutsStarted,
            long orders,
            BigDecimal gmv,
            int revision) {}

    /** The top SKUs by GMV in the newest SKU-dimension MINUTE window. */
    public record TopSkus(
            Long asOf, boolean stale, Long minuteStart, String currency, List<SkuRow> rows) {}

    public record SkuRow(
            int rank,
            String sku,
            String name,
            String category,
            BigDecimal gmv,
            long units,
            long orders,
            double conversion,
            int revision) {}

    /** Today's figures per channel or per category, by GMV; {@code more} rows are not shown. */
    public record Breakdown(
            Long asOf,
            boolean stale,
            Long windowStart,
            String currency,
            List<BreakdownRow> rows,
            int more) {}

    public record BreakdownRow(
            String name,
            long visitors,
            long orders,
            BigDecimal gmv,
            double conversion,
            BigDecimal aov,
            double share,
            BigDecimal lastMinuteGmv) {}

    /** The newest inventory alerts, newest first. */
    public record Alerts(Long asOf, boolean stale, List<AlertRow> rows) {}

    public record AlertRow(
            String actionId,
            long eventTime,
            String type,
            String sku,
            String name,
            String warehouse,
            long available,
            long reorderPoint,
            String text) {}

    /** Coupons and price changes issued per minute of event time, oldest first. */
    public record Actions(
            Long asOf,
            boolean stale,
            List<ActionMinute> minutes,
            long coupons,
            long markdowns,
            long restores) {}

    public record ActionMinute(long start, long coupons, long markdowns, long restores) {}

    /** What the feed has seen: records applied, records that could not be decoded or used. */
    public record Counters(long applied, long skipped) {}
}
