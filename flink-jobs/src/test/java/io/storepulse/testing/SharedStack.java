package io.storepulse.testing;

import io.storepulse.config.StorepulseSettings;
import io.storepulse.serde.ConfluentAvroDecoder;
import io.storepulse.serde.ConfluentAvroEncoder;
import io.storepulse.serde.DecodeException;
import io.storepulse.serde.RegistryClient;
import io.storepulse.serde.RegistryConfig;
import io.storepulse.testkit.ApicurioRegistry;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * The real stack for integration tests: a KRaft Kafka broker in this JVM ({@code
 * KafkaClusterTestKit}) and a real Apicurio Registry process, both on loopback. One per JVM;
 * failsafe forks a fresh JVM per test class, so every ITCase starts from empty topics. The registry
 * is a testkit {@link ApicurioRegistry}: it stops with this JVM even when the fork is killed.
 *
 * <p>Helpers produce and consume contract records in Confluent framing through Storepulse's own
 * registry client; consumers read {@code read_committed}, as users of exactly-once outputs must.
 */
public final class SharedStack {

    private static SharedStack instance;

    private final KafkaClusterTestKit kafka;
    private final ApicurioRegistry registry;
    private final RegistryClient registryClient;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Map<Class<?>, ConfluentAvroEncoder<?>> encoders = new HashMap<>();

    private SharedStack(KafkaClusterTestKit kafka, ApicurioRegistry registry) {
        this.kafka = kafka;
        this.registry = registry;
        this.registryClient = new RegistryClient(RegistryConfig.of(registry.ccompatUrl()));
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        p.put("acks", "all");
        p.put("linger.ms", "5");
        this.producer = new KafkaProducer<>(p);
    }

    /**
     * Starts the stack on first use. It stops when the test run ends ({@link StopSharedStack}) or,
     * failing that, when the JVM exits.
     */
    public static synchronized SharedStack get() {
        if (instance == null) {
            instance = start();
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(SharedStack::stopIfStarted, "shared-stack-stop"));
        }
        return instance;
    }

    /**
     * Stops the stack if it runs; idempotent. Called when the test plan has finished, before the
     * JVM's shutdown hooks: Kafka's test kit deletes its data directories from a shutdown hook of
     * its own, and a broker still running then finds its log directory gone and halts the JVM with
     * exit code 1, which failsafe reports as "Error occurred in starting fork" although every test
     * passed.
     */
    public static synchronized void stopIfStarted() {
        if (instance != null) {
            SharedStack running = instance;
            instance = null;
            running.stop();
        }
    }

    private static SharedStack start() {
        Path work = Path.of("target", "it-stack");
        ApicurioRegistry registry =
                ApicurioRegistry.start(
                        Path.of(System.getProperty("storepulse.apicurio.home", "target/apicurio")),
                        work);
        try {
            KafkaClusterTestKit kafka =
                    new KafkaClusterTestKit.Builder(
                                    new TestKitNodes.Builder()
                                            .setCombined(true)
                                            .setNumBrokerNodes(1)
                                            .setNumControllerNodes(1)
                                            .build())
                            .setConfigProp("offsets.topic.replication.factor", "1")
                            .setConfigProp("transaction.state.log.replication.factor", "1")
                            .setConfigProp("transaction.state.log.min.isr", "1")
                            .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
                            .setConfigProp("group.initial.rebalance.delay.ms", "0")
                            .setConfigProp("auto.create.topics.enable", "false")
                            .build();
            kafka.format();
            kafka.startup();
            kafka.waitForReadyBrokers();
            return new SharedStack(kafka, registry);
        } catch (Exception e) {
            registry.close();
            throw new IllegalStateException("cannot start the in-JVM Kafka broker", e);
        }
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** Base URL of the registry's Confluent-compatible API. */
    public String registryUrl() {
        return registry.ccompatUrl();
    }

    public RegistryClient registryClient() {
        return registryClient;
    }

    /**
     * Job settings pointing at this stack, with a fast checkpoint interval and unique group ids.
     */
    public StorepulseSettings settings(String... extraArgs) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--bootstrap-servers",
                                bootstrapServers(),
                                "--registry-url",
                                registryUrl(),
                                "--checkpoint-interval",
                                "1s",
                                "--transaction-timeout",
                                "2m",
                                "--group-suffix",
                                "-" + UUID.randomUUID().toString().substring(0, 8)));
        args.addAll(List.of(extraArgs));
        return StorepulseSettings.fromArgs(args.toArray(String[]::new));
    }

    /**
     * Creates topics with the catalogue's partitions and cleanup policy; existing ones are kept.
     */
    public void createTopics(Topic<?>... topics) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers()))) {
            List<NewTopic> newTopics = new ArrayList<>();
            for (Topic<?> t : topics) {
                newTopics.add(
                        new NewTopic(t.name(), t.partitions(), (short) 1)
                                .configs(Map.of("cleanup.policy", t.cleanupPolicy())));
            }
            for (var result : admin.createTopics(newTopics).values().entrySet()) {
                try {
                    result.getValue().get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause()
                            instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                        throw e;
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topics", e);
        }
    }

    /** Every topic of the contract. */
    public void createAllTopics() {
        createTopics(Topics.ALL.toArray(Topic<?>[]::new));
    }

    /** Sends one contract record in Confluent framing, registering its schema on first use. */
    @SuppressWarnings("unchecked")
    public synchronized <T extends SpecificRecord> void produce(
            Topic<T> topic, String key, T record) {
        ConfluentAvroEncoder<T> encoder =
                (ConfluentAvroEncoder<T>)
                        encoders.computeIfAbsent(
                                topic.valueType(),
                                type ->
                                        new ConfluentAvroEncoder<>(
                                                registryClient,
                                                topic.valueSubject(),
                                                topic.valueType()));
        produceRaw(topic.name(), key, encoder.encode(record));
    }

    /** Sends raw bytes (garbage, tombstones with null, hand-made framing). */
    public void produceRaw(String topic, String key, byte[] value) {
        try {
            producer.send(
                            new ProducerRecord<>(
                                    topic,
                                    key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                                    value))
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot produce to " + topic, e);
        }
    }

    public void flush() {
        producer.flush();
    }

    /**
     * Reads a topic from the beginning with {@code read_committed} until at least {@code atLeast}
     * records arrived or the timeout passed, then returns every record read (key, decoded value).
     * Callers assert on the returned list; a timeout is not a failure here.
     */
    public <T extends SpecificRecord> List<Keyed<T>> consume(
            Topic<T> topic, int atLeast, Duration timeout) {
        ConfluentAvroDecoder<T> decoder =
                new ConfluentAvroDecoder<>(registryClient, topic.valueType());
        List<Keyed<T>> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : consumeRaw(topic.name(), atLeast, timeout)) {
            try {
                out.add(
                        new Keyed<>(
                                r.key() == null
                                        ? null
                                        : new String(r.key(), StandardCharsets.UTF_8),
                                r.value() == null ? null : decoder.decode(r.value())));
            } catch (DecodeException e) {
                throw new IllegalStateException(
                        "output on " + topic.name() + " does not decode: " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** Values only; see {@link #consume}. */
    public <T extends SpecificRecord> List<T> consumeValues(
            Topic<T> topic, int atLeast, Duration timeout) {
        return consume(topic, atLeast, timeout).stream().map(Keyed::value).toList();
    }

    public List<ConsumerRecord<byte[], byte[]>> consumeRaw(
            String topic, int atLeast, Duration timeout) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers());
        p.put("group.id", "it-reader-" + UUID.randomUUID());
        p.put("auto.offset.reset", "earliest");
        p.put("enable.auto.commit", "false");
        p.put("isolation.level", "read_committed");
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            int idlePolls = 0;
            while (System.nanoTime() < deadline) {
                int before = out.size();
                consumer.poll(Duration.ofMillis(500)).forEach(out::add);
                if (out.size() >= atLeast) {
                    // Drain what is already there, then stop.
                    idlePolls = out.size() == before ? idlePolls + 1 : 0;
                    if (idlePolls >= 2) {
                        break;
                    }
                }
            }
        }
        return out;
    }

    /** A record's key and decoded value. */
    public record Keyed<T>(String key, T value) {}

    private void stop() {
        try {
            producer.close(Duration.ofSeconds(5));
        } catch (RuntimeException ignored) {
            // shutting down
        }
        try {
            kafka.close();
        } catch (Exception ignored) {
            // shutting down
        }
        registry.stop(Duration.ofSeconds(5));
    }
}
