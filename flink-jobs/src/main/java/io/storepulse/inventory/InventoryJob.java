package io.storepulse.inventory;

import io.storepulse.config.JobLauncher;
import io.storepulse.config.KafkaIO;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.rules.ParamSpec;
import io.storepulse.rules.RuleCatalog;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.serde.Decoded;
import io.storepulse.serde.DecodedWatermarks;
import io.storepulse.serde.Validator;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topics;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.InventoryAlert;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.actions.OrderAction;
import storepulse.v1.common.ReturnReason;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.Product;
import storepulse.v1.events.RuleJob;
import storepulse.v1.events.StockMovement;
import storepulse.v1.events.StockMovementType;

/**
 * Live inventory: what is on hand, promised and available per SKU and warehouse, reservations from
 * the order lifecycle, auto-cancel of unpaid orders, and stock alerts. See {@code
 * docs/jobs/inventory.md}.
 *
 * <pre>
 * orders ──► order-lifecycle (by order_id) ──► stock changes ─┐          ┌─► inventory-levels
 *              └─► order-actions                               ├─► stock (by sku) ─┤
 * stock-movements ──► movement changes ────────────────────────┤          └─► inventory-alerts
 * catalog ──► catalog changes ─────────────────────────────────┘
 * rules ──► broadcast to both keyed functions
 * </pre>
 */
public final class InventoryJob {

    // ---- Rules: every threshold of the job, with its default. ----

    public static final ParamSpec<Duration> PAYMENT_TIMEOUT =
            ParamSpec.ofDuration(
                    "payment_timeout",
                    Duration.ofMinutes(15),
                    Duration.ofMinutes(1),
                    Duration.ofDays(7),
                    "Event time after PLACED without PAID before the order is auto-cancelled.");
    public static final ParamSpec<ParamSpec.StringList> RESELLABLE_RETURN_REASONS =
            ParamSpec.ofList(
                    "resellable_return_reasons",
                    "NOT_AS_DESCRIBED,WRONG_SIZE,CHANGED_MIND,OTHER",
                    "Return reasons whose units go back on hand.");
    public static final ParamSpec<Double> SERVICE_LEVEL =
            ParamSpec.ofDouble(
                    "service_level", 0.95, 0.5, 0.9999, "Service level behind the safety stock z.");
    public static final ParamSpec<Double> LOW_STOCK_HYSTERESIS =
            ParamSpec.ofDouble(
                    "low_stock_hysteresis",
                    0.20,
                    0.0,
                    10.0,
                    "LOW_STOCK re-arms only when available exceeds reorder point × (1 + this).");
    public static final ParamSpec<Duration> EXPIRY_WARNING =
            ParamSpec.ofDuration(
                    "expiry_warning",
                    Duration.ofHours(24),
                    Duration.ofMinutes(1),
                    Duration.ofDays(90),
                    "EXPIRING_SOON fires this long before a lot expires.");
    public static final ParamSpec<Double> VELOCITY_ALPHA =
            ParamSpec.ofDouble(
                    "velocity_alpha",
                    0.2,
                    0.01,
                    1.0,
                    "Weight of the latest day in the exponentially weighted sales velocity.");
    public static final ParamSpec<Long> REORDER_POINT_FIXED =
            ParamSpec.ofLong(
                    "reorder_point",
                    -1L,
                    -1L,
                    1_000_000_000L,
                    "Fixed reorder point in units, overriding the computed one; -1 = computed.");
    public static final ParamSpec<Long> SAFETY_STOCK_FIXED =
            ParamSpec.ofLong(
                    "safety_stock",
                    -1L,
                    -1L,
                    1_000_000_000L,
                    "Fixed safety stock in units, overriding the computed one; -1 = computed.");
    public static final ParamSpec<Integer> DEFAULT_LEAD_TIME_DAYS =
            ParamSpec.ofInt(
                    "default_lead_time_days",
                    7,
                    0,
                    365,
                    "Supplier lead time used until the catalog names one for the SKU.");
    public static final ParamSpec<Duration> DEDUP_RETENTION =
            ParamSpec.ofDuration(
                    "dedup_retention",
                    Duration.ofHours(24),
                    Duration.ofHours(1),
                    Duration.ofDays(30),
                    "How long (event time) stock-movement event_ids are remembered.");
    public static final ParamSpec<Duration> RETURN_WINDOW =
            ParamSpec.ofDuration(
                    "return_window",
                    Duration.ofDays(30),
                    Duration.ofDays(1),
                    Duration.ofDays(365),
                    "How long a shipped order is remembered for returns.");
    public static final ParamSpec<Duration> ENDED_ORDER_RETENTION =
            ParamSpec.ofDuration(
                    "ended_order_retention",
                    Duration.ofHours(24),
                    Duration.ofMinutes(1),
                    Duration.ofDays(30),
                    "How long a cancelled, auto-cancelled or returned order is remembered"
                            + " (late payments, stragglers, duplicates).");

    public static final RuleCatalog RULES =
            new RuleCatalog(
                    RuleJob.INVENTORY,
                    List.of(
                            PAYMENT_TIMEOUT,
                            RESELLABLE_RETURN_REASONS,
                            SERVICE_LEVEL,
                            LOW_STOCK_HYSTERESIS,
                            EXPIRY_WARNING,
                            VELOCITY_ALPHA,
                            REORDER_POINT_FIXED,
                            SAFETY_STOCK_FIXED,
                            DEFAULT_LEAD_TIME_DAYS,
                            DEDUP_RETENTION,
                            RETURN_WINDOW,
                            ENDED_ORDER_RETENTION));

    /**
     * Out-of-orderness assumed on the input topics: events of one order or one SKU arrive at most
     * this late. Within it, any arrival order gives the same final levels; beyond it an event is
     * applied on arrival, out of order.
     */
    public static final Duration MAX_OUT_OF_ORDERNESS = Duration.ofSeconds(30);

    /** Kafka partitions with no traffic stop holding back event time after this. */
    public static final Duration SOURCE_IDLENESS = Duration.ofMinutes(1);

    // ---- Event time: one strategy per input, applied per Kafka partition in the source. ----

    /**
     * Order events by event_time, at most {@link #MAX_OUT_OF_ORDERNESS} (30 s) out of order within
     * a partition; a partition quiet for {@link #SOURCE_IDLENESS} (1 min) stops holding time back.
     */
    public static final WatermarkStrategy<OrderEvent> ORDER_WATERMARKS =
            WatermarkStrategy.<OrderEvent>forBoundedOutOfOrderness(MAX_OUT_OF_ORDERNESS)
                    .withTimestampAssigner((e, ts) -> e.getEventTime().toEpochMilli())
                    .withIdleness(SOURCE_IDLENESS);

    /** Stock movements by event_time: 30 s out of order, idle after 1 min, as the orders. */
    public static final WatermarkStrategy<StockMovement> MOVEMENT_WATERMARKS =
            WatermarkStrategy.<StockMovement>forBoundedOutOfOrderness(MAX_OUT_OF_ORDERNESS)
                    .withTimestampAssigner((m, ts) -> m.getEventTime().toEpochMilli())
                    .withIdleness(SOURCE_IDLENESS);

    /**
     * The catalog by updated_at, 30 s out of order. It is compacted and replayed from the start, so
     * its updated_at lags far behind: idleness (1 min) releases it so that it does not hold back
     * the stock function.
     */
    public static final WatermarkStrategy<Product> CATALOG_WATERMARKS =
            WatermarkStrategy.<Product>forBoundedOutOfOrderness(MAX_OUT_OF_ORDERNESS)
                    .withTimestampAssigner((p, ts) -> p.getUpdatedAt().toEpochMilli())
                    .withIdleness(SOURCE_IDLENESS);

    /**
     * Rule sets carry no event time. Their input of the two-input keyed operators must not hold
     * back the watermark, so it is idle from the start. Idle, not the maximum watermark: when the
     * order and movement partitions go idle (a quiet minute), Flink takes the watermark from the
     * inputs still active, and a maximum there would fire every payment timeout at once.
     */
    public static final WatermarkStrategy<RuleUpdate> RULE_WATERMARKS =
            DecodedWatermarks.<RuleUpdate>neverHoldBackTime()
                    .withTimestampAssigner((r, ts) -> Long.MIN_VALUE);

    private InventoryJob() {}

    /** Decoded, validated inputs. */
    public record Inputs(
            DataStream<OrderEvent> orders,
            DataStream<StockMovement> movements,
            DataStream<Product> catalog,
            DataStream<RuleUpdate> rules,
            DataStream<DeadLetter> decodeDeadLetters) {}

    /** Where the job writes. */
    public record Outputs(
            Sink<InventoryLevel> levels,
            Sink<InventoryAlert> alerts,
            Sink<OrderAction> orderActions,
            Sink<DeadLetter> deadLetters) {}

    /** Reads the settings, wires the job against Kafka and runs it. */
    public static void main(String[] args) throws Exception {
        JobLauncher.launch(StorepulseJob.INVENTORY, args, InventoryJob::wireKafka);
    }

    /** Kafka sources (decoded and validated) and exactly-once sinks around {@link #build}. */
    public static void wireKafka(StreamExecutionEnvironment env, StorepulseSettings settings) {
        KafkaIO kafka = new KafkaIO(settings, StorepulseJob.INVENTORY);
        Decoded<OrderEvent> orders =
                kafka.read(env, Topics.ORDERS, ORDER_VALIDATOR, ORDER_WATERMARKS);
        Decoded<StockMovement> movements =
                kafka.read(env, Topics.STOCK_MOVEMENTS, MOVEMENT_VALIDATOR, MOVEMENT_WATERMARKS);
        Decoded<Product> catalog =
                kafka.read(env, Topics.CATALOG, PRODUCT_VALIDATOR, CATALOG_WATERMARKS);
        Decoded<RuleUpdate> rules = kafka.readRules(env, RULES, RULE_WATERMARKS);
        build(
                new Inputs(
                        orders.records(),
                        movements.records(),
                        catalog.records(),
                        rules.records(),
                        orders.deadLetters()
                                .union(
                                        movements.deadLetters(),
                                        catalog.deadLetters(),
                                        rules.deadLetters())),
                new Outputs(
                        kafka.sink(Topics.INVENTORY_LEVELS, InventoryJob::levelKey),
                        kafka.sink(Topics.INVENTORY_ALERTS, InventoryJob::alertKey),
                        kafka.sink(Topics.ORDER_ACTIONS, OrderAction::getOrderId),
                        kafka.deadLetterSink()));
    }

    /** Contract key of inventory-levels: sku@warehouse_id. */
    public static String levelKey(InventoryLevel l) {
        return l.getSku() + "@" + l.getWarehouseId();
    }

    /** Contract key of inventory-alerts: sku@warehouse_id. */
    public static String alertKey(InventoryAlert a) {
        return a.getSku() + "@" + a.getWarehouseId();
    }

    /**
     * Wires the pipeline top to bottom. The inputs are already timestamped and watermarked with the
     * strategies above ({@link KafkaIO#read} does it per Kafka partition; tests apply the same
     * strategies to their own sources).
     */
    public static void build(Inputs in, Outputs out) {
        BroadcastStream<RuleUpdate> rules = in.rules().broadcast(RulesState.DESCRIPTOR);

        SingleOutputStreamOperator<StockChange> orderChanges =
                in.orders()
                        .keyBy(OrderEvent::getOrderId)
                        .connect(rules)
                        .process(new OrderLifecycleFunction())
                        .returns(TypeInformation.of(StockChange.class))
                        .uid("order-lifecycle")
                        .name("Order lifecycle by order_id");

        DataStream<StockChange> movementChanges =
                in.movements()
                        .map(StockChange::ofMovement)
                        .returns(TypeInformation.of(StockChange.class))
                        .uid("stock-movements-to-changes")
                        .name("Stock movements to stock changes");

        DataStream<StockChange> catalogChanges =
                in.catalog()
                        .map(StockChange::ofProduct)
                        .returns(TypeInformation.of(StockChange.class))
                        .uid("catalog-to-changes")
                        .name("Catalog to stock changes");

        SingleOutputStreamOperator<InventoryLevel> levels =
                orderChanges
                        .union(movementChanges, catalogChanges)
                        .keyBy(c -> c.sku)
                        .connect(rules)
                        .process(new StockFunction())
                        .returns(TypeInformation.of(InventoryLevel.class))
                        .uid("stock-by-sku")
                        .name("Stock by SKU: levels and alerts");

        levels.sinkTo(out.levels()).uid("sink-inventory-levels").name("inventory-levels");
        levels.getSideOutput(StockFunction.ALERTS)
                .sinkTo(out.alerts())
                .uid("sink-inventory-alerts")
                .name("inventory-alerts");
        orderChanges
                .getSideOutput(OrderLifecycleFunction.ORDER_ACTIONS)
                .sinkTo(out.orderActions())
                .uid("sink-order-actions")
                .name("order-actions");
        in.decodeDeadLetters()
                .sinkTo(out.deadLetters())
                .uid("sink-dead-letters")
                .name("dead-letters");
    }

    // ---- Validators: impossible inputs go to dead-letters at decode time. ----

    public static final Validator<OrderEvent> ORDER_VALIDATOR = InventoryJob::orderProblem;
    public static final Validator<StockMovement> MOVEMENT_VALIDATOR = InventoryJob::movementProblem;
    public static final Validator<Product> PRODUCT_VALIDATOR = InventoryJob::productProblem;

    /** Why an order event is impossible, or null when it is valid. */
    public static String orderProblem(OrderEvent e) {
        if (e.getType() == null || e.getType() == OrderEventType.UNKNOWN) {
            return "order event type is UNKNOWN";
        }
        if (e.getOrderId() == null || e.getOrderId().isBlank()) {
            return "order_id is empty";
        }
        if (e.getType() == OrderEventType.RETURNED
                && (e.getReturnReason() == null || e.getReturnReason() == ReturnReason.UNKNOWN)) {
            return "RETURNED without a known return_reason";
        }
        if (e.getReturnReason() == ReturnReason.UNKNOWN) {
            return "return_reason is UNKNOWN";
        }
        for (int i = 0; i < e.getLines().size(); i++) {
            OrderLine l = e.getLines().get(i);
            if (l.getWarehouseId() == null || l.getWarehouseId().isBlank()) {
                return "line " + i + " (" + l.getSku() + ") has no warehouse_id";
            }
            if (l.getQuantity() <= 0) {
                return "line " + i + " (" + l.getSku() + ") has quantity " + l.getQuantity();
            }
            if (l.getSku() == null || l.getSku().isBlank()) {
                return "line " + i + " has no sku";
            }
        }
        return null;
    }

    /** Why a stock movement is impossible, or null when it is valid. */
    public static String movementProblem(StockMovement m) {
        if (m.getType() == null || m.getType() == StockMovementType.UNKNOWN) {
            return "stock movement type is UNKNOWN";
        }
        if (m.getWarehouseId() == null || m.getWarehouseId().isBlank()) {
            return "stock movement has no warehouse_id";
        }
        if (m.getSku() == null || m.getSku().isBlank()) {
            return "stock movement has no sku";
        }
        return switch (m.getType()) {
            case RESTOCK, TRANSFER_IN, TRANSFER_OUT ->
                    m.getQuantity() <= 0
                            ? m.getType() + " quantity must be positive, was " + m.getQuantity()
                            : null;
            case COUNT ->
                    m.getQuantity() < 0 ? "COUNT of " + m.getQuantity() + " is negative" : null;
            default -> null;
        };
    }

    /** Why a catalog record is impossible, or null when it is valid. */
    public static String productProblem(Product p) {
        if (p.getSku() == null || p.getSku().isBlank()) {
            return "product has no sku";
        }
        if (p.getSupplierLeadTimeDays() < 0) {
            return "supplier_lead_time_days " + p.getSupplierLeadTimeDays() + " is negative";
        }
        return null;
    }
}
