package io.storepulse.metrics;

import io.storepulse.rules.ResolvedRules;
import io.storepulse.rules.RuleBook;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.serde.DeadLetters;
import io.storepulse.topics.StorepulseJob;
import java.io.Serializable;
import java.time.Instant;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import storepulse.v1.actions.DeadLetterKind;

/**
 * The one place that decides whether an event is too late for the funnel: when the 1-minute window
 * of its event time was closed more than the allowed lateness ago (window end - 1 ms + lateness <=
 * watermark, Flink's own rule for late windows), the event goes to {@link DeadLetters#TAG} as
 * TOO_LATE and is counted in the {@value #TOO_LATE_COUNTER} metric. Deciding this once, before the
 * fan-out into dimensions, gives one dead letter per event, and every later operator sees a
 * watermark no newer than this one, so an event let through here is never too late downstream.
 *
 * <p>An optional rule check rejects events whose values clash with the rules in force (e.g. an
 * order in another currency than the shop's) as IMPOSSIBLE_VALUE.
 */
public class LatenessGate<T extends SpecificRecord>
        extends BroadcastProcessFunction<T, RuleUpdate, T> {

    private static final long serialVersionUID = 1L;

    public static final String TOO_LATE_COUNTER = "tooLateEvents";

    static final String JOB = StorepulseJob.METRICS.id();

    /** Reads one field of a record. */
    @FunctionalInterface
    public interface Field<T, R> extends Serializable {
        R of(T value);
    }

    /** A check against the rules in force: a reason when the value is impossible, else null. */
    @FunctionalInterface
    public interface RuleCheck<T> extends Serializable {
        String problem(T value, ResolvedRules rules);
    }

    private final String topic;
    private final Field<T, Long> eventTime;
    private final Field<T, String> key;
    private final Field<T, String> eventId;
    private final RuleCheck<T> ruleCheck;

    /** The rules in force, rebuilt on every rule change; it keeps its resolved global rules. */
    private transient RuleBook book;

    private transient Counter tooLate;

    /**
     * @param topic the source topic, for dead letters
     * @param eventTime event time in epoch millis
     * @param key the record's contract key, for dead letters
     * @param eventId the event id, for messages
     * @param ruleCheck optional check against the rules in force, may be null
     */
    public LatenessGate(
            String topic,
            Field<T, Long> eventTime,
            Field<T, String> key,
            Field<T, String> eventId,
            RuleCheck<T> ruleCheck) {
        this.topic = topic;
        this.eventTime = eventTime;
        this.key = key;
        this.eventId = eventId;
        this.ruleCheck = ruleCheck;
    }

    @Override
    public void open(OpenContext openContext) {
        tooLate = getRuntimeContext().getMetricGroup().counter(TOO_LATE_COUNTER);
    }

    @Override
    public void processElement(T value, ReadOnlyContext ctx, Collector<T> out) throws Exception {
        if (book == null) {
            book = RulesState.book(MetricsJob.RULES, ctx.getBroadcastState(RulesState.DESCRIPTOR));
        }
        ResolvedRules rules = book.global();
        long lateness = rules.get(MetricsJob.ALLOWED_LATENESS).toMillis();
        long time = eventTime.of(value);
        long watermark = ctx.currentWatermark();
        long windowMaxTimestamp = Windows.minuteStart(time) + Windows.MINUTE - 1;
        if (windowMaxTimestamp + lateness <= watermark) {
            tooLate.inc();
            ctx.output(
                    DeadLetters.TAG,
                    DeadLetters.ofDecoded(
                            topic,
                            value,
                            DeadLetterKind.TOO_LATE,
                            "event "
                                    + eventId.of(value)
                                    + " (key "
                                    + key.of(value)
                                    + ")"
                                    + " at "
                                    + Instant.ofEpochMilli(time)
                                    + " is later than the allowed lateness "
                                    + rules.get(MetricsJob.ALLOWED_LATENESS)
                                    + " after its 1-minute window (watermark "
                                    + Instant.ofEpochMilli(watermark)
                                    + ")",
                            JOB));
            return;
        }
        String problem = ruleCheck == null ? null : ruleCheck.problem(value, rules);
        if (problem != null) {
            ctx.output(
                    DeadLetters.TAG,
                    DeadLetters.ofDecoded(
                            topic,
                            value,
                            DeadLetterKind.IMPOSSIBLE_VALUE,
                            problem
                                    + " (event "
                                    + eventId.of(value)
                                    + ", key "
                                    + key.of(value)
                                    + ")",
                            JOB));
            return;
        }
        out.collect(value);
    }

    /** Events sent to dead letters as too late by this instance (for tests). */
    long tooLateCount() {
        return tooLate == null ? 0 : tooLate.getCount();
    }

    @Override
    public void processBroadcastElement(RuleUpdate update, Context ctx, Collector<T> out)
            throws Exception {
        if (RulesState.apply(ctx.getBroadcastState(RulesState.DESCRIPTOR), update)) {
            book = RulesState.book(MetricsJob.RULES, ctx.getBroadcastState(RulesState.DESCRIPTOR));
        }
    }
}
