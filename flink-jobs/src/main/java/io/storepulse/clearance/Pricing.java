package io.storepulse.clearance;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Price arithmetic: floors, discounts and rounding. Pure functions on scale-2 decimals. */
public final class Pricing {

    private static final BigDecimal CENT = new BigDecimal("0.01");

    private Pricing() {}

    /** The regular floor: max(min_price, unit_cost). */
    public static BigDecimal regularFloor(BigDecimal minPrice, BigDecimal unitCost) {
        return money(minPrice.max(unitCost));
    }

    /**
     * The floor for expiring stock when a loss is allowed: the lower of the regular floor and
     * {@code fraction} of list (rounded up to the cent), so that allowing a loss never raises it.
     */
    public static BigDecimal lossFloor(
            BigDecimal listPrice, BigDecimal fraction, BigDecimal regularFloor) {
        BigDecimal loss = listPrice.multiply(fraction).setScale(2, RoundingMode.CEILING);
        return money(loss.min(regularFloor));
    }

    /**
     * The marked-down price: list × (1 − discount) rounded down as {@code rounding} says; when that
     * is under the floor, the floor rounded up; never above list, never below the floor, never zero
     * or less.
     *
     * <p>When no price that {@code rounding} allows lies between the floor and list (a list price
     * under one unit with {@code ENDING_99} or {@code WHOLE}, say 0.79), the price is rounded to
     * the cent instead: the discount the tier asks for, not a cut to the floor or to nothing. When
     * even that is not above zero, the list price is returned (no markdown).
     */
    public static BigDecimal markdownPrice(
            BigDecimal listPrice, BigDecimal discount, BigDecimal floor, String rounding) {
        BigDecimal raw = listPrice.multiply(BigDecimal.ONE.subtract(discount));
        BigDecimal price = roundDown(raw, rounding);
        if (price.compareTo(floor) < 0) {
            price = roundUp(floor, rounding);
        }
        if (price.compareTo(listPrice) > 0 || price.signum() <= 0) {
            price =
                    raw.setScale(2, RoundingMode.FLOOR)
                            .max(floor.setScale(2, RoundingMode.CEILING));
        }
        if (price.signum() <= 0) {
            return money(listPrice);
        }
        return money(price.min(listPrice));
    }

    static BigDecimal roundDown(BigDecimal x, String rounding) {
        return switch (rounding) {
            case "WHOLE" -> x.setScale(0, RoundingMode.FLOOR);
            case "ENDING_99" -> x.add(CENT).setScale(0, RoundingMode.FLOOR).subtract(CENT);
            default -> x.setScale(2, RoundingMode.FLOOR);
        };
    }

    static BigDecimal roundUp(BigDecimal x, String rounding) {
        return switch (rounding) {
            case "WHOLE" -> x.setScale(0, RoundingMode.CEILING);
            case "ENDING_99" -> x.add(CENT).setScale(0, RoundingMode.CEILING).subtract(CENT);
            default -> x.setScale(2, RoundingMode.CEILING);
        };
    }

    /** Scale 2, as the Avro decimal fields require. */
    public static BigDecimal money(BigDecimal x) {
        return x.setScale(2, RoundingMode.HALF_UP);
    }
}
