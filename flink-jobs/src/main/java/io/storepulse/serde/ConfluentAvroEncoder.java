package io.storepulse.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Encodes a SpecificRecord in the Confluent wire format. The writer schema is registered (or, when
 * auto-registration is off, looked up) under the subject once, on first use.
 */
public final class ConfluentAvroEncoder<T extends SpecificRecord> {

    private final RegistryClient registry;
    private final String subject;
    private final Schema schema;
    private final SpecificDatumWriter<T> writer;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
    private BinaryEncoder reusableEncoder;
    private int schemaId = -1;

    public ConfluentAvroEncoder(RegistryClient registry, String subject, Class<T> type) {
        this.registry = registry;
        this.subject = subject;
        SpecificData model = SpecificData.getForClass(type);
        this.schema = model.getSchema(type);
        this.writer = new SpecificDatumWriter<>(schema, model);
    }

    /** The schema id written into every header (registering the schema if needed). */
    public int schemaId() {
        if (schemaId < 0) {
            schemaId =
                    registry.config().autoRegister()
                            ? registry.register(subject, schema)
                            : registry.idOf(subject, schema);
        }
        return schemaId;
    }

    public byte[] encode(T record) {
        int id = schemaId();
        buffer.reset();
        buffer.write(ConfluentWireFormat.MAGIC_BYTE);
        buffer.write(id >>> 24);
        buffer.write(id >>> 16);
        buffer.write(id >>> 8);
        buffer.write(id);
        try {
            reusableEncoder = EncoderFactory.get().binaryEncoder(buffer, reusableEncoder);
            writer.write(record, reusableEncoder);
            reusableEncoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.toByteArray();
    }
}
