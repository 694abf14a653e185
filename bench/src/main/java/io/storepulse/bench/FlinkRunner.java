package io.storepulse.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.CheckpointType;
import org.apache.flink.runtime.checkpoint.AbstractCheckpointStats;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.checkpoint.SubtaskStateStats;
import org.apache.flink.runtime.checkpoint.TaskStateStats;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.util.stats.StatsSummarySnapshot;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs benchmark pipelines on one in-process MiniCluster (one TaskManager), all listeners on
 * loopback. A run ends when its meters have seen every pre-loaded record; the runner then waits for
 * one more completed checkpoint (so exactly-once outputs are committed), reads the checkpoint
 * statistics and cancels the job.
 */
public final class FlinkRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FlinkRunner.class);

    private final MiniCluster cluster;

    /**
     * When a run's job had processed all its input: the wall-clock time the checkpoint barrier sent
     * behind the last input record had reached every subtask (0 when unknown), and how long after
     * the request that checkpoint was triggered (a periodic checkpoint in flight delays it; the
     * figure is then an upper bound of the time to drain).
     */
    record Drain(long wallMillis, long triggerDelayMillis) {
        static final Drain NONE = new Drain(0, -1);
    }

    /** What one run measured. */
    public record RunResult(
            String name,
            long records,
            double seconds,
            double readSeconds,
            long drainTriggerDelayMillis,
            double eventsPerSecond,
            long completedCheckpoints,
            long checkpointFullSizeBytes,
            long checkpointIncrementalBytes,
            long checkpointAvgDurationMs,
            long checkpointMaxDurationMs,
            long peakRssBytes,
            boolean complete) {}

    public FlinkRunner(int slots) {
        Configuration conf = new Configuration();
        conf.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        conf.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        conf.set(TaskManagerOptions.HOST, "127.0.0.1");
        conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        conf.set(RestOptions.ADDRESS, "127.0.0.1");
        conf.set(RestOptions.PORT, 0);
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("256m"));
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("64m"));
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("64m"));
        cluster =
                new MiniCluster(
                        new MiniClusterConfiguration.Builder()
                                .setConfiguration(conf)
                                .setNumTaskManagers(1)
                                .setNumSlotsPerTaskManager(slots)
                                .build());
        try {
            cluster.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the MiniCluster", e);
        }
    }

    /**
     * Builds a pipeline on a fresh environment, runs it until every meter in {@code meters} has
     * seen its expected count (or the timeout passes), and measures it.
     *
     * @param expected records each meter must see, same order as meters
     */
    public RunResult run(
            String name,
            Consumer<StreamExecutionEnvironment> pipeline,
            List<String> meters,
            List<Long> expected,
            Duration timeout) {
        return run(name, pipeline, meters, expected, timeout, Duration.ZERO);
    }

    /**
     * As above; the outputs are read only after a checkpoint triggered at least {@code settle}
     * after the submission has completed, for pipelines whose outputs wait on event time that
     * reference inputs hold back for a while (the catalog until it has been quiet).
     */
    public RunResult run(
            String name,
            Consumer<StreamExecutionEnvironment> pipeline,
            List<String> meters,
            List<Long> expected,
            Duration timeout,
            Duration settle) {
        meters.forEach(Meter::reset);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        pipeline.accept(env);
        JobID id;
        try {
            id = cluster.submitJob(env.getStreamGraph()).get(2, TimeUnit.MINUTES).getJobID();
        } catch (Exception e) {
            throw new IllegalStateException("cannot submit " + name, e);
        }
        long submitted = System.currentTimeMillis();
        long peakRss = rssBytes();
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean complete = false;
        try {
            while (System.nanoTime() < deadline) {
                peakRss = Math.max(peakRss, rssBytes());
                complete = true;
                for (int i = 0; i < meters.size(); i++) {
                    if (Meter.get(meters.get(i)).count() < expected.get(i)) {
                        complete = false;
                    }
                }
                if (complete) {
                    break;
                }
                JobStatus status = cluster.getJobStatus(id).get();
                if (status.isGloballyTerminalState()) {
                    throw new IllegalStateException(
                            name
                                    + " ended as "
                                    + status
                                    + ": "
                                    + cluster.requestJobResult(id)
                                            .get()
                                            .getSerializedThrowable()
                                            .map(t -> t.getFullStringifiedStackTrace())
                                            .orElse("no error"));
                }
                Thread.sleep(200);
            }
            long first = Long.MAX_VALUE;
            long last = 0;
            long records = 0;
            for (String m : meters) {
                Meter meter = Meter.get(m);
                records += meter.count();
                if (meter.count() > 0) {
                    first = Math.min(first, meter.firstNanos());
                    last = Math.max(last, meter.lastNanos());
                }
            }
            double readSeconds = records > 1 ? (last - first) / 1e9 : 0;
            // The meters count at the sources, which run ahead of the job by what the network
            // buffers hold (tens of thousands of small records: most of a short run's input). A
            // checkpoint triggered now sends its barrier behind the last input record; an aligned
            // barrier passes a subtask only once the subtask has processed every record before it,
            // so the last subtask's barrier arrival is when the job has processed all its input.
            Drain drain = complete ? drainedAt(id) : Drain.NONE;
            double seconds = readSeconds;
            if (drain.wallMillis() > 0) {
                long drainedNanos =
                        System.nanoTime()
                                - TimeUnit.MILLISECONDS.toNanos(
                                        System.currentTimeMillis() - drain.wallMillis());
                seconds = Math.max(readSeconds, (drainedNanos - first) / 1e9);
            }
            // One more completed checkpoint, triggered after the last input record (and after the
            // settle time): exactly-once outputs become visible, state is counted.
            long after = Math.max(System.currentTimeMillis(), submitted + settle.toMillis());
            long cpDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90) + settle.toNanos();
            while (latestTrigger(id) < after && System.nanoTime() < cpDeadline) {
                peakRss = Math.max(peakRss, rssBytes());
                Thread.sleep(200);
            }
            CheckpointStatsSnapshot cp = stats(id);
            StatsSummarySnapshot full = cp.getSummaryStats().getStateSizeStats();
            StatsSummarySnapshot inc = cp.getSummaryStats().getCheckpointedSize();
            StatsSummarySnapshot dur = cp.getSummaryStats().getEndToEndDurationStats();
            long n = cp.getCounts().getNumberOfCompletedCheckpoints();
            RunResult r =
                    new RunResult(
                            name,
                            records,
                            seconds,
                            readSeconds,
                            drain.triggerDelayMillis(),
                            seconds > 0 ? (records - 1) / seconds : 0,
                            n,
                            n > 0 ? full.getMaximum() : 0,
                            n > 0 ? inc.getMaximum() : 0,
                            n > 0 ? (long) dur.getAverage() : 0,
                            n > 0 ? dur.getMaximum() : 0,
                            peakRss,
                            complete);
            LOG.info("bench run {}: {}", name, r);
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
        } finally {
            cancel(id);
        }
    }

    /** Submits a pipeline and returns its id; the caller cancels it (latency runs). */
    public JobID start(Consumer<StreamExecutionEnvironment> pipeline) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        pipeline.accept(env);
        try {
            return cluster.submitJob(env.getStreamGraph()).get(2, TimeUnit.MINUTES).getJobID();
        } catch (Exception e) {
            throw new IllegalStateException("cannot submit", e);
        }
    }

    public void awaitRunning(JobID id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                AccessExecutionGraph g = cluster.getExecutionGraph(id).get();
                boolean allRunning =
                        g.getAllExecutionVertices().iterator().hasNext()
                                && java.util.stream.StreamSupport.stream(
                                                g.getAllExecutionVertices().spliterator(), false)
                                        .allMatch(
                                                v ->
                                                        v.getExecutionState()
                                                                == org.apache.flink.runtime
                                                                        .execution.ExecutionState
                                                                        .RUNNING);
                if (allRunning) {
                    return;
                }
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Triggers a checkpoint and returns when its barrier had passed every subtask: the trigger time
     * plus each subtask's start delay (the barrier's wait behind buffered records at its first
     * input) and alignment (until it had come through all inputs), the latest of them.
     */
    private Drain drainedAt(JobID id) {
        // A short run's sources can read everything before the last downstream task has
        // started (the records wait in the output buffers); a checkpoint needs every task up.
        awaitRunning(id, Duration.ofMinutes(2));
        long requested = System.currentTimeMillis();
        long checkpointId = -1;
        for (int attempt = 1; checkpointId < 0; attempt++) {
            try {
                checkpointId =
                        cluster.triggerCheckpoint(id, CheckpointType.CONFIGURED)
                                .get(5, TimeUnit.MINUTES);
            } catch (Exception e) {
                if (attempt == 5) {
                    LOG.warn(
                            "no drain checkpoint, timing stops at the last read: {}", e.toString());
                    return Drain.NONE;
                }
                BenchStack.sleep(200);
            }
        }
        long completed = System.currentTimeMillis();
        AbstractCheckpointStats cp = stats(id).getHistory().getCheckpointById(checkpointId);
        for (int tries = 0; cp == null && tries < 25; tries++) {
            BenchStack.sleep(200); // the statistics may trail the completion by a moment
            cp = stats(id).getHistory().getCheckpointById(checkpointId);
        }
        if (cp == null) {
            LOG.warn(
                    "checkpoint {} left the statistics history; timing stops at the last read",
                    checkpointId);
            return Drain.NONE;
        }
        long drained = cp.getTriggerTimestamp();
        for (TaskStateStats task : cp.getAllTaskStateStats()) {
            for (SubtaskStateStats sub : task.getSubtaskStats()) {
                if (sub != null && sub.isCompleted()) {
                    drained =
                            Math.max(
                                    drained,
                                    cp.getTriggerTimestamp()
                                            + sub.getCheckpointStartDelay()
                                            + sub.getAlignmentDuration());
                }
            }
        }
        return new Drain(
                Math.min(drained, completed), Math.max(0, cp.getTriggerTimestamp() - requested));
    }

    private long latestTrigger(JobID id) {
        var latest = stats(id).getHistory().getLatestCompletedCheckpoint();
        return latest == null ? Long.MIN_VALUE : latest.getTriggerTimestamp();
    }

    public CheckpointStatsSnapshot stats(JobID id) {
        try {
            return cluster.getExecutionGraph(id).get().getCheckpointStatsSnapshot();
        } catch (Exception e) {
            return CheckpointStatsSnapshot.empty();
        }
    }

    public void cancel(JobID id) {
        try {
            cluster.cancelJob(id).get(60, TimeUnit.SECONDS);
            cluster.requestJobResult(id).get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("cancelling {} failed: {}", id, e.toString());
        }
    }

    /** Resident memory of this JVM, which holds the JobManager and the TaskManager. */
    public static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    @Override
    public void close() {
        try {
            cluster.close();
        } catch (Exception e) {
            LOG.warn("closing the MiniCluster: {}", e.toString());
        }
    }
}
