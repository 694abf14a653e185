package io.storepulse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.storepulse.deploy.Manifests.Doc;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every manifest under deploy/k8s/ against the operators' CRD schemas (strict: unknown fields fail,
 * as with {@code kubectl apply}), and built-in kinds against the fields Kubernetes requires.
 */
class CrdValidationTest {

    private static final JsonSchemaFactory FACTORY =
            JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4);

    /** What Kubernetes accepts as metadata.name of most objects (RFC 1123 label). */
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    /** The flinkVersion the generated FlinkDeployments declare (deploy/environment.properties). */
    private static final String FLINK_VERSION = "v2_2";

    private static Set<ValidationMessage> validate(JsonNode schema, JsonNode doc) {
        return FACTORY.getSchema(schema).validate(doc);
    }

    /** Compiled strict schemas by kind and apiVersion (the Kafka CRD is large: compile once). */
    private static final java.util.Map<String, JsonSchema> COMPILED = new java.util.HashMap<>();

    private static JsonSchema compiled(Doc doc) {
        return COMPILED.computeIfAbsent(
                doc.kind() + " " + doc.apiVersion(),
                k ->
                        FACTORY.getSchema(
                                doc.kind().equals("FlinkDeployment")
                                        ? flinkDeploymentSchema(doc.apiVersion())
                                        : CrdSchemas.strict(
                                                CrdSchemas.schema(doc.kind(), doc.apiVersion()))));
    }

    /**
     * The FlinkDeployment schema of operator 1.10.0 (the only operator-api version that resolves
     * here), with one change: its flinkVersion enum ends at v1_20, so v2_2, which the operator
     * releases that run Flink 2.2 add to that enum, is added. Nothing else is relaxed.
     */
    static JsonNode flinkDeploymentSchema(String apiVersion) {
        JsonNode schema = CrdSchemas.strict(CrdSchemas.schema("FlinkDeployment", apiVersion));
        ObjectNode flinkVersion =
                (ObjectNode)
                        schema.path("properties")
                                .path("spec")
                                .path("properties")
                                .path("flinkVersion");
        ((ArrayNode) flinkVersion.get("enum")).add(FLINK_VERSION);
        return schema;
    }

    @Test
    void shouldFindManifestsOfEveryKindWeShip() {
        List<String> kinds = Manifests.all().stream().map(Doc::kind).distinct().toList();
        assertThat(kinds)
                .contains(
                        "Kafka",
                        "KafkaNodePool",
                        "KafkaTopic",
                        "KafkaUser",
                        "FlinkDeployment",
                        "ConfigMap",
                        "Job",
                        "Deployment",
                        "Service",
                        "Namespace");
    }

    @Test
    void shouldMatchOperatorCrdSchemas() {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (Doc doc : Manifests.all()) {
            if (!CrdSchemas.has(doc.kind())) {
                continue;
            }
            for (ValidationMessage m : compiled(doc).validate(doc.node())) {
                problems.add(doc + ": " + m.getMessage());
            }
            checked++;
        }
        assertThat(problems).isEmpty();
        // 16 topics, 5 users, 4 FlinkDeployments, 2 node pools, 1 Kafka.
        assertThat(checked).isGreaterThanOrEqualTo(28);
    }

    @Test
    void shouldDifferFromTheResolvableFlinkOperatorCrdOnlyInFlinkVersion() {
        for (Doc doc : Manifests.ofKind(Manifests.all(), "FlinkDeployment")) {
            JsonNode unpatched =
                    CrdSchemas.strict(CrdSchemas.schema("FlinkDeployment", doc.apiVersion()));
            Set<ValidationMessage> errors = validate(unpatched, doc.node());
            assertThat(errors)
                    .as(doc.toString())
                    .isNotEmpty()
                    .allSatisfy(
                            m ->
                                    assertThat(m.getInstanceLocation().toString())
                                            .isEqualTo("$.spec.flinkVersion"));
        }
    }

    @Test
    void shouldRejectAnUnknownFieldAsKubectlWould() {
        Doc topic = Manifests.ofKind(Manifests.generated(), "KafkaTopic").get(0);
        ObjectNode broken = topic.node().deepCopy();
        ((ObjectNode) broken.path("spec")).put("partitionz", 6);
        JsonNode schema = CrdSchemas.strict(CrdSchemas.schema("KafkaTopic", topic.apiVersion()));
        assertThat(validate(schema, broken)).isNotEmpty();

        Doc flink = Manifests.ofKind(Manifests.generated(), "FlinkDeployment").get(0);
        ObjectNode brokenFlink = flink.node().deepCopy();
        ((ObjectNode) brokenFlink.path("spec").path("job")).put("upgradeMode", "sometimes");
        assertThat(validate(flinkDeploymentSchema(flink.apiVersion()), brokenFlink)).isNotEmpty();
    }

    /**
     * Built-in kinds have no CRD; their schemas come with the Kubernetes API server, not with a
     * Maven artifact here. Check the fields the API server requires, and the ones we rely on.
     */
    @Test
    void shouldCarryTheFieldsKubernetesRequiresOnBuiltInKinds() {
        List<String> problems = new ArrayList<>();
        for (Doc doc : Manifests.all()) {
            JsonNode n = doc.node();
            if (doc.apiVersion().isEmpty() || doc.kind().isEmpty()) {
                problems.add(doc + ": apiVersion and kind are required");
            }
            if (!DNS_LABEL.matcher(doc.name()).matches() || doc.name().length() > 63) {
                problems.add(doc + ": metadata.name is not a DNS-1123 label");
            }
            if (CrdSchemas.has(doc.kind())) {
                continue;
            }
            switch (doc.kind()) {
                case "Namespace" -> expectApi(problems, doc, "v1");
                case "ConfigMap" -> {
                    expectApi(problems, doc, "v1");
                    n.path("data")
                            .fieldNames()
                            .forEachRemaining(
                                    k -> {
                                        if (!k.matches("[-._a-zA-Z0-9]+")) {
                                            problems.add(doc + ": bad ConfigMap key " + k);
                                        }
                                    });
                    if (n.toString().length() > 1_000_000) {
                        problems.add(doc + ": ConfigMap over 1 MiB");
                    }
                }
                case "Secret" -> expectApi(problems, doc, "v1");
                case "Service" -> {
                    expectApi(problems, doc, "v1");
                    if (n.path("spec").path("ports").isEmpty()) {
                        problems.add(doc + ": spec.ports is required");
                    }
                    n.path("spec")
                            .path("ports")
                            .forEach(
                                    p -> {
                                        if (!p.path("port").isInt()) {
                                            problems.add(doc + ": port must be an integer");
                                        }
                                    });
                }
                case "Job" -> {
                    expectApi(problems, doc, "batch/v1");
                    JsonNode pod = n.path("spec").path("template").path("spec");
                    checkPod(problems, doc, pod);
                    String restart = pod.path("restartPolicy").asText();
                    if (!restart.equals("OnFailure") && !restart.equals("Never")) {
                        problems.add(doc + ": a Job's restartPolicy must be OnFailure or Never");
                    }
                }
                case "Deployment" -> {
                    expectApi(problems, doc, "apps/v1");
                    JsonNode selector = n.path("spec").path("selector").path("matchLabels");
                    JsonNode labels =
                            n.path("spec").path("template").path("metadata").path("labels");
                    if (selector.isEmpty()) {
                        problems.add(doc + ": spec.selector.matchLabels is required");
                    }
                    selector.fields()
                            .forEachRemaining(
                                    e -> {
                                        if (!e.getValue().equals(labels.get(e.getKey()))) {
                                            problems.add(
                                                    doc + ": selector does not match pod labels");
                                        }
                                    });
                    checkPod(problems, doc, n.path("spec").path("template").path("spec"));
                }
                default ->
                        problems.add(doc + ": no schema and no required-field check for this kind");
            }
        }
        assertThat(problems).isEmpty();
    }

    private static void expectApi(List<String> problems, Doc doc, String apiVersion) {
        if (!doc.apiVersion().equals(apiVersion)) {
            problems.add(doc + ": apiVersion should be " + apiVersion);
        }
    }

    private static void checkPod(List<String> problems, Doc doc, JsonNode pod) {
        if (pod.path("containers").isEmpty()) {
            problems.add(doc + ": containers are required");
        }
        for (JsonNode c : pod.path("containers")) {
            if (c.path("name").asText().isEmpty() || c.path("image").asText().isEmpty()) {
                problems.add(doc + ": every container needs a name and an image");
            }
            for (JsonNode m : c.path("volumeMounts")) {
                boolean declared = false;
                for (JsonNode v : pod.path("volumes")) {
                    declared |= v.path("name").equals(m.path("name"));
                }
                if (!declared) {
                    problems.add(doc + ": volume " + m.path("name") + " is mounted, not declared");
                }
            }
        }
    }
}
