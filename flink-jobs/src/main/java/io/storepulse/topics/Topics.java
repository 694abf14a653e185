package io.storepulse.topics;

import static io.storepulse.topics.Topic.Direction.INPUT;
import static io.storepulse.topics.Topic.Direction.OUTPUT;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import storepulse.v1.actions.CouponAction;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.InventoryAlert;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.actions.OrderAction;
import storepulse.v1.actions.PriceAction;
import storepulse.v1.actions.ReturnInsight;
import storepulse.v1.actions.SegmentChange;
import storepulse.v1.actions.SkuQuadrant;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.Product;
import storepulse.v1.events.RuleSet;
import storepulse.v1.events.StockMovement;

/**
 * The topic catalogue of the event contract ({@code shared/spec/event-contract.md}). The single
 * place that names topics: jobs, tests, the local cluster and the generated deploy manifests all
 * read it.
 */
public final class Topics {

    private static final long SEVEN_DAYS = Duration.ofDays(7).toMillis();
    private static final long THIRTY_DAYS = Duration.ofDays(30).toMillis();
    private static final long FOREVER = -1L;

    // Inputs, written by shops.
    public static final Topic<OrderEvent> ORDERS =
            new Topic<>("orders", "order_id", OrderEvent.class, 6, false, SEVEN_DAYS, INPUT);
    public static final Topic<CartEvent> CARTS =
            new Topic<>("carts", "user_id", CartEvent.class, 6, false, SEVEN_DAYS, INPUT);
    public static final Topic<BrowseEvent> BROWSE =
            new Topic<>("browse", "visitor_id", BrowseEvent.class, 6, false, SEVEN_DAYS, INPUT);
    public static final Topic<StockMovement> STOCK_MOVEMENTS =
            new Topic<>("stock-movements", "sku", StockMovement.class, 6, false, SEVEN_DAYS, INPUT);
    public static final Topic<Product> CATALOG =
            new Topic<>("catalog", "sku", Product.class, 3, true, FOREVER, INPUT);
    public static final Topic<RuleSet> RULES =
            new Topic<>("rules", "rule_id", RuleSet.class, 1, true, FOREVER, INPUT);

    // Outputs, written by Storepulse jobs.
    public static final Topic<InventoryLevel> INVENTORY_LEVELS =
            new Topic<>(
                    "inventory-levels",
                    "sku@warehouse_id",
                    InventoryLevel.class,
                    6,
                    true,
                    FOREVER,
                    OUTPUT);
    public static final Topic<InventoryAlert> INVENTORY_ALERTS =
            new Topic<>(
                    "inventory-alerts",
                    "sku@warehouse_id",
                    InventoryAlert.class,
                    3,
                    false,
                    SEVEN_DAYS,
                    OUTPUT);
    public static final Topic<OrderAction> ORDER_ACTIONS =
            new Topic<>(
                    "order-actions", "order_id", OrderAction.class, 3, false, SEVEN_DAYS, OUTPUT);
    public static final Topic<CouponAction> COUPON_ACTIONS =
            new Topic<>(
                    "coupon-actions", "user_id", CouponAction.class, 3, false, SEVEN_DAYS, OUTPUT);
    public static final Topic<PriceAction> PRICE_ACTIONS =
            new Topic<>("price-actions", "sku", PriceAction.class, 3, false, THIRTY_DAYS, OUTPUT);
    public static final Topic<FunnelMetrics> CONVERSION_METRICS =
            new Topic<>(
                    "conversion-metrics",
                    "dimension_type:dimension_value@window_start",
                    FunnelMetrics.class,
                    3,
                    false,
                    SEVEN_DAYS,
                    OUTPUT);
    public static final Topic<SkuQuadrant> SKU_QUADRANTS =
            new Topic<>("sku-quadrants", "sku", SkuQuadrant.class, 3, true, FOREVER, OUTPUT);
    public static final Topic<ReturnInsight> RETURN_INSIGHTS =
            new Topic<>("return-insights", "sku", ReturnInsight.class, 3, true, FOREVER, OUTPUT);
    public static final Topic<SegmentChange> USER_SEGMENTS =
            new Topic<>("user-segments", "user_id", SegmentChange.class, 3, true, FOREVER, OUTPUT);
    public static final Topic<DeadLetter> DEAD_LETTERS =
            new Topic<>(
                    "dead-letters",
                    "source_topic:partition:offset",
                    DeadLetter.class,
                    3,
                    false,
                    THIRTY_DAYS,
                    OUTPUT);

    /** Every topic of the contract, inputs first. */
    public static final List<Topic<?>> ALL =
            List.of(
                    ORDERS,
                    CARTS,
                    BROWSE,
                    STOCK_MOVEMENTS,
                    CATALOG,
                    RULES,
                    INVENTORY_LEVELS,
                    INVENTORY_ALERTS,
                    ORDER_ACTIONS,
                    COUPON_ACTIONS,
                    PRICE_ACTIONS,
                    CONVERSION_METRICS,
                    SKU_QUADRANTS,
                    RETURN_INSIGHTS,
                    USER_SEGMENTS,
                    DEAD_LETTERS);

    private Topics() {}

    /** The catalogue entry for a topic name, if the contract has one. */
    public static Optional<Topic<?>> byName(String name) {
        return ALL.stream().filter(t -> t.name().equals(name)).findFirst();
    }
}
