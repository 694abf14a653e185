package io.storepulse.metrics;

import java.io.Serializable;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Lets the first record of each {@code event_id} through and ignores its duplicates. Keyed by
 * event_id. The seen-flag is cleared by an event-time timer {@link #HORIZON} after the event time
 * (a duplicate that late would be rejected as too late downstream anyway), with a processing-time
 * TTL as the backstop.
 */
public class DedupByEventId<T> extends KeyedProcessFunction<String, T, T> {

    private static final long serialVersionUID = 1L;

    /** How long after its event time an event id is remembered. */
    public static final Duration HORIZON = Duration.ofHours(24);

    static final ValueStateDescriptor<Boolean> SEEN =
            new ValueStateDescriptor<>("seen", Types.BOOLEAN);

    static {
        SEEN.enableTimeToLive(
                StateTtlConfig.newBuilder(HORIZON.multipliedBy(2))
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .build());
    }

    /** The event time of a record, in epoch millis. */
    @FunctionalInterface
    public interface EventTime<T> extends Serializable {
        long of(T value);
    }

    private final EventTime<T> eventTime;
    private transient ValueState<Boolean> seen;

    public DedupByEventId(EventTime<T> eventTime) {
        this.eventTime = eventTime;
    }

    @Override
    public void open(OpenContext openContext) {
        seen = getRuntimeContext().getState(SEEN);
    }

    @Override
    public void processElement(T value, Context ctx, Collector<T> out) throws Exception {
        if (seen.value() != null) {
            return;
        }
        seen.update(true);
        ctx.timerService().registerEventTimeTimer(eventTime.of(value) + HORIZON.toMillis());
        out.collect(value);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<T> out) {
        seen.clear();
    }
}
