package io.storepulse.serde;

import java.time.Duration;
import java.time.Instant;

/**
 * The check, shared by the jobs' validators, that an event's {@code event_time} is not stamped
 * impossibly far in the future. One such event on a partition whose neighbours are idle drags the
 * watermark ahead for every key (timers fire, windows close, later events are late), and outputs
 * stamped with event time would be refused by brokers ({@code log.message.timestamp.after.max.ms},
 * 1 hour by default).
 */
public final class FutureEventTime {

    /**
     * How far ahead of the wall clock at decoding an event may be stamped. It covers the producers'
     * clock drift; it does not cover simulated traffic whose clock runs faster than the wall clock
     * (the local cluster's {@code --speedup} above 1), whose far-ahead events are dead letters.
     */
    public static final Duration MAX_FUTURE_SKEW = Duration.ofMinutes(15);

    private FutureEventTime() {}

    /** Why the event time is impossible by the wall clock now, or null. */
    public static String problem(Instant eventTime) {
        return problem(eventTime, Instant.now());
    }

    /** Why the event time is impossible by the wall clock {@code now}, or null. */
    public static String problem(Instant eventTime, Instant now) {
        Instant limit = now.plus(MAX_FUTURE_SKEW);
        if (eventTime == null || !eventTime.isAfter(limit)) {
            return null;
        }
        return "event_time "
                + eventTime
                + " is more than "
                + MAX_FUTURE_SKEW
                + " ahead of the clock ("
                + now
                + ")";
    }
}
