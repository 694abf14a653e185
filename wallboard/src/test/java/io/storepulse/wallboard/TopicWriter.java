package io.storepulse.wallboard;

import io.storepulse.serde.ConfluentAvroEncoder;
import io.storepulse.serde.RegistryClient;
import io.storepulse.serde.RegistryConfig;
import io.storepulse.topics.Topic;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes contract records to any cluster in Confluent framing (the in-JVM test stack, or the real
 * local cluster when the browser test runs against it).
 */
final class TopicWriter implements AutoCloseable {

    private final RegistryClient registry;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Map<String, ConfluentAvroEncoder<?>> encoders = new HashMap<>();

    TopicWriter(String bootstrapServers, String registryUrl) {
        this.registry = new RegistryClient(RegistryConfig.of(registryUrl));
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers);
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        p.put("acks", "all");
        p.put("client.id", "wallboard-browser-test");
        this.producer = new KafkaProducer<>(p);
    }

    @SuppressWarnings("unchecked")
    synchronized <T extends SpecificRecord> void write(Topic<T> topic, String key, T record) {
        ConfluentAvroEncoder<T> encoder =
                (ConfluentAvroEncoder<T>)
                        encoders.computeIfAbsent(
                                topic.name(),
                                t ->
                                        new ConfluentAvroEncoder<>(
                                                registry, topic.valueSubject(), topic.valueType()));
        try {
            producer.send(
                            new ProducerRecord<>(
                                    topic.name(),
                                    key.getBytes(StandardCharsets.UTF_8),
                                    encoder.encode(record)))
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot write to " + topic.name(), e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
