package io.storepulse.clearance;

/**
 * The figures of one SKU at one evaluation time, aggregated over its warehouses.
 *
 * @param soldUnits7d units sold over the trailing 7 days (placed minus cancelled, never negative)
 * @param onHand units on hand, summed over warehouses
 * @param reorderPoint reorder points summed over warehouses
 * @param sellThrough sold ÷ (sold + on hand); NaN when both are zero
 * @param daysOfCover on hand ÷ (sold per day); infinite when nothing sold and stock is held
 * @param daysActive days since the SKU was first seen
 * @param nextExpiry expiry (epoch millis) of the next-expiring lot that holds stock, or null
 * @param expiringQuantity units in that lot (0 when there is none)
 */
public record SkuFigures(
        long soldUnits7d,
        long onHand,
        long reorderPoint,
        double sellThrough,
        double daysOfCover,
        double daysActive,
        Long nextExpiry,
        long expiringQuantity) {

    private static final double DAY_MS = 86_400_000d;

    static SkuFigures of(
            long sold,
            long onHand,
            long reorderPoint,
            long firstSeen,
            long now,
            Long nextExpiry,
            long expiringQuantity) {
        double sellThrough = sold + onHand == 0 ? Double.NaN : (double) sold / (sold + onHand);
        double perDay = sold / 7d;
        double cover;
        if (onHand == 0) {
            cover = 0;
        } else if (perDay == 0) {
            cover = Double.POSITIVE_INFINITY;
        } else {
            cover = onHand / perDay;
        }
        return new SkuFigures(
                sold,
                onHand,
                reorderPoint,
                sellThrough,
                cover,
                (now - firstSeen) / DAY_MS,
                nextExpiry,
                expiringQuantity);
    }

    /** Whether the reason for a ladder markdown is gone because stock is low or gone. */
    boolean inReorderZone() {
        return onHand <= 0 || onHand <= reorderPoint;
    }

    /** Hours left on the next-expiring lot at {@code now}, or null without one. */
    Double hoursLeft(long now) {
        return nextExpiry == null ? null : (nextExpiry - now) / 3_600_000d;
    }
}
