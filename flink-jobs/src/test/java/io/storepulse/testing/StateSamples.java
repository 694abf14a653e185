package io.storepulse.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Keyed state entries and event-time timers of one operator, sampled after warm-up in a long
 * event-time run; {@link #assertFlat()} checks that both stay within ±10 % of their mean, which is
 * what "bounded state" means for a user: memory set by retention rules, not by how many keys have
 * passed.
 */
public final class StateSamples {
    private static final double DAY = Duration.ofDays(1).toMillis();

    private final Instant origin;
    private final List<long[]> rows = new ArrayList<>();

    /**
     * @param origin event time that the reported days count from
     */
    public StateSamples(Instant origin) {
        this.origin = origin;
    }

    public void add(long eventTime, int keyedStateEntries, int eventTimeTimers) {
        rows.add(new long[] {eventTime, keyedStateEntries, eventTimeTimers});
    }

    /** Prints the samples, so that the test log holds the measured figures. */
    public void report(String operator, String workload) {
        StringBuilder s =
                new StringBuilder(
                        "bounded state of " + operator + " (" + workload + "), after warm-up:");
        for (long[] r : rows) {
            s.append(
                    String.format(
                            "%n  day %5.1f: %6d keyed state entries, %6d event-time timers",
                            (r[0] - origin.toEpochMilli()) / DAY, r[1], r[2]));
        }
        System.out.println(s);
    }

    public void assertFlat() {
        assertThat(rows).hasSizeGreaterThanOrEqualTo(4);
        for (int column = 1; column <= 2; column++) {
            final int c = column;
            double mean = rows.stream().mapToLong(r -> r[c]).average().orElseThrow();
            assertThat(mean).isPositive();
            for (long[] r : rows) {
                assertThat((double) r[c])
                        .as(c == 1 ? "keyed state entries" : "event-time timers")
                        .isBetween(mean * 0.9, mean * 1.1);
            }
        }
    }
}
