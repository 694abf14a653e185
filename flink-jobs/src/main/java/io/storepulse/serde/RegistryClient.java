package io.storepulse.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;

/**
 * A small client of the Confluent Schema Registry REST API.
 *
 * <p>Written here because Confluent's own client is not on Maven Central; it speaks only the part
 * of the API Storepulse needs (register, look up, compatibility), so it works unchanged against
 * Confluent Schema Registry, Apicurio ({@code /apis/ccompat/v7}), Karapace and Redpanda. Both
 * directions are cached: a schema id never changes its schema, so after the first look-up a task
 * never calls the registry again for that id.
 *
 * <p>Transient failures (connection refused, timeouts, 5xx, 429) are retried with exponential
 * backoff; after the last attempt a {@link RegistryUnavailableException} names the URL and the
 * cause. Answers that will not change by retrying (404, 401, 409, 422) raise {@link
 * RegistryException} at once.
 */
public final class RegistryClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private final RegistryConfig config;
    private final HttpClient http;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();

    public RegistryClient(RegistryConfig config) {
        this.config = config;
        HttpClient.Builder builder =
                HttpClient.newBuilder()
                        .connectTimeout(config.requestTimeout())
                        .version(HttpClient.Version.HTTP_1_1);
        if (config.trustStorePath() != null || config.keyStorePath() != null) {
            builder.sslContext(sslContext(config));
        }
        this.http = builder.build();
    }

    public RegistryConfig config() {
        return config;
    }

    /**
     * Registers a schema under a subject, or returns the id it already has. Idempotent: the
     * registry answers the existing id for a schema it knows.
     */
    public int register(String subject, Schema schema) {
        String cacheKey = subject + "\n" + schema.toString();
        Integer cached = idsBySubjectAndSchema.get(cacheKey);
        if (cached != null) {
            return cached;
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("schema", schema.toString());
        body.put("schemaType", "AVRO");
        JsonNode answer = send("POST", "/subjects/" + encode(subject) + "/versions", body);
        int id = answer.path("id").asInt(-1);
        if (id < 0) {
            throw new RegistryException(
                    "registry answered no id when registering " + subject + ": " + answer, 200, 0);
        }
        idsBySubjectAndSchema.put(cacheKey, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    /**
     * The schema with this id.
     *
     * @throws RegistryException with {@link RegistryException#isNotFound()} for an unknown id
     */
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("GET", "/schemas/ids/" + id, null);
        String text = answer.path("schema").asText(null);
        if (text == null) {
            throw new RegistryException("registry answered no schema for id " + id, 200, 0);
        }
        // Writers such as Apicurio's serde register nested named types as separate subjects and
        // refer to them; those must be parsed first, into the same parser, for names to resolve.
        Schema.Parser parser = new Schema.Parser();
        parseReferences(answer.path("references"), parser, new java.util.HashSet<>());
        Schema schema = parser.parse(text);
        schemasById.put(id, schema);
        return schema;
    }

    private void parseReferences(
            JsonNode references, Schema.Parser parser, java.util.Set<String> seen) {
        if (!references.isArray()) {
            return;
        }
        for (JsonNode ref : references) {
            String subject = ref.path("subject").asText();
            String version = ref.path("version").asText("latest");
            if (!seen.add(subject + "/" + version)) {
                continue;
            }
            JsonNode referenced =
                    send(
                            "GET",
                            "/subjects/" + encode(subject) + "/versions/" + encode(version),
                            null);
            parseReferences(referenced.path("references"), parser, seen);
            String name = ref.path("name").asText();
            if (!parser.getTypes().containsKey(name)) {
                parser.parse(referenced.path("schema").asText());
            }
        }
    }

    /**
     * The id of a schema already registered under a subject, without registering it: for registries
     * where a deployment job registers schemas and writers may not.
     */
    public int idOf(String subject, Schema schema) {
        String cacheKey = subject + "\n" + schema.toString();
        Integer cached = idsBySubjectAndSchema.get(cacheKey);
        if (cached != null) {
            return cached;
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("schema", schema.toString());
        body.put("schemaType", "AVRO");
        int id = send("POST", "/subjects/" + encode(subject), body).path("id").asInt(-1);
        idsBySubjectAndSchema.put(cacheKey, id);
        return id;
    }

    /**
     * The registered subjects; also the cheapest call that proves the URL, the TLS trust and the
     * credentials are right (a refusal raises {@link RegistryException} with HTTP 401 or 403).
     */
    public java.util.List<String> subjects() {
        java.util.List<String> subjects = new java.util.ArrayList<>();
        send("GET", "/subjects", null).forEach(n -> subjects.add(n.asText()));
        return subjects;
    }

    /** Sets a subject's compatibility level, e.g. {@code BACKWARD_TRANSITIVE}. */
    public void setCompatibility(String subject, String level) {
        ObjectNode body = JSON.createObjectNode();
        body.put("compatibility", level);
        send("PUT", "/config/" + encode(subject), body);
    }

    /** Whether the registry would accept this schema as the next version of the subject. */
    public boolean isCompatible(String subject, Schema schema) {
        ObjectNode body = JSON.createObjectNode();
        body.put("schema", schema.toString());
        body.put("schemaType", "AVRO");
        try {
            return send(
                            "POST",
                            "/compatibility/subjects/" + encode(subject) + "/versions/latest",
                            body)
                    .path("is_compatible")
                    .asBoolean(false);
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                return true; // nothing registered yet: anything is compatible
            }
            throw e;
        }
    }

    private JsonNode send(String method, String path, JsonNode body) {
        URI uri = URI.create(config.url() + path);
        Duration backoff = config.initialBackoff();
        Exception lastFailure = null;
        for (int attempt = 1; attempt <= config.maxAttempts(); attempt++) {
            try {
                HttpResponse<String> response =
                        http.send(request(method, uri, body), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return response.body().isEmpty()
                            ? JSON.createObjectNode()
                            : JSON.readTree(response.body());
                }
                if (status == 429 || status >= 500) {
                    lastFailure =
                            new IOException("HTTP " + status + ": " + abbreviate(response.body()));
                } else {
                    throw refusal(method, path, status, response.body());
                }
            } catch (IOException e) {
                lastFailure = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryUnavailableException(
                        "interrupted while calling the schema registry at " + config.url(), e);
            }
            if (attempt < config.maxAttempts()) {
                sleep(backoff);
                backoff = backoff.multipliedBy(2);
            }
        }
        throw new RegistryUnavailableException(
                "schema registry at "
                        + config.url()
                        + " is unreachable after "
                        + config.maxAttempts()
                        + " attempts ("
                        + method
                        + " "
                        + path
                        + "): "
                        + lastFailure,
                lastFailure);
    }

    private HttpRequest request(String method, URI uri, JsonNode body) {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(uri)
                        .timeout(config.requestTimeout())
                        .header("Accept", CONTENT_TYPE + ", application/json");
        if (config.username() != null) {
            String token =
                    Base64.getEncoder()
                            .encodeToString(
                                    (config.username() + ":" + config.password())
                                            .getBytes(StandardCharsets.UTF_8));
            b.header("Authorization", "Basic " + token);
        }
        if (body == null) {
            return b.method(method, HttpRequest.BodyPublishers.noBody()).build();
        }
        return b.header("Content-Type", CONTENT_TYPE)
                .method(method, HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
    }

    private RegistryException refusal(String method, String path, int status, String body) {
        int code = 0;
        String message = abbreviate(body);
        try {
            JsonNode err = JSON.readTree(body);
            code = err.path("error_code").asInt(0);
            message = err.path("message").asText(message);
        } catch (IOException notJson) {
            // keep the raw body as the message
        }
        String hint =
                switch (status) {
                    case 401, 403 -> " (check the registry credentials)";
                    case 409 -> " (the schema is not compatible with the subject's versions)";
                    default -> "";
                };
        return new RegistryException(
                "schema registry refused "
                        + method
                        + " "
                        + path
                        + ": HTTP "
                        + status
                        + " "
                        + message
                        + hint,
                status,
                code);
    }

    private static SSLContext sslContext(RegistryConfig config) {
        try {
            TrustManagerFactory tmf = null;
            if (config.trustStorePath() != null) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(load(config.trustStorePath(), config.trustStorePassword()));
            }
            KeyManagerFactory kmf = null;
            if (config.keyStorePath() != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                char[] pass =
                        config.keyStorePassword() == null
                                ? new char[0]
                                : config.keyStorePassword().toCharArray();
                kmf.init(load(config.keyStorePath(), config.keyStorePassword()), pass);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(
                    kmf == null ? null : kmf.getKeyManagers(),
                    tmf == null ? null : tmf.getTrustManagers(),
                    null);
            return ctx;
        } catch (Exception e) {
            throw new IllegalArgumentException(
                    "cannot set up TLS to the schema registry: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(String path, String password) throws Exception {
        KeyStore ks = KeyStore.getInstance(path.endsWith(".jks") ? "JKS" : "PKCS12");
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            ks.load(in, password == null ? null : password.toCharArray());
        }
        return ks;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
