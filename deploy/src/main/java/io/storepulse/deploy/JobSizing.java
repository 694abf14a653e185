package io.storepulse.deploy;

import io.storepulse.topics.StorepulseJob;

/**
 * Starting size of one job. Explained in deploy/README.md ("Parallelism and max parallelism").
 *
 * <ul>
 *   <li>{@link #MAX_PARALLELISM} is the number of key groups: keyed state is split into this many
 *       groups when the job first starts, and it can never change without losing that state (a
 *       savepoint only restores into the same max parallelism). It is the ceiling of every rescale,
 *       by hand or by the autoscaler. 720 divides evenly by 1-6, 8, 9, 10, 12, 15, 16, 18, 20, 24,
 *       30, 36, 40, 45, 48, 60, 72, 80, 90, 120, 144, 180, 240, 360, so key groups spread evenly at
 *       all those parallelisms, and its overhead (a few bytes per key group in each checkpoint) is
 *       negligible.
 *   <li>{@link #parallelism} starts at 3: it divides the 6 partitions of the event topics and the 3
 *       of {@code catalog} evenly, so every source subtask owns the same share; and 3 task managers
 *       of one slot each keep a job running on two nodes when one is lost.
 *   <li>One slot per TaskManager: a pod is the unit of scaling, RocksDB's managed memory is not
 *       shared between slots, and "events/s per slot" from the benchmarks is also per pod.
 * </ul>
 */
public record JobSizing(
        int parallelism,
        double taskManagerCpu,
        String taskManagerMemory,
        double jobManagerCpu,
        String jobManagerMemory) {

    /** Fixed for the life of each job's state. Never change it for a running job. */
    public static final int MAX_PARALLELISM = 720;

    /** Slots per TaskManager pod. */
    public static final int SLOTS_PER_TASK_MANAGER = 1;

    /** The starting size of a job; the same for all four until benchmarks say otherwise. */
    public static JobSizing of(StorepulseJob job) {
        return switch (job) {
            case INVENTORY, ENGAGEMENT, CLEARANCE, METRICS ->
                    new JobSizing(3, 1.0, "4096m", 1.0, "2048m");
        };
    }
}
