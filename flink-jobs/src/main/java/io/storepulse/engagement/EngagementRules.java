package io.storepulse.engagement;

import static io.storepulse.rules.ParamSpec.ofChoice;
import static io.storepulse.rules.ParamSpec.ofDecimal;
import static io.storepulse.rules.ParamSpec.ofDuration;
import static io.storepulse.rules.ParamSpec.ofInt;
import static io.storepulse.rules.ParamSpec.ofList;
import static io.storepulse.rules.ParamSpec.ofNumbers;
import static io.storepulse.rules.ParamSpec.ofString;
import static io.storepulse.rules.ParamSpec.ofZone;

import io.storepulse.rules.ParamSpec;
import io.storepulse.rules.ParamSpec.NumberList;
import io.storepulse.rules.ParamSpec.StringList;
import io.storepulse.rules.RuleCatalog;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import storepulse.v1.events.RuleJob;

/**
 * The documented parameters of the engagement job, with their defaults (docs/jobs/engagement.md).
 */
public final class EngagementRules {

    private static final Duration MIN = Duration.ZERO;
    private static final Duration YEAR = Duration.ofDays(366);

    /** The contract's coupon types (CouponType without UNKNOWN) a rule may choose per trigger. */
    private static final List<String> COUPON_TYPES =
            List.of("PERCENT_OFF", "AMOUNT_OFF", "FREE_SHIPPING");

    public static final ParamSpec<Duration> ALLOWED_LATENESS =
            ofDuration(
                    "allowed-lateness",
                    Duration.ofMinutes(2),
                    MIN,
                    Duration.ofHours(1),
                    "How far behind the watermark an event may arrive and still count; every decision"
                            + " waits this long past its event time. Later events go to dead-letters.");

    public static final ParamSpec<Duration> CART_IDLE_TIMEOUT =
            ofDuration(
                    "cart-idle-timeout",
                    Duration.ofMinutes(30),
                    Duration.ofMinutes(1),
                    Duration.ofDays(7),
                    "Idle time after the last cart change before the cart counts as abandoned.");
    public static final ParamSpec<Duration> CART_RETENTION =
            ofDuration(
                    "cart-retention",
                    Duration.ofDays(7),
                    Duration.ofHours(1),
                    Duration.ofDays(60),
                    "How long an abandoned cart is remembered after its last change.");
    public static final ParamSpec<BigDecimal> CART_MIN_VALUE =
            ofDecimal(
                    "cart-min-value",
                    "0.01",
                    "0",
                    "1000000",
                    "Smallest cart value worth a coupon.");
    public static final ParamSpec<String> CART_COUPON_TYPE =
            ofChoice(
                    "cart-coupon-type",
                    "PERCENT_OFF",
                    COUPON_TYPES,
                    "Kind of abandoned-cart coupon: PERCENT_OFF (cart-percent-tiers), AMOUNT_OFF"
                            + " (cart-amount-tiers) or FREE_SHIPPING (value 0).");
    public static final ParamSpec<NumberList> CART_VALUE_TIERS =
            ofNumbers(
                    "cart-value-tiers",
                    "50,100,200",
                    "Cart value boundaries (ascending) between percent tiers.");
    public static final ParamSpec<NumberList> CART_PERCENT_TIERS =
            ofNumbers(
                    "cart-percent-tiers",
                    "5,10,15,20",
                    "Percent off for each cart value tier: one more entry than cart-value-tiers.");
    public static final ParamSpec<NumberList> CART_AMOUNT_TIERS =
            ofNumbers(
                    "cart-amount-tiers",
                    "5,10,20,30",
                    "Amount off, in the cart's currency, for each cart value tier when"
                            + " cart-coupon-type is AMOUNT_OFF; never more than the cart value.");
    public static final ParamSpec<StringList> EXTRA_PERCENT_SEGMENTS =
            ofList(
                    "extra-percent-segments",
                    "AT_RISK,NEW",
                    "RFM segments that get extra-percent on top of the cart tier.");
    public static final ParamSpec<BigDecimal> EXTRA_PERCENT =
            ofDecimal("extra-percent", "5", "0", "100", "Extra percent for those segments.");
    public static final ParamSpec<BigDecimal> MAX_PERCENT =
            ofDecimal("max-percent", "30", "0", "100", "Ceiling of any percent-off coupon.");
    public static final ParamSpec<BigDecimal> EXTRA_AMOUNT =
            ofDecimal(
                    "extra-amount",
                    "5",
                    "0",
                    "1000000",
                    "Extra amount off for extra-percent-segments on AMOUNT_OFF cart coupons.");
    public static final ParamSpec<BigDecimal> MAX_AMOUNT =
            ofDecimal(
                    "max-amount",
                    "50",
                    "0",
                    "1000000",
                    "Ceiling of any amount-off coupon, in the coupon's currency.");
    public static final ParamSpec<BigDecimal> CART_MIN_SPEND_SHARE =
            ofDecimal(
                    "cart-min-spend-share",
                    "1.00",
                    "0",
                    "10",
                    "Minimum spend of an abandoned-cart coupon as a share of the cart value.");
    public static final ParamSpec<Duration> CART_COUPON_VALID_FOR =
            ofDuration(
                    "cart-coupon-valid-for",
                    Duration.ofHours(48),
                    Duration.ofHours(1),
                    Duration.ofDays(60),
                    "Validity of an abandoned-cart coupon.");

    public static final ParamSpec<Integer> REPEAT_ADD_COUNT =
            ofInt("repeat-add-count", 3, 2, 100, "ADDs of one SKU that trigger a coupon.");
    public static final ParamSpec<Duration> REPEAT_ADD_WINDOW =
            ofDuration(
                    "repeat-add-window",
                    Duration.ofDays(7),
                    Duration.ofMinutes(1),
                    Duration.ofDays(60),
                    "Window in which those ADDs must fall, without the SKU being bought.");
    public static final ParamSpec<String> REPEAT_ADD_COUPON_TYPE =
            ofChoice(
                    "repeat-add-coupon-type",
                    "PERCENT_OFF",
                    COUPON_TYPES,
                    "Kind of repeated-add coupon: PERCENT_OFF (repeat-add-percent), AMOUNT_OFF"
                            + " (repeat-add-amount) or FREE_SHIPPING (value 0).");
    public static final ParamSpec<BigDecimal> REPEAT_ADD_AMOUNT =
            ofDecimal(
                    "repeat-add-amount",
                    "5",
                    "0",
                    "1000000",
                    "Amount off for AMOUNT_OFF repeated-add coupons; never more than the cart value.");
    public static final ParamSpec<BigDecimal> REPEAT_ADD_PERCENT =
            ofDecimal("repeat-add-percent", "10", "0", "100", "Percent off on that SKU.");
    public static final ParamSpec<Duration> REPEAT_ADD_VALID_FOR =
            ofDuration(
                    "repeat-add-valid-for",
                    Duration.ofHours(3),
                    Duration.ofMinutes(10),
                    Duration.ofDays(60),
                    "Validity of a repeated-add coupon.");

    public static final ParamSpec<String> WIN_BACK_COUPON_TYPE =
            ofChoice(
                    "win-back-coupon-type",
                    "PERCENT_OFF",
                    COUPON_TYPES,
                    "Kind of win-back coupon: PERCENT_OFF (win-back-percent), AMOUNT_OFF"
                            + " (win-back-amount) or FREE_SHIPPING (value 0).");
    public static final ParamSpec<BigDecimal> WIN_BACK_AMOUNT =
            ofDecimal(
                    "win-back-amount",
                    "10",
                    "0",
                    "1000000",
                    "Amount off for AMOUNT_OFF win-back coupons.");
    public static final ParamSpec<BigDecimal> WIN_BACK_PERCENT =
            ofDecimal("win-back-percent", "20", "0", "100", "Percent off of a win-back coupon.");
    public static final ParamSpec<BigDecimal> WIN_BACK_MIN_SPEND =
            ofDecimal("win-back-min-spend", "0", "0", "1000000", "Minimum spend (0 = none).");
    public static final ParamSpec<Duration> WIN_BACK_VALID_FOR =
            ofDuration(
                    "win-back-valid-for",
                    Duration.ofDays(7),
                    Duration.ofHours(1),
                    Duration.ofDays(60),
                    "Validity of a win-back coupon.");

    public static final ParamSpec<Duration> COOLDOWN =
            ofDuration(
                    "cooldown",
                    Duration.ofHours(24),
                    MIN,
                    Duration.ofDays(30),
                    "At most one coupon of any kind per user within this time.");
    public static final ParamSpec<Duration> CAP_WINDOW =
            ofDuration(
                    "cap-window",
                    Duration.ofDays(7),
                    Duration.ofHours(1),
                    Duration.ofDays(60),
                    "Window of the per-trigger caps.");
    public static final ParamSpec<Integer> CART_ABANDONED_CAP =
            ofInt(
                    "cart-abandoned-cap",
                    2,
                    0,
                    1000,
                    "Abandoned-cart coupons per user per cap-window.");
    public static final ParamSpec<Integer> REPEAT_ADD_CAP =
            ofInt("repeat-add-cap", 2, 0, 1000, "Repeated-add coupons per user per cap-window.");

    public static final ParamSpec<String> QUIET_HOURS_ZONE =
            ofZone("quiet-hours-zone", "UTC", "Time zone of the quiet hours.");
    public static final ParamSpec<Duration> QUIET_HOURS_START =
            ofDuration(
                    "quiet-hours-start",
                    Duration.ofHours(22),
                    MIN,
                    Duration.ofHours(24),
                    "Local time of day quiet hours begin (e.g. 22h); equal to the end disables them.");
    public static final ParamSpec<Duration> QUIET_HOURS_END =
            ofDuration(
                    "quiet-hours-end",
                    Duration.ofHours(8),
                    MIN,
                    Duration.ofHours(24),
                    "Local time of day quiet hours end (e.g. 8h).");

    public static final ParamSpec<Duration> RFM_WINDOW =
            ofDuration(
                    "rfm-window",
                    Duration.ofDays(365),
                    Duration.ofDays(1),
                    YEAR,
                    "Trailing window of frequency and monetary value.");
    public static final ParamSpec<NumberList> RECENCY_DAYS_THRESHOLDS =
            ofNumbers(
                    "recency-days-thresholds",
                    "7,30,60,90",
                    "Recency score 5 up to the first number of days, 4 up to the second, ..., 1 beyond.");
    public static final ParamSpec<NumberList> FREQUENCY_THRESHOLDS =
            ofNumbers(
                    "frequency-thresholds",
                    "2,3,5,10",
                    "Orders in the window needed for frequency scores 2, 3, 4 and 5.");
    public static final ParamSpec<NumberList> MONETARY_THRESHOLDS =
            ofNumbers(
                    "monetary-thresholds",
                    "50,200,500,1000",
                    "Spend in the window needed for monetary scores 2, 3, 4 and 5.");
    public static final ParamSpec<Duration> AT_RISK_AFTER =
            ofDuration(
                    "at-risk-after",
                    Duration.ofDays(45),
                    Duration.ofDays(1),
                    YEAR,
                    "Event time without an order after which a customer is AT_RISK.");
    public static final ParamSpec<Duration> DORMANT_AFTER =
            ofDuration(
                    "dormant-after",
                    Duration.ofDays(90),
                    Duration.ofDays(1),
                    YEAR,
                    "Event time without an order after which a customer is DORMANT.");

    public static final ParamSpec<String> DEFAULT_CURRENCY =
            ofString("default-currency", "EUR", "Currency when no event of the user named one.");

    public static final RuleCatalog CATALOG =
            new RuleCatalog(
                    RuleJob.ENGAGEMENT,
                    List.of(
                            ALLOWED_LATENESS,
                            CART_IDLE_TIMEOUT,
                            CART_RETENTION,
                            CART_MIN_VALUE,
                            CART_COUPON_TYPE,
                            CART_VALUE_TIERS,
                            CART_PERCENT_TIERS,
                            CART_AMOUNT_TIERS,
                            EXTRA_PERCENT_SEGMENTS,
                            EXTRA_PERCENT,
                            MAX_PERCENT,
                            EXTRA_AMOUNT,
                            MAX_AMOUNT,
                            CART_MIN_SPEND_SHARE,
                            CART_COUPON_VALID_FOR,
                            REPEAT_ADD_COUNT,
                            REPEAT_ADD_WINDOW,
                            REPEAT_ADD_COUPON_TYPE,
                            REPEAT_ADD_PERCENT,
                            REPEAT_ADD_AMOUNT,
                            REPEAT_ADD_VALID_FOR,
                            WIN_BACK_COUPON_TYPE,
                            WIN_BACK_PERCENT,
                            WIN_BACK_AMOUNT,
                            WIN_BACK_MIN_SPEND,
                            WIN_BACK_VALID_FOR,
                            COOLDOWN,
                            CAP_WINDOW,
                            CART_ABANDONED_CAP,
                            REPEAT_ADD_CAP,
                            QUIET_HOURS_ZONE,
                            QUIET_HOURS_START,
                            QUIET_HOURS_END,
                            RFM_WINDOW,
                            RECENCY_DAYS_THRESHOLDS,
                            FREQUENCY_THRESHOLDS,
                            MONETARY_THRESHOLDS,
                            AT_RISK_AFTER,
                            DORMANT_AFTER,
                            DEFAULT_CURRENCY));

    private EngagementRules() {}
}
