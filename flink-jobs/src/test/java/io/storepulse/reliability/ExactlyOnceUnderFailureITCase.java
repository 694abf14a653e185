package io.storepulse.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.config.KafkaIO;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.inventory.InventoryHistories.Outcome;
import io.storepulse.inventory.InventoryJob;
import io.storepulse.reliability.FailureInjector.Fault;
import io.storepulse.serde.Decoded;
import io.storepulse.testing.SharedStack;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topics;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectClusterRESTAddress;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import storepulse.v1.actions.InventoryAlert;
import storepulse.v1.actions.OrderAction;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.Product;
import storepulse.v1.events.StockMovement;

/**
 * Exactly-once under failure: the inventory job as deployed (Kafka sources, RocksDB, incremental
 * checkpoints every 300 ms, exactly-once Kafka sinks) at parallelism 2 on a MiniCluster, fed a
 * generated workload with a known result while six faults strike one after the other in the same
 * run (the sixth, in the asynchronous phase of a checkpoint, through {@link
 * FaultyCheckpointStorage}). A {@code read_committed} reader of every output topic then finds
 * nothing lost, nothing duplicated and nothing changed, compared with the plain oracle.
 *
 * <p>Size: {@code -Dstorepulse.reliability.events=N} (default 20,000 input records).
 */
class ExactlyOnceUnderFailureITCase {

    static final int EVENTS = Integer.getInteger("storepulse.reliability.events", 20_000);
    static final long SEED = Long.getLong("storepulse.reliability.seed", 20261123L);

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(loopback())
                            .build());

    private static SharedStack stack;

    static Configuration loopback() {
        Configuration c = new Configuration();
        c.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        c.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        c.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        c.set(RestOptions.ADDRESS, "127.0.0.1");
        c.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofMillis(500));
        return c;
    }

    @BeforeAll
    static void topics() {
        stack = SharedStack.get();
        InventoryRun.createTopics(stack);
    }

    @Test
    void shouldLoseDuplicateAndChangeNothingAcrossSixFailures(
            @InjectClusterRESTAddress URI rest, @TempDir Path checkpoints) throws Exception {
        // Given a workload with a known result, and six faults waiting to be armed
        String run = "eo-" + System.nanoTime();
        String exception = run + "-exception";
        String restoring = run + "-restoring";
        String duringCheckpoint = run + "-during-checkpoint";
        String afterCheckpoint = run + "-after-checkpoint";
        String secondException = run + "-second-exception";
        String asyncPhase = FailureInjector.disarmedInStorage(run + "-async-checkpoint");
        Faults faults =
                new Faults(
                        FailureInjector.disarmed(exception, Fault.EXCEPTION_IN_OPERATOR, 1),
                        FailureInjector.disarmed(restoring, Fault.WHILE_RESTORING, 0),
                        FailureInjector.disarmed(duringCheckpoint, Fault.DURING_CHECKPOINT, 1),
                        FailureInjector.disarmed(afterCheckpoint, Fault.AFTER_CHECKPOINT, 1),
                        FailureInjector.disarmed(secondException, Fault.EXCEPTION_IN_OPERATOR, 1));
        Files.createDirectories(checkpoints);
        try (InventoryRun workload = new InventoryRun(stack, "eo", EVENTS, SEED)) {
            workload.prepare();
            StorepulseSettings settings =
                    stack.settings(
                            "--checkpoint-interval",
                            "300ms",
                            "--checkpoint-dir",
                            checkpoints.toUri().toString(),
                            "--parallelism",
                            "2");

            // When the job runs and the faults strike one per phase of the input
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            KafkaIO.configure(env, settings);
            env.configure(fastRestarts());
            // The filesystem storage at the same directory, whose task streams fail once armed
            env.configure(FaultyCheckpointStorage.configuration(asyncPhase));
            wire(env, settings, faults);
            JobClient job = env.executeAsync("reliability-exactly-once");
            InventoryRun.Read read;
            long restarts;
            String failovers;
            List<String> fired = new ArrayList<>();
            try {
                int n = workload.size();
                int phase = n / 7;
                long started = System.nanoTime();
                workload.produce(0, phase);
                Recovered recovered = new Recovered(rest, job.getJobID().toHexString());
                strike(workload, phase, 2 * phase, fired, recovered, exception, restoring);
                strike(workload, 2 * phase, 3 * phase, fired, recovered, duringCheckpoint);
                strike(workload, 3 * phase, 4 * phase, fired, recovered, afterCheckpoint);
                strike(workload, 4 * phase, 5 * phase, fired, recovered, asyncPhase);
                strike(workload, 5 * phase, 6 * phase, fired, recovered, secondException);
                workload.produce(6 * phase, n);
                for (String id : List.of(restoring)) {
                    if (!fired.contains(id)
                            && InventoryRun.await(
                                    () -> FailureInjector.timesFired(id) == 1,
                                    Duration.ofSeconds(30))) {
                        fired.add(id);
                    }
                }
                workload.endOfRun();
                System.out.printf(
                        "input produced and all faults struck after %d s%n",
                        Duration.ofNanos(System.nanoTime() - started).toSeconds());
                // (the bounded wait grows with the input, for the 1M-record run of
                // docs/reliability.md)
                read =
                        workload.readOutputs(
                                Duration.ofSeconds(150 + EVENTS / 2_000), Duration.ofSeconds(3), 0);
                restarts = InventoryRun.numRestarts(rest, job.getJobID().toHexString());
                failovers = exceptionHistory(rest, job.getJobID().toHexString());
            } finally {
                job.cancel().get();
            }

            // Then every fault struck and the job restarted after each
            // (in any order: the restore fault fires at the first restore that has state to
            // restore, which may come after a later fault when fault 1 struck before the first
            // completed checkpoint)
            assertThat(fired)
                    .containsExactlyInAnyOrder(
                            exception,
                            restoring,
                            duringCheckpoint,
                            afterCheckpoint,
                            asyncPhase,
                            secondException);
            // ...the storage fault struck in the asynchronous phase of a checkpoint (a task's
            // async snapshot thread, uploading), and the declined checkpoint failed the job over
            // (no tolerable checkpoint failures: a checkpoint that cannot be written is a fault)...
            Throwable async = FailureInjector.struckAt(asyncPhase);
            assertThat(async.getMessage()).contains("AsyncOperations");
            assertThat(async.getStackTrace())
                    .anyMatch(f -> f.getClassName().endsWith(".AsyncCheckpointRunnable"));
            System.out.printf(
                    "async-phase fault: %s%n    at %s%n",
                    async.getMessage(),
                    java.util.Arrays.stream(async.getStackTrace())
                            .map(StackTraceElement::toString)
                            .filter(
                                    f ->
                                            f.contains("AsyncCheckpointRunnable")
                                                    || f.contains("Faulty"))
                            .toList());
            // (through the checkpoint failure manager, which names the reason, or as a task
            // failure carrying the injected exception: either is a failover)
            assertThat(failovers)
                    .as("job exception history")
                    .containsAnyOf(
                            "failed due to Asynchronous task checkpoint failed",
                            "injected failure: " + Fault.ASYNC_CHECKPOINT_PHASE);
            System.out.printf(
                    "async-phase failover recorded as: %s%n",
                    failovers.contains("failed due to Asynchronous task checkpoint failed")
                            ? "Exceeded checkpoint tolerable failure threshold (async exception)"
                            : "task failure with the injected exception");
            // (each fault is armed only once the job recovered from the previous one, so each
            // strikes in a running attempt and causes a failover of its own)
            assertThat(restarts).as("restarts, one per fault").isGreaterThanOrEqualTo(6);
            // ...no action was written twice (action_id is deterministic, so a replayed action
            // written again would repeat its id)...
            List<String> ids = new ArrayList<>();
            read.alerts.stream().map(InventoryAlert::getActionId).forEach(ids::add);
            read.actions.stream().map(OrderAction::getActionId).forEach(ids::add);
            Set<String> distinct = new HashSet<>(ids);
            assertThat(ids.size() - distinct.size()).as("duplicated actions").isZero();
            // ...and alerts, order actions and final levels equal the oracle: nothing lost,
            // nothing duplicated, nothing changed
            Outcome expected = workload.expectedOutcome();
            assertThat(workload.differences(read)).as("differences from the oracle").isEmpty();
            assertThat(read.deadLetters).isEmpty();
            long alertCount = expected.alerts().values().stream().mapToLong(List::size).sum();
            long actionCount =
                    expected.orderActions().values().stream().mapToLong(List::size).sum();
            System.out.printf(
                    "exactly-once run: %d input records, %d histories, %d restarts, %d alerts,"
                            + " %d order actions, %d level updates, %d sku@warehouse levels%n",
                    workload.size(),
                    workload.histories.size(),
                    restarts,
                    alertCount,
                    actionCount,
                    read.levels.size(),
                    expected.levels().size());
            assertThat(alertCount).isGreaterThan(100);
            assertThat(actionCount).isGreaterThan(100);
        }
    }

    /** The job under test, and when its last fault struck. */
    private static final class Recovered {
        private final URI rest;
        private final String jobId;
        private long lastStrike;

        Recovered(URI rest, String jobId) {
            this.rest = rest;
            this.jobId = jobId;
        }

        /**
         * Waits until a checkpoint completed after the last fault: the job runs a new attempt with
         * its state. Armed earlier, a fault could strike in a task of the attempt being cancelled
         * (a loaded machine cancels slowly), where the failover already under way absorbs it.
         */
        void await() throws Exception {
            if (lastStrike > 0) {
                assertThat(
                                InventoryRun.awaitCheckpointAfter(
                                        rest, jobId, lastStrike, Duration.ofSeconds(90)))
                        .as("a checkpoint completed after the fault at %d", lastStrike)
                        .isTrue();
            }
        }
    }

    /**
     * Once the job has recovered from the previous fault, arms faults, produces one phase of the
     * input, and waits until every armed fault struck.
     */
    private static void strike(
            InventoryRun workload,
            int from,
            int to,
            List<String> fired,
            Recovered recovered,
            String... ids)
            throws Exception {
        recovered.await();
        for (String id : ids) {
            FailureInjector.arm(id);
        }
        workload.produce(from, to);
        for (String id : ids) {
            if (fired.contains(id)) {
                continue;
            }
            boolean struck =
                    InventoryRun.await(
                            () -> FailureInjector.timesFired(id) == 1, Duration.ofSeconds(60));
            if (struck) {
                fired.add(id);
                recovered.lastStrike = System.currentTimeMillis();
            }
        }
    }

    /** The job's exception history (root causes of its failovers) as Flink's REST API gives it. */
    private static String exceptionHistory(URI rest, String jobId) throws Exception {
        return java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(
                                        rest.resolve("/jobs/" + jobId + "/exceptions"))
                                .GET()
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** Many quick restarts: the test injects failures on purpose. */
    static Configuration fastRestarts() {
        Configuration c = new Configuration();
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 50);
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        return c;
    }

    record Faults(
            FailureInjector<OrderEvent> exception,
            FailureInjector<OrderEvent> restoring,
            FailureInjector<OrderEvent> duringCheckpoint,
            FailureInjector<OrderEvent> afterCheckpoint,
            FailureInjector<StockMovement> secondException) {}

    /**
     * {@link InventoryJob#wireKafka} with the fault injectors between the decoded inputs and {@link
     * InventoryJob#build}: four on the orders, one on the stock movements.
     */
    static void wire(StreamExecutionEnvironment env, StorepulseSettings settings, Faults f) {
        KafkaIO kafka = new KafkaIO(settings, StorepulseJob.INVENTORY);
        Decoded<OrderEvent> orders =
                kafka.read(
                        env,
                        Topics.ORDERS,
                        InventoryJob.ORDER_VALIDATOR,
                        InventoryJob.ORDER_WATERMARKS);
        Decoded<StockMovement> movements =
                kafka.read(
                        env,
                        Topics.STOCK_MOVEMENTS,
                        InventoryJob.MOVEMENT_VALIDATOR,
                        InventoryJob.MOVEMENT_WATERMARKS);
        Decoded<Product> catalog =
                kafka.read(
                        env,
                        Topics.CATALOG,
                        InventoryJob.PRODUCT_VALIDATOR,
                        InventoryJob.CATALOG_WATERMARKS);
        var rules = kafka.readRules(env, InventoryJob.RULES, InventoryJob.RULE_WATERMARKS);
        TypeInformation<OrderEvent> orderType = TypeInformation.of(OrderEvent.class);
        DataStream<OrderEvent> faultyOrders =
                orders.records()
                        .map(f.exception())
                        .returns(orderType)
                        .uid("fault-exception")
                        .name("Fault: exception in operator")
                        .map(f.restoring())
                        .returns(orderType)
                        .uid("fault-restoring")
                        .name("Fault: while restoring")
                        .map(f.duringCheckpoint())
                        .returns(orderType)
                        .uid("fault-during-checkpoint")
                        .name("Fault: during checkpoint (sync phase)")
                        .map(f.afterCheckpoint())
                        .returns(orderType)
                        .uid("fault-after-checkpoint")
                        .name("Fault: after checkpoint");
        DataStream<StockMovement> faultyMovements =
                movements
                        .records()
                        .map(f.secondException())
                        .returns(TypeInformation.of(StockMovement.class))
                        .uid("fault-second-exception")
                        .name("Fault: second exception in operator");
        InventoryJob.build(
                new InventoryJob.Inputs(
                        faultyOrders,
                        faultyMovements,
                        catalog.records(),
                        rules.records(),
                        orders.deadLetters()
                                .union(
                                        movements.deadLetters(),
                                        catalog.deadLetters(),
                                        rules.deadLetters())),
                new InventoryJob.Outputs(
                        kafka.sink(Topics.INVENTORY_LEVELS, InventoryJob::levelKey),
                        kafka.sink(Topics.INVENTORY_ALERTS, InventoryJob::alertKey),
                        kafka.sink(Topics.ORDER_ACTIONS, OrderAction::getOrderId),
                        kafka.deadLetterSink()));
    }
}
