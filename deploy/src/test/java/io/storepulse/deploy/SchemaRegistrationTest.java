package io.storepulse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.storepulse.serde.ConfluentAvroEncoder;
import io.storepulse.serde.RegistryClient;
import io.storepulse.serde.RegistryConfig;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The jobs run with {@code --registry-auto-register=false}: each sink looks its schema up by exact
 * content under {@code <topic>-value}. This test plays the registration Job's requests (the bodies
 * of the generated ConfigMap) into a registry stand-in that matches schemas by exact text (stricter
 * than a real registry, which normalizes), then lets the jobs' own encoder look each subject up.
 */
class SchemaRegistrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpServer server;

    /** subject → (schema text → id), as registered. */
    private final Map<String, Map<String, Integer>> registered = new HashMap<>();

    private int nextId = 1;

    @BeforeEach
    void startRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/apis/ccompat/v7/subjects/", this::subjects);
        server.start();
    }

    @AfterEach
    void stopRegistry() {
        server.stop(0);
    }

    private synchronized void subjects(HttpExchange ex) throws IOException {
        String path =
                ex.getRequestURI().getRawPath().substring("/apis/ccompat/v7/subjects/".length());
        JsonNode body = JSON.readTree(ex.getRequestBody());
        String schema = body.path("schema").asText();
        String answer;
        int status = 200;
        if (path.endsWith("/versions") && ex.getRequestMethod().equals("POST")) {
            String subject = decode(path.substring(0, path.length() - "/versions".length()));
            int id =
                    registered
                            .computeIfAbsent(subject, s -> new HashMap<>())
                            .computeIfAbsent(schema, s -> nextId++);
            answer = "{\"id\":" + id + "}";
        } else if (ex.getRequestMethod().equals("POST") && !path.contains("/")) {
            Integer id = registered.getOrDefault(decode(path), Map.of()).get(schema);
            if (id == null) {
                status = 404;
                answer = "{\"error_code\":40403,\"message\":\"Schema not found\"}";
            } else {
                answer = "{\"subject\":\"" + decode(path) + "\",\"version\":1,\"id\":" + id + "}";
            }
        } else {
            status = 405;
            answer = "{}";
        }
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/apis/ccompat/v7";
    }

    @Test
    void shouldLetEveryWriterFindTheSchemaTheRegistrationJobRegistered() throws Exception {
        Map<String, String> bodies = ManifestGenerator.registrationBodies();
        RegistryClient registrar = new RegistryClient(RegistryConfig.of(url()));
        for (Map.Entry<String, String> e : bodies.entrySet()) {
            String subject = e.getKey().substring(0, e.getKey().length() - ".json".length());
            JsonNode body = JSON.readTree(e.getValue());
            registrar.register(
                    subject,
                    new org.apache.avro.Schema.Parser().parse(body.path("schema").asText()));
        }
        // The generated body must be registered verbatim too (curl posts the file as is).
        for (Topic<?> t : Topics.ALL) {
            String schema =
                    JSON.readTree(bodies.get(t.valueSubject() + ".json")).path("schema").asText();
            assertThat(registered.get(t.valueSubject())).containsKey(schema);
        }

        RegistryConfig base = RegistryConfig.of(url());
        RegistryConfig lookupOnly =
                new RegistryConfig(
                        base.url(),
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        base.requestTimeout(),
                        1,
                        base.initialBackoff(),
                        false);
        RegistryClient writers = new RegistryClient(lookupOnly);
        for (Topic<?> t : Topics.ALL) {
            int id = encoder(writers, t).schemaId();
            assertThat(id)
                    .as(t.valueSubject())
                    .isEqualTo(registered.get(t.valueSubject()).values().iterator().next());
        }
    }

    private static <T extends org.apache.avro.specific.SpecificRecord>
            ConfluentAvroEncoder<T> encoder(RegistryClient client, Topic<T> topic) {
        return new ConfluentAvroEncoder<>(client, topic.valueSubject(), topic.valueType());
    }
}
