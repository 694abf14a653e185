package io.storepulse.bench;

import io.storepulse.config.KafkaIO;
import io.storepulse.metrics.ReleaseWhenQuiet;
import io.storepulse.serde.Decoded;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.Collector;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DimensionType;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.actions.WindowType;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.Product;
import storepulse.v1.events.StockMovement;

/**
 * The baseline and peer pipelines of the suite. All read through {@link KafkaIO} (same source, same
 * decode step, same exactly-once sink) as the jobs do.
 */
public final class Pipelines {

    /** The pre-loaded event topics; throughput is counted over the ones a pipeline reads. */
    public static final List<Topic<?>> EVENT_TOPICS =
            List.of(Topics.BROWSE, Topics.CARTS, Topics.ORDERS, Topics.STOCK_MOVEMENTS);

    public static final Topic<PassThrough> PASS_THROUGH =
            new Topic<>(
                    "bench-pass-through",
                    "event_id",
                    PassThrough.class,
                    6,
                    false,
                    -1,
                    Topic.Direction.OUTPUT);
    public static final Topic<FunnelMetrics> SQL_METRICS =
            new Topic<>(
                    "bench-sql-conversion-metrics",
                    "dimension_type:dimension_value@window_start",
                    FunnelMetrics.class,
                    3,
                    false,
                    -1,
                    Topic.Direction.OUTPUT);
    public static final Topic<InventoryLevel> SQL_LEVELS =
            new Topic<>(
                    "bench-sql-inventory-levels",
                    "sku@warehouse_id",
                    InventoryLevel.class,
                    6,
                    false,
                    -1,
                    Topic.Direction.OUTPUT);

    private Pipelines() {}

    private static final TypeInformation<PassThrough> PASS_TYPE =
            new AvroTypeInfo<>(PassThrough.class);

    /**
     * Ceiling: every event topic through the same source and decode, no state, one small record per
     * input to an exactly-once sink.
     */
    public static void ceiling(
            StreamExecutionEnvironment env, KafkaIO io, List<Topic<?>> topics, String meterPrefix) {
        List<DataStream<DeadLetter>> dls = new ArrayList<>();
        DataStream<PassThrough> out = null;
        for (Topic<?> t : topics) {
            DataStream<PassThrough> s =
                    metered(env, io, t, meterPrefix, dls)
                            .map(Pipelines::passThrough)
                            .returns(PASS_TYPE)
                            .uid("pass-" + t.name())
                            .name("pass " + t.name());
            out = out == null ? s : out.union(s);
        }
        out.sinkTo(io.sink(PASS_THROUGH, PassThrough::getEventId))
                .uid("sink-pass-through")
                .name("sink pass-through");
        sinkDeadLetters(io, dls);
    }

    /**
     * Keyed baseline for the scaling runs: like the ceiling, but keyed by the record key (visitor,
     * user, order, SKU) with one RocksDB value per key, so state grows with distinct keys.
     */
    public static void keyedBaseline(
            StreamExecutionEnvironment env, KafkaIO io, List<Topic<?>> topics, String meterPrefix) {
        List<DataStream<DeadLetter>> dls = new ArrayList<>();
        DataStream<PassThrough> out = null;
        for (Topic<?> t : topics) {
            @SuppressWarnings("unchecked")
            DataStream<SpecificRecord> in =
                    (DataStream<SpecificRecord>) metered(env, io, t, meterPrefix, dls);
            DataStream<PassThrough> s =
                    in.keyBy(Pipelines::recordKey, Types.STRING)
                            .process(new CountPerKey())
                            .returns(PASS_TYPE)
                            .uid("count-per-key-" + t.name())
                            .name("count per key " + t.name());
            out = out == null ? s : out.union(s);
        }
        out.sinkTo(io.sink(PASS_THROUGH, PassThrough::getEventId))
                .uid("sink-pass-through")
                .name("sink pass-through");
        sinkDeadLetters(io, dls);
    }

    static final class CountPerKey
            extends KeyedProcessFunction<String, SpecificRecord, PassThrough> {
        static final ValueStateDescriptor<Long> SEEN =
                new ValueStateDescriptor<>("seen", Types.LONG);
        private transient ValueState<Long> seen;

        @Override
        public void open(OpenContext ctx) {
            seen = getRuntimeContext().getState(SEEN);
        }

        @Override
        public void processElement(SpecificRecord r, Context ctx, Collector<PassThrough> out)
                throws Exception {
            Long n = seen.value();
            seen.update(n == null ? 1 : n + 1);
            out.collect(passThrough(r));
        }
    }

    /**
     * Watermark delay of the SQL metrics peer: the metrics job's 10 s out-of-orderness plus its
     * default 5-minute {@code allowed_lateness}. The job corrects a closed minute with events that
     * arrive within that time (a new revision); a SQL window has no allowed lateness, so it waits
     * as long before it closes, and both then count the same events.
     */
    static final String SQL_METRICS_WATERMARK_DELAY = "INTERVAL '310' SECOND(3)";

    /**
     * Flink SQL peer of the conversion metrics: 1-minute tumbling windows by CHANNEL and by
     * CATEGORY of visitors (distinct persons with a browse, cart or order-line fact), orders
     * (distinct PLACED order ids) and GMV (quantity × unit price of the order lines), with the
     * metrics job's definitions, over the same decoded input. The category comes from the catalog
     * through an event-time temporal join with a versioned view of it (the catalog's latest product
     * per SKU as of the fact's time).
     */
    public static void sqlMetricsPeer(
            StreamExecutionEnvironment env, KafkaIO io, String meterPrefix) {
        List<DataStream<DeadLetter>> dls = new ArrayList<>();
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
        tEnv.getConfig().setLocalTimeZone(ZoneOffset.UTC);
        @SuppressWarnings("unchecked")
        DataStream<BrowseEvent> browse =
                (DataStream<BrowseEvent>) metered(env, io, Topics.BROWSE, meterPrefix, dls);
        @SuppressWarnings("unchecked")
        DataStream<CartEvent> carts =
                (DataStream<CartEvent>) metered(env, io, Topics.CARTS, meterPrefix, dls);
        @SuppressWarnings("unchecked")
        DataStream<OrderEvent> orders =
                (DataStream<OrderEvent>) metered(env, io, Topics.ORDERS, meterPrefix, dls);
        Decoded<Product> catalog = io.read(env, Topics.CATALOG, value -> null);
        dls.add(catalog.deadLetters());

        TypeInformation<Row> factType =
                Types.ROW_NAMED(
                        new String[] {
                            "channel",
                            "sku",
                            "own_category",
                            "person",
                            "order_id",
                            "line_value",
                            "ts"
                        },
                        Types.STRING,
                        Types.STRING,
                        Types.STRING,
                        Types.STRING,
                        Types.STRING,
                        Types.BIG_DEC,
                        Types.LONG);
        DataStream<Row> browseFacts =
                browse.map(
                                b ->
                                        Row.of(
                                                b.getChannel(),
                                                b.getSku(),
                                                b.getCategory(),
                                                b.getUserId() != null
                                                        ? "u:" + b.getUserId()
                                                        : "v:" + b.getVisitorId(),
                                                null,
                                                null,
                                                b.getEventTime().toEpochMilli()))
                        .returns(factType)
                        .uid("sql-browse-facts")
                        .name("browse facts");
        DataStream<Row> cartFacts =
                carts.map(
                                c ->
                                        Row.of(
                                                c.getChannel(),
                                                c.getSku(),
                                                null,
                                                "u:" + c.getUserId(),
                                                null,
                                                null,
                                                c.getEventTime().toEpochMilli()))
                        .returns(factType)
                        .uid("sql-cart-facts")
                        .name("cart facts");
        DataStream<Row> lineFacts =
                orders.filter(o -> o.getType() == OrderEventType.PLACED)
                        .uid("sql-placed-orders")
                        .name("placed orders")
                        .flatMap(
                                (OrderEvent o, Collector<Row> out) -> {
                                    for (OrderLine l : o.getLines()) {
                                        out.collect(
                                                Row.of(
                                                        o.getChannel(),
                                                        l.getSku(),
                                                        null,
                                                        "u:" + o.getUserId(),
                                                        o.getOrderId(),
                                                        l.getUnitPrice()
                                                                .multiply(
                                                                        BigDecimal.valueOf(
                                                                                l.getQuantity())),
                                                        o.getEventTime().toEpochMilli()));
                                    }
                                })
                        .returns(factType)
                        .uid("sql-line-facts")
                        .name("order line facts");
        // The catalog carries no event time of its own: it holds event time back while it is
        // read and then goes idle, exactly as in the metrics job, so that the temporal join knows
        // every product before it lets the first fact through.
        DataStream<Row> products =
                catalog.records()
                        .map(
                                p ->
                                        Row.of(
                                                p.getSku(),
                                                p.getCategory(),
                                                p.getUpdatedAt().toEpochMilli()))
                        .returns(
                                Types.ROW_NAMED(
                                        new String[] {"sku", "category", "ts"},
                                        Types.STRING,
                                        Types.STRING,
                                        Types.LONG))
                        .uid("sql-catalog-rows")
                        .name("catalog rows")
                        .assignTimestampsAndWatermarks(
                                ReleaseWhenQuiet.<Row>strategy()
                                        .withTimestampAssigner((r, ts) -> (Long) r.getField("ts")))
                        .uid("sql-catalog-watermarks")
                        .name("catalog: released when quiet");
        tEnv.createTemporaryView(
                "facts",
                tEnv.fromDataStream(
                        browseFacts.union(cartFacts, lineFacts),
                        Schema.newBuilder()
                                .columnByExpression("rowtime", "TO_TIMESTAMP_LTZ(ts, 3)")
                                .watermark("rowtime", "rowtime - " + SQL_METRICS_WATERMARK_DELAY)
                                .build()));
        tEnv.createTemporaryView(
                "catalog",
                tEnv.fromDataStream(
                        products,
                        Schema.newBuilder()
                                .columnByMetadata("rowtime", "TIMESTAMP_LTZ(3)")
                                .watermark("rowtime", "SOURCE_WATERMARK()")
                                .build()));
        tEnv.createTemporaryView(
                "product_versions",
                tEnv.sqlQuery(
                        "SELECT sku, category, rowtime FROM ("
                                + " SELECT *, ROW_NUMBER() OVER (PARTITION BY sku ORDER BY rowtime DESC) AS rn"
                                + " FROM catalog) WHERE rn = 1"));
        tEnv.createTemporaryView(
                "enriched",
                tEnv.sqlQuery(
                        "SELECT f.channel,"
                                + " COALESCE(p.category, f.own_category,"
                                + "   CASE WHEN f.sku IS NOT NULL THEN 'unknown' END) AS category,"
                                + " f.person, f.order_id, f.line_value, f.rowtime"
                                + " FROM facts AS f"
                                + " LEFT JOIN product_versions FOR SYSTEM_TIME AS OF f.rowtime AS p"
                                + " ON f.sku = p.sku"));
        Table metrics =
                tEnv.sqlQuery(
                        "SELECT window_start, window_end, 'CHANNEL' AS dimension_type,"
                                + " channel AS dimension_value,"
                                + " COUNT(DISTINCT person) AS visitors,"
                                + " COUNT(DISTINCT order_id) AS orders,"
                                + " SUM(line_value) AS gmv"
                                + " FROM TABLE(TUMBLE(TABLE enriched, DESCRIPTOR(rowtime), INTERVAL '1' MINUTE))"
                                + " GROUP BY window_start, window_end, channel"
                                + " UNION ALL"
                                + " SELECT window_start, window_end, 'CATEGORY' AS dimension_type,"
                                + " category AS dimension_value,"
                                + " COUNT(DISTINCT person) AS visitors,"
                                + " COUNT(DISTINCT order_id) AS orders,"
                                + " SUM(line_value) AS gmv"
                                + " FROM TABLE(TUMBLE(TABLE enriched, DESCRIPTOR(rowtime), INTERVAL '1' MINUTE))"
                                + " WHERE category IS NOT NULL"
                                + " GROUP BY window_start, window_end, category");
        tEnv.toDataStream(metrics)
                .map(Pipelines::funnelMetrics)
                .returns(new AvroTypeInfo<>(FunnelMetrics.class))
                .uid("sql-to-funnel-metrics")
                .name("to FunnelMetrics")
                .sinkTo(
                        io.sink(
                                SQL_METRICS,
                                new JobTarget.KeyFromDescription<>(SQL_METRICS.keyDescription())))
                .uid("sink-sql-metrics")
                .name("sink sql metrics");
        sinkDeadLetters(io, dls);
    }

    /**
     * Flink SQL peer of inventory levels: on hand and reserved per SKU and warehouse as a {@code
     * GROUP BY} upsert over stock movements and order lines. Simpler than the job (no stock counts
     * resetting on hand, no velocity or cover), so it is a lower bound on the work.
     */
    public static void sqlInventoryPeer(
            StreamExecutionEnvironment env, KafkaIO io, String meterPrefix) {
        List<DataStream<DeadLetter>> dls = new ArrayList<>();
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
        tEnv.getConfig().setLocalTimeZone(ZoneOffset.UTC);
        @SuppressWarnings("unchecked")
        DataStream<StockMovement> moves =
                (DataStream<StockMovement>)
                        metered(env, io, Topics.STOCK_MOVEMENTS, meterPrefix, dls);
        @SuppressWarnings("unchecked")
        DataStream<OrderEvent> orders =
                (DataStream<OrderEvent>) metered(env, io, Topics.ORDERS, meterPrefix, dls);
        TypeInformation<Row> deltaType =
                Types.ROW_NAMED(
                        new String[] {"sku", "warehouse_id", "d_on_hand", "d_reserved", "ts"},
                        Types.STRING,
                        Types.STRING,
                        Types.LONG,
                        Types.LONG,
                        Types.LONG);
        DataStream<Row> moveDeltas =
                moves.map(
                                m ->
                                        Row.of(
                                                m.getSku(),
                                                m.getWarehouseId(),
                                                (long) onHandDelta(m),
                                                0L,
                                                m.getEventTime().toEpochMilli()))
                        .returns(deltaType)
                        .uid("sql-move-deltas")
                        .name("movement deltas");
        DataStream<Row> lineDeltas =
                orders.flatMap(
                                (OrderEvent o, Collector<Row> out) -> {
                                    for (OrderLine l : o.getLines()) {
                                        long q = l.getQuantity();
                                        long onHand = 0;
                                        long reserved = 0;
                                        switch (o.getType()) {
                                            case PLACED -> reserved = q;
                                            case CANCELLED -> reserved = -q;
                                            case SHIPPED -> {
                                                onHand = -q;
                                                reserved = -q;
                                            }
                                            default -> {
                                                continue;
                                            }
                                        }
                                        out.collect(
                                                Row.of(
                                                        l.getSku(),
                                                        l.getWarehouseId(),
                                                        onHand,
                                                        reserved,
                                                        o.getEventTime().toEpochMilli()));
                                    }
                                })
                        .returns(deltaType)
                        .uid("sql-line-deltas")
                        .name("order line deltas");
        tEnv.createTemporaryView("deltas", tEnv.fromDataStream(moveDeltas.union(lineDeltas)));
        Table levels =
                tEnv.sqlQuery(
                        "SELECT sku, warehouse_id, SUM(d_on_hand) AS on_hand,"
                                + " SUM(d_reserved) AS reserved, MAX(ts) AS updated_at"
                                + " FROM deltas GROUP BY sku, warehouse_id");
        tEnv.toChangelogStream(levels)
                .filter(r -> r.getKind() == RowKind.INSERT || r.getKind() == RowKind.UPDATE_AFTER)
                .uid("sql-level-upserts")
                .name("upserts")
                .map(Pipelines::inventoryLevel)
                .returns(new AvroTypeInfo<>(InventoryLevel.class))
                .uid("sql-to-inventory-level")
                .name("to InventoryLevel")
                .sinkTo(
                        io.sink(
                                SQL_LEVELS,
                                new JobTarget.KeyFromDescription<>(SQL_LEVELS.keyDescription())))
                .uid("sink-sql-levels")
                .name("sink sql levels");
        sinkDeadLetters(io, dls);
    }

    static int onHandDelta(StockMovement m) {
        return switch (m.getType()) {
            case RESTOCK, TRANSFER_IN, ADJUSTMENT -> m.getQuantity();
            case TRANSFER_OUT -> -m.getQuantity();
            default -> 0;
        };
    }

    static FunnelMetrics funnelMetrics(Row r) {
        Instant start = ((LocalDateTime) r.getField("window_start")).toInstant(ZoneOffset.UTC);
        Instant end = ((LocalDateTime) r.getField("window_end")).toInstant(ZoneOffset.UTC);
        long visitors = (Long) r.getField("visitors");
        long orders = (Long) r.getField("orders");
        BigDecimal gmv = (BigDecimal) r.getField("gmv");
        gmv = (gmv == null ? BigDecimal.ZERO : gmv).setScale(2, RoundingMode.HALF_UP);
        return FunnelMetrics.newBuilder()
                .setDimensionType(DimensionType.valueOf((String) r.getField("dimension_type")))
                .setDimensionValue((String) r.getField("dimension_value"))
                .setWindowType(WindowType.MINUTE)
                .setWindowStart(start)
                .setWindowEnd(end)
                .setVisitors(visitors)
                .setVisitorsExact(true)
                .setProductViews(0)
                .setAddToCarts(0)
                .setCheckoutsStarted(0)
                .setOrders(orders)
                .setUnits(0)
                .setGmv(gmv)
                .setAov(
                        orders == 0
                                ? BigDecimal.ZERO.setScale(2)
                                : gmv.divide(BigDecimal.valueOf(orders), 2, RoundingMode.HALF_UP))
                .setConversionRate(visitors == 0 ? 0 : (double) orders / visitors)
                .setCurrency("EUR")
                .setRevision(0)
                .setEmittedAt(end)
                .build();
    }

    static InventoryLevel inventoryLevel(Row r) {
        long onHand = (Long) r.getField("on_hand");
        long reserved = (Long) r.getField("reserved");
        return InventoryLevel.newBuilder()
                .setSku((String) r.getField("sku"))
                .setWarehouseId((String) r.getField("warehouse_id"))
                .setOnHand(onHand)
                .setReserved(reserved)
                .setAvailable(onHand - reserved)
                .setSafetyStock(0)
                .setReorderPoint(0)
                .setSalesVelocity(0)
                .setDaysOfCover(null)
                .setNextExpiryAt(null)
                .setNextExpiryQuantity(null)
                .setUpdatedAt(Instant.ofEpochMilli((Long) r.getField("updated_at")))
                .build();
    }

    /** Decoded records of a topic (dead letters sunk), every record marking the meter. */
    static DataStream<? extends SpecificRecord> metered(
            StreamExecutionEnvironment env,
            KafkaIO io,
            Topic<?> topic,
            String meterPrefix,
            List<DataStream<DeadLetter>> deadLetters) {
        return meteredTyped(env, io, topic, meterPrefix, deadLetters);
    }

    private static <T extends SpecificRecord> DataStream<T> meteredTyped(
            StreamExecutionEnvironment env,
            KafkaIO io,
            Topic<T> topic,
            String meterPrefix,
            List<DataStream<DeadLetter>> deadLetters) {
        Decoded<T> d = io.read(env, topic, value -> null);
        deadLetters.add(d.deadLetters());
        return d.records()
                .map(Meter.<T>at(meterPrefix + topic.name()))
                .returns(d.records().getType())
                .uid("bench-meter-" + topic.name())
                .name("meter " + topic.name());
    }

    /**
     * One dead-letter sink per pipeline: Kafka sinks need distinct transactional-id prefixes, so
     * the decode steps' dead letters are united first.
     */
    static void sinkDeadLetters(KafkaIO io, List<DataStream<DeadLetter>> deadLetters) {
        DataStream<DeadLetter> all = deadLetters.get(0);
        for (int i = 1; i < deadLetters.size(); i++) {
            all = all.union(deadLetters.get(i));
        }
        all.sinkTo(io.deadLetterSink()).uid("sink-dead-letters").name("sink dead-letters");
    }

    static PassThrough passThrough(SpecificRecord r) {
        Object id = r.get(r.getSchema().getField("event_id").pos());
        Object t = r.get(r.getSchema().getField("event_time").pos());
        return new PassThrough(
                String.valueOf(id), t instanceof Instant i ? i.toEpochMilli() : (Long) t);
    }

    /** The record key as the contract defines it: visitor, user, order or SKU. */
    static String recordKey(SpecificRecord r) {
        if (r instanceof BrowseEvent b) {
            return b.getVisitorId();
        } else if (r instanceof storepulse.v1.events.CartEvent c) {
            return c.getUserId();
        } else if (r instanceof OrderEvent o) {
            return o.getOrderId();
        } else if (r instanceof StockMovement m) {
            return m.getSku();
        }
        return String.valueOf(r.hashCode());
    }

    static List<String> meterNames(String prefix, List<Topic<?>> topics) {
        List<String> out = new ArrayList<>();
        topics.forEach(t -> out.add(prefix + t.name()));
        return out;
    }
}
