package io.storepulse.serde;

import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.flink.util.OutputTag;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DeadLetterKind;

/** Builds {@link DeadLetter}s and names the side output that carries them inside a job. */
public final class DeadLetters {

    /** Side output for inputs that could not be used; every job routes it to dead-letters. */
    public static final OutputTag<DeadLetter> TAG = new OutputTag<>("dead-letters") {};

    private DeadLetters() {}

    public static DeadLetter of(
            RawRecord raw, DeadLetterKind kind, String message, Integer schemaId, String job) {
        return DeadLetter.newBuilder()
                .setSourceTopic(raw.getTopic())
                .setSourcePartition(raw.getPartition())
                .setSourceOffset(raw.getOffset())
                .setRawKey(raw.getKey() == null ? null : ByteBuffer.wrap(raw.getKey()))
                .setRawValue(raw.getValue() == null ? null : ByteBuffer.wrap(raw.getValue()))
                .setErrorKind(kind)
                .setErrorMessage(message == null ? kind.name() : message)
                .setSchemaId(schemaId)
                .setJob(job)
                .setFailedAt(Instant.ofEpochMilli(System.currentTimeMillis()))
                .build();
    }

    /**
     * A dead letter for a decoded record that a job rejects later (for example an event later than
     * the allowed lateness). The raw bytes are no longer at hand, so the record's text stands in
     * for them.
     */
    public static DeadLetter ofDecoded(
            String topic, Object record, DeadLetterKind kind, String message, String job) {
        return DeadLetter.newBuilder()
                .setSourceTopic(topic)
                .setSourcePartition(-1)
                .setSourceOffset(-1)
                .setRawKey(null)
                .setRawValue(
                        ByteBuffer.wrap(
                                String.valueOf(record)
                                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .setErrorKind(kind)
                .setErrorMessage(message)
                .setSchemaId(null)
                .setJob(job)
                .setFailedAt(Instant.ofEpochMilli(System.currentTimeMillis()))
                .build();
    }

    /** The dead-letter topic key: {@code source topic:partition:offset}. */
    public static String key(DeadLetter d) {
        return d.getSourceTopic() + ":" + d.getSourcePartition() + ":" + d.getSourceOffset();
    }
}
