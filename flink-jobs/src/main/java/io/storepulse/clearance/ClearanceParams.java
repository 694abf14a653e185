package io.storepulse.clearance;

import io.storepulse.rules.ParamSpec;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;

/**
 * Every rule parameter of the clearance job, with its default. Operators override them per category
 * or SKU on the {@code rules} topic; {@code docs/jobs/clearance.md} lists them.
 */
public final class ClearanceParams {

    private ClearanceParams() {}

    // Slow moving and overstock detection.
    public static final ParamSpec<Integer> MIN_ACTIVE_DAYS =
            ParamSpec.ofInt(
                    "min_active_days",
                    14,
                    0,
                    365,
                    "Days since the SKU was first seen before SLOW_MOVING or OVERSTOCK may apply.");
    public static final ParamSpec<Double> SLOW_SELL_THROUGH =
            ParamSpec.ofDouble(
                    "slow_sell_through",
                    0.05,
                    0,
                    1,
                    "SLOW_MOVING when the 7-day sell-through is under this fraction.");
    public static final ParamSpec<Double> SLOW_DAYS_OF_COVER =
            ParamSpec.ofDouble(
                    "slow_days_of_cover",
                    60,
                    0,
                    10_000,
                    "SLOW_MOVING also needs days of cover above this.");
    public static final ParamSpec<Double> RESTORE_SELL_THROUGH =
            ParamSpec.ofDouble(
                    "restore_sell_through",
                    0.10,
                    0,
                    1,
                    "Sales count as recovered (SLOW_MOVING ends) at or above this sell-through.");
    public static final ParamSpec<Double> OVERSTOCK_DAYS_OF_COVER =
            ParamSpec.ofDouble(
                    "overstock_days_of_cover",
                    120,
                    0,
                    10_000,
                    "OVERSTOCK when days of cover exceed this.");
    public static final ParamSpec<Double> OVERSTOCK_RESTORE_DAYS_OF_COVER =
            ParamSpec.ofDouble(
                    "overstock_restore_days_of_cover",
                    90,
                    0,
                    10_000,
                    "OVERSTOCK ends when days of cover fall to this or below.");
    public static final ParamSpec<Duration> HYSTERESIS =
            ParamSpec.ofDuration(
                    "restore_hysteresis",
                    Duration.ofHours(24),
                    Duration.ZERO,
                    Duration.ofDays(30),
                    "How long sales must stay recovered before a ladder markdown is restored.");

    // The ladder.
    public static final ParamSpec<BigDecimal> TIER_STEP =
            ParamSpec.ofDecimal(
                    "tier_step", "0.10", "0.01", "0.90", "Discount added by each ladder tier.");
    public static final ParamSpec<BigDecimal> MAX_DEPTH =
            ParamSpec.ofDecimal("max_depth", "0.50", "0.01", "0.95", "Deepest ladder discount.");
    public static final ParamSpec<Duration> CADENCE =
            ParamSpec.ofDuration(
                    "cadence",
                    Duration.ofHours(48),
                    Duration.ofHours(1),
                    Duration.ofDays(60),
                    "Event time a SKU must stay slow on one tier before the next tier.");
    public static final ParamSpec<Duration> MIN_INTERVAL =
            ParamSpec.ofDuration(
                    "min_interval",
                    Duration.ofHours(6),
                    Duration.ZERO,
                    Duration.ofDays(30),
                    "Least time between two price changes of one SKU (expiry tiers exempt).");
    public static final ParamSpec<Duration> MAX_DURATION =
            ParamSpec.ofDuration(
                    "markdown_max_duration",
                    Duration.ofDays(30),
                    Duration.ofHours(1),
                    Duration.ofDays(365),
                    "A ladder markdown lapses (RESTORE) this long after its episode began;"
                            + " it is its valid_until.");

    // Near expiry.
    public static final ParamSpec<Integer> EXPIRY_TIER1_HOURS =
            ParamSpec.ofInt("expiry_tier1_hours", 24, 1, 24 * 30, "Hours left for expiry tier 1.");
    public static final ParamSpec<Integer> EXPIRY_TIER2_HOURS =
            ParamSpec.ofInt("expiry_tier2_hours", 6, 1, 24 * 30, "Hours left for expiry tier 2.");
    public static final ParamSpec<Integer> EXPIRY_TIER3_HOURS =
            ParamSpec.ofInt("expiry_tier3_hours", 2, 1, 24 * 30, "Hours left for expiry tier 3.");
    public static final ParamSpec<BigDecimal> EXPIRY_TIER1_DISCOUNT =
            ParamSpec.ofDecimal(
                    "expiry_tier1_discount", "0.20", "0.01", "0.95", "Tier 1 discount.");
    public static final ParamSpec<BigDecimal> EXPIRY_TIER2_DISCOUNT =
            ParamSpec.ofDecimal(
                    "expiry_tier2_discount", "0.40", "0.01", "0.95", "Tier 2 discount.");
    public static final ParamSpec<BigDecimal> EXPIRY_TIER3_DISCOUNT =
            ParamSpec.ofDecimal(
                    "expiry_tier3_discount", "0.60", "0.01", "0.95", "Tier 3 discount.");
    public static final ParamSpec<Boolean> ALLOW_LOSS_ON_EXPIRY =
            ParamSpec.ofBoolean(
                    "allow_loss_on_expiry",
                    false,
                    "NEAR_EXPIRY may go below min_price and unit_cost, down to the loss floor.");
    public static final ParamSpec<BigDecimal> LOSS_FLOOR_FRACTION =
            ParamSpec.ofDecimal(
                    "loss_floor_fraction",
                    "0.20",
                    "0.00",
                    "1.00",
                    "The loss floor as a fraction of list price.");

    // Prices and plumbing.
    public static final ParamSpec<String> ROUNDING =
            ParamSpec.ofChoice(
                    "rounding",
                    "CENTS",
                    List.of("CENTS", "ENDING_99", "WHOLE"),
                    "How a marked-down price is rounded (down, never below the floor).");
    public static final ParamSpec<Duration> EVALUATION_INTERVAL =
            ParamSpec.ofDuration(
                    "evaluation_interval",
                    Duration.ofHours(1),
                    Duration.ofMinutes(1),
                    Duration.ofDays(1),
                    "Event-time period of the re-evaluation of a SKU that holds stock.");
    public static final List<ParamSpec<?>> ALL =
            List.of(
                    MIN_ACTIVE_DAYS,
                    SLOW_SELL_THROUGH,
                    SLOW_DAYS_OF_COVER,
                    RESTORE_SELL_THROUGH,
                    OVERSTOCK_DAYS_OF_COVER,
                    OVERSTOCK_RESTORE_DAYS_OF_COVER,
                    HYSTERESIS,
                    TIER_STEP,
                    MAX_DEPTH,
                    CADENCE,
                    MIN_INTERVAL,
                    MAX_DURATION,
                    EXPIRY_TIER1_HOURS,
                    EXPIRY_TIER2_HOURS,
                    EXPIRY_TIER3_HOURS,
                    EXPIRY_TIER1_DISCOUNT,
                    EXPIRY_TIER2_DISCOUNT,
                    EXPIRY_TIER3_DISCOUNT,
                    ALLOW_LOSS_ON_EXPIRY,
                    LOSS_FLOOR_FRACTION,
                    ROUNDING,
                    EVALUATION_INTERVAL);
}
