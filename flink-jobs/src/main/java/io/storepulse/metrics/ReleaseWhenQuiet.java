package io.storepulse.metrics;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Watermarks for the reference inputs (catalog, rules), which carry no event time of their own:
 * they hold event time back while the topic is being read (no watermark at all), and once the input
 * has been quiet for {@link #QUIET} of processing time they release it for good by declaring the
 * input idle, so that later catalog or rule updates never stall the event-time pipeline. Idle, not
 * the maximum watermark: when the event inputs go idle in a quiet minute, Flink takes the watermark
 * from the inputs still active, and a maximum there would make every later event too late. On
 * start-up this lets facts wait for their SKU's category and rules apply before the first window
 * closes; a bounded test input releases at its end.
 */
public final class ReleaseWhenQuiet<T> implements WatermarkGenerator<T> {

    /** How long an input must be quiet before it stops holding event time back. */
    public static final Duration QUIET = Duration.ofSeconds(10);

    private long lastActivityNanos = System.nanoTime();
    private boolean released;

    /** The strategy for a reference input. */
    public static <T> WatermarkStrategy<T> strategy() {
        return WatermarkStrategy.forGenerator(
                (WatermarkGeneratorSupplier<T>) ctx -> new ReleaseWhenQuiet<>());
    }

    @Override
    public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
        if (!released) {
            lastActivityNanos = System.nanoTime();
        }
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        if (released || System.nanoTime() - lastActivityNanos >= QUIET.toNanos()) {
            released = true;
            output.markIdle();
        }
    }
}
