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

    @SuppressWarnings({"unchecked", "rawtypes"})
    byte[] encode(String topic, SpecificRecord value) {
        return byTopic.computeIfAbsent(
                        topic,
                        t -> new ConfluentAvroEncoder(registry, t + "-value", value.getClass()))
                .encode(value);
    }
}
