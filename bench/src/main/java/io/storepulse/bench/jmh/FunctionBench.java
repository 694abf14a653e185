package io.storepulse.bench.jmh;

import io.storepulse.bench.ShopGenerator;
import io.storepulse.serde.DeadLetters;
import java.util.List;
import java.util.function.Predicate;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.util.OutputTag;

/**
 * Common ground of the per-job function benchmarks: a job's hottest keyed function in Flink's
 * operator test harness (heap state, no network, no serialization between operators), fed a ring of
 * realistic inputs from {@link ShopGenerator} (10,000 users, 1,000 SKUs, 1,000 events per simulated
 * second). One benchmark operation is one input event, including whatever its timers fire: every
 * {@value #WATERMARK_EVERY} operations the watermark follows the input (minus the job's
 * out-of-orderness), as the job's watermarks would, and the collected output is dropped. Each time
 * the ring wraps, its event times shift by its span, so event time keeps moving forward and state
 * keeps being created, updated and expired.
 */
abstract class FunctionBench {

    static final int RING = 8_192;
    static final int WATERMARK_EVERY = 256;
    static final long T0 = 1_795_000_000_000L;

    private ShopGenerator.Event[] ring;
    private long span;
    private int next;
    private long shift;
    private long ops;

    /** The harness; the base drives its watermark and clears its outputs. */
    abstract KeyedBroadcastOperatorTestHarness<String, ?, ?, ?> harness();

    /** Out-of-orderness the job's watermarks allow. */
    abstract long outOfOrdernessMs();

    /** Side outputs to clear besides the main output and dead letters. */
    List<OutputTag<?>> sideOutputs() {
        return List.of();
    }

    /** Processes one input event whose event times are shifted by {@code shift}. */
    abstract void process(ShopGenerator.Event e, long shift) throws Exception;

    static ShopGenerator generator() {
        return new ShopGenerator(20261123L, 10_000, 1_000, T0, 1_000);
    }

    /** Fills the ring with the next {@value #RING} events the job reads. */
    void fillRing(ShopGenerator gen, Predicate<ShopGenerator.Event> reads) {
        ring = new ShopGenerator.Event[RING];
        int n = 0;
        while (n < RING) {
            ShopGenerator.Event e = gen.next();
            if (reads.test(e)) {
                ring[n++] = e;
            }
        }
        span = ring[RING - 1].eventTimeMs() - ring[0].eventTimeMs() + 1_000;
    }

    /** One operation: the next input, and now and then the watermark. */
    final void step() throws Exception {
        ShopGenerator.Event e = ring[next];
        process(e, shift);
        if (++ops % WATERMARK_EVERY == 0) {
            harness().processWatermark(e.eventTimeMs() + shift - outOfOrdernessMs() - 1);
            harness().getOutput().clear();
            clear(DeadLetters.TAG);
            for (OutputTag<?> t : sideOutputs()) {
                clear(t);
            }
        }
        if (++next == RING) {
            next = 0;
            shift += span;
        }
    }

    private void clear(OutputTag<?> tag) {
        var q = harness().getSideOutput(tag);
        if (q != null) {
            q.clear();
        }
    }
}
