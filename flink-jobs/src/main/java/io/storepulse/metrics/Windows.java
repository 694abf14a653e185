package io.storepulse.metrics;

import java.time.Instant;
import java.time.ZoneId;

/** Window arithmetic of the funnel: 1-minute tumbling windows and calendar days in a zone. */
public final class Windows {

    public static final long MINUTE = 60_000L;

    private Windows() {}

    /** Start of the 1-minute window holding t (epoch millis, UTC-aligned). */
    public static long minuteStart(long t) {
        return Math.floorDiv(t, MINUTE) * MINUTE;
    }

    /** Start of the calendar day holding t in the zone, as epoch millis. */
    public static long dayStart(long t, ZoneId zone) {
        return Instant.ofEpochMilli(t)
                .atZone(zone)
                .toLocalDate()
                .atStartOfDay(zone)
                .toInstant()
                .toEpochMilli();
    }

    /** End (exclusive) of the calendar day starting at dayStart: 23, 24 or 25 hours later. */
    public static long dayEnd(long dayStart, ZoneId zone) {
        return Instant.ofEpochMilli(dayStart)
                .atZone(zone)
                .toLocalDate()
                .plusDays(1)
                .atStartOfDay(zone)
                .toInstant()
                .toEpochMilli();
    }
}
