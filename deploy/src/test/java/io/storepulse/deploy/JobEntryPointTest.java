package io.storepulse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.config.StorepulseSettings;
import io.storepulse.topics.StorepulseJob;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What can be tested of the image without a container engine: the Dockerfile puts the job jar where
 * the FlinkDeployments look for it, the jar holds each job's main class, and each job's settings
 * parser accepts exactly the arguments its FlinkDeployment passes.
 *
 * <p>Every job of {@link StorepulseJob} exists, so a missing main class or jar fails: a skip here
 * would let an image without a job pass the build.
 */
class JobEntryPointTest {

    private static DeployConfig env() throws IOException {
        return DeployConfig.load(Path.of("environment.properties"));
    }

    @Test
    void shouldPassTheArgsListFromJobArgsInEveryFlinkDeployment() throws IOException {
        for (StorepulseJob job : StorepulseJob.values()) {
            var spec =
                    Manifests.find(Manifests.generated(), "FlinkDeployment", job.id())
                            .orElseThrow()
                            .node()
                            .path("spec");
            assertThat(CatalogueConsistencyTest.strings(spec.path("job").path("args")))
                    .isEqualTo(JobArgs.forJob(job, env()));
        }
    }

    @Test
    void shouldCopyTheShadedJarToWhereTheDeploymentsLook() throws IOException {
        String dockerfile = Files.readString(Path.of("Dockerfile"), StandardCharsets.UTF_8);
        assertThat(dockerfile).containsPattern("(?m)^ARG FLINK_IMAGE=flink:2\\.2\\.\\d+-java17$");
        assertThat(dockerfile).containsPattern("(?m)^FROM \\$\\{FLINK_IMAGE}$");
        String target = ManifestGenerator.JAR_URI.substring("local://".length());
        assertThat(dockerfile)
                .containsPattern(
                        "(?m)^COPY .*flink-jobs/target/storepulse-flink-jobs-\\$\\{STOREPULSE_VERSION}-job\\.jar "
                                + target.replace(".", "\\.")
                                + "$");
        assertThat(dockerfile).contains("flink-s3-fs-presto");
    }

    @Test
    void shouldShipEveryJobsMainClassInTheJobJar() throws IOException {
        Path jar = Path.of("../flink-jobs/target/storepulse-flink-jobs-" + version() + "-job.jar");
        assertThat(jar)
                .as("the shaded job jar; build it in the same run: mvn -pl deploy -am verify")
                .exists();
        try (JarFile jf = new JarFile(jar.toFile())) {
            assertThat(jf.getEntry("io/storepulse/topics/StorepulseJob.class")).isNotNull();
            List<StorepulseJob> missing =
                    List.of(StorepulseJob.values()).stream()
                            .filter(
                                    j ->
                                            jf.getEntry(j.mainClass().replace('.', '/') + ".class")
                                                    == null)
                            .toList();
            assertThat(missing).as("jobs whose main class is not in the job jar").isEmpty();
        }
    }

    /**
     * Parses each FlinkDeployment's args with the jobs' own parser, with the Secrets the pod mounts
     * stood in for by files in a temporary directory (same file names, same contents' shape).
     */
    @Test
    void shouldParseEveryDeploymentsArgsIntoTheIntendedSettings(@TempDir Path mounts)
            throws IOException {
        Path userDir = Files.createDirectories(mounts.resolve("kafka-user"));
        Path caDir = Files.createDirectories(mounts.resolve("kafka-ca"));
        Files.writeString(userDir.resolve("password"), "s3cr3t\n");
        Files.write(caDir.resolve("ca.p12"), new byte[] {0});
        for (StorepulseJob job : StorepulseJob.values()) {
            String[] args =
                    JobArgs.forJob(job, env()).stream()
                            .map(
                                    a ->
                                            a.replace(JobArgs.KAFKA_USER_DIR, userDir.toString())
                                                    .replace(
                                                            JobArgs.KAFKA_CA_DIR, caDir.toString()))
                            .toArray(String[]::new);
            StorepulseSettings settings = StorepulseSettings.fromArgs(args);

            assertThat(settings.bootstrapServers()).isEqualTo(env().bootstrapServers());
            assertThat(settings.isExactlyOnce()).isTrue();
            assertThat(settings.maxParallelism()).isEqualTo(JobSizing.MAX_PARALLELISM);
            assertThat(settings.parallelism()).as("left to the operator").isZero();
            assertThat(settings.checkpointDir()).as("left to the FlinkDeployment").isNull();
            assertThat(settings.checkpointIntervalDuration())
                    .isEqualTo(Duration.ofSeconds(JobArgs.CHECKPOINT_INTERVAL_SECONDS));
            assertThat(settings.transactionTimeoutDuration())
                    .isEqualTo(Duration.ofMinutes(JobArgs.TRANSACTION_TIMEOUT_MINUTES));
            assertThat(settings.startFromEarliest()).isTrue();
            assertThat(settings.groupSuffix()).as("group and transactional ids = job id").isEmpty();
            assertThat(settings.registryConfig().url()).isEqualTo(env().registryUrl());
            assertThat(settings.registryConfig().autoRegister())
                    .as("the registration Job registers schemas")
                    .isFalse();

            Properties kafka = settings.kafkaSecurityProperties();
            assertThat(kafka.getProperty("security.protocol")).isEqualTo("SASL_SSL");
            assertThat(kafka.getProperty("sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
            assertThat(kafka.getProperty("sasl.jaas.config"))
                    .contains("username=\"" + job.id() + "\"")
                    .contains("password=\"s3cr3t\"");
            assertThat(kafka.getProperty("ssl.truststore.location"))
                    .isEqualTo(caDir.resolve("ca.p12").toString());
        }
    }

    @Test
    void shouldFindEveryMainClassWithAMainMethod() throws Exception {
        for (StorepulseJob job : StorepulseJob.values()) {
            Class<?> main = load(job.mainClass());
            assertThat(main).as(job.mainClass()).isNotNull();
            Method m = main.getMethod("main", String[].class);
            assertThat(Modifier.isStatic(m.getModifiers())).isTrue();
            assertThat(Modifier.isPublic(m.getModifiers())).isTrue();
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, JobEntryPointTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    private static String version() {
        String v = System.getProperty("storepulse.version");
        return v != null ? v : "0.1.0-SNAPSHOT";
    }
}
