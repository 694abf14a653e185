package io.storepulse.reliability;

import static io.storepulse.inventory.InventoryFixtures.T0;
import static io.storepulse.inventory.InventoryFixtures.line;
import static io.storepulse.inventory.InventoryFixtures.movement;
import static io.storepulse.inventory.InventoryFixtures.order;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.config.KafkaIO;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.inventory.InventoryHistories.Arrival;
import io.storepulse.inventory.InventoryHistories.Outcome;
import io.storepulse.inventory.InventoryJob;
import io.storepulse.serde.ConfluentAvroDecoder;
import io.storepulse.testing.SharedStack;
import io.storepulse.topics.Topics;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectClusterRESTAddress;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.StockMovement;
import storepulse.v1.events.StockMovementType;

/**
 * Poison pills: 0.1 % bad records (garbage bytes, unknown schema ids, truncated Avro, impossible
 * values) mixed into a generated workload that also repeats event ids. The job (exactly as {@link
 * InventoryJob#wireKafka} wires it) never restarts, writes one dead letter per bad record and none
 * for a duplicate, and its outputs equal the oracle over the valid records.
 *
 * <p>Size: {@code -Dstorepulse.reliability.poison.events=N} (default 40,000 input records).
 */
class PoisonPillITCase {

    static final int EVENTS = Integer.getInteger("storepulse.reliability.poison.events", 40_000);
    static final long SEED = 4242L;

    /** One bad record every this many valid records: 0.1 %. */
    static final int EVERY = 1000;

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
    void shouldDeadLetterEveryBadRecordWithoutARestart(@InjectClusterRESTAddress URI rest)
            throws Exception {
        try (InventoryRun workload = new InventoryRun(stack, "pp", EVENTS, SEED)) {
            workload.prepare();
            StorepulseSettings settings = stack.settings("--parallelism", "2");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            KafkaIO.configure(env, settings);
            InventoryJob.wireKafka(env, settings);
            JobClient job = env.executeAsync("reliability-poison-pills");

            Map<DeadLetterKind, Integer> injected = new EnumMap<>(DeadLetterKind.class);
            InventoryRun.Read read;
            long restarts;
            try {
                // Given valid records in arrival order with a bad one after every 1000th
                Random rnd = new Random(SEED);
                int n = workload.size();
                int bad = 0;
                for (int from = 0; from < n; from += EVERY) {
                    int to = Math.min(n, from + EVERY);
                    workload.produce(from, to);
                    if (to - from == EVERY) {
                        DeadLetterKind kind = poison(workload, bad++, rnd);
                        injected.merge(kind, 1, Integer::sum);
                    }
                }
                workload.endOfRun();
                int badTotal = injected.values().stream().mapToInt(Integer::intValue).sum();
                read =
                        workload.readOutputs(
                                Duration.ofSeconds(120), Duration.ofSeconds(3), badTotal);
                restarts = InventoryRun.numRestarts(rest, job.getJobID().toHexString());
            } finally {
                job.cancel().get();
            }

            // Then the job never restarted
            assertThat(restarts).as("job restarts").isZero();
            // ...one dead letter per bad record, of the right kind
            ConfluentAvroDecoder<DeadLetter> decoder =
                    new ConfluentAvroDecoder<>(stack.registryClient(), DeadLetter.class);
            Map<DeadLetterKind, Integer> written = new EnumMap<>(DeadLetterKind.class);
            for (ConsumerRecord<byte[], byte[]> r : read.deadLetters) {
                written.merge(decoder.decode(r.value()).getErrorKind(), 1, Integer::sum);
            }
            assertThat(written).isEqualTo(injected);
            assertThat(injected.keySet())
                    .containsExactlyInAnyOrder(
                            DeadLetterKind.BAD_MAGIC_BYTE,
                            DeadLetterKind.UNKNOWN_SCHEMA_ID,
                            DeadLetterKind.UNDECODABLE,
                            DeadLetterKind.IMPOSSIBLE_VALUE);
            // ...duplicated event ids were ignored by rule, not dead-lettered
            int duplicates = duplicates(workload);
            assertThat(duplicates).isGreaterThan(EVENTS / 100);
            // ...and the outputs equal the oracle over the valid records
            Outcome expected = workload.expectedOutcome();
            assertThat(workload.differences(read)).as("differences from the oracle").isEmpty();
            System.out.printf(
                    "poison-pill run: %d valid input records (%d of them repeated event ids),"
                            + " %d bad records %s, %d dead letters, %d restarts%n",
                    workload.size(),
                    duplicates,
                    injected.values().stream().mapToInt(Integer::intValue).sum(),
                    injected,
                    read.deadLetters.size(),
                    restarts);
        }
    }

    /** Records whose event_id was already seen earlier in the input. */
    private static int duplicates(InventoryRun workload) {
        Set<String> seen = new HashSet<>();
        int d = 0;
        for (Arrival a : workload.arrivals) {
            String id =
                    a.event() instanceof OrderEvent o
                            ? o.getEventId()
                            : ((StockMovement) a.event()).getEventId();
            if (!seen.add(id)) {
                d++;
            }
        }
        return d;
    }

    /** Sends the i-th bad record, cycling through the kinds of bad input; returns its kind. */
    private static DeadLetterKind poison(InventoryRun workload, int i, Random rnd) {
        String key = "poison-" + i;
        long t = T0.toEpochMilli() + 1000L * i;
        switch (i % 5) {
            case 0 -> {
                // Garbage: not even the Confluent magic byte
                byte[] garbage = new byte[1 + rnd.nextInt(64)];
                rnd.nextBytes(garbage);
                garbage[0] = (byte) (1 + rnd.nextInt(120));
                workload.send(Topics.ORDERS.name(), key, garbage);
                return DeadLetterKind.BAD_MAGIC_BYTE;
            }
            case 1 -> {
                // Framing with a schema id the registry never issued
                byte[] body = "x".repeat(20).getBytes(StandardCharsets.UTF_8);
                ByteBuffer b = ByteBuffer.allocate(5 + body.length);
                b.put((byte) 0).putInt(987_654_321 + i).put(body);
                workload.send(Topics.STOCK_MOVEMENTS.name(), key, b.array());
                return DeadLetterKind.UNKNOWN_SCHEMA_ID;
            }
            case 2 -> {
                // A real order event cut in half
                byte[] whole =
                        workload.encode(
                                order(
                                        "poison-e" + i,
                                        key,
                                        OrderEventType.PLACED,
                                        t,
                                        line("poison-sku", "wh-1", 1)));
                workload.send(Topics.ORDERS.name(), key, Arrays.copyOf(whole, whole.length / 2));
                return DeadLetterKind.UNDECODABLE;
            }
            case 3 -> {
                // A negative quantity on an order line
                workload.send(
                        Topics.ORDERS.name(),
                        key,
                        workload.encode(
                                order(
                                        "poison-e" + i,
                                        key,
                                        OrderEventType.PLACED,
                                        t,
                                        line("poison-sku", "wh-1", -2))));
                return DeadLetterKind.IMPOSSIBLE_VALUE;
            }
            default -> {
                // A restock of a negative quantity
                workload.send(
                        Topics.STOCK_MOVEMENTS.name(),
                        "poison-sku",
                        workload.encode(
                                movement(
                                        "poison-m" + i,
                                        "poison-sku",
                                        "wh-1",
                                        StockMovementType.RESTOCK,
                                        -3,
                                        t)));
                return DeadLetterKind.IMPOSSIBLE_VALUE;
            }
        }
    }
}
