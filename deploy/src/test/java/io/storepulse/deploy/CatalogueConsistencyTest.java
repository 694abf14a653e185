package io.storepulse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.storepulse.deploy.Manifests.Doc;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The manifests on disk (deploy/k8s/) against the catalogue: every topic a job uses exists with the
 * catalogue's settings, and every job's ACLs cover exactly its inputs and outputs. The expectations
 * are written out here from the catalogue, not taken from the generator.
 */
class CatalogueConsistencyTest {

    private final List<Doc> docs = Manifests.all();

    private Map<String, JsonNode> topicsByName() {
        return Manifests.ofKind(docs, "KafkaTopic").stream()
                .map(Doc::node)
                .collect(
                        Collectors.toMap(
                                n -> n.path("spec").path("topicName").asText(),
                                Function.identity()));
    }

    @Test
    void shouldDeclareEveryTopicOfEveryJobWithTheCatalogueSettings() {
        Map<String, JsonNode> topics = topicsByName();
        for (StorepulseJob job : StorepulseJob.values()) {
            for (Topic<?> t : concat(job.inputs(), job.outputs())) {
                JsonNode kt = topics.get(t.name());
                assertThat(kt).as("KafkaTopic for %s (used by %s)", t.name(), job).isNotNull();
                JsonNode spec = kt.path("spec");
                assertThat(spec.path("partitions").asInt()).as(t.name()).isEqualTo(t.partitions());
                assertThat(spec.path("replicas").asInt()).as(t.name()).isEqualTo(3);
                JsonNode config = spec.path("config");
                assertThat(config.path("cleanup.policy").asText())
                        .as(t.name())
                        .isEqualTo(t.compacted() ? "compact" : "delete");
                assertThat(config.path("retention.ms").asLong())
                        .as(t.name())
                        .isEqualTo(t.retentionMs());
                assertThat(config.path("min.insync.replicas").asInt()).as(t.name()).isEqualTo(2);
            }
        }
    }

    @Test
    void shouldDeclareExactlyTheCatalogueTopics() {
        Set<String> expected =
                Topics.ALL.stream().map(Topic::name).collect(Collectors.toCollection(TreeSet::new));
        assertThat(new TreeSet<>(topicsByName().keySet())).isEqualTo(expected);
        assertThat(Manifests.ofKind(docs, "KafkaTopic")).hasSize(Topics.ALL.size());
        for (Doc d : Manifests.ofKind(docs, "KafkaTopic")) {
            assertThat(d.node().path("metadata").path("labels").path("strimzi.io/cluster").asText())
                    .isEqualTo("storepulse");
        }
    }

    /** A granted (resource type, name, pattern, operation). */
    record Grant(String type, String name, String pattern, String operation) {}

    private static Set<Grant> grants(JsonNode user) {
        Set<Grant> grants = new HashSet<>();
        for (JsonNode acl : user.path("spec").path("authorization").path("acls")) {
            assertThat(acl.path("type").asText("allow")).isEqualTo("allow");
            JsonNode r = acl.path("resource");
            for (JsonNode op : acl.path("operations")) {
                grants.add(
                        new Grant(
                                r.path("type").asText(),
                                r.path("name").asText(),
                                r.path("patternType").asText("literal"),
                                op.asText()));
            }
        }
        return grants;
    }

    @Test
    void shouldGrantEachJobExactlyItsInputsAndOutputs() {
        for (StorepulseJob job : StorepulseJob.values()) {
            Optional<Doc> user = Manifests.find(docs, "KafkaUser", job.id());
            assertThat(user).as("KafkaUser %s", job.id()).isPresent();
            Set<Grant> actual = grants(user.get().node());

            Set<Grant> expected = new HashSet<>();
            for (Topic<?> in : job.inputs()) {
                expected.add(new Grant("topic", in.name(), "literal", "Read"));
                expected.add(new Grant("topic", in.name(), "literal", "Describe"));
            }
            expected.add(new Grant("group", job.id(), "literal", "Read"));
            for (Topic<?> out : job.outputs()) {
                expected.add(new Grant("topic", out.name(), "literal", "Write"));
                expected.add(new Grant("topic", out.name(), "literal", "Describe"));
            }
            expected.add(new Grant("transactionalId", job.id(), "prefix", "Write"));
            expected.add(new Grant("transactionalId", job.id(), "prefix", "Describe"));
            // JobLauncher's preflight reads the broker's transaction.max.timeout.ms.
            expected.add(new Grant("cluster", "", "literal", "DescribeConfigs"));
            assertThat(actual).as(job.id()).isEqualTo(expected);

            // Stated the other way round: the topics it may read are exactly its inputs, the
            // topics it may write exactly its outputs.
            assertThat(topicsWith(actual, "Read")).isEqualTo(names(job.inputs()));
            assertThat(topicsWith(actual, "Write")).isEqualTo(names(job.outputs()));
            assertThat(user.get().node().path("spec").path("authentication").path("type").asText())
                    .isEqualTo("scram-sha-512");
        }
    }

    @Test
    void shouldNeverLetTheOperatorsUserWriteAnOutput() {
        Doc ops = Manifests.find(docs, "KafkaUser", Acl.OPS_USER).orElseThrow();
        Set<String> outputs =
                Topics.ALL.stream()
                        .filter(t -> t.direction() == Topic.Direction.OUTPUT)
                        .map(Topic::name)
                        .collect(Collectors.toSet());
        assertThat(topicsWith(grants(ops.node()), "Write")).doesNotContainAnyElementsOf(outputs);
        assertThat(topicsWith(grants(ops.node()), "Read")).contains(Topics.DEAD_LETTERS.name());
    }

    @Test
    void shouldRunEachJobFromItsEntryPointAsItsOwnUser() {
        List<Doc> deployments = Manifests.ofKind(docs, "FlinkDeployment");
        assertThat(deployments).hasSize(StorepulseJob.values().length);
        for (StorepulseJob job : StorepulseJob.values()) {
            JsonNode spec =
                    Manifests.find(docs, "FlinkDeployment", job.id())
                            .orElseThrow()
                            .node()
                            .path("spec");
            assertThat(spec.path("job").path("entryClass").asText()).isEqualTo(job.mainClass());
            List<String> args = strings(spec.path("job").path("args"));
            assertThat(args.get(args.indexOf("--kafka-user") + 1)).isEqualTo(job.id());
            boolean mountsOwnSecret = false;
            for (JsonNode v : spec.path("podTemplate").path("spec").path("volumes")) {
                mountsOwnSecret |= v.path("secret").path("secretName").asText().equals(job.id());
            }
            assertThat(mountsOwnSecret).as("%s mounts its KafkaUser Secret", job.id()).isTrue();
        }
    }

    static List<String> strings(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false)
                .map(JsonNode::asText)
                .toList();
    }

    private static Set<String> topicsWith(Set<Grant> grants, String operation) {
        return grants.stream()
                .filter(g -> g.type().equals("topic") && g.operation().equals(operation))
                .map(Grant::name)
                .collect(Collectors.toSet());
    }

    private static Set<String> names(List<Topic<?>> topics) {
        return topics.stream().map(Topic::name).collect(Collectors.toSet());
    }

    private static List<Topic<?>> concat(List<Topic<?>> a, List<Topic<?>> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
