package io.storepulse.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.storepulse.config.KafkaIO;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.inventory.InventoryHistories.Outcome;
import io.storepulse.inventory.InventoryJob;
import io.storepulse.serde.RegistryClient;
import io.storepulse.serde.RegistryException;
import io.storepulse.testing.SharedStack;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import storepulse.v1.events.StockMovement;

/**
 * Upgrade, rescale and schema evolution in one run of the inventory job as deployed: parallelism 2,
 * stop with a savepoint, restore at parallelism 1 while a producer writes a v2 of StockMovement (an
 * added optional field, registered under BACKWARD_TRANSITIVE), stop with a savepoint again, restore
 * at parallelism 2. The final outputs equal the oracle over the whole input, so the state went
 * through both savepoints and both rescales, and no v2 record was lost. An incompatible v2 is
 * refused by Avro's compatibility check and by the registry.
 *
 * <p>The input goes to every partition by key hash, and each restored run starts with a backlog, so
 * at parallelism 1 one subtask catches up on all six partitions of a topic at once: the oracle
 * check holds only because watermarks are generated per Kafka partition in the source.
 */
class UpgradeRescaleEvolutionITCase {

    static final int EVENTS = Integer.getInteger("storepulse.reliability.upgrade.events", 15_000);
    static final long SEED = 515L;

    private static final String GROUP_SUFFIX = "-upgrade";
    private static final String GROUP = StorepulseJob.INVENTORY.id() + GROUP_SUFFIX;

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(ExactlyOnceUnderFailureITCase.loopback())
                            .build());

    private static SharedStack stack;

    @BeforeAll
    static void topics() {
        stack = SharedStack.get();
        InventoryRun.createTopics(stack);
    }

    @Test
    void shouldCarryStateThroughSavepointsRescalesAndASchemaUpgrade(@TempDir Path savepoints)
            throws Exception {
        RegistryClient registry = stack.registryClient();
        String subject = Topics.STOCK_MOVEMENTS.valueSubject();
        Schema v1 = StockMovement.getClassSchema();
        Schema v2 = schema("schemas/StockMovement-v2.avsc");
        Schema incompatible = schema("schemas/StockMovement-v2-incompatible.avsc");

        try (InventoryRun workload = new InventoryRun(stack, "up", EVENTS, SEED)) {
            workload.prepare();
            int n = workload.size();
            int third = n / 3;

            // Given the job at parallelism 2 over the first third of the input (v1 records)
            workload.produce(0, third);
            JobClient first = start(2, null);
            int afterFirst = awaitLevelsBeyond(0);
            String savepoint1 = stop(first, savepoints);

            // ...the subject under BACKWARD_TRANSITIVE: v2 (an added optional field) is accepted,
            // an added required field is refused by Avro and by the registry
            registry.setCompatibility(subject, "BACKWARD_TRANSITIVE");
            assertThat(compatibility(v2, v1)).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
            assertThat(compatibility(v1, v2)).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
            assertThat(compatibility(incompatible, v1))
                    .isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
            assertThat(registry.isCompatible(subject, v2)).isTrue();
            assertThat(registry.isCompatible(subject, incompatible)).isFalse();
            assertThatThrownBy(() -> registry.register(subject, incompatible))
                    .isInstanceOfSatisfying(
                            RegistryException.class,
                            e -> assertThat(e.httpStatus()).isEqualTo(409));
            int v2Id = registry.register(subject, v2);

            // When the v1 job restores at parallelism 1 while a v2 producer writes the second third
            workload.produce(third, 2 * third, m -> encodeAsV2(m, v1, v2, v2Id));
            workload.catalogClock();
            JobClient second = start(1, savepoint1);
            // ...and has read all of it: one subtask caught up on every partition of both topics
            assertThat(awaitInputConsumed())
                    .as("the job at parallelism 1 committed offsets at the end of its input")
                    .isTrue();
            int afterSecond = awaitLevelsBeyond(afterFirst);
            String savepoint2 = stop(second, savepoints);

            // ...and restores again at parallelism 2 for the rest
            workload.produce(2 * third, n);
            workload.endOfRun();
            workload.catalogClock();
            JobClient third3 = start(2, savepoint2);
            InventoryRun.Read read;
            try {
                read = workload.readOutputs(Duration.ofSeconds(120), Duration.ofSeconds(3), 0);
            } finally {
                third3.cancel().get();
            }

            // Then nothing was lost and the state carried over: outputs equal the oracle
            Outcome expected = workload.expectedOutcome();
            assertThat(read.deadLetters).as("v2 records are read by the v1 job").isEmpty();
            assertThat(workload.differences(read)).as("differences from the oracle").isEmpty();
            System.out.printf(
                    "upgrade/rescale run: %d input records (%d as v2 schema id %d), parallelism"
                            + " 2 -> 1 -> 2; level updates committed after run 1: %d, after run 2:"
                            + " %d, in all: %d%n",
                    n, third, v2Id, afterFirst, afterSecond, read.levels.size());
            assertThat(afterSecond).isGreaterThan(afterFirst);
        }
    }

    private static JobClient start(int parallelism, String savepoint) throws Exception {
        StorepulseSettings settings =
                stack.settings(
                        "--checkpoint-interval",
                        "500ms",
                        "--parallelism",
                        Integer.toString(parallelism),
                        "--group-suffix",
                        GROUP_SUFFIX);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        KafkaIO.configure(env, settings);
        InventoryJob.wireKafka(env, settings);
        StreamGraph graph = env.getStreamGraph();
        graph.setJobName("reliability-upgrade-p" + parallelism);
        if (savepoint != null) {
            // allowNonRestoredState=false: every piece of saved state must find its operator
            graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
        }
        return env.executeAsync(graph);
    }

    private static String stop(JobClient job, Path savepoints) throws Exception {
        return job.stopWithSavepoint(
                        false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                .get();
    }

    /**
     * Waits (bounded) until more level updates than {@code before} are committed, so that each run
     * processes input before it is stopped; returns the count.
     */
    private static int awaitLevelsBeyond(int before) {
        return stack.consumeRaw(
                        Topics.INVENTORY_LEVELS.name(), before + 100, Duration.ofSeconds(60))
                .size();
    }

    /**
     * Waits (bounded) until the job's consumer group has committed, on a checkpoint, the end offset
     * of every partition of the orders and the stock movements.
     */
    private static boolean awaitInputConsumed() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            return InventoryRun.await(
                    () -> {
                        try {
                            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                            for (var topic : List.of(Topics.ORDERS, Topics.STOCK_MOVEMENTS)) {
                                for (int p = 0; p < topic.partitions(); p++) {
                                    latest.put(
                                            new TopicPartition(topic.name(), p),
                                            OffsetSpec.latest());
                                }
                            }
                            var ends = admin.listOffsets(latest).all().get();
                            var committed =
                                    admin.listConsumerGroupOffsets(GROUP)
                                            .partitionsToOffsetAndMetadata()
                                            .get();
                            return ends.entrySet().stream()
                                    .allMatch(
                                            e ->
                                                    committed.get(e.getKey()) != null
                                                            && committed.get(e.getKey()).offset()
                                                                    >= e.getValue().offset());
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    },
                    Duration.ofSeconds(90));
        }
    }

    private static SchemaCompatibilityType compatibility(Schema reader, Schema writer) {
        return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getType();
    }

    private static Schema schema(String resource) throws IOException {
        try (InputStream in =
                UpgradeRescaleEvolutionITCase.class
                        .getClassLoader()
                        .getResourceAsStream(resource)) {
            return new Schema.Parser().parse(in);
        }
    }

    /** What a producer built on the v2 schema writes: v1's fields plus supplier_batch. */
    private static byte[] encodeAsV2(StockMovement m, Schema v1, Schema v2, int v2Id) {
        try {
            ByteArrayOutputStream v1Bytes = new ByteArrayOutputStream();
            BinaryEncoder enc = EncoderFactory.get().binaryEncoder(v1Bytes, null);
            new SpecificDatumWriter<StockMovement>(v1).write(m, enc);
            enc.flush();
            GenericRecord r =
                    new GenericDatumReader<GenericRecord>(v1, v2)
                            .read(
                                    null,
                                    DecoderFactory.get()
                                            .binaryDecoder(v1Bytes.toByteArray(), null));
            r.put("supplier_batch", "batch-" + m.getEventId());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(ByteBuffer.allocate(5).put((byte) 0).putInt(v2Id).array());
            BinaryEncoder enc2 = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(v2).write(r, enc2);
            enc2.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
