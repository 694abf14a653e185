package io.storepulse.local.sim;

import org.apache.avro.specific.SpecificRecord;

/**
 * One record the simulator wants on Kafka: either an Avro value to encode with the Confluent
 * framing, or raw bytes sent as they are (garbage, unknown schema ids).
 *
 * @param topic topic name from the catalogue
 * @param key plain string key, as the contract names it
 * @param value the Avro value, or null when {@code raw} is set
 * @param raw bytes to send unencoded, or null when {@code value} is set
 * @param kind what the record is meant to exercise
 */
public record SimRecord(String topic, String key, SpecificRecord value, byte[] raw, Kind kind) {

    /** What the record is meant to exercise downstream. */
    public enum Kind {
        /** A normal, valid event. */
        VALID,
        /** Bytes that are not Confluent-framed Avro at all. */
        GARBAGE,
        /** Confluent framing with a schema id the registry does not know. */
        UNKNOWN_SCHEMA_ID,
        /** Well-formed Avro with impossible values (negative quantities, missing warehouse). */
        IMPOSSIBLE,
        /** A resend of an earlier valid record, with the same event_id. */
        DUPLICATE,
        /** A valid event whose event_time lies well behind the simulated clock. */
        LATE;

        /** Whether a job should send the record to dead-letters. */
        public boolean deadLetter() {
            return this == GARBAGE || this == UNKNOWN_SCHEMA_ID || this == IMPOSSIBLE;
        }
    }

    public SimRecord {
        if ((value == null) == (raw == null)) {
            throw new IllegalArgumentException("exactly one of value and raw must be set");
        }
    }

    static SimRecord valid(String topic, String key, SpecificRecord value) {
        return new SimRecord(topic, key, value, null, Kind.VALID);
    }
}
