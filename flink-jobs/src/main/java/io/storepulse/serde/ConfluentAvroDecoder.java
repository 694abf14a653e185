package io.storepulse.serde;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import storepulse.v1.actions.DeadLetterKind;

/**
 * Decodes Confluent-framed Avro into a generated SpecificRecord, resolving the writer's schema
 * (looked up by id in the registry) to the reader's. Every way in which bytes can be bad ends as a
 * {@link DecodeException} with its dead-letter kind; only an unreachable registry escapes as {@link
 * RegistryUnavailableException}, because that is an outage and not bad input.
 */
public final class ConfluentAvroDecoder<T extends SpecificRecord> {

    private final RegistryClient registry;
    private final Class<T> type;
    private final Schema readerSchema;
    private final SpecificData model;
    private final Map<Integer, SpecificDatumReader<T>> readersByWriterId =
            new ConcurrentHashMap<>();
    private BinaryDecoder reusableDecoder;

    public ConfluentAvroDecoder(RegistryClient registry, Class<T> type) {
        this.registry = registry;
        this.type = type;
        this.model = SpecificData.getForClass(type);
        this.readerSchema = model.getSchema(type);
    }

    public Class<T> type() {
        return type;
    }

    public T decode(byte[] bytes) throws DecodeException {
        int schemaId = ConfluentWireFormat.schemaId(bytes);
        SpecificDatumReader<T> reader = readerFor(schemaId);
        try {
            reusableDecoder =
                    DecoderFactory.get()
                            .binaryDecoder(
                                    bytes,
                                    ConfluentWireFormat.HEADER_LENGTH,
                                    bytes.length - ConfluentWireFormat.HEADER_LENGTH,
                                    reusableDecoder);
            T record = reader.read(null, reusableDecoder);
            if (!reusableDecoder.isEnd()) {
                throw new DecodeException(
                        DeadLetterKind.UNDECODABLE,
                        "trailing bytes after the Avro record (schema id " + schemaId + ")",
                        schemaId,
                        null);
            }
            return record;
        } catch (IOException | AvroRuntimeException | ArrayIndexOutOfBoundsException e) {
            throw new DecodeException(
                    DeadLetterKind.UNDECODABLE,
                    "Avro body does not decode with schema id " + schemaId + ": " + e,
                    schemaId,
                    e);
        } catch (RuntimeException e) {
            // Corrupt bodies surface as assorted runtime exceptions (negative lengths, bad UTF-8).
            throw new DecodeException(
                    DeadLetterKind.UNDECODABLE,
                    "Avro body does not decode with schema id " + schemaId + ": " + e,
                    schemaId,
                    e);
        }
    }

    private SpecificDatumReader<T> readerFor(int schemaId) throws DecodeException {
        SpecificDatumReader<T> cached = readersByWriterId.get(schemaId);
        if (cached != null) {
            return cached;
        }
        Schema writer;
        try {
            writer = registry.schemaById(schemaId);
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                throw new DecodeException(
                        DeadLetterKind.UNKNOWN_SCHEMA_ID,
                        "schema id " + schemaId + " is not in the registry",
                        schemaId,
                        e);
            }
            throw e;
        }
        SchemaCompatibility.SchemaPairCompatibility compat =
                SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writer);
        if (compat.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            throw new DecodeException(
                    DeadLetterKind.SCHEMA_MISMATCH,
                    "writer schema id "
                            + schemaId
                            + " ("
                            + writer.getFullName()
                            + ") cannot be read as "
                            + readerSchema.getFullName()
                            + ": "
                            + compat.getDescription(),
                    schemaId,
                    null);
        }
        SpecificDatumReader<T> reader = new SpecificDatumReader<>(writer, readerSchema, model);
        readersByWriterId.put(schemaId, reader);
        return reader;
    }
}
