package io.storepulse.serde;

import io.storepulse.rules.RuleCatalog;
import io.storepulse.rules.RuleUpdate;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
import storepulse.v1.events.RuleSet;

/**
 * Decodes the compacted {@code rules} topic for one job, inside the Kafka source. A null value is a
 * tombstone that removes the rule named by the key. A rule set addressed to this job with unknown
 * or malformed parameters becomes a {@code BAD_RULE} dead letter, so the previous version stays in
 * force. Rule sets of other jobs are skipped (and counted): they are not bad input, just not this
 * job's, so they emit nothing.
 *
 * <p>Metrics, on the source's metric group: {@code rulesForOtherJobs} and {@code deadLettered}.
 */
public final class RulesDeserializationSchema
        implements KafkaRecordDeserializationSchema<Either<DeadLetter, RuleUpdate>> {

    private final RegistryConfig registryConfig;
    private final RuleCatalog catalog;
    private final String job;

    private transient ConfluentAvroDecoder<RuleSet> decoder;
    private transient Counter otherJobs;
    private transient Counter deadLettered;

    public RulesDeserializationSchema(
            RegistryConfig registryConfig, RuleCatalog catalog, String job) {
        this.registryConfig = registryConfig;
        this.catalog = catalog;
        this.job = job;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        decoder = new ConfluentAvroDecoder<>(new RegistryClient(registryConfig), RuleSet.class);
        otherJobs = context.getMetricGroup().counter("rulesForOtherJobs");
        deadLettered = context.getMetricGroup().counter("deadLettered");
    }

    @Override
    public void deserialize(
            ConsumerRecord<byte[], byte[]> record, Collector<Either<DeadLetter, RuleUpdate>> out) {
        RawRecord raw = RawRecord.of(record);
        String key = raw.getKey() == null ? null : new String(raw.getKey(), StandardCharsets.UTF_8);
        if (raw.getValue() == null) {
            if (key == null) {
                out.collect(reject(raw, DeadLetterKind.BAD_RULE, "tombstone without a key", null));
            } else {
                out.collect(Either.Right(RuleUpdate.tombstone(key)));
            }
            return;
        }
        RuleSet rule;
        try {
            rule = decoder.decode(raw.getValue());
        } catch (DecodeException e) {
            out.collect(reject(raw, e.kind(), e.getMessage(), e.schemaId()));
            return;
        }
        List<String> problems = catalog.problems(rule);
        if (key != null && !key.equals(rule.getRuleId())) {
            problems = new ArrayList<>(problems);
            problems.add("key '" + key + "' differs from rule_id '" + rule.getRuleId() + "'");
        }
        if (!problems.isEmpty()) {
            out.collect(
                    reject(
                            raw,
                            DeadLetterKind.BAD_RULE,
                            "rule "
                                    + rule.getRuleId()
                                    + " v"
                                    + rule.getVersion()
                                    + " refused, previous version stays in force: "
                                    + String.join("; ", problems),
                            null));
            return;
        }
        if (!catalog.isFor(rule)) {
            otherJobs.inc();
            return;
        }
        out.collect(Either.Right(RuleUpdate.upsert(rule)));
    }

    private Either<DeadLetter, RuleUpdate> reject(
            RawRecord raw, DeadLetterKind kind, String message, Integer schemaId) {
        deadLettered.inc();
        return Either.Left(DeadLetters.of(raw, kind, message, schemaId, job));
    }

    @Override
    public TypeInformation<Either<DeadLetter, RuleUpdate>> getProducedType() {
        return new EitherTypeInfo<>(
                TypeInformation.of(DeadLetter.class), TypeInformation.of(RuleUpdate.class));
    }
}
