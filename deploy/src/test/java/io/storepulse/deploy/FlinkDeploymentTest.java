package io.storepulse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.storepulse.deploy.Manifests.Doc;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the Flink operator's own validation would reject or what our runbook relies on, beyond the
 * CRD schema: the schema of the operator release that runs Flink 2.2 is not on Maven Central here,
 * so the rules that matter are checked by hand.
 */
class FlinkDeploymentTest {

    private final List<Doc> deployments =
            Manifests.ofKind(Manifests.generated(), "FlinkDeployment");

    @Test
    void shouldCarryWhatTheOperatorRequiresForAnApplicationWithSavepointUpgrades() {
        assertThat(deployments).isNotEmpty();
        for (Doc d : deployments) {
            JsonNode spec = d.node().path("spec");
            JsonNode conf = spec.path("flinkConfiguration");
            assertThat(spec.path("image").asText()).as(d.toString()).isNotBlank();
            assertThat(spec.path("flinkVersion").asText()).isEqualTo("v2_2");
            assertThat(spec.path("serviceAccount").asText()).isEqualTo("flink");
            assertThat(spec.path("jobManager").path("resource").path("memory").asText())
                    .isNotBlank();
            assertThat(spec.path("taskManager").path("resource").path("memory").asText())
                    .isNotBlank();
            assertThat(spec.path("jobManager").path("resource").path("cpu").asDouble())
                    .isPositive();
            assertThat(spec.path("taskManager").path("resource").path("cpu").asDouble())
                    .isPositive();
            JsonNode job = spec.path("job");
            assertThat(job.path("jarURI").asText()).isEqualTo(ManifestGenerator.JAR_URI);
            assertThat(job.path("upgradeMode").asText()).isEqualTo("savepoint");
            assertThat(job.path("state").asText()).isEqualTo("running");
            assertThat(job.path("parallelism").asInt()).isPositive();
            // Savepoint upgrades need a savepoint directory; HA needs its storage directory.
            assertThat(conf.path("execution.checkpointing.savepoint-dir").asText())
                    .startsWith("s3://");
            assertThat(conf.path("execution.checkpointing.dir").asText()).startsWith("s3://");
            assertThat(conf.path("high-availability.type").asText()).isEqualTo("kubernetes");
            assertThat(conf.path("high-availability.storageDir").asText()).startsWith("s3://");
            assertThat(conf.path("state.backend.type").asText()).isEqualTo("rocksdb");
            assertThat(conf.path("execution.checkpointing.incremental").asText()).isEqualTo("true");
            assertThat(conf.path("execution.checkpointing.mode").asText())
                    .isEqualTo("EXACTLY_ONCE");
        }
    }

    @Test
    void shouldKeepEachJobsStateUnderItsOwnPrefix() {
        for (Doc d : deployments) {
            JsonNode conf = d.node().path("spec").path("flinkConfiguration");
            String prefix = "s3://storepulse-state/storepulse/" + d.name() + "/";
            assertThat(conf.path("execution.checkpointing.dir").asText()).startsWith(prefix);
            assertThat(conf.path("execution.checkpointing.savepoint-dir").asText())
                    .startsWith(prefix);
            assertThat(conf.path("high-availability.storageDir").asText()).startsWith(prefix);
        }
    }

    @Test
    void shouldFixMaxParallelismAboveEveryParallelismItMayReach() {
        for (Doc d : deployments) {
            JsonNode spec = d.node().path("spec");
            JsonNode conf = spec.path("flinkConfiguration");
            int max = Integer.parseInt(conf.path("pipeline.max-parallelism").asText());
            assertThat(max).isEqualTo(JobSizing.MAX_PARALLELISM);
            assertThat(max % spec.path("job").path("parallelism").asInt()).isZero();
            assertThat(
                            Integer.parseInt(
                                    conf.path("job.autoscaler.vertex.max-parallelism").asText()))
                    .isLessThanOrEqualTo(max);
        }
    }

    @Test
    void shouldSetEveryFlinkConfigurationValueAsAString() {
        for (Doc d : deployments) {
            d.node()
                    .path("spec")
                    .path("flinkConfiguration")
                    .fields()
                    .forEachRemaining(
                            e -> assertThat(e.getValue().isTextual()).as(e.getKey()).isTrue());
        }
    }
}
