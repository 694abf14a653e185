package io.storepulse.serde;

import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DeadLetterKind;

/**
 * Decodes Kafka records into contract records inside the Kafka source, so that the source's
 * per-partition watermarks see the decoded event time. Every record becomes one envelope: {@code
 * Right(record)} when it decodes and passes the validator, {@code Left(dead letter)} with its
 * reason when it does not; the job never fails on bad input. {@link DeadLetterSplit} then routes
 * the envelopes to the main stream and the {@link DeadLetters#TAG} side output. An unreachable
 * registry is not bad input: it fails the source after the client's retries, and Flink restarts it
 * from the last checkpoint.
 *
 * <p>Metrics, on the source's metric group: {@code decoded} and {@code deadLettered} counters per
 * subtask.
 */
public final class DecodingDeserializationSchema<T extends SpecificRecord>
        implements KafkaRecordDeserializationSchema<Either<DeadLetter, T>> {

    private final RegistryConfig registryConfig;
    private final Class<T> type;
    private final Validator<T> validator;
    private final String job;

    private transient ConfluentAvroDecoder<T> decoder;
    private transient Counter decoded;
    private transient Counter deadLettered;

    public DecodingDeserializationSchema(
            RegistryConfig registryConfig, Class<T> type, Validator<T> validator, String job) {
        this.registryConfig = registryConfig;
        this.type = type;
        this.validator = validator;
        this.job = job;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        decoder = new ConfluentAvroDecoder<>(new RegistryClient(registryConfig), type);
        decoded = context.getMetricGroup().counter("decoded");
        deadLettered = context.getMetricGroup().counter("deadLettered");
    }

    @Override
    public void deserialize(
            ConsumerRecord<byte[], byte[]> record, Collector<Either<DeadLetter, T>> out) {
        out.collect(decode(RawRecord.of(record)));
    }

    /** The decoded, valid record, or the dead letter that says why there is none. */
    Either<DeadLetter, T> decode(RawRecord raw) {
        T record;
        try {
            record = decoder.decode(raw.getValue());
        } catch (DecodeException e) {
            return reject(DeadLetters.of(raw, e.kind(), e.getMessage(), e.schemaId(), job));
        }
        String problem;
        try {
            problem = validator.problem(record);
        } catch (RuntimeException e) {
            problem = "validation failed: " + e;
        }
        if (problem != null) {
            return reject(DeadLetters.of(raw, DeadLetterKind.IMPOSSIBLE_VALUE, problem, null, job));
        }
        decoded.inc();
        return Either.Right(record);
    }

    private Either<DeadLetter, T> reject(DeadLetter deadLetter) {
        deadLettered.inc();
        return Either.Left(deadLetter);
    }

    @Override
    public TypeInformation<Either<DeadLetter, T>> getProducedType() {
        return new EitherTypeInfo<>(TypeInformation.of(DeadLetter.class), TypeInformation.of(type));
    }
}
