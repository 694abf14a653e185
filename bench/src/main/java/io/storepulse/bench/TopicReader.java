package io.storepulse.bench;

import io.storepulse.serde.ConfluentAvroDecoder;
import io.storepulse.serde.DecodeException;
import io.storepulse.serde.RegistryClient;
import io.storepulse.serde.RegistryConfig;
import io.storepulse.topics.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a whole output topic as a read_committed consumer and decodes it. */
public final class TopicReader {

    private TopicReader() {}

    static Properties consumerProps(String bootstrapServers) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers);
        p.put("group.id", "bench-reader-" + UUID.randomUUID());
        p.put("auto.offset.reset", "earliest");
        p.put("enable.auto.commit", "false");
        p.put("isolation.level", "read_committed");
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        return p;
    }

    public static <T extends SpecificRecord> List<T> readAll(
            String bootstrapServers, String registryUrl, Topic<T> topic, Duration timeout) {
        ConfluentAvroDecoder<T> decoder =
                new ConfluentAvroDecoder<>(
                        new RegistryClient(RegistryConfig.of(registryUrl)), topic.valueType());
        List<T> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(consumerProps(bootstrapServers))) {
            List<TopicPartition> parts =
                    c.partitionsFor(topic.name()).stream()
                            .map(pi -> new TopicPartition(pi.topic(), pi.partition()))
                            .toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (r.value() != null) {
                        try {
                            out.add(decoder.decode(r.value()));
                        } catch (DecodeException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }
                boolean done = true;
                for (TopicPartition tp : parts) {
                    if (c.position(tp) < end.get(tp)) {
                        done = false;
                    }
                }
                if (done) {
                    break;
                }
            }
        }
        return out;
    }
}
