package io.storepulse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topic;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.apache.flink.api.dag.Pipeline;
import org.apache.flink.client.program.PackagedProgram;
import org.apache.flink.client.program.PackagedProgramUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.api.operators.SourceOperatorFactory;
import org.apache.flink.streaming.runtime.operators.sink.SinkWriterOperatorFactory;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Runs each job's {@code main} from the shaded job jar the image ships, with the exact arguments of
 * its FlinkDeployment, the way Flink's application mode does on the JobManager: the program runs
 * until {@code execute()}, and the pipeline it built is taken instead of being executed. The
 * start-up preflight talks to an in-JVM broker configured like the manifest's; nothing reaches the
 * registry. This proves that the jar's entry point starts with the configuration the manifests
 * pass, and that the resulting graph is fit for savepoint upgrades.
 *
 * <p>The jar is {@code ../flink-jobs/target/storepulse-flink-jobs-<version>-job.jar} (built earlier
 * in the same reactor run) or {@code -Dstorepulse.jobJar=...}. A missing jar or main class fails:
 * every job exists, and a skip would let a jar without a job pass the build.
 */
class JobPipelineTest {

    private static KafkaClusterTestKit kafka;

    /**
     * A broker for the jobs' start-up preflight ({@code JobLauncher} checks the broker's {@code
     * transaction.max.timeout.ms}), with the value k8s/kafka/kafka-cluster.yaml gives the brokers.
     */
    private static synchronized KafkaClusterTestKit broker() throws Exception {
        if (kafka == null) {
            JsonNode config =
                    Manifests.ofKind(Manifests.all(), "Kafka")
                            .get(0)
                            .node()
                            .path("spec")
                            .path("kafka")
                            .path("config");
            KafkaClusterTestKit k =
                    new KafkaClusterTestKit.Builder(
                                    new TestKitNodes.Builder()
                                            .setCombined(true)
                                            .setNumBrokerNodes(1)
                                            .setNumControllerNodes(1)
                                            .build())
                            .setConfigProp("offsets.topic.replication.factor", "1")
                            .setConfigProp("transaction.state.log.replication.factor", "1")
                            .setConfigProp("transaction.state.log.min.isr", "1")
                            .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
                            .setConfigProp("auto.create.topics.enable", "false")
                            .setConfigProp(
                                    "transaction.max.timeout.ms",
                                    config.path("transaction.max.timeout.ms").asText())
                            .build();
            k.format();
            k.startup();
            k.waitForReadyBrokers();
            kafka = k;
        }
        return kafka;
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }

    private static Path jobJar() {
        String explicit = System.getProperty("storepulse.jobJar");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        return Path.of("../flink-jobs/target/storepulse-flink-jobs-0.1.0-SNAPSHOT-job.jar");
    }

    @ParameterizedTest
    @EnumSource(StorepulseJob.class)
    void shouldBuildTheJobsPipelineFromTheJarWithItsManifestArgs(
            StorepulseJob job, @TempDir Path mounts) throws Exception {
        Path jar = jobJar();
        assertThat(jar)
                .as("the shaded job jar; build it in the same run: mvn -pl deploy -am verify")
                .exists();
        assertThat(contains(jar, job.mainClass())).as(job.mainClass() + " in " + jar).isTrue();
        Path userDir = Files.createDirectories(mounts.resolve("kafka-user"));
        Path caDir = Files.createDirectories(mounts.resolve("kafka-ca"));
        Files.writeString(userDir.resolve("password"), "s3cr3t\n");
        Files.write(caDir.resolve("ca.p12"), new byte[] {0});
        DeployConfig env = DeployConfig.load(Path.of("environment.properties"));
        String bootstrap = broker().bootstrapServers();
        // Only what cannot exist here is replaced: the Secret mounts by files, the in-cluster
        // TLS + SCRAM address by a plaintext broker on loopback configured like the manifest's.
        String[] args =
                JobArgs.forJob(job, env).stream()
                        .map(
                                a ->
                                        a.replace(JobArgs.KAFKA_USER_DIR, userDir.toString())
                                                .replace(JobArgs.KAFKA_CA_DIR, caDir.toString())
                                                .replace(env.bootstrapServers(), bootstrap)
                                                .replace("SASL_SSL", "PLAINTEXT"))
                        .toArray(String[]::new);
        Configuration conf = clusterLikeClassLoading();
        PackagedProgram program =
                PackagedProgram.newBuilder()
                        .setJarFile(jar.toFile())
                        .setEntryPointClassName(job.mainClass())
                        .setArguments(args)
                        .setConfiguration(conf)
                        .build();
        try {
            Pipeline pipeline =
                    PackagedProgramUtils.getPipelineFromProgram(
                            program, conf, JobSizing.of(job).parallelism(), true);
            assertThat(pipeline).isInstanceOf(StreamGraph.class);
            check(job, (StreamGraph) pipeline);
        } finally {
            program.close();
        }
    }

    /**
     * On a Flink cluster, {@code lib/} holds Flink and nothing of the job: connectors, Kafka
     * clients, Avro and Storepulse itself come from the job jar. This test's classpath holds both
     * (the deploy module depends on flink-jobs), so Flink's usual parent-first rule for every
     * {@code org.apache.flink.} class would take the Kafka connector from the test classpath and
     * Kafka's client from the jar. Dropping that one pattern makes every class the jar has come
     * from the jar, as on a cluster, and everything else (Flink's core) from the parent.
     */
    private static Configuration clusterLikeClassLoading() {
        Configuration conf = new Configuration();
        List<String> patterns =
                new ArrayList<>(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS.defaultValue());
        patterns.remove("org.apache.flink.");
        conf.set(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS, patterns);
        return conf;
    }

    private static void check(StorepulseJob job, StreamGraph graph) {
        assertThat(graph.getJobName()).isEqualTo(job.id());
        assertThat(graph.getExecutionConfig().getMaxParallelism())
                .as("%s: max parallelism from --max-parallelism", job.id())
                .isEqualTo(JobSizing.MAX_PARALLELISM);
        assertThat(graph.getCheckpointConfig().getCheckpointInterval())
                .isEqualTo(JobArgs.CHECKPOINT_INTERVAL_SECONDS * 1000L);
        List<String> withoutUid = new ArrayList<>();
        for (StreamNode node : graph.getStreamNodes()) {
            if (node.getTransformationUID() == null) {
                withoutUid.add(node.getOperatorName());
            }
        }
        // Savepoint upgrades map state to operators by uid: every operator needs a stable one.
        assertThat(withoutUid).as("%s: operators without a uid", job.id()).isEmpty();
        checkTopicsAgainstAcls(job, graph);
    }

    /**
     * The KafkaUser's ACLs are generated from {@link StorepulseJob}'s inputs and outputs; here the
     * Kafka sources and sinks the job's own code builds are read out of its graph, so that a job
     * reading or writing a topic the catalogue does not list for it (and the ACLs do not grant)
     * fails the build instead of the deployment. The objects come from the jar's class loader, so
     * their private fields are read reflectively.
     */
    private static void checkTopicsAgainstAcls(StorepulseJob job, StreamGraph graph) {
        Set<String> read = new TreeSet<>();
        Set<String> written = new TreeSet<>();
        for (StreamNode node : graph.getStreamNodes()) {
            Object factory = node.getOperatorFactory();
            if (factory instanceof SourceOperatorFactory<?>) {
                Object source = field(factory, "source");
                assertThat(source.getClass().getName())
                        .endsWith("connector.kafka.source.KafkaSource");
                Object subscriber = field(source, "subscriber");
                for (Object topic : (List<?>) field(subscriber, "topics")) {
                    read.add((String) topic);
                }
                Properties props = (Properties) field(source, "props");
                assertThat(props.getProperty("group.id"))
                        .as("%s: consumer group (the ACL grants Read on it)", job.id())
                        .isEqualTo(job.id());
            } else if (factory instanceof SinkWriterOperatorFactory<?, ?> writer) {
                Object sink = writer.getSink();
                assertThat(sink.getClass().getName()).endsWith("connector.kafka.sink.KafkaSink");
                written.add((String) field(field(sink, "recordSerializer"), "topic"));
                assertThat((String) field(sink, "transactionalIdPrefix"))
                        .as("%s: transactional id (the ACL grants the prefix)", job.id())
                        .startsWith(job.id());
            }
        }
        assertThat(read)
                .as("%s: topics its Kafka sources read", job.id())
                .isEqualTo(names(job.inputs()));
        assertThat(written)
                .as("%s: topics its Kafka sinks write", job.id())
                .isEqualTo(names(job.outputs()));
    }

    private static Set<String> names(List<Topic<?>> topics) {
        return topics.stream().map(Topic::name).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Object field(Object target, String name) {
        for (Class<?> c = target.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(target);
            } catch (NoSuchFieldException e) {
                // look in the superclass
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("no field '" + name + "' in " + target.getClass());
    }

    private static boolean contains(Path jar, String className) throws IOException {
        try (JarFile jf = new JarFile(jar.toFile())) {
            return jf.getEntry(className.replace('.', '/') + ".class") != null;
        }
    }
}
