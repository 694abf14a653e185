package io.storepulse.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Confluent wire framing (magic byte 0, 4-byte big-endian schema id, Avro binary) for the
 * simulator. The value schema is registered under {@code <topic>-value} on first use of each topic.
 */
final class FramedAvro {
    private final Registry registry;
    private final Map<String, Integer> idBySubject = new HashMap<>();

    FramedAvro(Registry registry) {
        this.registry = registry;
    }

    byte[] encode(String topic, SpecificRecord value) {
        String subject = topic + "-value";
        Integer id = idBySubject.get(subject);
        if (id == null) {
            try {
                id = registry.register(subject, value.getSchema());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            idBySubject.put(subject, id);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        out.write(0);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        SpecificDatumWriter<SpecificRecord> writer =
                new SpecificDatumWriter<>(
                        value.getSchema(), SpecificData.getForClass(value.getClass()));
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            writer.write(value, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
