package io.storepulse.avro;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.CartEventType;

/** Every contract record survives a binary round trip with every field set. */
class SchemaRoundTripTest {

    static List<Class<? extends SpecificRecord>> records() {
        return ContractSchemas.RECORDS;
    }

    @ParameterizedTest
    @MethodSource("records")
    void shouldRoundTripAFullyPopulatedRecord(Class<? extends SpecificRecord> type)
            throws IOException {
        SpecificData model = SpecificData.getForClass(type);
        Schema schema = model.getSchema(type);
        SpecificRecord record = (SpecificRecord) populate(model, schema, 1);

        SpecificRecord back = roundTrip(model, schema, record);

        assertThat(back).isEqualTo(record);
        for (Schema.Field f : schema.getFields()) {
            Object value = back.get(f.pos());
            assertThat(value).as(type.getSimpleName() + "." + f.name() + " is set").isNotNull();
            Schema fs = nonNull(f.schema());
            if (fs.getLogicalType() instanceof LogicalTypes.Decimal) {
                assertThat(value).as("money as decimal").isInstanceOf(BigDecimal.class);
                assertThat(((BigDecimal) value).scale()).isEqualTo(2);
            }
            if (fs.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
                assertThat(value).as("time as timestamp-millis").isInstanceOf(Instant.class);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("records")
    void shouldGiveEveryEnumADefaultThatRoundTrips(Class<? extends SpecificRecord> type)
            throws IOException {
        // Every enum needs a default symbol, or a reader cannot take a symbol added later
        // (BACKWARD_TRANSITIVE); and a record carrying that default must survive like any other.
        SpecificData model = SpecificData.getForClass(type);
        Schema schema = model.getSchema(type);
        List<Schema> enums = new java.util.ArrayList<>();
        collectEnums(schema, new java.util.HashSet<>(), enums);
        for (Schema e : enums) {
            assertThat(e.getEnumDefault()).as(e.getFullName() + " has a default").isNotNull();
            assertThat(e.getEnumSymbols()).contains(e.getEnumDefault());
        }

        SpecificRecord record = (SpecificRecord) populate(model, schema, 1, true);

        assertThat(roundTrip(model, schema, record)).isEqualTo(record);
    }

    @Test
    void shouldReadAnEnumSymbolFromTheFutureAsUnknown() throws IOException {
        // Given a writer whose CartEventType has a symbol this reader does not know
        Schema reader = CartEvent.getClassSchema();
        Schema writer =
                new Schema.Parser()
                        .parse(
                                reader.toString()
                                        .replace(
                                                "\"CHECKOUT_STARTED\",\"UNKNOWN\"",
                                                "\"CHECKOUT_STARTED\",\"SAVE_FOR_LATER\",\"UNKNOWN\""));
        GenericRecord future = new GenericData.Record(writer);
        for (Schema.Field f : writer.getFields()) {
            future.put(f.name(), populate(GenericData.get(), f.schema(), 3));
        }
        future.put(
                "type",
                new GenericData.EnumSymbol(writer.getField("type").schema(), "SAVE_FOR_LATER"));
        future.put("event_time", 1_700_000_000_000L);
        future.put("unit_price", null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(writer).write(future, enc);
        enc.flush();

        // When the current reader reads it
        CartEvent read =
                new SpecificDatumReader<CartEvent>(
                                writer, reader, SpecificData.getForClass(CartEvent.class))
                        .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));

        // Then the unknown symbol falls back to the enum default
        assertThat(read.getType()).isEqualTo(CartEventType.UNKNOWN);
    }

    private static SpecificRecord roundTrip(
            SpecificData model, Schema schema, SpecificRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<SpecificRecord>(schema, model).write(record, enc);
        enc.flush();
        return new SpecificDatumReader<SpecificRecord>(schema, schema, model)
                .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
    }

    /** A value for every field: the non-null branch of unions, a non-default enum symbol. */
    static Object populate(GenericData model, Schema schema, int seed) {
        return populate(model, schema, seed, false);
    }

    /**
     * As {@link #populate(GenericData, Schema, int)}; with {@code enumDefaults}, enums at default.
     */
    static Object populate(GenericData model, Schema schema, int seed, boolean enumDefaults) {
        if (schema.getLogicalType() instanceof LogicalTypes.Decimal) {
            return model instanceof SpecificData
                    ? BigDecimal.valueOf(123_450L + seed, 2)
                    : ByteBuffer.wrap(
                            BigDecimal.valueOf(123_450L + seed, 2).unscaledValue().toByteArray());
        }
        if (schema.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
            return model instanceof SpecificData
                    ? Instant.ofEpochMilli(1_763_900_000_123L + seed)
                    : 1_763_900_000_123L + seed;
        }
        return switch (schema.getType()) {
            case RECORD -> {
                Object r = model.newRecord(null, schema);
                for (Schema.Field f : schema.getFields()) {
                    model.setField(
                            r,
                            f.name(),
                            f.pos(),
                            populate(model, f.schema(), seed + f.pos(), enumDefaults));
                }
                yield r;
            }
            case UNION -> populate(model, nonNull(schema), seed, enumDefaults);
            case ENUM ->
                    enumDefaults
                            ? model.createEnum(schema.getEnumDefault(), schema)
                            : model.createEnum(
                                    schema.getEnumSymbols()
                                            .get(seed % (schema.getEnumSymbols().size() - 1)),
                                    schema);
            case ARRAY ->
                    List.of(
                            populate(model, schema.getElementType(), seed, enumDefaults),
                            populate(model, schema.getElementType(), seed + 1, enumDefaults));
            case MAP ->
                    Map.of("k" + seed, populate(model, schema.getValueType(), seed, enumDefaults));
            case STRING -> "s-" + seed;
            case BYTES -> ByteBuffer.wrap(new byte[] {1, 2, (byte) seed});
            case INT -> 40 + seed;
            case LONG -> 4_000_000_000L + seed;
            case DOUBLE -> 0.25 + seed;
            case BOOLEAN -> true;
            default -> throw new IllegalArgumentException("unhandled " + schema);
        };
    }

    private static void collectEnums(
            Schema schema, java.util.Set<String> seen, List<Schema> enums) {
        switch (schema.getType()) {
            case ENUM -> {
                if (seen.add(schema.getFullName())) {
                    enums.add(schema);
                }
            }
            case RECORD -> {
                if (seen.add(schema.getFullName())) {
                    schema.getFields().forEach(f -> collectEnums(f.schema(), seen, enums));
                }
            }
            case UNION -> schema.getTypes().forEach(t -> collectEnums(t, seen, enums));
            case ARRAY -> collectEnums(schema.getElementType(), seen, enums);
            case MAP -> collectEnums(schema.getValueType(), seen, enums);
            default -> {}
        }
    }

    static Schema nonNull(Schema s) {
        if (s.getType() != Schema.Type.UNION) {
            return s;
        }
        return s.getTypes().stream()
                .filter(t -> t.getType() != Schema.Type.NULL)
                .findFirst()
                .orElseThrow();
    }
}
