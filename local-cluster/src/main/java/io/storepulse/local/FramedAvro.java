package io.storepulse.local;

import io.storepulse.serde.ConfluentAvroEncoder;
import io.storepulse.serde.RegistryClient;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/**
 * Confluent-framed Avro for the simulator, through the project's serde: one {@link
 * ConfluentAvroEncoder} per topic, registering the value schema under {@code <topic>-value}.
 */
final class FramedAvro {
    private final RegistryClient registry;
    private final Map<String, ConfluentAvroEncoder<SpecificRecord>> byTopic = new HashMap<>();

    FramedAvro(RegistryClient registry) {
        this.registry = registry;
    }

    /** Registers (or looks up) the topic's value schema now rather than at its first record. */
    void prepare(String topic, Class<? extends SpecificRecord> valueType) {
        encoder(topic, valueType).schemaId();
    }

    byte[] encode(String topic, SpecificRecord value) {
        return encoder(topic, value.getClass()).encode(value);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private ConfluentAvroEncoder<SpecificRecord> encoder(
            String topic, Class<? extends SpecificRecord> valueType) {
        return byTopic.computeIfAbsent(
                topic, t -> new ConfluentAvroEncoder(registry, t + "-value", valueType));
    }
}
