package io.storepulse.serde;

import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DeadLetterKind;

/**
 * Turns raw Kafka records into contract records. A record that cannot be decoded, or whose values
 * are impossible, goes to the {@link DeadLetters#TAG} side output with its reason: the job never
 * fails on bad input. An unreachable registry is not bad input; it fails the task after the
 * client's retries, and Flink restarts it from the last checkpoint.
 *
 * <p>Metrics: {@code decoded} and {@code deadLettered} counters per subtask.
 */
public class DecodeFunction<T extends SpecificRecord> extends ProcessFunction<RawRecord, T> {

    private final RegistryConfig registryConfig;
    private final Class<T> type;
    private final Validator<T> validator;
    private final String job;

    private transient ConfluentAvroDecoder<T> decoder;
    private transient Counter decoded;
    private transient Counter deadLettered;

    public DecodeFunction(
            RegistryConfig registryConfig, Class<T> type, Validator<T> validator, String job) {
        this.registryConfig = registryConfig;
        this.type = type;
        this.validator = validator;
        this.job = job;
    }

    @Override
    public void open(OpenContext openContext) {
        decoder = new ConfluentAvroDecoder<>(new RegistryClient(registryConfig), type);
        decoded = getRuntimeContext().getMetricGroup().counter("decoded");
        deadLettered = getRuntimeContext().getMetricGroup().counter("deadLettered");
    }

    @Override
    public void processElement(RawRecord raw, Context ctx, Collector<T> out) {
        T record;
        try {
            record = decoder.decode(raw.getValue());
        } catch (DecodeException e) {
            reject(ctx, DeadLetters.of(raw, e.kind(), e.getMessage(), e.schemaId(), job));
            return;
        }
        String problem;
        try {
            problem = validator.problem(record);
        } catch (RuntimeException e) {
            problem = "validation failed: " + e;
        }
        if (problem != null) {
            reject(ctx, DeadLetters.of(raw, DeadLetterKind.IMPOSSIBLE_VALUE, problem, null, job));
            return;
        }
        decoded.inc();
        out.collect(record);
    }

    private void reject(Context ctx, DeadLetter deadLetter) {
        deadLettered.inc();
        ctx.output(DeadLetters.TAG, deadLetter);
    }
}
