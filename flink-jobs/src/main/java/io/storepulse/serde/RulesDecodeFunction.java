package io.storepulse.serde;

import io.storepulse.rules.RuleCatalog;
import io.storepulse.rules.RuleUpdate;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.events.RuleSet;

/**
 * Decodes the compacted {@code rules} topic for one job. A null value is a tombstone that removes
 * the rule named by the key. A rule set addressed to this job with unknown or malformed parameters
 * becomes a {@code BAD_RULE} dead letter, so the previous version stays in force. Rule sets of
 * other jobs are skipped (and counted): they are not bad input, just not this job's.
 */
public class RulesDecodeFunction extends ProcessFunction<RawRecord, RuleUpdate> {

    private final RegistryConfig registryConfig;
    private final RuleCatalog catalog;
    private final String job;

    private transient ConfluentAvroDecoder<RuleSet> decoder;
    private transient Counter otherJobs;

    public RulesDecodeFunction(RegistryConfig registryConfig, RuleCatalog catalog, String job) {
        this.registryConfig = registryConfig;
        this.catalog = catalog;
        this.job = job;
    }

    @Override
    public void open(OpenContext openContext) {
        decoder = new ConfluentAvroDecoder<>(new RegistryClient(registryConfig), RuleSet.class);
        otherJobs = getRuntimeContext().getMetricGroup().counter("rulesForOtherJobs");
    }

    @Override
    public void processElement(RawRecord raw, Context ctx, Collector<RuleUpdate> out) {
        String key = raw.getKey() == null ? null : new String(raw.getKey(), StandardCharsets.UTF_8);
        if (raw.getValue() == null) {
            if (key == null) {
                ctx.output(
                        DeadLetters.TAG,
                        DeadLetters.of(
                                raw,
                                DeadLetterKind.BAD_RULE,
                                "tombstone without a key",
                                null,
                                job));
            } else {
                out.collect(RuleUpdate.tombstone(key));
            }
            return;
        }
        RuleSet rule;
        try {
            rule = decoder.decode(raw.getValue());
        } catch (DecodeException e) {
            ctx.output(
                    DeadLetters.TAG,
                    DeadLetters.of(raw, e.kind(), e.getMessage(), e.schemaId(), job));
            return;
        }
        List<String> problems = catalog.problems(rule);
        if (key != null && !key.equals(rule.getRuleId())) {
            problems = new java.util.ArrayList<>(problems);
            problems.add("key '" + key + "' differs from rule_id '" + rule.getRuleId() + "'");
        }
        if (!problems.isEmpty()) {
            ctx.output(
                    DeadLetters.TAG,
                    DeadLetters.of(
                            raw,
                            DeadLetterKind.BAD_RULE,
                            "rule "
                                    + rule.getRuleId()
                                    + " v"
                                    + rule.getVersion()
                                    + " refused, previous version stays in force: "
                                    + String.join("; ", problems),
                            null,
                            job));
            return;
        }
        if (!catalog.isFor(rule)) {
            otherJobs.inc();
            return;
        }
        out.collect(RuleUpdate.upsert(rule));
    }
}
