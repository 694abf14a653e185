package io.storepulse.engagement;

import io.storepulse.config.JobLauncher;
import io.storepulse.config.KafkaIO;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.rules.RuleCatalog;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.serde.DeadLetters;
import io.storepulse.serde.Decoded;
import io.storepulse.serde.DecodedWatermarks;
import io.storepulse.serde.FutureEventTime;
import io.storepulse.serde.Validator;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topics;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import storepulse.v1.actions.CouponAction;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.SegmentChange;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.CartEventType;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.Product;

/**
 * The customer engagement job (issue 6): abandoned-cart, repeated-add-to-cart and win-back coupons
 * behind cooldown, caps and quiet hours, and RFM segment changes. See docs/jobs/engagement.md.
 */
public final class EngagementJob {

    /** Decoded, validated inputs, plus the dead letters of decoding to pass through. */
    public record Inputs(
            DataStream<CartEvent> carts,
            DataStream<OrderEvent> orders,
            DataStream<BrowseEvent> browse,
            DataStream<Product> catalog,
            DataStream<RuleUpdate> rules,
            DataStream<DeadLetter> deadLetters) {}

    public record Outputs(
            Sink<CouponAction> coupons,
            Sink<SegmentChange> segments,
            Sink<DeadLetter> deadLetters) {}

    public static final RuleCatalog RULES = EngagementRules.CATALOG;

    /**
     * Shops' clocks and Kafka partitions disagree by seconds, not minutes: 30 s of out-of-orderness
     * is assumed; what comes later is still used up to the allowed-lateness rule. Idle partitions
     * must not hold back the 30-minute and 90-day timers.
     */
    private static final Duration OUT_OF_ORDERNESS = Duration.ofSeconds(30);

    private static final Duration IDLENESS = Duration.ofMinutes(1);

    // ---- Event time: one strategy per input, applied per Kafka partition in the source. ----

    /** Cart events by event_time: 30 s out of order within a partition, idle after 1 min. */
    public static final WatermarkStrategy<CartEvent> CART_WATERMARKS =
            WatermarkStrategy.<CartEvent>forBoundedOutOfOrderness(OUT_OF_ORDERNESS)
                    .withTimestampAssigner((e, ts) -> e.getEventTime().toEpochMilli())
                    .withIdleness(IDLENESS);

    /** Order events by event_time: 30 s out of order within a partition, idle after 1 min. */
    public static final WatermarkStrategy<OrderEvent> ORDER_WATERMARKS =
            WatermarkStrategy.<OrderEvent>forBoundedOutOfOrderness(OUT_OF_ORDERNESS)
                    .withTimestampAssigner((e, ts) -> e.getEventTime().toEpochMilli())
                    .withIdleness(IDLENESS);

    /** Page views by event_time: 30 s out of order within a partition, idle after 1 min. */
    public static final WatermarkStrategy<BrowseEvent> BROWSE_WATERMARKS =
            WatermarkStrategy.<BrowseEvent>forBoundedOutOfOrderness(OUT_OF_ORDERNESS)
                    .withTimestampAssigner((e, ts) -> e.getEventTime().toEpochMilli())
                    .withIdleness(IDLENESS);

    /**
     * The catalogue is state, not time: idle from the start, so it never holds back the event clock
     * (see {@link DecodedWatermarks#neverHoldBackTime}); no out-of-orderness applies.
     */
    public static final WatermarkStrategy<Product> CATALOG_WATERMARKS =
            DecodedWatermarks.neverHoldBackTime();

    /** Rules are state, not time: idle from the start, as the catalogue. */
    public static final WatermarkStrategy<RuleUpdate> RULE_WATERMARKS =
            DecodedWatermarks.neverHoldBackTime();

    private EngagementJob() {}

    /** Reads the settings, then builds the job on Kafka sources and exactly-once sinks. */
    public static void main(String[] args) throws Exception {
        JobLauncher.launch(StorepulseJob.ENGAGEMENT, args, EngagementJob::wireKafka);
    }

    /** Kafka sources (decoded and validated) and exactly-once sinks around {@link #build}. */
    public static void wireKafka(StreamExecutionEnvironment env, StorepulseSettings settings) {
        KafkaIO io = new KafkaIO(settings, StorepulseJob.ENGAGEMENT);
        build(kafkaInputs(env, io), kafkaOutputs(io));
    }

    /** The inputs decoded from Kafka, bad records routed to the dead letters. */
    public static Inputs kafkaInputs(StreamExecutionEnvironment env, KafkaIO io) {
        Decoded<CartEvent> carts = io.read(env, Topics.CARTS, CART_VALIDATOR, CART_WATERMARKS);
        Decoded<OrderEvent> orders = io.read(env, Topics.ORDERS, ORDER_VALIDATOR, ORDER_WATERMARKS);
        Decoded<BrowseEvent> browse =
                io.read(env, Topics.BROWSE, BROWSE_VALIDATOR, BROWSE_WATERMARKS);
        Decoded<Product> catalog =
                io.read(env, Topics.CATALOG, PRODUCT_VALIDATOR, CATALOG_WATERMARKS);
        Decoded<RuleUpdate> rules = io.readRules(env, RULES, RULE_WATERMARKS);
        return new Inputs(
                carts.records(),
                orders.records(),
                browse.records(),
                catalog.records(),
                rules.records(),
                carts.deadLetters()
                        .union(
                                orders.deadLetters(),
                                browse.deadLetters(),
                                catalog.deadLetters(),
                                rules.deadLetters()));
    }

    public static Outputs kafkaOutputs(KafkaIO io) {
        return new Outputs(
                io.sink(Topics.COUPON_ACTIONS, CouponAction::getUserId),
                io.sink(Topics.USER_SEGMENTS, SegmentChange::getUserId),
                io.deadLetterSink());
    }

    /**
     * Wires the pipeline top to bottom: the keyed engagement function and the sinks. The inputs are
     * already timestamped and watermarked with the strategies above ({@link KafkaIO#read} does it
     * per Kafka partition; tests apply the same strategies to their own sources).
     */
    public static void build(Inputs in, Outputs out) {
        DataStream<UserEvent> carts =
                in.carts()
                        .map(UserEvent::ofCart)
                        .uid("engagement-carts-to-user-events")
                        .name("Carts as user events");
        DataStream<UserEvent> orders =
                in.orders()
                        .map(UserEvent::ofOrder)
                        .uid("engagement-orders-to-user-events")
                        .name("Orders as user events");
        DataStream<UserEvent> browse =
                in.browse()
                        .filter(b -> b.getUserId() != null && !b.getUserId().isBlank())
                        .uid("engagement-browse-signed-in")
                        .name("Signed-in page views")
                        .map(UserEvent::ofBrowse)
                        .uid("engagement-browse-to-user-events")
                        .name("Page views as user events");

        BroadcastStream<Control> controls =
                in.rules()
                        .map(Control::ofRule)
                        .uid("engagement-rules-to-control")
                        .name("Rules as control")
                        .union(
                                in.catalog()
                                        .map(Control::ofProduct)
                                        .uid("engagement-catalog-to-control")
                                        .name("Catalogue as control"))
                        .broadcast(RulesState.DESCRIPTOR, EngagementFunction.CATALOG_FACTS);

        SingleOutputStreamOperator<CouponAction> coupons =
                carts.union(orders, browse)
                        .keyBy(e -> e.userId)
                        .connect(controls)
                        .process(new EngagementFunction())
                        .uid("engagement-decisions")
                        .name("Engagement decisions");

        coupons.sinkTo(out.coupons())
                .uid("sink-" + Topics.COUPON_ACTIONS.name())
                .name(Topics.COUPON_ACTIONS.name());
        coupons.getSideOutput(EngagementFunction.SEGMENT_CHANGES)
                .sinkTo(out.segments())
                .uid("sink-" + Topics.USER_SEGMENTS.name())
                .name(Topics.USER_SEGMENTS.name());
        in.deadLetters()
                .union(coupons.getSideOutput(DeadLetters.TAG))
                .sinkTo(out.deadLetters())
                .uid("sink-" + Topics.DEAD_LETTERS.name())
                .name(Topics.DEAD_LETTERS.name());
    }

    // ---- validators: impossible values go to dead-letters at decode time ----
    // Carts, orders and page views stamped more than FutureEventTime.MAX_FUTURE_SKEW ahead of the
    // wall clock are impossible too: one of them would move event time on for every user.

    public static final Validator<CartEvent> CART_VALIDATOR = EngagementJob::cartProblem;
    public static final Validator<OrderEvent> ORDER_VALIDATOR = EngagementJob::orderProblem;
    public static final Validator<BrowseEvent> BROWSE_VALIDATOR = EngagementJob::browseProblem;
    public static final Validator<Product> PRODUCT_VALIDATOR = EngagementJob::productProblem;

    /** Why a cart event is impossible, or null when it is usable. */
    private static String cartProblem(CartEvent c) {
        if (blank(c.getEventId())) {
            return "event_id is empty";
        }
        if (blank(c.getUserId())) {
            return "user_id is empty";
        }
        if (c.getType() == CartEventType.UNKNOWN) {
            return "type is UNKNOWN";
        }
        boolean line = c.getType() == CartEventType.ADD || c.getType() == CartEventType.REMOVE;
        if (line && blank(c.getSku())) {
            return c.getType() + " without a sku";
        }
        if (line && c.getQuantity() <= 0) {
            return c.getType() + " with quantity " + c.getQuantity() + " (must be positive)";
        }
        if (c.getUnitPrice() != null && c.getUnitPrice().signum() < 0) {
            return "negative unit_price " + c.getUnitPrice();
        }
        return FutureEventTime.problem(c.getEventTime());
    }

    /** Why an order event is impossible, or null when it is usable. */
    private static String orderProblem(OrderEvent o) {
        if (blank(o.getEventId())) {
            return "event_id is empty";
        }
        if (blank(o.getUserId())) {
            return "user_id is empty";
        }
        if (blank(o.getOrderId())) {
            return "order_id is empty";
        }
        if (o.getType() == OrderEventType.UNKNOWN) {
            return "type is UNKNOWN";
        }
        if (o.getOrderTotal().signum() < 0) {
            return "negative order_total " + o.getOrderTotal();
        }
        for (OrderLine l : o.getLines()) {
            if (blank(l.getSku())) {
                return "order line without sku";
            }
            if (l.getQuantity() <= 0) {
                return "line " + l.getSku() + " with quantity " + l.getQuantity();
            }
            if (l.getUnitPrice().signum() < 0) {
                return "line " + l.getSku() + " with negative unit_price";
            }
        }
        return FutureEventTime.problem(o.getEventTime());
    }

    /** Why a page view is impossible, or null when it is usable. */
    private static String browseProblem(BrowseEvent b) {
        if (blank(b.getEventId())) {
            return "event_id is empty";
        }
        if (blank(b.getVisitorId())) {
            return "visitor_id is empty";
        }
        return FutureEventTime.problem(b.getEventTime());
    }

    /** Why a product record is impossible, or null when it is usable. */
    private static String productProblem(Product p) {
        if (blank(p.getSku())) {
            return "sku is empty";
        }
        if (p.getListPrice().signum() < 0) {
            return "negative list_price " + p.getListPrice();
        }
        return null;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
