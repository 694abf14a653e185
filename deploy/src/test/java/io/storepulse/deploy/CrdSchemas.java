package io.storepulse.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Map;

/**
 * The operators' own CRD schemas, read from their Maven Central artifacts on the test classpath.
 *
 * <ul>
 *   <li>Strimzi 0.49.0: {@code io.strimzi:api:0.49.0:tests} holds {@code
 *       crds/v1beta2/04x-Crd-*.yaml}, the CRDs Strimzi installs (versions v1 and v1beta2 served).
 *       The main jar has no CRD files.
 *   <li>Flink Kubernetes Operator: {@code org.apache.flink:flink-kubernetes-operator-api} holds
 *       {@code META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml}. Only 1.10.0 resolves
 *       from Maven Central here (1.11.0, 1.11.1, 1.12.0, 1.12.1, 1.13.0 and 1.14.0 do not).
 * </ul>
 */
final class CrdSchemas {

    private static final YAMLMapper YAML = new YAMLMapper();

    private static final Map<String, String> STRIMZI_FILES =
            Map.of(
                    "Kafka", "crds/v1beta2/040-Crd-kafka.yaml",
                    "KafkaTopic", "crds/v1beta2/043-Crd-kafkatopic.yaml",
                    "KafkaUser", "crds/v1beta2/044-Crd-kafkauser.yaml",
                    "KafkaNodePool", "crds/v1beta2/045-Crd-kafkanodepool.yaml");

    static final String FLINK_DEPLOYMENT_CRD =
            "META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml";

    private CrdSchemas() {}

    /** Whether a kind has a CRD schema available here. */
    static boolean has(String kind) {
        return STRIMZI_FILES.containsKey(kind) || kind.equals("FlinkDeployment");
    }

    /** The openAPIV3Schema of {@code kind} at {@code apiVersion} (e.g. kafka.strimzi.io/v1). */
    static JsonNode schema(String kind, String apiVersion) {
        String resource =
                kind.equals("FlinkDeployment") ? FLINK_DEPLOYMENT_CRD : STRIMZI_FILES.get(kind);
        if (resource == null) {
            throw new IllegalArgumentException("no CRD for " + kind);
        }
        JsonNode crd = load(resource);
        String group = crd.path("spec").path("group").asText();
        String wantedKind = crd.path("spec").path("names").path("kind").asText();
        if (!wantedKind.equals(kind)) {
            throw new IllegalStateException(resource + " is for " + wantedKind);
        }
        for (JsonNode v : crd.path("spec").path("versions")) {
            if ((group + "/" + v.path("name").asText()).equals(apiVersion)) {
                if (!v.path("served").asBoolean()) {
                    throw new IllegalStateException(apiVersion + " is not served by " + resource);
                }
                return v.path("schema").path("openAPIV3Schema");
            }
        }
        throw new IllegalArgumentException(resource + " has no version " + apiVersion);
    }

    private static final Map<String, JsonNode> LOADED =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** A CRD file from the classpath, parsed once per test run (the Kafka CRD is 600 kB). */
    static JsonNode load(String resource) {
        return LOADED.computeIfAbsent(resource, CrdSchemas::parse);
    }

    private static JsonNode parse(String resource) {
        try (InputStream in = CrdSchemas.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the test classpath");
            }
            return YAML.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A copy of a CRD schema that rejects unknown fields, as {@code kubectl apply} does with its
     * default strict field validation (the API server would otherwise prune them silently): every
     * object with {@code properties} gets {@code additionalProperties: false}, unless it preserves
     * unknown fields ({@code x-kubernetes-preserve-unknown-fields}) or says otherwise already.
     */
    static JsonNode strict(JsonNode schema) {
        ObjectNode copy = schema.deepCopy();
        // The API server accepts these at the root of every object even where a generated CRD
        // schema (fabric8's, for the Flink operator) does not list them.
        ObjectNode rootProps = copy.with("properties");
        if (!rootProps.has("apiVersion")) {
            rootProps.putObject("apiVersion").put("type", "string");
        }
        if (!rootProps.has("kind")) {
            rootProps.putObject("kind").put("type", "string");
        }
        if (!rootProps.has("metadata")) {
            rootProps.putObject("metadata").put("type", "object");
        }
        tighten(copy);
        return copy;
    }

    /** Walks schema nodes only (never a properties map itself, whose keys are field names). */
    private static void tighten(JsonNode node) {
        if (!(node instanceof ObjectNode obj)) {
            return;
        }
        if (obj.has("properties")
                && !obj.has("additionalProperties")
                && !obj.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
            obj.put("additionalProperties", false);
        }
        for (Iterator<JsonNode> it = obj.path("properties").elements(); it.hasNext(); ) {
            tighten(it.next());
        }
        tighten(obj.get("items"));
        tighten(obj.get("additionalProperties"));
        tighten(obj.get("not"));
        for (String combinator : new String[] {"allOf", "anyOf", "oneOf"}) {
            if (obj.get(combinator) instanceof ArrayNode arr) {
                for (JsonNode child : arr) {
                    tighten(child);
                }
            }
        }
    }
}
