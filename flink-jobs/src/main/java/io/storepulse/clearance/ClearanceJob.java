package io.storepulse.clearance;

import io.storepulse.config.JobLauncher;
import io.storepulse.config.KafkaIO;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.rules.RuleCatalog;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.serde.DeadLetters;
import io.storepulse.serde.Decoded;
import io.storepulse.serde.DecodedWatermarks;
import io.storepulse.serde.Validator;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topics;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.actions.PriceAction;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.Product;
import storepulse.v1.events.RuleJob;

/**
 * Clearance pricing: tiered markdowns for slow movers, overstock and near-expiry lots, with floors,
 * no flapping, and a RESTORE when the reason is gone. See {@code docs/jobs/clearance.md}.
 *
 * <p>Reads {@code orders} (sales), {@code inventory-levels} (stock per SKU and warehouse, from the
 * inventory job), {@code catalog} and {@code rules}; writes {@code price-actions} and {@code
 * dead-letters}. All per-SKU logic is in {@link ClearancePricer}.
 */
public final class ClearanceJob {

    private ClearanceJob() {}

    /**
     * The decoded, validated inputs, and the dead letters their decoding produced (null when there
     * are none, as in tests), which {@link #build} sends on with the job's own.
     */
    public record Inputs(
            DataStream<OrderEvent> orders,
            DataStream<InventoryLevel> levels,
            DataStream<Product> catalog,
            DataStream<RuleUpdate> rules,
            DataStream<DeadLetter> decodeDeadLetters) {}

    /** Where results go; tests hand in their own sinks. */
    public record Outputs(Sink<PriceAction> priceActions, Sink<DeadLetter> deadLetters) {}

    /**
     * How far behind the watermark a sale may still arrive and count. Evaluations of a SKU wait
     * this long in event time, so a sale within it changes nothing that was already decided.
     */
    public static final Duration ALLOWED_LATENESS = Duration.ofHours(1);

    /** Silence after which inventory-levels no longer holds event time back. */
    public static final Duration LEVELS_IDLENESS = Duration.ofMinutes(10);

    /** Every documented rule parameter of this job, with defaults. */
    public static final RuleCatalog RULES = new RuleCatalog(RuleJob.CLEARANCE, ClearanceParams.ALL);

    // ---- Event time: one strategy per input, applied per Kafka partition in the source. ----

    /**
     * Order events come from many shop clients; within a partition they are assumed at most 5
     * minutes out of order (later sales still count within {@link #ALLOWED_LATENESS}; later ones
     * become TOO_LATE dead letters). A partition quiet for 1 minute stops holding time back.
     */
    public static final WatermarkStrategy<OrderEvent> ORDER_WATERMARKS =
            WatermarkStrategy.<OrderEvent>forBoundedOutOfOrderness(Duration.ofMinutes(5))
                    .withTimestampAssigner((e, ts) -> e.getEventTime().toEpochMilli())
                    .withIdleness(Duration.ofMinutes(1));

    /**
     * Levels are written by the inventory job per sku@warehouse in event-time order per key; across
     * keys in a partition 5 minutes of out-of-orderness are allowed. They are another job's output,
     * committed on its checkpoints and late by its processing whenever it catches up (after a
     * restart, or a backlog of history), so only {@link #LEVELS_IDLENESS} of silence stops a
     * partition from holding event time back; a shorter one lets orders run ahead and SKUs be
     * evaluated without their stock.
     */
    public static final WatermarkStrategy<InventoryLevel> LEVEL_WATERMARKS =
            WatermarkStrategy.<InventoryLevel>forBoundedOutOfOrderness(Duration.ofMinutes(5))
                    .withTimestampAssigner((l, ts) -> l.getUpdatedAt().toEpochMilli())
                    .withIdleness(LEVELS_IDLENESS);

    /**
     * The catalog is reference data: a compacted topic whose updated_at can be months old. It must
     * not hold event time back, so it never takes part in the watermark (timestamped by updated_at,
     * always idle; no out-of-orderness applies).
     */
    public static final WatermarkStrategy<Product> CATALOG_WATERMARKS =
            DecodedWatermarks.<Product>neverHoldBackTime()
                    .withTimestampAssigner((p, ts) -> p.getUpdatedAt().toEpochMilli());

    /** Rules apply from the moment they arrive and take no part in the watermark either. */
    public static final WatermarkStrategy<RuleUpdate> RULE_WATERMARKS =
            DecodedWatermarks.neverHoldBackTime();

    /**
     * Wires the pipeline: sales per SKU, the keyed pricer with rules, sinks. The inputs are already
     * timestamped and watermarked with the strategies above ({@link KafkaIO#read} does it per Kafka
     * partition; tests apply the same strategies to their own sources).
     */
    public static void build(Inputs in, Outputs out) {
        DataStream<SkuSignal> sales =
                in.orders()
                        .flatMap(
                                (OrderEvent e, org.apache.flink.util.Collector<SkuSignal> out2) ->
                                        explodeSales(e, out2))
                        .returns(TypeInformation.of(SkuSignal.class))
                        .uid("clearance-sales-by-sku")
                        .name("Sales by SKU");
        DataStream<SkuSignal> levels =
                in.levels()
                        .map(SkuSignal::level)
                        .returns(TypeInformation.of(SkuSignal.class))
                        .uid("clearance-levels-by-sku")
                        .name("Levels by SKU");
        DataStream<SkuSignal> products =
                in.catalog()
                        .map(SkuSignal::product)
                        .returns(TypeInformation.of(SkuSignal.class))
                        .uid("clearance-products-by-sku")
                        .name("Products by SKU");
        BroadcastStream<RuleUpdate> rules = in.rules().broadcast(RulesState.DESCRIPTOR);

        SingleOutputStreamOperator<PriceAction> actions =
                sales.union(levels, products)
                        .keyBy(SkuSignal::getSku, Types.STRING)
                        .connect(rules)
                        .process(new ClearancePricer())
                        .returns(TypeInformation.of(PriceAction.class))
                        .uid("clearance-pricer")
                        .name("Clearance pricer");

        actions.sinkTo(out.priceActions()).uid("price-actions-sink").name("price-actions");
        DataStream<DeadLetter> deadLetters = actions.getSideOutput(DeadLetters.TAG);
        if (in.decodeDeadLetters() != null) {
            deadLetters = deadLetters.union(in.decodeDeadLetters());
        }
        deadLetters
                .sinkTo(out.deadLetters())
                .uid("clearance-dead-letters-sink")
                .name("dead-letters");
    }

    /** Reads the four inputs from Kafka, builds the pipeline and runs it. */
    public static void main(String[] args) throws Exception {
        JobLauncher.launch(StorepulseJob.CLEARANCE, args, ClearanceJob::wireKafka);
    }

    /** Kafka sources (decoded and validated) and exactly-once sinks around {@link #build}. */
    public static void wireKafka(StreamExecutionEnvironment env, StorepulseSettings settings) {
        build(env, new KafkaIO(settings, StorepulseJob.CLEARANCE));
    }

    /** The Kafka wiring of {@link #main}, also used by the Kafka integration test. */
    public static void build(StreamExecutionEnvironment env, KafkaIO kafka) {
        Decoded<OrderEvent> orders =
                kafka.read(env, Topics.ORDERS, ORDER_VALIDATOR, ORDER_WATERMARKS);
        Decoded<InventoryLevel> levels =
                kafka.read(env, Topics.INVENTORY_LEVELS, LEVEL_VALIDATOR, LEVEL_WATERMARKS);
        Decoded<Product> catalog =
                kafka.read(env, Topics.CATALOG, CATALOG_VALIDATOR, CATALOG_WATERMARKS);
        Decoded<RuleUpdate> rules = kafka.readRules(env, RULES, RULE_WATERMARKS);
        DataStream<DeadLetter> decodeDeadLetters =
                orders.deadLetters()
                        .union(levels.deadLetters(), catalog.deadLetters(), rules.deadLetters());
        build(
                new Inputs(
                        orders.records(),
                        levels.records(),
                        catalog.records(),
                        rules.records(),
                        decodeDeadLetters),
                new Outputs(
                        kafka.sink(Topics.PRICE_ACTIONS, PriceAction::getSku),
                        kafka.deadLetterSink()));
    }

    /** Impossible orders: no lines, a line without SKU, or a non-positive quantity. */
    public static final Validator<OrderEvent> ORDER_VALIDATOR =
            o -> {
                if (o.getLines() == null || o.getLines().isEmpty()) {
                    return "order event " + o.getEventId() + " has no lines";
                }
                for (OrderLine line : o.getLines()) {
                    if (line.getSku() == null || line.getSku().isBlank()) {
                        return "order event " + o.getEventId() + " has a line without sku";
                    }
                    if (line.getQuantity() <= 0) {
                        return "order event "
                                + o.getEventId()
                                + " has quantity "
                                + line.getQuantity()
                                + " for "
                                + line.getSku();
                    }
                }
                return null;
            };

    /** Impossible stock levels: no SKU or warehouse, negative on hand. */
    public static final Validator<InventoryLevel> LEVEL_VALIDATOR =
            l -> {
                if (l.getSku() == null || l.getSku().isBlank() || l.getWarehouseId() == null) {
                    return "inventory level without sku or warehouse";
                }
                if (l.getOnHand() < 0) {
                    return "on_hand " + l.getOnHand() + " of " + l.getSku() + " is negative";
                }
                return null;
            };

    /** Impossible catalog records: see {@link #catalogProblem}. The SKU stays unpriced. */
    public static final Validator<Product> CATALOG_VALIDATOR = ClearanceJob::catalogProblem;

    /**
     * One sale signal per SKU of a PLACED (positive units) or CANCELLED (negative units) order
     * event; lines of the same SKU are summed. Other order events do not change units sold.
     */
    static void explodeSales(OrderEvent e, org.apache.flink.util.Collector<SkuSignal> out) {
        int sign;
        if (e.getType() == OrderEventType.PLACED) {
            sign = 1;
        } else if (e.getType() == OrderEventType.CANCELLED) {
            sign = -1;
        } else {
            return;
        }
        Map<String, Long> units = new LinkedHashMap<>();
        for (OrderLine line : e.getLines()) {
            if (line.getQuantity() > 0) {
                units.merge(line.getSku(), (long) line.getQuantity(), Long::sum);
            }
        }
        long at = e.getEventTime().toEpochMilli();
        units.forEach((sku, n) -> out.collect(SkuSignal.sale(sku, e.getEventId(), sign * n, at)));
    }

    /**
     * Why a catalog record cannot be priced, or null when it can: a negative or zero list price, a
     * negative cost or min_price, or a min_price above list.
     */
    public static String catalogProblem(Product p) {
        if (p.getSku() == null || p.getSku().isBlank()) {
            return "product without sku";
        }
        BigDecimal list = p.getListPrice();
        if (list == null || list.signum() <= 0) {
            return "list_price " + list + " of " + p.getSku() + " is not positive";
        }
        if (p.getUnitCost() == null || p.getUnitCost().signum() < 0) {
            return "unit_cost " + p.getUnitCost() + " of " + p.getSku() + " is negative";
        }
        if (p.getMinPrice() == null || p.getMinPrice().signum() < 0) {
            return "min_price " + p.getMinPrice() + " of " + p.getSku() + " is negative";
        }
        if (p.getMinPrice().compareTo(list) > 0) {
            return "min_price "
                    + p.getMinPrice()
                    + " of "
                    + p.getSku()
                    + " is above list_price "
                    + list;
        }
        return null;
    }
}
