package io.storepulse.bench;

import io.storepulse.config.KafkaIO;
import io.storepulse.rules.RuleCatalog;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.serde.Decoded;
import io.storepulse.serde.DecodedWatermarks;
import io.storepulse.serde.KeyFunction;
import io.storepulse.serde.Validator;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import storepulse.v1.actions.DeadLetter;

/**
 * Plugs a Storepulse job into the suite through the shape every job has (see the shared brief):
 * {@code XxxJob.Inputs} and {@code XxxJob.Outputs} records and a static {@code build(Inputs,
 * Outputs)}. Inputs are read through {@link KafkaIO} with the job's own validators (its static
 * {@code Validator<T>} fields), watermark strategies (its static {@code WatermarkStrategy<T>}
 * fields, applied per Kafka partition) and rule catalogue (its static {@code RuleCatalog}); outputs
 * are KafkaIO's exactly-once sinks. Every decoded input record of the four event topics passes a
 * {@link Meter}. A job whose class is not on the classpath yet is reported as not available.
 */
public final class JobTarget {

    private final StorepulseJob job;
    private final Class<?> jobClass;
    private final String problem;

    private JobTarget(StorepulseJob job, Class<?> jobClass, String problem) {
        this.job = job;
        this.jobClass = jobClass;
        this.problem = problem;
    }

    public static JobTarget of(StorepulseJob job) {
        Class<?> c;
        try {
            c = Class.forName(job.mainClass());
        } catch (ClassNotFoundException e) {
            return new JobTarget(
                    job, null, "not yet available (" + job.mainClass() + " not built)");
        }
        try {
            buildMethod(c);
            return new JobTarget(job, c, null);
        } catch (RuntimeException e) {
            return new JobTarget(job, null, "not yet available (" + e.getMessage() + ")");
        }
    }

    public StorepulseJob job() {
        return job;
    }

    public String name() {
        return job.name().toLowerCase(java.util.Locale.ROOT);
    }

    public boolean available() {
        return jobClass != null;
    }

    /** Why the job cannot be measured, or empty. */
    public Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    /** The event topics this job reads, which the throughput is counted over. */
    public List<Topic<?>> meteredTopics() {
        return job.inputs().stream().filter(Pipelines.EVENT_TOPICS::contains).toList();
    }

    private static Method buildMethod(Class<?> c) {
        for (Method m : c.getMethods()) {
            if (m.getName().equals("build")
                    && Modifier.isStatic(m.getModifiers())
                    && m.getParameterCount() == 2
                    && m.getParameterTypes()[0].isRecord()
                    && m.getParameterTypes()[1].isRecord()) {
                return m;
            }
        }
        throw new IllegalStateException(
                c.getSimpleName() + " has no static build(Inputs, Outputs)");
    }

    /** Wires the job on env with its inputs metered under {@code meterPrefix + topic}. */
    public void build(StreamExecutionEnvironment env, KafkaIO io, String meterPrefix) {
        Method build = buildMethod(jobClass);
        Class<?> inputsType = build.getParameterTypes()[0];
        Class<?> outputsType = build.getParameterTypes()[1];
        List<DataStream<DeadLetter>> deadLetters = new ArrayList<>();
        boolean jobTakesDecodeDeadLetters = false;
        try {
            Object[] args = inputArgs(env, io, inputsType, meterPrefix, deadLetters);
            // A DataStream<DeadLetter> input is the union of the decode steps' dead letters, which
            // the job routes to its own dead-letter sink (one sink: one transactional-id prefix).
            RecordComponent[] comps = inputsType.getRecordComponents();
            for (int i = 0; i < comps.length; i++) {
                if (typeArgument(comps[i].getGenericType()) == DeadLetter.class) {
                    args[i] = union(deadLetters);
                    jobTakesDecodeDeadLetters = true;
                }
            }
            Object inputs = construct(inputsType, args);
            Object outputs = construct(outputsType, outputArgs(io, outputsType));
            build.invoke(null, inputs, outputs);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot wire " + job, e);
        }
        if (!jobTakesDecodeDeadLetters) {
            union(deadLetters)
                    .sinkTo(io.deadLetterSink())
                    .uid("bench-decode-dead-letters")
                    .name("decode dead letters");
        }
    }

    private static DataStream<DeadLetter> union(List<DataStream<DeadLetter>> deadLetters) {
        DataStream<DeadLetter> all = deadLetters.get(0);
        for (int i = 1; i < deadLetters.size(); i++) {
            all = all.union(deadLetters.get(i));
        }
        return all;
    }

    private Object[] inputArgs(
            StreamExecutionEnvironment env,
            KafkaIO io,
            Class<?> inputsType,
            String meterPrefix,
            List<DataStream<DeadLetter>> deadLetters) {
        RecordComponent[] comps = inputsType.getRecordComponents();
        Object[] args = new Object[comps.length];
        for (int i = 0; i < comps.length; i++) {
            Class<?> valueType = typeArgument(comps[i].getGenericType());
            if (valueType == DeadLetter.class) {
                continue; // filled in by build() once every input is read
            }
            if (valueType == RuleUpdate.class) {
                Decoded<RuleUpdate> rules =
                        io.readRules(
                                env,
                                ruleCatalog(),
                                watermarksFor(
                                        RuleUpdate.class, DecodedWatermarks.neverHoldBackTime()));
                deadLetters.add(rules.deadLetters());
                args[i] = rules.records();
                continue;
            }
            Topic<?> topic =
                    job.inputs().stream()
                            .filter(t -> t.valueType() == valueType)
                            .findFirst()
                            .orElseThrow(
                                    () ->
                                            new IllegalStateException(
                                                    "no input topic of "
                                                            + job
                                                            + " carries "
                                                            + valueType.getSimpleName()));
            args[i] = read(env, io, topic, meterPrefix, deadLetters);
        }
        return args;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private <T extends SpecificRecord> DataStream<T> read(
            StreamExecutionEnvironment env,
            KafkaIO io,
            Topic<T> topic,
            String meterPrefix,
            List<DataStream<DeadLetter>> deadLetters) {
        Decoded<T> decoded =
                io.read(
                        env,
                        topic,
                        validatorFor(topic.valueType()),
                        watermarksFor(topic.valueType(), WatermarkStrategy.noWatermarks()));
        deadLetters.add(decoded.deadLetters());
        if (!Pipelines.EVENT_TOPICS.contains(topic)) {
            return decoded.records();
        }
        String meter = meterPrefix + topic.name();
        return decoded.records()
                .map(Meter.<T>at(meter))
                .returns(decoded.records().getType())
                .uid("bench-meter-" + topic.name())
                .name("meter " + topic.name());
    }

    @SuppressWarnings("unchecked")
    private <T> Validator<T> validatorFor(Class<T> type) {
        for (Field f : jobClass.getFields()) {
            if (Modifier.isStatic(f.getModifiers())
                    && Validator.class.isAssignableFrom(f.getType())
                    && typeArgument(f.getGenericType()) == type) {
                try {
                    return (Validator<T>) f.get(null);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return value -> null;
    }

    /**
     * The job's event-time strategy for an input (its static {@code WatermarkStrategy<T>} field),
     * which the job's sources apply per Kafka partition; {@code otherwise} when it has none.
     */
    @SuppressWarnings("unchecked")
    private <T> WatermarkStrategy<T> watermarksFor(Class<T> type, WatermarkStrategy<T> otherwise) {
        for (Field f : jobClass.getFields()) {
            if (Modifier.isStatic(f.getModifiers())
                    && WatermarkStrategy.class.isAssignableFrom(f.getType())
                    && typeArgument(f.getGenericType()) == type) {
                try {
                    return (WatermarkStrategy<T>) f.get(null);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return otherwise;
    }

    private RuleCatalog ruleCatalog() {
        for (Field f : jobClass.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == RuleCatalog.class) {
                try {
                    return (RuleCatalog) f.get(null);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        throw new IllegalStateException(jobClass.getSimpleName() + " has no static RuleCatalog");
    }

    private Object[] outputArgs(KafkaIO io, Class<?> outputsType) {
        RecordComponent[] comps = outputsType.getRecordComponents();
        Object[] args = new Object[comps.length];
        for (int i = 0; i < comps.length; i++) {
            Class<?> valueType = typeArgument(comps[i].getGenericType());
            if (valueType == DeadLetter.class) {
                args[i] = io.deadLetterSink();
                continue;
            }
            Topic<?> topic =
                    job.outputs().stream()
                            .filter(t -> t.valueType() == valueType)
                            .findFirst()
                            .orElseThrow(
                                    () ->
                                            new IllegalStateException(
                                                    "no output topic of "
                                                            + job
                                                            + " carries "
                                                            + valueType.getSimpleName()));
            args[i] = sink(io, topic);
        }
        return args;
    }

    private static <T extends SpecificRecord> Object sink(KafkaIO io, Topic<T> topic) {
        return io.sink(topic, new KeyFromDescription<>(topic.keyDescription()));
    }

    private static Object construct(Class<?> recordType, Object[] args)
            throws ReflectiveOperationException {
        Class<?>[] types =
                java.util.Arrays.stream(recordType.getRecordComponents())
                        .map(RecordComponent::getType)
                        .toArray(Class<?>[]::new);
        Constructor<?> c = recordType.getDeclaredConstructor(types);
        c.setAccessible(true);
        return c.newInstance(args);
    }

    private static Class<?> typeArgument(Type t) {
        if (t instanceof ParameterizedType p
                && p.getActualTypeArguments()[0] instanceof Class<?> c) {
            return c;
        }
        throw new IllegalStateException("cannot tell the record type of " + t);
    }

    /**
     * The key the catalogue describes, e.g. {@code sku@warehouse_id} or {@code
     * dimension_type:dimension_value@window_start}: field values joined with the same separators.
     */
    static final class KeyFromDescription<T extends SpecificRecord> implements KeyFunction<T> {
        private final String description;

        KeyFromDescription(String description) {
            this.description = description;
        }

        @Override
        public String key(T value) {
            StringBuilder out = new StringBuilder();
            StringBuilder name = new StringBuilder();
            for (char ch : (description + "\0").toCharArray()) {
                if (ch == '@' || ch == ':' || ch == '\0') {
                    Schema.Field f = value.getSchema().getField(name.toString());
                    out.append(f == null ? name : String.valueOf(value.get(f.pos())));
                    if (ch != '\0') {
                        out.append(ch);
                    }
                    name.setLength(0);
                } else {
                    name.append(ch);
                }
            }
            return out.toString();
        }
    }

    static List<Topic<?>> allInputs(StorepulseJob job) {
        List<Topic<?>> out = new ArrayList<>(job.inputs());
        out.remove(Topics.RULES);
        return out;
    }
}
