package io.storepulse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.storepulse.deploy.Manifests.Doc;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Strimzi cluster: 3 KRaft brokers, replication 3, min ISR 2, settings the jobs rely on. */
class KafkaClusterTest {

    private final List<Doc> docs = Manifests.all();

    private JsonNode kafkaConfig() {
        List<Doc> kafkas = Manifests.ofKind(docs, "Kafka");
        assertThat(kafkas).hasSize(1);
        assertThat(kafkas.get(0).name()).isEqualTo("storepulse");
        return kafkas.get(0).node().path("spec").path("kafka").path("config");
    }

    private int replicasWithRole(String role) {
        int n = 0;
        for (Doc pool : Manifests.ofKind(docs, "KafkaNodePool")) {
            assertThat(
                            pool.node()
                                    .path("metadata")
                                    .path("labels")
                                    .path("strimzi.io/cluster")
                                    .asText())
                    .isEqualTo("storepulse");
            for (JsonNode r : pool.node().path("spec").path("roles")) {
                if (r.asText().equals(role)) {
                    n += pool.node().path("spec").path("replicas").asInt();
                }
            }
        }
        return n;
    }

    @Test
    void shouldRunThreeBrokersAndAKraftQuorumOfThree() {
        assertThat(replicasWithRole("broker")).isEqualTo(3);
        assertThat(replicasWithRole("controller")).isEqualTo(3);
    }

    @Test
    void shouldReplicateThreeWaysAndRequireTwoInSync() {
        JsonNode config = kafkaConfig();
        assertThat(config.path("default.replication.factor").asInt()).isEqualTo(3);
        assertThat(config.path("min.insync.replicas").asInt()).isEqualTo(2);
        assertThat(config.path("offsets.topic.replication.factor").asInt()).isEqualTo(3);
        assertThat(config.path("transaction.state.log.replication.factor").asInt()).isEqualTo(3);
        assertThat(config.path("transaction.state.log.min.isr").asInt()).isEqualTo(2);
        assertThat(config.path("auto.create.topics.enable").asBoolean(true)).isFalse();
    }

    @Test
    void shouldAllowTheTransactionTimeoutTheJobsAreGiven() {
        long brokerMaxMs = kafkaConfig().path("transaction.max.timeout.ms").asLong();
        assertThat(brokerMaxMs)
                .isEqualTo(JobArgs.BROKER_MAX_TRANSACTION_TIMEOUT_MINUTES * 60_000L)
                .isGreaterThanOrEqualTo(JobArgs.TRANSACTION_TIMEOUT_MINUTES * 60_000L);
    }

    @Test
    void shouldAuthenticateWithScramAndAuthorizeWithAcls() {
        JsonNode kafka = Manifests.ofKind(docs, "Kafka").get(0).node().path("spec").path("kafka");
        assertThat(kafka.path("authorization").path("type").asText()).isEqualTo("simple");
        boolean tlsScram9093 = false;
        for (JsonNode l : kafka.path("listeners")) {
            assertThat(l.path("authentication").path("type").asText())
                    .as("every listener authenticates")
                    .isEqualTo("scram-sha-512");
            tlsScram9093 |= l.path("port").asInt() == 9093 && l.path("tls").asBoolean();
        }
        assertThat(tlsScram9093).as("the listener JobArgs points at").isTrue();
    }

    /**
     * Hand-written files name the namespace and cluster literally; they must agree with the
     * environment.
     */
    @Test
    void shouldKeepHandWrittenManifestsInStepWithTheEnvironment() throws java.io.IOException {
        DeployConfig env = DeployConfig.load(java.nio.file.Path.of("environment.properties"));
        for (Doc d : docs) {
            if (d.kind().equals("Namespace")) {
                assertThat(d.name()).isEqualTo(env.namespace());
            } else {
                assertThat(d.node().path("metadata").path("namespace").asText())
                        .as(d.toString())
                        .isEqualTo(env.namespace());
            }
            JsonNode cluster = d.node().path("metadata").path("labels").path("strimzi.io/cluster");
            if (!cluster.isMissingNode()) {
                assertThat(cluster.asText()).as(d.toString()).isEqualTo(env.kafkaCluster());
            }
        }
        assertThat(Manifests.ofKind(docs, "Kafka").get(0).name()).isEqualTo(env.kafkaCluster());
    }
}
