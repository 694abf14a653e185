package io.storepulse.bench.jmh;

import io.storepulse.bench.ShopGenerator;
import io.storepulse.engagement.Control;
import io.storepulse.engagement.EngagementFunction;
import io.storepulse.engagement.UserEvent;
import io.storepulse.rules.RulesState;
import io.storepulse.topics.Topics;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.OutputTag;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import storepulse.v1.actions.CouponAction;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.Product;

/**
 * The engagement job's hottest function, {@link EngagementFunction} (per user: buffered events
 * applied in event-time order, cart abandonment, coupons, segments), per input event: a cart
 * change, an order event or a signed-in page view, as the job sends them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EngagementUserBenchmark extends FunctionBench {

    /** The job's out-of-orderness (EngagementJob.OUT_OF_ORDERNESS, private there). */
    private static final long OUT_OF_ORDERNESS_MS = 30_000;

    private KeyedBroadcastOperatorTestHarness<String, UserEvent, Control, CouponAction> h;

    @Setup
    public void setUp() throws Exception {
        h =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new EngagementFunction(),
                        e -> e.userId,
                        Types.STRING,
                        RulesState.DESCRIPTOR,
                        EngagementFunction.CATALOG_FACTS);
        h.processBroadcastWatermark(Long.MAX_VALUE);
        ShopGenerator gen = generator();
        for (ShopGenerator.Event e : gen.catalog()) {
            h.processBroadcastElement(Control.ofProduct((Product) e.value()), e.eventTimeMs());
        }
        fillRing(
                gen,
                e ->
                        e.topic() == Topics.CARTS
                                || e.topic() == Topics.ORDERS
                                || (e.value() instanceof BrowseEvent b && b.getUserId() != null));
    }

    @TearDown
    public void tearDown() throws Exception {
        h.close();
    }

    @Override
    KeyedBroadcastOperatorTestHarness<String, ?, ?, ?> harness() {
        return h;
    }

    @Override
    long outOfOrdernessMs() {
        return OUT_OF_ORDERNESS_MS;
    }

    @Override
    List<OutputTag<?>> sideOutputs() {
        return List.of(EngagementFunction.SEGMENT_CHANGES);
    }

    @Override
    void process(ShopGenerator.Event e, long shift) throws Exception {
        UserEvent u =
                e.value() instanceof CartEvent c
                        ? UserEvent.ofCart(c)
                        : e.value() instanceof OrderEvent o
                                ? UserEvent.ofOrder(o)
                                : UserEvent.ofBrowse((BrowseEvent) e.value());
        u.eventTime += shift;
        if (shift != 0) {
            u.eventId = u.eventId + "@" + shift;
            if (u.orderId != null) {
                u.orderId = u.orderId + "@" + shift;
            }
        }
        h.processElement(u, u.eventTime);
    }

    @Benchmark
    public void userByInputEvent() throws Exception {
        step();
    }
}
