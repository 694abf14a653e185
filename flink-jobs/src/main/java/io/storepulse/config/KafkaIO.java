package io.storepulse.config;

import io.storepulse.rules.RuleCatalog;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.serde.ConfluentAvroSerializationSchema;
import io.storepulse.serde.DeadLetters;
import io.storepulse.serde.DecodeFunction;
import io.storepulse.serde.Decoded;
import io.storepulse.serde.KeyFunction;
import io.storepulse.serde.RawRecord;
import io.storepulse.serde.RawRecordDeserializationSchema;
import io.storepulse.serde.RulesDecodeFunction;
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
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import storepulse.v1.actions.DeadLetter;

/**
 * Builds a job's Kafka sources and sinks from {@link StorepulseSettings}, the same way for every
 * job: raw source, then a chained decode step that routes bad input to dead letters; sinks are
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

    /** Raw source, then decode; the uids are {@code source-<topic>} and {@code decode-<topic>}. */
    public <T extends SpecificRecord> Decoded<T> read(
            StreamExecutionEnvironment env, Topic<T> topic, Validator<T> validator) {
        SingleOutputStreamOperator<T> decoded =
                rawSource(env, topic)
                        .process(
                                new DecodeFunction<>(
                                        settings.registryConfig(),
                                        topic.valueType(),
                                        validator,
                                        job.id()))
                        .returns(TypeInformation.of(topic.valueType()))
                        .uid("decode-" + topic.name())
                        .name("decode " + topic.name());
        return new Decoded<>(decoded, decoded.getSideOutput(DeadLetters.TAG));
    }

    /** The rules topic for this job; runs at parallelism 1 (one partition, rare updates). */
    public Decoded<RuleUpdate> readRules(StreamExecutionEnvironment env, RuleCatalog catalog) {
        SingleOutputStreamOperator<RuleUpdate> decoded =
                rawSource(env, Topics.RULES)
                        .process(
                                new RulesDecodeFunction(
                                        settings.registryConfig(), catalog, job.id()))
                        .setParallelism(1)
                        .uid("decode-" + Topics.RULES.name())
                        .name("decode " + Topics.RULES.name());
        return new Decoded<>(decoded, decoded.getSideOutput(DeadLetters.TAG));
    }

    private DataStream<RawRecord> rawSource(StreamExecutionEnvironment env, Topic<?> topic) {
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
        KafkaSource<RawRecord> source =
                KafkaSource.<RawRecord>builder()
                        .setBootstrapServers(settings.bootstrapServers())
                        .setTopics(topic.name())
                        .setGroupId(clientId())
                        .setStartingOffsets(start)
                        .setDeserializer(new RawRecordDeserializationSchema())
                        .setProperties(props)
                        .build();
        // Event time is assigned by each job after decoding, from the records' event_time.
        DataStream<RawRecord> raw =
                env.fromSource(source, WatermarkStrategy.noWatermarks(), "kafka " + topic.name())
                        .uid("source-" + topic.name());
        if (topic == Topics.RULES) {
            ((SingleOutputStreamOperator<RawRecord>) raw).setParallelism(1);
        }
        return raw;
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
