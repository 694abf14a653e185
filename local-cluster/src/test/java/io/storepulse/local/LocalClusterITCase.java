package io.storepulse.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.storepulse.serde.ConfluentAvroDecoder;
import io.storepulse.serde.DecodeException;
import io.storepulse.serde.RegistryClient;
import io.storepulse.serde.RegistryConfig;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarFile;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.events.StockMovement;
import storepulse.v1.events.StockMovementType;

/**
 * End to end through the front door: {@code storepulse up} on free loopback ports, the simulator,
 * the jobs' outputs, {@code stop} then {@code up} again (resuming from savepoints), and a final
 * {@code stop} that must leave no process and no bound port behind.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalClusterITCase {

    private static final Duration UP_TIMEOUT = Duration.ofMinutes(8);
    private static final Duration OUTPUT_DEADLINE = Duration.ofMinutes(3);

    /** Warehouses only the stop/up test uses, so that no simulated order touches their stock. */
    private static final List<String> ISOLATED_WAREHOUSES = List.of("wh-it-a", "wh-it-b");

    /** How the inventory job breaks ties between movements at one instant (StockChange.Kind). */
    private static final List<StockMovementType> TIE_ORDER =
            List.of(
                    StockMovementType.RESTOCK,
                    StockMovementType.TRANSFER_IN,
                    StockMovementType.ADJUSTMENT,
                    StockMovementType.COUNT,
                    StockMovementType.TRANSFER_OUT);

    private static LocalStack stack;
    private static LocalStack.Result firstUp;
    private static Set<StorepulseJob> runnableJobs;

    @BeforeAll
    static void bringTheStackUp() throws Exception {
        stack = new LocalStack();
        runnableJobs = new LinkedHashSet<>();
        try (JarFile jar = new JarFile(stack.jobJar().toFile())) {
            for (StorepulseJob job : StorepulseJob.values()) {
                if (StorepulseAdmin.missingMain(jar, job) == null) {
                    runnableJobs.add(job);
                }
            }
        }
        firstUp = stack.run(UP_TIMEOUT, "up");
    }

    @AfterAll
    static void stopWhateverIsLeft() throws Exception {
        if (stack != null && !stack.processesOfThisStack().isEmpty()) {
            stack.run(Duration.ofMinutes(3), "stop");
        }
    }

    @Test
    @Order(1)
    void shouldStartEveryComponentAndPrintTheUrls() {
        assertThat(firstUp.exitCode()).as("up failed, see %s", firstUp.log()).isZero();
        assertThat(firstUp.output())
                .contains("kafka ready", "registry ready", "flink-taskmanager registered")
                .contains("background simulator off")
                .contains("Flink web UI    " + stack.flinkUrl())
                .contains("wallboard ready")
                .contains("Wallboard       " + stack.wallboardUrl())
                .contains(stack.registryUrl());
        for (StorepulseJob job : runnableJobs) {
            assertThat(firstUp.output()).contains("job " + job.id()).contains("submitted as");
        }
    }

    @Test
    @Order(2)
    void shouldCreateEveryTopicAndRegisterEverySchema() throws Exception {
        try (Admin admin = StorepulseAdmin.admin(stack.bootstrapServers())) {
            Map<String, Integer> partitions = new HashMap<>();
            admin.describeTopics(Topics.ALL.stream().map(Topic::name).toList())
                    .allTopicNames()
                    .get()
                    .forEach((name, d) -> partitions.put(name, d.partitions().size()));
            for (Topic<?> topic : Topics.ALL) {
                assertThat(partitions).containsEntry(topic.name(), topic.partitions());
            }
        }
        RegistryClient registry = new RegistryClient(RegistryConfig.of(stack.registryUrl()));
        for (Topic<?> topic : Topics.ALL) {
            Class<?> type = topic.valueType();
            assertThat(
                            registry.idOf(
                                    topic.valueSubject(),
                                    org.apache.avro.specific.SpecificData.get().getSchema(type)))
                    .isPositive();
        }
    }

    @Test
    @Order(3)
    void shouldCarrySimulatedTrafficThroughEveryRunningJob() throws Exception {
        long simulationStarted = System.nanoTime();
        LocalStack.Result sim =
                stack.run(
                        Duration.ofMinutes(3),
                        "simulate",
                        "--history",
                        "2d",
                        "--history-records",
                        "20000",
                        "--rate",
                        "200",
                        "--duration",
                        "20",
                        "--seed",
                        "7",
                        "--bad-share",
                        "0.05",
                        "--progress-seconds",
                        "5");
        assertThat(sim.exitCode()).as("simulate failed, see %s", sim.log()).isZero();
        assertThat(sim.output()).contains("simulate: history done", "simulate: done");

        for (Topic<?> input :
                List.of(
                        Topics.ORDERS,
                        Topics.CARTS,
                        Topics.BROWSE,
                        Topics.STOCK_MOVEMENTS,
                        Topics.CATALOG)) {
            assertThat(readAll(input.name())).as("records on %s", input.name()).isNotEmpty();
        }
        // Two days of history carry every episode to its end (payment timeouts, abandoned carts,
        // expiring lots, hourly and daily figures), so every output topic of every running job
        // must get records.
        Set<String> required = new LinkedHashSet<>();
        for (StorepulseJob job : runnableJobs) {
            job.outputs().forEach(t -> required.add(t.name()));
        }
        long deadline = System.nanoTime() + OUTPUT_DEADLINE.toNanos();
        Set<String> missing = new LinkedHashSet<>(required);
        while (!missing.isEmpty() && System.nanoTime() < deadline) {
            missing.removeIf(t -> !readAll(t).isEmpty());
            if (!missing.isEmpty()) {
                Thread.sleep(2_000);
            }
        }
        assertThat(missing).as("output topics still empty").isEmpty();
        System.out.printf(
                "every output topic had records %d s after the simulator started%n",
                Duration.ofNanos(System.nanoTime() - simulationStarted).toSeconds());
        for (StorepulseJob job : runnableJobs) {
            for (Topic<?> out : job.outputs()) {
                System.out.printf(
                        "output %-20s %d records%n", out.name(), readAll(out.name()).size());
            }
        }
    }

    @Test
    @Order(4)
    void shouldKeepInventoryLevelsAcrossStopAndUp() throws Exception {
        assumeThat(runnableJobs)
                .as("InventoryJob with a main() in the job jar")
                .contains(StorepulseJob.INVENTORY);
        String[] isolated = {
            "--warehouses", String.join(",", ISOLATED_WAREHOUSES),
            "--topics", "stock-movements,catalog",
            "--rate", "300",
            "--bad-share", "0.05"
        };
        LocalStack.Result before =
                stack.run(
                        Duration.ofMinutes(3),
                        concat("simulate", "--count", "3000", "--seed", "101", isolated));
        assertThat(before.exitCode()).as("simulate failed, see %s", before.log()).isZero();

        LocalStack.Result stop = stack.run(Duration.ofMinutes(4), "stop");
        assertThat(stop.exitCode()).as("stop failed, see %s", stop.log()).isZero();
        assertThat(stop.output())
                .containsPattern("job " + StorepulseJob.INVENTORY.id() + " +stopped, savepoint");

        LocalStack.Result up = stack.run(UP_TIMEOUT, "up");
        assertThat(up.exitCode()).as("up failed, see %s", up.log()).isZero();
        assertThat(up.output())
                .containsPattern(
                        "job "
                                + StorepulseJob.INVENTORY.id()
                                + " +submitted as \\w+, resumed from .*savepoints");

        // The job never re-orders what it has already applied: a movement older than movements
        // applied before the stop comes after them (docs/jobs/inventory.md). The first run's
        // simulated clock runs minutes ahead of the wall clock, so a second run starting "now"
        // would interleave with it in event time; start it after the first run's last movement.
        Instant firstRunEnd = lastMovementTime("ev-101-");
        Instant secondRunStart =
                max(Instant.now(), firstRunEnd.plusSeconds(1))
                        .plusSeconds(1)
                        .truncatedTo(ChronoUnit.SECONDS);
        LocalStack.Result after =
                stack.run(
                        Duration.ofMinutes(3),
                        concat(
                                "simulate",
                                "--count",
                                "3000",
                                "--seed",
                                "102",
                                concat("--start", secondRunStart.toString(), isolated)));
        assertThat(after.exitCode()).as("simulate failed, see %s", after.log()).isZero();
        Instant fenceTime = sendWatermarkFence();

        assertThat(firstMovementTime("ev-102-"))
                .as("second run's movements all come after the first run's")
                .isAfter(firstRunEnd);

        Map<String, Integer> expected = onHandFromInputLog(fenceTime);
        assertThat(expected).isNotEmpty();
        long deadline = System.nanoTime() + OUTPUT_DEADLINE.toNanos();
        Map<String, Integer> actual = Map.of();
        while (System.nanoTime() < deadline) {
            actual = latestOnHand(expected.keySet());
            if (actual.equals(expected)) {
                break;
            }
            Thread.sleep(3_000);
        }
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    @Order(5)
    void shouldStopEverythingItStarted() throws Exception {
        LocalStack.Result stop = stack.run(Duration.ofMinutes(4), "stop");
        assertThat(stop.exitCode()).as("stop failed, see %s", stop.log()).isZero();
        assertThat(stack.processesOfThisStack()).as("processes left running").isEmpty();
        assertThat(stack.portsStillBound()).as("ports left bound").isEmpty();
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * The job buffers stock changes until the watermark passes them. One far-future movement of a
     * sentinel SKU on every partition moves the watermark past everything sent before it.
     */
    private Instant sendWatermarkFence() throws Exception {
        Instant fence = Instant.now().plus(Duration.ofDays(1));
        RegistryClient registry = new RegistryClient(RegistryConfig.of(stack.registryUrl()));
        io.storepulse.serde.ConfluentAvroEncoder<StockMovement> encoder =
                new io.storepulse.serde.ConfluentAvroEncoder<>(
                        registry, Topics.STOCK_MOVEMENTS.valueSubject(), StockMovement.class);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            for (int p = 0; p < Topics.STOCK_MOVEMENTS.partitions(); p++) {
                StockMovement m =
                        StockMovement.newBuilder()
                                .setEventId("fence-" + p)
                                .setSku("SKU-FENCE")
                                .setWarehouseId("wh-fence")
                                .setType(StockMovementType.COUNT)
                                .setQuantity(0)
                                .setLotExpiresAt(null)
                                .setEventTime(fence)
                                .build();
                producer.send(
                        new ProducerRecord<>(
                                Topics.STOCK_MOVEMENTS.name(), p, "SKU-FENCE", encoder.encode(m)));
            }
            producer.flush();
        }
        return fence;
    }

    /** Latest event time of the isolated warehouses' movements whose event_id starts so. */
    private Instant lastMovementTime(String eventIdPrefix) throws Exception {
        return isolatedMovementTimes(eventIdPrefix).stream().max(Comparator.naturalOrder()).get();
    }

    /** Earliest event time of the isolated warehouses' movements whose event_id starts so. */
    private Instant firstMovementTime(String eventIdPrefix) throws Exception {
        return isolatedMovementTimes(eventIdPrefix).stream().min(Comparator.naturalOrder()).get();
    }

    private List<Instant> isolatedMovementTimes(String eventIdPrefix) throws Exception {
        ConfluentAvroDecoder<StockMovement> decoder =
                new ConfluentAvroDecoder<>(
                        new RegistryClient(RegistryConfig.of(stack.registryUrl())),
                        StockMovement.class);
        List<Instant> times = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : readAll(Topics.STOCK_MOVEMENTS.name())) {
            try {
                StockMovement m = decoder.decode(r.value());
                if (ISOLATED_WAREHOUSES.contains(m.getWarehouseId())
                        && m.getEventId().startsWith(eventIdPrefix)) {
                    times.add(m.getEventTime());
                }
            } catch (DecodeException e) {
                // bad bytes: not a movement
            }
        }
        assertThat(times).as("movements with event_id %s*", eventIdPrefix).isNotEmpty();
        return times;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    /**
     * On-hand per {@code sku@warehouse} of the isolated warehouses, folded from the whole
     * stock-movements log: valid movements only (bad bytes and impossible values go to dead
     * letters), each event_id once, in event-time order, ties as the job breaks them (kind, then
     * event_id).
     *
     * <p>This is the job's order only because every movement of the second simulator run is later
     * in event time than every movement of the first: the job applies a SKU's changes in event-time
     * order as the watermark passes them, but never re-orders what it has already applied, so a
     * movement older than ones applied before the stop would be applied after them (its watermark
     * is not part of the savepoint either). The test starts the second run after the first run's
     * last movement and checks it.
     */
    private Map<String, Integer> onHandFromInputLog(Instant fence) throws Exception {
        ConfluentAvroDecoder<StockMovement> decoder =
                new ConfluentAvroDecoder<>(
                        new RegistryClient(RegistryConfig.of(stack.registryUrl())),
                        StockMovement.class);
        Map<String, StockMovement> byId = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : readAll(Topics.STOCK_MOVEMENTS.name())) {
            StockMovement m;
            try {
                m = decoder.decode(r.value());
            } catch (DecodeException e) {
                continue;
            }
            if (!ISOLATED_WAREHOUSES.contains(m.getWarehouseId())
                    || m.getEventTime().isAfter(fence)) {
                continue;
            }
            boolean impossible = m.getType() != StockMovementType.ADJUSTMENT && m.getQuantity() < 0;
            if (!impossible) {
                byId.putIfAbsent(m.getEventId(), m);
            }
        }
        Map<String, Integer> onHand = new TreeMap<>();
        byId.values().stream()
                .sorted(
                        Comparator.comparing(StockMovement::getEventTime)
                                .thenComparing(m -> TIE_ORDER.indexOf(m.getType()))
                                .thenComparing(StockMovement::getEventId))
                .forEach(
                        m -> {
                            String key = m.getSku() + "@" + m.getWarehouseId();
                            int q = m.getQuantity();
                            switch (m.getType()) {
                                case RESTOCK, TRANSFER_IN, ADJUSTMENT ->
                                        onHand.merge(key, q, Integer::sum);
                                case TRANSFER_OUT -> onHand.merge(key, -q, Integer::sum);
                                case COUNT -> onHand.put(key, q);
                                default -> {}
                            }
                        });
        return onHand;
    }

    private Map<String, Integer> latestOnHand(Set<String> keys) throws Exception {
        ConfluentAvroDecoder<InventoryLevel> decoder =
                new ConfluentAvroDecoder<>(
                        new RegistryClient(RegistryConfig.of(stack.registryUrl())),
                        InventoryLevel.class);
        Map<String, Integer> latest = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : readAll(Topics.INVENTORY_LEVELS.name())) {
            if (r.value() != null && keys.contains(r.key())) {
                InventoryLevel level = decoder.decode(r.value());
                latest.put(r.key(), (int) level.getOnHand());
            }
        }
        return latest;
    }

    /** Every committed record of a topic, read from the beginning to the current end. */
    private List<ConsumerRecord<String, byte[]>> readAll(String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))
                    && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        return records;
    }

    private static String[] concat(String first, String a, String[] rest) {
        List<String> all = new ArrayList<>(List.of(first, a));
        all.addAll(List.of(rest));
        return all.toArray(String[]::new);
    }

    private static String[] concat(
            String first, String a, String b, String c, String d, String... rest) {
        List<String> all = new ArrayList<>(List.of(first, a, b, c, d));
        all.addAll(List.of(rest));
        return all.toArray(String[]::new);
    }
}
