package io.storepulse.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.OutputTag;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.events.RuleJob;

/**
 * Dead letters raised by the metrics job itself, after decoding: events too late for their window
 * ({@link DeadLetterKind#TOO_LATE}) and events whose values clash with the rules in force ({@link
 * DeadLetterKind#IMPOSSIBLE_VALUE}). The Kafka partition and offset are no longer known at that
 * point, so they are -1; the raw value is the plain Avro binary of the decoded record (no Confluent
 * framing, so schema_id is null) and the raw key is the record's contract key.
 */
public final class MetricsDeadLetters {

    /** Side output of every metrics operator that rejects an input. */
    public static final OutputTag<DeadLetter> TAG =
            new OutputTag<>("metrics-dead-letters", TypeInformation.of(DeadLetter.class));

    static final String JOB =
            "storepulse-" + RuleJob.METRICS.name().toLowerCase(java.util.Locale.ROOT);

    private MetricsDeadLetters() {}

    public static DeadLetter of(
            String topic,
            String key,
            SpecificRecord value,
            DeadLetterKind kind,
            String message,
            long processingTime) {
        return DeadLetter.newBuilder()
                .setSourceTopic(topic)
                .setSourcePartition(-1)
                .setSourceOffset(-1L)
                .setRawKey(
                        key == null ? null : ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8)))
                .setRawValue(value == null ? null : ByteBuffer.wrap(avroBytes(value)))
                .setErrorKind(kind)
                .setErrorMessage(message)
                .setSchemaId(null)
                .setJob(JOB)
                .setFailedAt(Instant.ofEpochMilli(processingTime))
                .build();
    }

    @SuppressWarnings("unchecked")
    static byte[] avroBytes(SpecificRecord record) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
            new SpecificDatumWriter<SpecificRecord>(record.getSchema()).write(record, encoder);
            encoder.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
