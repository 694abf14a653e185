package io.storepulse.topics;

import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;

/**
 * One Kafka topic of the event contract: its name, what its key and value are, and how it is laid
 * out on the broker. Immutable; every part of Storepulse (jobs, tests, local cluster, deploy
 * manifests) takes topic names and settings from {@link Topics}.
 *
 * @param name topic name on the broker
 * @param keyDescription what the plain UTF-8 string key is made of, e.g. {@code sku@warehouse_id}
 * @param valueType the Avro record written as the value (Confluent framing)
 * @param partitions partition count for a fresh cluster
 * @param compacted whether the topic uses {@code cleanup.policy=compact}
 * @param retentionMs retention for delete-policy topics; -1 means keep forever
 * @param direction whether shops write it ({@link Direction#INPUT}) or Storepulse does
 */
public record Topic<V extends SpecificRecord>(
        String name,
        String keyDescription,
        Class<V> valueType,
        int partitions,
        boolean compacted,
        long retentionMs,
        Direction direction) {

    /** Who writes the topic. */
    public enum Direction {
        INPUT,
        OUTPUT
    }

    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(valueType, "valueType");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1 for " + name);
        }
    }

    /** Subject of the value schema under the Confluent TopicNameStrategy. */
    public String valueSubject() {
        return name + "-value";
    }

    /** {@code compact} or {@code delete}, as Kafka's {@code cleanup.policy} expects. */
    public String cleanupPolicy() {
        return compacted ? "compact" : "delete";
    }
}
