package io.storepulse.bench;

import io.storepulse.serde.ConfluentAvroEncoder;
import io.storepulse.serde.RegistryClient;
import io.storepulse.serde.RegistryConfig;
import io.storepulse.topics.Topic;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Writes generated records to their topics in Confluent framing, through Storepulse's encoder. */
public final class Loader implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;
    private final RegistryClient registry;
    private final Map<Class<?>, ConfluentAvroEncoder<?>> encoders = new HashMap<>();
    private final Map<String, Long> counts = new LinkedHashMap<>();
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    public Loader(String bootstrapServers, String registryUrl, boolean lowLatency) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers);
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        p.put("acks", "all");
        p.put("linger.ms", lowLatency ? "0" : "20");
        p.put("batch.size", lowLatency ? "16384" : "262144");
        p.put("buffer.memory", "134217728");
        // On a loaded 2-core machine the broker may stall for many seconds; a batch that expires
        // makes the idempotent producer reset its sequence numbers, which the broker then refuses
        // (OutOfOrderSequenceException) and the pre-load fails. Wait instead.
        p.put("request.timeout.ms", "120000");
        p.put("delivery.timeout.ms", "900000");
        this.producer = new KafkaProducer<>(p);
        this.registry = new RegistryClient(RegistryConfig.of(registryUrl));
    }

    public <T extends SpecificRecord> void send(Topic<T> topic, String key, SpecificRecord value) {
        send(topic, key, value, null);
    }

    /** Sends with an explicit record timestamp (the intended send time of a latency probe). */
    @SuppressWarnings("unchecked")
    public <T extends SpecificRecord> void send(
            Topic<T> topic, String key, SpecificRecord value, Long timestamp) {
        ConfluentAvroEncoder<T> encoder =
                (ConfluentAvroEncoder<T>)
                        encoders.computeIfAbsent(
                                topic.valueType(),
                                t ->
                                        new ConfluentAvroEncoder<>(
                                                registry, topic.valueSubject(), topic.valueType()));
        byte[] bytes = encoder.encode((T) value);
        producer.send(
                new ProducerRecord<>(
                        topic.name(), null, timestamp, key.getBytes(StandardCharsets.UTF_8), bytes),
                (md, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                });
        counts.merge(topic.name(), 1L, Long::sum);
        if (failure.get() != null) {
            throw new IllegalStateException("producing failed", failure.get());
        }
    }

    public void send(ShopGenerator.Event e) {
        send(e.topic(), e.key(), e.value());
    }

    /** Records sent per topic so far. */
    public Map<String, Long> counts() {
        return counts;
    }

    public void flush() {
        producer.flush();
        if (failure.get() != null) {
            throw new IllegalStateException("producing failed", failure.get());
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
