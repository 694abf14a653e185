package io.storepulse.bench.jmh;

import io.storepulse.bench.ShopGenerator;
import io.storepulse.metrics.DimFact;
import io.storepulse.metrics.FunnelAggregator;
import io.storepulse.metrics.FunnelFact;
import io.storepulse.metrics.FunnelFacts;
import io.storepulse.metrics.MetricsJob;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.topics.Topics;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;

/**
 * The metrics job's hottest function, {@link FunnelAggregator} (minute and day windows per
 * dimension with their member sets and sketches), per input event: the event's facts (one per order
 * line), fanned out to their dimensions (ALL, CHANNEL, CATEGORY, SKU) as the job does, with the
 * category the enricher would give them; windows close and emit as the watermark passes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MetricsFunnelBenchmark extends FunctionBench {

    private KeyedBroadcastOperatorTestHarness<String, DimFact, RuleUpdate, FunnelMetrics> h;

    @Setup
    public void setUp() throws Exception {
        h =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new FunnelAggregator(), DimFact::key, Types.STRING, RulesState.DESCRIPTOR);
        h.processBroadcastWatermark(Long.MAX_VALUE);
        fillRing(
                generator(),
                e ->
                        e.topic() == Topics.BROWSE
                                || e.topic() == Topics.CARTS
                                || (e.value() instanceof OrderEvent o
                                        && o.getType() == OrderEventType.PLACED));
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
        return MetricsJob.OUT_OF_ORDERNESS.toMillis();
    }

    @Override
    void process(ShopGenerator.Event e, long shift) throws Exception {
        List<FunnelFact> facts =
                e.value() instanceof BrowseEvent b
                        ? List.of(FunnelFacts.fromBrowse(b))
                        : e.value() instanceof CartEvent c
                                ? List.of(FunnelFacts.fromCart(c))
                                : FunnelFacts.fromOrder((OrderEvent) e.value());
        for (FunnelFact f : facts) {
            f.eventTime += shift;
            if (shift != 0) {
                f.eventId = f.eventId + "@" + shift;
                if (f.orderId != null) {
                    f.orderId = f.orderId + "@" + shift;
                }
            }
            if (f.sku != null) {
                f.category = ShopGenerator.category(Integer.parseInt(f.sku.substring(4)));
            }
            for (DimFact d : FunnelFacts.dimensions(f)) {
                h.processElement(d, f.eventTime);
            }
        }
    }

    @Benchmark
    public void funnelByInputEvent() throws Exception {
        step();
    }
}
