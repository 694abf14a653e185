package io.storepulse.metrics;

import io.storepulse.config.JobLauncher;
import io.storepulse.config.KafkaIO;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.rules.ParamSpec;
import io.storepulse.rules.RuleCatalog;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.serde.DeadLetters;
import io.storepulse.serde.Decoded;
import io.storepulse.serde.FutureEventTime;
import io.storepulse.serde.Validator;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.ReturnInsight;
import storepulse.v1.actions.SkuQuadrant;
import storepulse.v1.common.ReturnReason;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.CartEventType;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.PageType;
import storepulse.v1.events.Product;
import storepulse.v1.events.RuleJob;

/**
 * The metrics job: the conversion funnel per minute and per running day for the wallboard ({@code
 * conversion-metrics}), each SKU's sales x margin quadrant ({@code sku-quadrants}) and its return
 * reasons ({@code return-insights}). See {@code docs/jobs/metrics.md} for every figure's exact
 * definition.
 */
public final class MetricsJob {

    // ---- Rules (RuleSet.params of job METRICS) ----

    public static final ParamSpec<Duration> ALLOWED_LATENESS =
            ParamSpec.ofDuration(
                    "allowed_lateness",
                    Duration.ofMinutes(5),
                    Duration.ZERO,
                    Duration.ofHours(1),
                    "How long after a 1-minute window closed late events still correct it.");
    public static final ParamSpec<String> DAY_TIME_ZONE =
            ParamSpec.ofZone(
                    "day_time_zone",
                    "UTC",
                    "IANA time zone of the calendar day of the running DAY windows.");
    public static final ParamSpec<String> CURRENCY =
            ParamSpec.ofString(
                    "currency",
                    "EUR",
                    "The shop's ISO 4217 currency; orders in another currency go to dead letters.");
    public static final ParamSpec<Long> QUADRANT_HIGH_SALES_UNITS =
            ParamSpec.ofLong(
                    "quadrant_high_sales_units_7d",
                    50,
                    1,
                    1_000_000_000L,
                    "Units over 7 days from which a SKU counts as high sales.");
    public static final ParamSpec<Double> QUADRANT_HIGH_MARGIN_RATE =
            ParamSpec.ofDouble(
                    "quadrant_high_margin_rate",
                    0.30,
                    -1.0,
                    1.0,
                    "Margin rate (margin / revenue) from which a SKU counts as high margin.");
    public static final ParamSpec<Integer> RETURN_ALERT_MIN_RETURNS =
            ParamSpec.ofInt(
                    "return_alert_min_returns",
                    20,
                    1,
                    1_000_000,
                    "Returns over 30 days a SKU needs before a return reason can raise an alert.");

    /**
     * Per return reason, the share of returns above which it raises an alert:
     * return_alert_share_wrong_size (default 0.30) and, at 1.0 (never), the other reasons.
     */
    public static final Map<ReturnReason, ParamSpec<Double>> RETURN_ALERT_SHARES = returnShares();

    public static final RuleCatalog RULES = new RuleCatalog(RuleJob.METRICS, ruleParams());

    // ---- Event time ----

    /**
     * Shops' producers send events in order within seconds; 10 s covers their clocks and retries.
     */
    public static final Duration OUT_OF_ORDERNESS = Duration.ofSeconds(10);

    /** A partition quiet for this long no longer holds event time back. */
    public static final Duration IDLENESS = Duration.ofMinutes(1);

    // ---- One strategy per input, applied per Kafka partition in the source ----

    /** Page views by event_time: 10 s out of order within a partition, idle after 1 min. */
    public static final WatermarkStrategy<BrowseEvent> BROWSE_WATERMARKS =
            WatermarkStrategy.<BrowseEvent>forBoundedOutOfOrderness(OUT_OF_ORDERNESS)
                    .withTimestampAssigner((e, ts) -> e.getEventTime().toEpochMilli())
                    .withIdleness(IDLENESS);

    /** Cart events by event_time: 10 s out of order within a partition, idle after 1 min. */
    public static final WatermarkStrategy<CartEvent> CART_WATERMARKS =
            WatermarkStrategy.<CartEvent>forBoundedOutOfOrderness(OUT_OF_ORDERNESS)
                    .withTimestampAssigner((e, ts) -> e.getEventTime().toEpochMilli())
                    .withIdleness(IDLENESS);

    /** Order events by event_time: 10 s out of order within a partition, idle after 1 min. */
    public static final WatermarkStrategy<OrderEvent> ORDER_WATERMARKS =
            WatermarkStrategy.<OrderEvent>forBoundedOutOfOrderness(OUT_OF_ORDERNESS)
                    .withTimestampAssigner((e, ts) -> e.getEventTime().toEpochMilli())
                    .withIdleness(IDLENESS);

    /**
     * The catalog carries no event time: timestamped by updated_at, it holds event time back while
     * being read on start-up, then releases it for good once quiet for {@link
     * ReleaseWhenQuiet#QUIET} (10 s); no out-of-orderness applies.
     */
    public static final WatermarkStrategy<Product> CATALOG_WATERMARKS =
            ReleaseWhenQuiet.<Product>strategy()
                    .withTimestampAssigner((p, ts) -> p.getUpdatedAt().toEpochMilli());

    /** Rules carry no event time: held back while read on start-up, then released, as above. */
    public static final WatermarkStrategy<RuleUpdate> RULE_WATERMARKS = ReleaseWhenQuiet.strategy();

    /**
     * Decoded and validated inputs, plus the dead letters their decoding produced (routed to the
     * same dead-letter sink as the job's own; null when there are none, as in tests).
     */
    public record Inputs(
            DataStream<BrowseEvent> browse,
            DataStream<CartEvent> carts,
            DataStream<OrderEvent> orders,
            DataStream<Product> catalog,
            DataStream<RuleUpdate> rules,
            DataStream<DeadLetter> decodeDeadLetters) {}

    public record Outputs(
            Sink<FunnelMetrics> metrics,
            Sink<SkuQuadrant> quadrants,
            Sink<ReturnInsight> returnInsights,
            Sink<DeadLetter> deadLetters) {}

    private MetricsJob() {}

    /**
     * Wires the job top to bottom. The inputs are already timestamped and watermarked with the
     * strategies above ({@link KafkaIO#read} does it per Kafka partition; tests apply the same
     * strategies to their own sources).
     */
    public static void build(Inputs in, Outputs out) {
        // No function of this job changes a record it received or keeps one across calls (state
        // is serialized; facts are copied before the category is set), so chained operators may
        // pass records on without Flink's defensive deep copy. Without object reuse every
        // conversion-metrics record was deep-copied (Avro GenericData.deepCopy) on its way to the
        // sink, and every decoded event on its way to the next operator: about 10 % of the job's
        // CPU in the benchmark's profile.
        in.browse().getExecutionEnvironment().getConfig().enableObjectReuse();
        BroadcastStream<RuleUpdate> rules = in.rules().broadcast(RulesState.DESCRIPTOR);
        TypeInformation<FunnelFact> factType = TypeInformation.of(FunnelFact.class);

        DataStream<Product> catalog = in.catalog();

        // ---- Funnel: browse and carts deduplicated by event id, orders by order transition ----
        DataStream<BrowseEvent> browse =
                in.browse()
                        .keyBy(BrowseEvent::getEventId, Types.STRING)
                        .process(
                                new DedupByEventId<BrowseEvent>(
                                        e -> e.getEventTime().toEpochMilli()),
                                TypeInformation.of(BrowseEvent.class))
                        .uid("metrics-browse-dedup")
                        .name("Browse dedup");
        SingleOutputStreamOperator<BrowseEvent> browseInTime =
                browse.connect(rules)
                        .process(
                                new LatenessGate<BrowseEvent>(
                                        "browse",
                                        e -> e.getEventTime().toEpochMilli(),
                                        BrowseEvent::getVisitorId,
                                        BrowseEvent::getEventId,
                                        null),
                                TypeInformation.of(BrowseEvent.class))
                        .uid("metrics-browse-lateness-gate")
                        .name("Browse lateness gate");

        DataStream<CartEvent> carts =
                in.carts()
                        .keyBy(CartEvent::getEventId, Types.STRING)
                        .process(
                                new DedupByEventId<CartEvent>(e -> e.getEventTime().toEpochMilli()),
                                TypeInformation.of(CartEvent.class))
                        .uid("metrics-carts-dedup")
                        .name("Cart dedup");
        SingleOutputStreamOperator<CartEvent> cartsInTime =
                carts.connect(rules)
                        .process(
                                new LatenessGate<CartEvent>(
                                        "carts",
                                        e -> e.getEventTime().toEpochMilli(),
                                        CartEvent::getUserId,
                                        CartEvent::getEventId,
                                        null),
                                TypeInformation.of(CartEvent.class))
                        .uid("metrics-carts-lateness-gate")
                        .name("Cart lateness gate");

        DataStream<OrderEvent> transitions =
                in.orders()
                        .keyBy(OrderEvent::getOrderId, Types.STRING)
                        .process(new OrderTransitions(), TypeInformation.of(OrderEvent.class))
                        .uid("metrics-order-transitions")
                        .name("Order transitions (first of each type)");
        SingleOutputStreamOperator<OrderEvent> placedInTime =
                transitions
                        .filter(e -> e.getType() == OrderEventType.PLACED)
                        .uid("metrics-placed-orders")
                        .name("Placed orders")
                        .connect(rules)
                        .process(
                                new LatenessGate<OrderEvent>(
                                        "orders",
                                        e -> e.getEventTime().toEpochMilli(),
                                        OrderEvent::getOrderId,
                                        OrderEvent::getEventId,
                                        MetricsJob::currencyProblem),
                                TypeInformation.of(OrderEvent.class))
                        .uid("metrics-orders-lateness-gate")
                        .name("Order lateness gate");

        DataStream<FunnelFact> facts =
                browseInTime
                        .map(FunnelFacts::fromBrowse, factType)
                        .uid("metrics-browse-facts")
                        .name("Browse facts")
                        .union(
                                cartsInTime
                                        .map(FunnelFacts::fromCart, factType)
                                        .uid("metrics-cart-facts")
                                        .name("Cart facts"),
                                placedInTime
                                        .<FunnelFact>flatMap(
                                                (e, o) ->
                                                        FunnelFacts.fromOrder(e)
                                                                .forEach(o::collect),
                                                factType)
                                        .uid("metrics-order-facts")
                                        .name("Order line facts"));

        KeyedStream<Product, String> catalogBySku = catalog.keyBy(Product::getSku, Types.STRING);
        DataStream<FunnelFact> categorised =
                facts.filter(f -> f.sku != null)
                        .uid("metrics-facts-with-sku")
                        .name("Facts with a SKU")
                        .keyBy(f -> f.sku, Types.STRING)
                        .connect(catalogBySku)
                        .process(new CategoryEnricher(), factType)
                        .uid("metrics-category-enricher")
                        .name("Category from catalog")
                        .union(
                                facts.filter(f -> f.sku == null)
                                        .uid("metrics-facts-without-sku")
                                        .name("Facts without a SKU"));

        SingleOutputStreamOperator<FunnelMetrics> metrics =
                categorised
                        .<DimFact>flatMap(
                                (f, o) -> FunnelFacts.dimensions(f).forEach(o::collect),
                                TypeInformation.of(DimFact.class))
                        .uid("metrics-dimension-fan-out")
                        .name("Fan out to ALL, CHANNEL, CATEGORY, SKU")
                        .keyBy(DimFact::key, Types.STRING)
                        .connect(rules)
                        .process(new FunnelAggregator(), TypeInformation.of(FunnelMetrics.class))
                        .uid("metrics-funnel-aggregator")
                        .name("Funnel per minute and day");
        metrics.sinkTo(out.metrics()).uid("sink-conversion-metrics").name("conversion-metrics");

        // ---- Merchandising: quadrants and returns per SKU ----
        KeyedStream<SkuSignal, String> signals =
                transitions
                        .<SkuSignal>flatMap(
                                (e, o) -> SkuSignal.lines(e).forEach(o::collect),
                                TypeInformation.of(SkuSignal.class))
                        .uid("metrics-sku-order-signals")
                        .name("Order lines per SKU")
                        .union(
                                catalog.map(SkuSignal::catalog, TypeInformation.of(SkuSignal.class))
                                        .uid("metrics-sku-catalog-signals")
                                        .name("Catalog per SKU"))
                        .keyBy(s -> s.sku, Types.STRING);
        signals.connect(rules)
                .process(new SkuQuadrantFunction(), TypeInformation.of(SkuQuadrant.class))
                .uid("metrics-sku-quadrants")
                .name("SKU quadrants (7 days)")
                .sinkTo(out.quadrants())
                .uid("sink-sku-quadrants")
                .name("sku-quadrants");
        signals.connect(rules)
                .process(new ReturnInsightFunction(), TypeInformation.of(ReturnInsight.class))
                .uid("metrics-return-insights")
                .name("Return insights (30 days)")
                .sinkTo(out.returnInsights())
                .uid("sink-return-insights")
                .name("return-insights");

        // ---- Dead letters: undecodable or impossible inputs, too late for the funnel, or
        // clashing with the rules ----
        DataStream<DeadLetter> deadLetters =
                browseInTime
                        .getSideOutput(DeadLetters.TAG)
                        .union(
                                cartsInTime.getSideOutput(DeadLetters.TAG),
                                placedInTime.getSideOutput(DeadLetters.TAG),
                                metrics.getSideOutput(DeadLetters.TAG));
        if (in.decodeDeadLetters() != null) {
            deadLetters = deadLetters.union(in.decodeDeadLetters());
        }
        deadLetters.sinkTo(out.deadLetters()).uid("sink-dead-letters").name("dead-letters");
    }

    // ---- Validators: impossible values go to dead letters at decode time ----

    public static final Validator<BrowseEvent> BROWSE_VALIDATOR = MetricsJob::browseProblem;
    public static final Validator<CartEvent> CART_VALIDATOR = MetricsJob::cartProblem;
    public static final Validator<OrderEvent> ORDER_VALIDATOR = MetricsJob::orderProblem;
    public static final Validator<Product> PRODUCT_VALIDATOR = MetricsJob::productProblem;

    /**
     * Reads the settings (bootstrap servers, registry, checkpointing: see StorepulseSettings), the
     * five inputs and writes the three outputs and dead-letters, exactly once.
     */
    public static void main(String[] args) throws Exception {
        JobLauncher.launch(StorepulseJob.METRICS, args, MetricsJob::wireKafka);
    }

    /** The job on its Kafka topics, without executing it (main and the Kafka ITCase share it). */
    public static void wireKafka(StreamExecutionEnvironment env, StorepulseSettings settings) {
        KafkaIO io = new KafkaIO(settings, StorepulseJob.METRICS);
        Decoded<BrowseEvent> browse =
                io.read(env, Topics.BROWSE, BROWSE_VALIDATOR, BROWSE_WATERMARKS);
        Decoded<CartEvent> carts = io.read(env, Topics.CARTS, CART_VALIDATOR, CART_WATERMARKS);
        Decoded<OrderEvent> orders = io.read(env, Topics.ORDERS, ORDER_VALIDATOR, ORDER_WATERMARKS);
        Decoded<Product> catalog =
                io.read(env, Topics.CATALOG, PRODUCT_VALIDATOR, CATALOG_WATERMARKS);
        Decoded<RuleUpdate> rules = io.readRules(env, RULES, RULE_WATERMARKS);
        build(
                new Inputs(
                        browse.records(),
                        carts.records(),
                        orders.records(),
                        catalog.records(),
                        rules.records(),
                        browse.deadLetters()
                                .union(
                                        carts.deadLetters(),
                                        orders.deadLetters(),
                                        catalog.deadLetters(),
                                        rules.deadLetters())),
                new Outputs(
                        io.sink(Topics.CONVERSION_METRICS, FunnelAggregator::key),
                        io.sink(Topics.SKU_QUADRANTS, SkuQuadrant::getSku),
                        io.sink(Topics.RETURN_INSIGHTS, ReturnInsight::getSku),
                        io.deadLetterSink()));
    }

    /** Why a browse event is impossible, or null. */
    public static String browseProblem(BrowseEvent e) {
        List<String> p = new ArrayList<>();
        blank(p, "event_id", e.getEventId());
        blank(p, "visitor_id", e.getVisitorId());
        blank(p, "channel", e.getChannel());
        future(p, e.getEventTime());
        if (e.getPageType() == PageType.PRODUCT && isBlank(e.getSku())) {
            p.add("a PRODUCT page view needs a sku");
        }
        return join(p);
    }

    /** Why a cart event is impossible, or null. */
    public static String cartProblem(CartEvent e) {
        List<String> p = new ArrayList<>();
        blank(p, "event_id", e.getEventId());
        blank(p, "user_id", e.getUserId());
        blank(p, "channel", e.getChannel());
        future(p, e.getEventTime());
        if (e.getType() == CartEventType.ADD || e.getType() == CartEventType.REMOVE) {
            blank(p, "sku", e.getSku());
            if (e.getQuantity() <= 0) {
                p.add("quantity " + e.getQuantity() + " must be positive for " + e.getType());
            }
        }
        if (e.getUnitPrice() != null && e.getUnitPrice().signum() < 0) {
            p.add("unit_price " + e.getUnitPrice() + " is negative");
        }
        return join(p);
    }

    /** Why an order event is impossible, or null. */
    public static String orderProblem(OrderEvent e) {
        List<String> p = new ArrayList<>();
        blank(p, "event_id", e.getEventId());
        blank(p, "order_id", e.getOrderId());
        blank(p, "user_id", e.getUserId());
        blank(p, "channel", e.getChannel());
        future(p, e.getEventTime());
        if (e.getCurrency() == null || !e.getCurrency().matches("[A-Z]{3}")) {
            p.add("currency '" + e.getCurrency() + "' is not an ISO 4217 code");
        }
        if (e.getLines().isEmpty()) {
            p.add("an order needs at least one line");
        }
        for (OrderLine line : e.getLines()) {
            blank(p, "line sku", line.getSku());
            if (line.getQuantity() <= 0) {
                p.add(
                        "line "
                                + line.getSku()
                                + " quantity "
                                + line.getQuantity()
                                + " is not positive");
            }
            if (line.getUnitPrice().signum() < 0) {
                p.add(
                        "line "
                                + line.getSku()
                                + " unit_price "
                                + line.getUnitPrice()
                                + " is negative");
            }
            if (line.getUnitCost().signum() < 0) {
                p.add(
                        "line "
                                + line.getSku()
                                + " unit_cost "
                                + line.getUnitCost()
                                + " is negative");
            }
        }
        if (e.getOrderTotal().signum() < 0) {
            p.add("order_total " + e.getOrderTotal() + " is negative");
        }
        return join(p);
    }

    /** Why a catalog record is impossible, or null. */
    public static String productProblem(Product e) {
        List<String> p = new ArrayList<>();
        blank(p, "sku", e.getSku());
        blank(p, "category", e.getCategory());
        if (e.getUnitCost().signum() < 0) {
            p.add("unit_cost " + e.getUnitCost() + " is negative");
        }
        if (e.getListPrice().signum() < 0) {
            p.add("list_price " + e.getListPrice() + " is negative");
        }
        return join(p);
    }

    /** An order in another currency than the shop's cannot be added to its GMV. */
    static String currencyProblem(OrderEvent e, io.storepulse.rules.ResolvedRules rules) {
        String shop = rules.get(CURRENCY);
        return shop.equals(e.getCurrency())
                ? null
                : "order currency " + e.getCurrency() + " is not the shop currency " + shop;
    }

    private static void blank(List<String> problems, String field, String value) {
        if (isBlank(value)) {
            problems.add(field + " is empty");
        }
    }

    /**
     * Events stamped further than {@link FutureEventTime#MAX_FUTURE_SKEW} into the future (by the
     * wall clock at decoding) are impossible; the check is shared with the engagement job.
     */
    private static void future(List<String> problems, Instant eventTime) {
        String problem = FutureEventTime.problem(eventTime);
        if (problem != null) {
            problems.add(problem);
        }
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    private static String join(List<String> problems) {
        return problems.isEmpty() ? null : String.join("; ", problems);
    }

    private static Map<ReturnReason, ParamSpec<Double>> returnShares() {
        Map<ReturnReason, ParamSpec<Double>> m = new EnumMap<>(ReturnReason.class);
        for (ReturnReason r : ReturnReason.values()) {
            if (r == ReturnReason.UNKNOWN) {
                continue;
            }
            m.put(
                    r,
                    ParamSpec.ofDouble(
                            "return_alert_share_" + r.name().toLowerCase(Locale.ROOT),
                            r == ReturnReason.WRONG_SIZE ? 0.30 : 1.0,
                            0.0,
                            1.0,
                            "Share of returns with reason "
                                    + r
                                    + " above which it raises an alert (1.0: never)."));
        }
        return Collections.unmodifiableMap(m);
    }

    private static List<ParamSpec<?>> ruleParams() {
        List<ParamSpec<?>> params = new ArrayList<>();
        params.add(ALLOWED_LATENESS);
        params.add(DAY_TIME_ZONE);
        params.add(CURRENCY);
        params.add(QUADRANT_HIGH_SALES_UNITS);
        params.add(QUADRANT_HIGH_MARGIN_RATE);
        params.add(RETURN_ALERT_MIN_RETURNS);
        params.addAll(RETURN_ALERT_SHARES.values());
        return List.copyOf(params);
    }
}
