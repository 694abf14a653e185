package io.storepulse.local;

import io.storepulse.config.ConnectionCheck;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.local.sim.SimRecord;
import io.storepulse.serde.RegistryClient;
import io.storepulse.topics.Topic;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Sends simulator records to Kafka: Avro values Confluent-framed, raw bytes as they are. */
public final class SimSender implements AutoCloseable {
    private final KafkaProducer<String, byte[]> producer;
    private final FramedAvro avro;
    private final Map<String, Long> byTopic = new TreeMap<>();
    private final Map<SimRecord.Kind, Long> byKind = new TreeMap<>();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Exception> firstFailure = new AtomicReference<>();
    private long sent;

    /**
     * A shop rides out a broker or registry outage of this length (a restart, a pause) and then
     * delivers everything; only a longer one fails the run. Kafka's defaults give up after 60 s (a
     * send to a topic whose metadata is not known yet) or 120 s (delivery).
     */
    static final Duration OUTAGE_TOLERATED = Duration.ofMinutes(5);

    /**
     * A sender to these addresses, with the security settings of the {@code STOREPULSE_*}
     * environment (see {@link StorepulseAdmin#connection}); fails at once, in one line, when Kafka
     * or the registry refuses the credentials. Before it returns, it has the metadata of every
     * topic given and their schemas' ids, so that a broker restart later in the run (with the
     * registry's kafkasql storage stalled behind it) cannot hold up the first record of a topic.
     */
    public SimSender(String bootstrapServers, String registryUrl, List<Topic<?>> topics) {
        StorepulseSettings connection = StorepulseAdmin.connection(bootstrapServers, registryUrl);
        ConnectionCheck.kafka(connection);
        ConnectionCheck.registry(connection);
        Properties props = connection.kafkaSecurityProperties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        // At least once, in order, like many shops' producers: a retry may write a record twice,
        // which the jobs drop by event id (the simulator sends such duplicates on purpose too).
        // Not idempotent: after `restart kafka` under load the broker answered this producer's
        // retries with OutOfOrderSequenceException for minutes (524 times in one run), the
        // producer never recovered, and the run hung until the test gave up on it.
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) OUTAGE_TOLERATED.toMillis());
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) OUTAGE_TOLERATED.toMillis());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "storepulse-simulator");
        producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        // 8 attempts, 0.5 s doubling: up to about 64 s of waits between them, plus each request's
        // own timeout, so a registry outage of a few minutes is ridden out too.
        avro =
                new FramedAvro(
                        new RegistryClient(
                                connection
                                        .registryConfig()
                                        .withRetries(8, Duration.ofMillis(500))));
        for (Topic<?> topic : topics) {
            producer.partitionsFor(topic.name());
            avro.prepare(topic.name(), topic.valueType());
        }
    }

    public void send(SimRecord record) {
        byte[] value =
                record.raw() != null ? record.raw() : avro.encode(record.topic(), record.value());
        producer.send(
                new ProducerRecord<>(record.topic(), record.key(), value),
                (metadata, e) -> {
                    if (e != null) {
                        failed.incrementAndGet();
                        firstFailure.compareAndSet(null, e);
                    }
                });
        byTopic.merge(record.topic(), 1L, Long::sum);
        byKind.merge(record.kind(), 1L, Long::sum);
        sent++;
    }

    public void flush() {
        producer.flush();
        if (firstFailure.get() != null) {
            // The first failure is in the message: the tool prints this one line, not the cause.
            throw new IllegalStateException(
                    failed.get()
                            + " records not written to Kafka, the first for "
                            + firstFailure.get(),
                    firstFailure.get());
        }
    }

    public String progress(long elapsedNanos) {
        double seconds = Math.max(elapsedNanos / 1e9, 1e-3);
        return String.format(
                "%d records in %.0f s (%.1f/s); by topic %s; by kind %s",
                sent, seconds, sent / seconds, byTopic, byKind);
    }

    @Override
    public void close() {
        producer.close();
    }
}
