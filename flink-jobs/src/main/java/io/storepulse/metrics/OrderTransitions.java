package io.storepulse.metrics;

import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import storepulse.v1.events.OrderEvent;

/**
 * Keyed by order_id: lets through only the first event of each type of an order (the first PLACED,
 * the first SHIPPED, the first RETURNED, ...). This drops duplicate event_ids and repeated
 * transitions alike, so that an order is counted once as placed, shipped and returned. The order's
 * state is cleared {@link #HORIZON} of event time after its last event; a TTL is the backstop.
 */
public class OrderTransitions extends KeyedProcessFunction<String, OrderEvent, OrderEvent> {

    private static final long serialVersionUID = 1L;

    /**
     * How long after its last event an order is remembered: longer than the 30-day return window.
     */
    public static final Duration HORIZON = Duration.ofDays(45);

    /** Bit i set when an event of OrderEventType ordinal i was already let through. */
    static final ValueStateDescriptor<Integer> SEEN_TYPES =
            new ValueStateDescriptor<>("seen-types", Types.INT);

    static final ValueStateDescriptor<Long> LAST_EVENT_TIME =
            new ValueStateDescriptor<>("last-event-time", Types.LONG);

    static {
        StateTtlConfig ttl =
                StateTtlConfig.newBuilder(HORIZON.plusDays(15))
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .build();
        SEEN_TYPES.enableTimeToLive(ttl);
        LAST_EVENT_TIME.enableTimeToLive(ttl);
    }

    private transient ValueState<Integer> seenTypes;
    private transient ValueState<Long> lastEventTime;

    @Override
    public void open(OpenContext openContext) {
        seenTypes = getRuntimeContext().getState(SEEN_TYPES);
        lastEventTime = getRuntimeContext().getState(LAST_EVENT_TIME);
    }

    @Override
    public void processElement(OrderEvent e, Context ctx, Collector<OrderEvent> out)
            throws Exception {
        int bit = 1 << e.getType().ordinal();
        int seen = seenTypes.value() == null ? 0 : seenTypes.value();
        if ((seen & bit) != 0) {
            return;
        }
        seenTypes.update(seen | bit);
        long t = e.getEventTime().toEpochMilli();
        Long last = lastEventTime.value();
        if (last == null || t > last) {
            lastEventTime.update(t);
            ctx.timerService().registerEventTimeTimer(t + HORIZON.toMillis());
        }
        out.collect(e);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<OrderEvent> out)
            throws Exception {
        Long last = lastEventTime.value();
        if (last == null || timestamp >= last + HORIZON.toMillis()) {
            seenTypes.clear();
            lastEventTime.clear();
        }
    }
}
