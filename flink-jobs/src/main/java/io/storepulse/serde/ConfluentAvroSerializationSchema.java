package io.storepulse.serde;

import java.nio.charset.StandardCharsets;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes contract records to a topic in Confluent framing, keyed by a plain UTF-8 string. The value
 * schema is registered (or looked up) under {@code <topic>-value} when the sink opens.
 */
public final class ConfluentAvroSerializationSchema<T extends SpecificRecord>
        implements KafkaRecordSerializationSchema<T> {

    private final String topic;
    private final Class<T> type;
    private final KeyFunction<T> keyFunction;
    private final RegistryConfig registryConfig;

    private transient ConfluentAvroEncoder<T> encoder;

    public ConfluentAvroSerializationSchema(
            String topic,
            Class<T> type,
            KeyFunction<T> keyFunction,
            RegistryConfig registryConfig) {
        this.topic = topic;
        this.type = type;
        this.keyFunction = keyFunction;
        this.registryConfig = registryConfig;
    }

    @Override
    public void open(
            SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        encoder =
                new ConfluentAvroEncoder<>(
                        new RegistryClient(registryConfig), topic + "-value", type);
        encoder.schemaId(); // fail at start-up, not on the first record, if the registry refuses
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            T element, KafkaSinkContext context, Long timestamp) {
        String key = keyFunction.key(element);
        // The Kafka timestamp is left to the producer (append time), not the element's event
        // time: a shop clock far in the future would otherwise make the broker refuse the write
        // (log.message.timestamp.after.max.ms) and fail the job on bad input. Event time is in
        // the record itself.
        return new ProducerRecord<>(
                topic,
                null,
                null,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                encoder.encode(element));
    }
}
