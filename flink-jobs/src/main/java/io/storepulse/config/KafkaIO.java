package io.storepulse.config;

import io.storepulse.rules.RuleCatalog;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.serde.ConfluentAvroSerializationSchema;
import io.storepulse.serde.DeadLetterSplit;
import io.storepulse.serde.DeadLetters;
import io.storepulse.serde.Decoded;
import io.storepulse.serde.DecodedWatermarks;
import io.storepulse.serde.DecodingDeserializationSchema;
import io.storepulse.serde.KeyFunction;
import io.storepulse.serde.RulesDeserializationSchema;
import io.storepulse.serde.Validator;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import storepulse.v1.actions.DeadLetter;

/**
 * Builds a job's Kafka sources and sinks from {@link StorepulseSettings}, the same way for every
 * job: a source that decodes and validates inside the Kafka reader and generates the job's
 * watermarks per partition, then a chained step that routes bad input to dead letters; sinks are
 * exactly-once (transactional) unless at-least-once is configured.
 *
 * <p>Consumers read with {@code isolation.level=read_committed}, so a job never acts on another
 * job's uncommitted (and possibly aborted) output, such as {@code inventory-levels}.
 */
public final class KafkaIO {

    private final StorepulseSettings settings;
    private final StorepulseJob job;

    public KafkaIO(StorepulseSettings settings, StorepulseJob job) {
        this.settings = settings;
        this.job = job;
    }

    /** Consumer group and transactional-id prefix of this job. */
    public String clientId() {
        return job.id() + settings.groupSuffix();
    }

    /**
     * The topic's records, decoded and validated inside the Kafka source, timestamped and
     * watermarked by {@code watermarks} per Kafka partition; bad input goes to the dead letters.
     * The uids are {@code source-<topic>} and {@code decode-<topic>} (the step that splits off the
     * dead letters, chained to the source).
     *
     * <p>Per partition matters: a source subtask that reads several partitions interleaves them,
     * and when it catches up (a backlog, the replay after a restore) one partition runs far ahead
     * of another in event time. With one watermark per partition the slower one still holds event
     * time back, so its records are not late and results do not depend on the interleaving.
     */
    public <T extends SpecificRecord> Decoded<T> read(
            StreamExecutionEnvironment env,
            Topic<T> topic,
            Validator<T> validator,
            WatermarkStrategy<T> watermarks) {
        return split(
                source(
                        env,
                        topic,
                        new DecodingDeserializationSchema<>(
                                settings.registryConfig(), topic.valueType(), validator, job.id()),
                        DecodedWatermarks.of(watermarks)),
                topic,
                TypeInformation.of(topic.valueType()));
    }

    /**
     * As {@link #read(StreamExecutionEnvironment, Topic, Validator, WatermarkStrategy)}, without
     * event time: records carry their Kafka timestamps and no watermarks (for pipelines that use no
     * event time, such as throughput baselines).
     */
    public <T extends SpecificRecord> Decoded<T> read(
            StreamExecutionEnvironment env, Topic<T> topic, Validator<T> validator) {
        return read(env, topic, validator, WatermarkStrategy.noWatermarks());
    }

    /**
     * The rules topic for this job, at parallelism 1 (one partition, rare updates). Rules carry no
     * event time; {@code watermarks} says how they take part in it (each job's choice never holds
     * event time back).
     */
    public Decoded<RuleUpdate> readRules(
            StreamExecutionEnvironment env,
            RuleCatalog catalog,
            WatermarkStrategy<RuleUpdate> watermarks) {
        return split(
                source(
                        env,
                        Topics.RULES,
                        new RulesDeserializationSchema(
                                settings.registryConfig(), catalog, job.id()),
                        DecodedWatermarks.of(watermarks)),
                Topics.RULES,
                TypeInformation.of(RuleUpdate.class));
    }

    /** As {@link #readRules(StreamExecutionEnvironment, RuleCatalog, WatermarkStrategy)}, idle. */
    public Decoded<RuleUpdate> readRules(StreamExecutionEnvironment env, RuleCatalog catalog) {
        return readRules(env, catalog, DecodedWatermarks.neverHoldBackTime());
    }

    private static <T> Decoded<T> split(
            DataStream<Either<DeadLetter, T>> envelopes, Topic<?> topic, TypeInformation<T> type) {
        SingleOutputStreamOperator<T> records =
                envelopes
                        .process(new DeadLetterSplit<T>(), type)
                        .uid("decode-" + topic.name())
                        .name("decode " + topic.name());
        if (topic == Topics.RULES) {
            records.setParallelism(1);
        }
        return new Decoded<>(records, records.getSideOutput(DeadLetters.TAG));
    }

    private <T> DataStream<Either<DeadLetter, T>> source(
            StreamExecutionEnvironment env,
            Topic<?> topic,
            KafkaRecordDeserializationSchema<Either<DeadLetter, T>> deserializer,
            WatermarkStrategy<Either<DeadLetter, T>> watermarks) {
        Properties props = settings.kafkaSecurityProperties();
        props.setProperty("isolation.level", "read_committed");
        props.setProperty("client.id.prefix", clientId() + "-" + topic.name());
        // Offsets are committed on checkpoints for monitoring; the source restores from state.
        props.setProperty("commit.offsets.on.checkpoint", "true");
        OffsetsInitializer start =
                OffsetsInitializer.committedOffsets(
                        settings.startFromEarliest()
                                ? OffsetResetStrategy.EARLIEST
                                : OffsetResetStrategy.LATEST);
        KafkaSource<Either<DeadLetter, T>> source =
                KafkaSource.<Either<DeadLetter, T>>builder()
                        .setBootstrapServers(settings.bootstrapServers())
                        .setTopics(topic.name())
                        .setGroupId(clientId())
                        .setStartingOffsets(start)
                        .setDeserializer(deserializer)
                        .setProperties(props)
                        .build();
        // The strategy goes to the source, so Flink keeps one watermark per split (partition).
        SingleOutputStreamOperator<Either<DeadLetter, T>> envelopes =
                env.fromSource(source, watermarks, "kafka " + topic.name())
                        .uid("source-" + topic.name());
        if (topic == Topics.RULES) {
            envelopes.setParallelism(1);
        }
        return envelopes;
    }

    /** A Kafka sink for an output topic; give it {@code .uid("sink-<topic>")} when attaching. */
    public <T extends SpecificRecord> Sink<T> sink(Topic<T> topic, KeyFunction<T> key) {
        Properties props = settings.kafkaSecurityProperties();
        props.setProperty(
                "transaction.timeout.ms",
                String.valueOf(settings.transactionTimeoutDuration().toMillis()));
        props.setProperty("client.id", clientId() + "-" + topic.name());
        return KafkaSink.<T>builder()
                .setBootstrapServers(settings.bootstrapServers())
                .setKafkaProducerConfig(props)
                .setRecordSerializer(
                        new ConfluentAvroSerializationSchema<>(
                                topic.name(), topic.valueType(), key, settings.registryConfig()))
                .setDeliveryGuarantee(
                        settings.isExactlyOnce()
                                ? DeliveryGuarantee.EXACTLY_ONCE
                                : DeliveryGuarantee.AT_LEAST_ONCE)
                .setTransactionalIdPrefix(clientId() + "-" + topic.name())
                .build();
    }

    /**
     * Checks, before the job starts, that exactly-once sinks can work against this broker: its
     * {@code transaction.max.timeout.ms} must allow the configured transaction timeout, or every
     * transaction would be refused at the first checkpoint. Fails fast with what to change.
     */
    public void verifyBrokerAllowsTransactions() {
        if (!settings.isExactlyOnce()) {
            return;
        }
        Properties props = settings.kafkaSecurityProperties();
        props.setProperty("bootstrap.servers", settings.bootstrapServers());
        props.setProperty("request.timeout.ms", "15000");
        props.setProperty("default.api.timeout.ms", "30000");
        try (Admin admin = Admin.create(props)) {
            Node broker =
                    admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).iterator().next();
            ConfigResource resource =
                    new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(broker.id()));
            ConfigEntry entry =
                    admin.describeConfigs(List.of(resource))
                            .all()
                            .get(30, TimeUnit.SECONDS)
                            .get(resource)
                            .get("transaction.max.timeout.ms");
            long brokerMax = Long.parseLong(entry.value());
            long wanted = settings.transactionTimeoutDuration().toMillis();
            if (wanted > brokerMax) {
                throw new IllegalStateException(
                        "--transaction-timeout is "
                                + wanted
                                + " ms but broker "
                                + broker.id()
                                + " allows at most transaction.max.timeout.ms="
                                + brokerMax
                                + " ms: every transaction would be refused. Lower --transaction-timeout or raise the broker setting.");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the broker", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "cannot reach Kafka at "
                            + settings.bootstrapServers()
                            + " to check transaction.max.timeout.ms: "
                            + e.getCause(),
                    e);
        }
    }

    /** The dead-letter sink, keyed {@code topic:partition:offset}. */
    public Sink<DeadLetter> deadLetterSink() {
        return sink(Topics.DEAD_LETTERS, DeadLetters::key);
    }

    /**
     * Checkpointing (exactly-once, at the configured interval), RocksDB with incremental
     * checkpoints, and parallelism. A session cluster's own settings apply where these leave a
     * value unset.
     */
    public static void configure(StreamExecutionEnvironment env, StorepulseSettings settings) {
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        if (settings.checkpointDir() != null) {
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, settings.checkpointDir());
        }
        env.configure(conf);
        env.enableCheckpointing(
                settings.checkpointIntervalDuration().toMillis(), CheckpointingMode.EXACTLY_ONCE);
        env.getCheckpointConfig()
                .setMinPauseBetweenCheckpoints(
                        Math.min(1000, settings.checkpointIntervalDuration().toMillis() / 2));
        if (settings.parallelism() > 0) {
            env.setParallelism(settings.parallelism());
        }
        env.setMaxParallelism(settings.maxParallelism());
    }
}
