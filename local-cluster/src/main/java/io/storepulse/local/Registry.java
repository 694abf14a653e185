package io.storepulse.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * The few calls of the registry's Confluent-compatible API that the local cluster needs: register a
 * value schema under a subject and get its id back.
 */
final class Registry {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private final String baseUrl;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * @param registryUrl e.g. {@code http://127.0.0.1:18081/apis/ccompat/v7}
     */
    Registry(String registryUrl) {
        this.baseUrl =
                registryUrl.endsWith("/")
                        ? registryUrl.substring(0, registryUrl.length() - 1)
                        : registryUrl;
    }

    /** Registers (or finds) the schema under the subject and returns its global id. */
    int register(String subject, Schema schema) throws IOException, InterruptedException {
        String body = JSON.writeValueAsString(Map.of("schema", schema.toString()));
        HttpRequest request =
                HttpRequest.newBuilder(
                                URI.create(
                                        baseUrl
                                                + "/subjects/"
                                                + URLEncoder.encode(subject, StandardCharsets.UTF_8)
                                                + "/versions"))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", CONTENT_TYPE)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IOException(
                    "registry refused schema for "
                            + subject
                            + ": HTTP "
                            + response.statusCode()
                            + " "
                            + response.body());
        }
        JsonNode id = JSON.readTree(response.body()).get("id");
        if (id == null) {
            throw new IOException(
                    "registry answered without an id for " + subject + ": " + response.body());
        }
        return id.asInt();
    }
}
