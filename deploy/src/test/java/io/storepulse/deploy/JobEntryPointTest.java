package io.storepulse.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.storepulse.topics.StorepulseJob;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * What can be tested of the image without a container engine: the Dockerfile puts the job jar where
 * the FlinkDeployments look for it, the jar holds each job's main class, and each job's settings
 * parser accepts exactly the arguments its FlinkDeployment passes.
 *
 * <p>Checks that need code still being written elsewhere (the settings parser, a job's main class)
 * are skipped with a reason until that code is on the classpath, and run from then on.
 */
class JobEntryPointTest {

    static final String SETTINGS_CLASS = "io.storepulse.config.StorepulseSettings";

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
        assumeTrue(Files.exists(jar), "job jar not built in this run (" + jar + ")");
        try (JarFile jf = new JarFile(jar.toFile())) {
            assertThat(jf.getEntry("io/storepulse/topics/StorepulseJob.class")).isNotNull();
            List<StorepulseJob> missing =
                    List.of(StorepulseJob.values()).stream()
                            .filter(
                                    j ->
                                            jf.getEntry(j.mainClass().replace('.', '/') + ".class")
                                                    == null)
                            .toList();
            assumeTrue(missing.isEmpty(), "main classes not written yet: " + missing);
        }
    }

    @Test
    void shouldStartEveryMainClassWithItsManifestArgs() throws Exception {
        Class<?> settings = load(SETTINGS_CLASS);
        assumeTrue(settings != null, SETTINGS_CLASS + " not merged into this branch yet");
        Method fromArgs = settings.getMethod("fromArgs", String[].class);
        for (StorepulseJob job : StorepulseJob.values()) {
            String[] args = JobArgs.forJob(job, env()).toArray(String[]::new);
            try {
                assertThat(fromArgs.invoke(null, (Object) args)).as(job.id()).isNotNull();
            } catch (InvocationTargetException e) {
                throw new AssertionError(
                        job.id()
                                + ": StorepulseSettings.fromArgs rejects the manifest args "
                                + List.of(args),
                        e.getCause());
            }
        }
        for (StorepulseJob job : StorepulseJob.values()) {
            Class<?> main = load(job.mainClass());
            assumeTrue(main != null, job.mainClass() + " not merged into this branch yet");
            Method m = main.getMethod("main", String[].class);
            assertThat(Modifier.isStatic(m.getModifiers())).isTrue();
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
