package io.storepulse.reliability;

import static io.storepulse.inventory.InventoryFixtures.T0;
import static io.storepulse.inventory.InventoryFixtures.line;
import static io.storepulse.inventory.InventoryFixtures.movement;
import static io.storepulse.inventory.InventoryFixtures.order;
import static io.storepulse.inventory.InventoryFixtures.product;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.storepulse.inventory.InventoryHistories;
import io.storepulse.inventory.InventoryHistories.Arrival;
import io.storepulse.inventory.InventoryHistories.Expected;
import io.storepulse.inventory.InventoryHistories.History;
import io.storepulse.inventory.InventoryHistories.Outcome;
import io.storepulse.serde.ConfluentAvroDecoder;
import io.storepulse.serde.ConfluentAvroEncoder;
import io.storepulse.serde.DecodeException;
import io.storepulse.testing.SharedStack;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import storepulse.v1.actions.InventoryAlert;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.actions.OrderAction;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.RuleJob;
import storepulse.v1.events.RuleScope;
import storepulse.v1.events.RuleSet;
import storepulse.v1.events.StockMovement;
import storepulse.v1.events.StockMovementType;

/**
 * A generated inventory workload with a known result (the plain oracle of {@link
 * InventoryHistories}), produced to the shared stack's real broker, and a {@code read_committed}
 * reader of the job's outputs. Shared by the reliability ITCases.
 */
final class InventoryRun implements AutoCloseable {

    /** The fixed reorder point the oracle assumes, set through a global rule before the run. */
    static final long REORDER_POINT = 4;

    /**
     * Two days after the workload (which spans about 3 hours): records at this time at the end of
     * the input move event time past every payment timeout. Not later: the job's outputs carry
     * event time as their Kafka timestamp, and the broker refuses timestamps more than an hour
     * ahead of its clock ({@code message.timestamp.after.max.ms}).
     */
    static final long END_OF_RUN = T0.plus(Duration.ofDays(2)).toEpochMilli();

    final SharedStack stack;
    final List<History> histories = new ArrayList<>();
    final List<Arrival> arrivals = new ArrayList<>();
    final Expected expected;
    private final KafkaProducer<byte[], byte[]> producer;
    private final ConfluentAvroEncoder<OrderEvent> orderEncoder;
    private final ConfluentAvroEncoder<StockMovement> movementEncoder;
    private final List<Future<RecordMetadata>> pending = new ArrayList<>();

    /** Random logs until at least {@code events} input records (duplicates included). */
    InventoryRun(SharedStack stack, String prefix, int events, long seed) {
        this.stack = stack;
        Random rnd = new Random(seed);
        for (int i = 0; arrivals.size() < events; i++) {
            History h = InventoryHistories.generate(prefix + i, rnd);
            histories.add(h);
            arrivals.addAll(h.arrivals());
        }
        arrivals.sort(Comparator.comparingDouble(Arrival::arrivalKey));
        expected = InventoryHistories.expect(histories, REORDER_POINT);
        Properties p = new Properties();
        p.put("bootstrap.servers", stack.bootstrapServers());
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        p.put("acks", "all");
        p.put("linger.ms", "20");
        p.put("enable.idempotence", "true");
        producer = new KafkaProducer<>(p);
        orderEncoder =
                new ConfluentAvroEncoder<>(
                        stack.registryClient(), Topics.ORDERS.valueSubject(), OrderEvent.class);
        movementEncoder =
                new ConfluentAvroEncoder<>(
                        stack.registryClient(),
                        Topics.STOCK_MOVEMENTS.valueSubject(),
                        StockMovement.class);
    }

    static void createTopics(SharedStack stack) {
        stack.createTopics(
                Topics.ORDERS,
                Topics.STOCK_MOVEMENTS,
                Topics.CATALOG,
                Topics.RULES,
                Topics.INVENTORY_LEVELS,
                Topics.INVENTORY_ALERTS,
                Topics.ORDER_ACTIONS,
                Topics.DEAD_LETTERS);
    }

    /**
     * What must be on the input topics before the job starts: the reorder point rule, and one
     * catalog record per partition far in the future, so that the (otherwise empty) catalog does
     * not hold back event time.
     */
    void prepare() {
        stack.produce(
                Topics.RULES,
                "rop",
                RuleSet.newBuilder()
                        .setRuleId("rop")
                        .setVersion(1)
                        .setJob(RuleJob.INVENTORY)
                        .setScopeType(RuleScope.GLOBAL)
                        .setScopeValue(null)
                        .setParams(Map.of("reorder_point", Long.toString(REORDER_POINT)))
                        .setUpdatedAt(T0)
                        .build());
        catalogClock();
    }

    /**
     * One catalog record per partition, far in the future. The job's catalog watermarks start
     * afresh on every (re)start, per partition, and a partition without new records holds event
     * time back until it goes idle (1 min); a fresh record lets a restored job go on at once.
     */
    void catalogClock() {
        for (int p = 0; p < Topics.CATALOG.partitions(); p++) {
            String sku = keyOnPartition("clock-product-", Topics.CATALOG, p);
            stack.produce(Topics.CATALOG, sku, product(sku, "clock", 0, END_OF_RUN));
        }
        stack.flush();
    }

    int size() {
        return arrivals.size();
    }

    /**
     * Produces arrivals [from, to) in arrival order (orders keyed by order_id, movements by sku).
     */
    void produce(int from, int to) {
        produce(from, to, movementEncoder::encode);
    }

    /** As {@link #produce(int, int)}, with stock movements encoded by the given writer. */
    void produce(int from, int to, Function<StockMovement, byte[]> movementWriter) {
        for (int i = from; i < to; i++) {
            SpecificRecord e = arrivals.get(i).event();
            if (e instanceof OrderEvent o) {
                send(Topics.ORDERS.name(), o.getOrderId(), orderEncoder.encode(o));
            } else {
                StockMovement m = (StockMovement) e;
                send(Topics.STOCK_MOVEMENTS.name(), m.getSku(), movementWriter.apply(m));
            }
        }
        flush();
    }

    /**
     * Sends bytes as they are (also poison pills) to the partition the key hashes to, as any Kafka
     * producer would, so that each key keeps its order and every partition carries data. The job
     * generates watermarks per partition, so a subtask that reads several partitions (at any
     * parallelism, and while it catches up after a restore) does not turn the records of a slower
     * partition into late ones.
     */
    void send(String topic, String key, byte[] value) {
        pending.add(
                producer.send(
                        new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value)));
    }

    private void sendTo(String topic, int partition, String key, byte[] value) {
        pending.add(
                producer.send(
                        new ProducerRecord<>(
                                topic, partition, key.getBytes(StandardCharsets.UTF_8), value)));
    }

    byte[] encode(OrderEvent o) {
        return orderEncoder.encode(o);
    }

    byte[] encode(StockMovement m) {
        return movementEncoder.encode(m);
    }

    void flush() {
        producer.flush();
        try {
            for (Future<RecordMetadata> f : pending) {
                f.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot produce the workload", e);
        } finally {
            pending.clear();
        }
    }

    /**
     * A record far in the future at the end of every partition of the orders and the stock
     * movements, so that event time (the minimum over the partitions) passes every timer.
     */
    void endOfRun() {
        for (int p = 0; p < Topics.ORDERS.partitions(); p++) {
            String id = keyOnPartition("clock-order-", Topics.ORDERS, p);
            OrderEvent tick =
                    order(
                            "tick-" + id,
                            id,
                            OrderEventType.DELIVERED,
                            END_OF_RUN,
                            line("clock", "wh-0", 1));
            sendTo(Topics.ORDERS.name(), p, id, orderEncoder.encode(tick));
        }
        for (int p = 0; p < Topics.STOCK_MOVEMENTS.partitions(); p++) {
            String sku = keyOnPartition("clock-sku-", Topics.STOCK_MOVEMENTS, p);
            StockMovement move =
                    movement("tick-" + sku, sku, "wh-0", StockMovementType.COUNT, 100, END_OF_RUN);
            sendTo(Topics.STOCK_MOVEMENTS.name(), p, sku, movementEncoder.encode(move));
        }
        flush();
    }

    /** A key with the given prefix that the default partitioner sends to the given partition. */
    static String keyOnPartition(String prefix, Topic<?> topic, int partition) {
        for (int i = 0; ; i++) {
            String key = prefix + i;
            byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
            if (Utils.toPositive(Utils.murmur2(bytes)) % topic.partitions() == partition) {
                return key;
            }
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }

    // ------------------------------------------------------------------ outputs

    /** Everything read back, read_committed, in each partition's order. */
    static final class Read {
        final List<InventoryLevel> levels = new ArrayList<>();
        final List<InventoryAlert> alerts = new ArrayList<>();
        final List<OrderAction> actions = new ArrayList<>();
        final List<ConsumerRecord<byte[], byte[]>> deadLetters = new ArrayList<>();

        /** The workload's outputs only (not the clock records'), in the oracle's terms. */
        Outcome outcome() {
            return Outcome.of(
                    levels.stream().filter(l -> !l.getSku().startsWith("clock")).toList(),
                    alerts.stream().filter(a -> !a.getSku().startsWith("clock")).toList(),
                    actions.stream().filter(a -> !a.getOrderId().startsWith("clock")).toList());
        }
    }

    /**
     * Reads every output topic from the beginning until the outcome equals the oracle or the
     * deadline passes, then keeps reading for {@code settle} to catch anything extra (duplicates).
     */
    Read readOutputs(Duration deadline, Duration settle, int expectedDeadLetters) {
        Properties p = new Properties();
        p.put("bootstrap.servers", stack.bootstrapServers());
        p.put("group.id", "reliability-reader-" + UUID.randomUUID());
        p.put("auto.offset.reset", "earliest");
        p.put("enable.auto.commit", "false");
        p.put("isolation.level", "read_committed");
        p.put("max.poll.records", "5000");
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        var levels = new ConfluentAvroDecoder<>(stack.registryClient(), InventoryLevel.class);
        var alerts = new ConfluentAvroDecoder<>(stack.registryClient(), InventoryAlert.class);
        var actions = new ConfluentAvroDecoder<>(stack.registryClient(), OrderAction.class);
        Read read = new Read();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(
                    List.of(
                            Topics.INVENTORY_LEVELS.name(),
                            Topics.INVENTORY_ALERTS.name(),
                            Topics.ORDER_ACTIONS.name(),
                            Topics.DEAD_LETTERS.name()));
            BooleanSupplier done =
                    () ->
                            read.deadLetters.size() >= expectedDeadLetters
                                    && read.outcome().equals(expectedOutcome());
            long end = System.nanoTime() + deadline.toNanos();
            long checkedAt = 0;
            while (System.nanoTime() < end) {
                int n = poll(consumer, read, levels, alerts, actions);
                if (n == 0 && checkedAt != read.levels.size() + read.alerts.size()) {
                    checkedAt = read.levels.size() + read.alerts.size();
                    if (done.getAsBoolean()) {
                        break;
                    }
                }
            }
            System.out.printf(
                    "outputs read: %d levels, %d alerts, %d order actions, %d dead letters;"
                            + " equal to the oracle: %s, after %d s%n",
                    read.levels.size(),
                    read.alerts.size(),
                    read.actions.size(),
                    read.deadLetters.size(),
                    done.getAsBoolean(),
                    Duration.ofNanos(System.nanoTime() - (end - deadline.toNanos())).toSeconds());
            long settleEnd = System.nanoTime() + settle.toNanos();
            while (System.nanoTime() < settleEnd) {
                poll(consumer, read, levels, alerts, actions);
            }
        }
        return read;
    }

    private static int poll(
            KafkaConsumer<byte[], byte[]> consumer,
            Read read,
            ConfluentAvroDecoder<InventoryLevel> levels,
            ConfluentAvroDecoder<InventoryAlert> alerts,
            ConfluentAvroDecoder<OrderAction> actions) {
        int n = 0;
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            n++;
            try {
                switch (r.topic()) {
                    case "inventory-levels" -> read.levels.add(levels.decode(r.value()));
                    case "inventory-alerts" -> read.alerts.add(alerts.decode(r.value()));
                    case "order-actions" -> read.actions.add(actions.decode(r.value()));
                    default -> read.deadLetters.add(r);
                }
            } catch (DecodeException e) {
                throw new IllegalStateException("output does not decode: " + e.getMessage(), e);
            }
        }
        return n;
    }

    /**
     * The keys whose values differ between the oracle and what was read, with the first few
     * differences spelled out; empty when they are equal. Readable where a map diff is not.
     */
    static <V> String diff(String what, Map<String, V> expected, Map<String, V> actual) {
        java.util.TreeSet<String> keys = new java.util.TreeSet<>(expected.keySet());
        keys.addAll(actual.keySet());
        List<String> differing = new ArrayList<>();
        for (String k : keys) {
            if (!java.util.Objects.equals(expected.get(k), actual.get(k))) {
                differing.add(k);
            }
        }
        if (differing.isEmpty()) {
            return "";
        }
        StringBuilder s =
                new StringBuilder(
                        what + ": " + differing.size() + " of " + keys.size() + " keys differ");
        for (String k : differing.subList(0, Math.min(5, differing.size()))) {
            s.append("\n  ")
                    .append(k)
                    .append("\n    expected ")
                    .append(expected.get(k))
                    .append("\n    actual   ")
                    .append(actual.get(k));
        }
        return s.toString();
    }

    /** Every difference between the oracle and what was read; empty when they are equal. */
    String differences(Read read) {
        Outcome a = read.outcome();
        Outcome e = expectedOutcome();
        return String.join(
                        "\n",
                        diff("order actions", e.orderActions(), a.orderActions()),
                        diff("alerts", e.alerts(), a.alerts()),
                        diff("levels", e.levels(), a.levels()))
                .strip();
    }

    Outcome expectedOutcome() {
        return new Outcome(expected.levels(), expected.alerts(), expected.orderActions());
    }

    // ------------------------------------------------------------------ the cluster

    private static final Pattern VALUE = Pattern.compile("\"value\"\\s*:\\s*\"(\\d+)\"");

    /**
     * The job's {@code numRestarts} metric, read from the MiniCluster's REST API. The first
     * requests answer an empty list until the metric fetcher has run, so it polls (bounded).
     */
    static long numRestarts(URI rest, String jobId) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI uri = rest.resolve("/jobs/" + jobId + "/metrics?get=numRestarts");
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String body = "";
        while (System.nanoTime() < end) {
            body =
                    http.send(
                                    HttpRequest.newBuilder(uri).GET().build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body();
            Matcher m = VALUE.matcher(body);
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("no numRestarts in " + body);
    }

    /**
     * Waits (bounded) until the job has completed a checkpoint acknowledged after {@code
     * sinceMillis}: every task of a new attempt runs and has state again. A fault armed before that
     * could strike in a task of the attempt that is being cancelled, where its failure is absorbed
     * by the failover already under way and tests nothing.
     */
    private static final ObjectMapper JSON = new ObjectMapper();

    static boolean awaitCheckpointAfter(URI rest, String jobId, long sinceMillis, Duration timeout)
            throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI uri = rest.resolve("/jobs/" + jobId + "/checkpoints");
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            String body =
                    http.send(
                                    HttpRequest.newBuilder(uri).GET().build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body();
            long latestAck =
                    JSON.readTree(body)
                            .path("latest")
                            .path("completed")
                            .path("latest_ack_timestamp")
                            .asLong(0);
            if (latestAck > sinceMillis) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    /** Polls a condition with a bounded deadline (no fixed sleeps in assertions). */
    static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return condition.getAsBoolean();
    }
}
