package io.storepulse.local.sim;

import java.time.Instant;
import java.util.List;

/**
 * Everything that determines the simulator's output: the same config always gives the same records.
 *
 * @param seed random seed
 * @param start simulated clock at the first record
 * @param eventSpacingMillis simulated milliseconds between two records (1000 / rate × speed-up)
 * @param skus number of SKUs in the catalogue
 * @param warehouses warehouse ids
 * @param badShare share of records (0..1) that are bad: garbage, unknown schema id, impossible,
 *     duplicate or late
 * @param concurrentSessions how many shopper sessions run at once
 */
public record SimConfig(
        long seed,
        Instant start,
        double eventSpacingMillis,
        int skus,
        List<String> warehouses,
        double badShare,
        int concurrentSessions) {

    public static final List<String> DEFAULT_WAREHOUSES =
            List.of("wh-north", "wh-south", "wh-east");

    public SimConfig {
        if (skus < 1) {
            throw new IllegalArgumentException("skus must be >= 1");
        }
        if (warehouses.isEmpty()) {
            throw new IllegalArgumentException("at least one warehouse");
        }
        if (badShare < 0 || badShare > 1) {
            throw new IllegalArgumentException("badShare must be within 0..1");
        }
        if (eventSpacingMillis <= 0) {
            throw new IllegalArgumentException("eventSpacingMillis must be > 0");
        }
        warehouses = List.copyOf(warehouses);
    }

    /** Defaults: 200 SKUs, three warehouses, 2 % bad records, 50 events/s in real time. */
    public static SimConfig defaults(long seed, Instant start) {
        return new SimConfig(seed, start, 20.0, 200, DEFAULT_WAREHOUSES, 0.02, 40);
    }
}
