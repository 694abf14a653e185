package io.storepulse.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The Flink REST calls the local cluster uses: upload, run, list, stop with savepoint. */
final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** One job as the cluster lists it. */
    record JobInfo(String jid, String name, String state) {
        boolean alive() {
            return switch (state) {
                case "FINISHED", "CANCELED", "FAILED" -> false;
                default -> true;
            };
        }
    }

    FlinkRest(String baseUrl) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    List<JobInfo> jobs() throws IOException, InterruptedException {
        JsonNode root = get("/jobs/overview");
        List<JobInfo> jobs = new ArrayList<>();
        for (JsonNode j : root.path("jobs")) {
            jobs.add(
                    new JobInfo(
                            j.path("jid").asText(),
                            j.path("name").asText(),
                            j.path("state").asText()));
        }
        return jobs;
    }

    /** Uploads the jar and returns the id to run it by. */
    String upload(Path jar) throws IOException, InterruptedException {
        String boundary = "----storepulse" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                                + jar.getFileName()
                                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(Files.readAllBytes(jar));
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest request =
                HttpRequest.newBuilder(URI.create(baseUrl + "/jars/upload"))
                        .timeout(Duration.ofMinutes(2))
                        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                        .build();
        JsonNode answer = send(request);
        String filename = answer.path("filename").asText();
        if (filename.isEmpty()) {
            throw new IOException("Flink did not accept the jar: " + answer);
        }
        return Path.of(filename).getFileName().toString();
    }

    /** Runs an uploaded jar's entry class, optionally from a savepoint; returns the job id. */
    String run(String jarId, String entryClass, List<String> args, String savepointPath)
            throws IOException, InterruptedException {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("entryClass", entryClass);
        body.put("programArgsList", args);
        if (savepointPath != null) {
            body.put("savepointPath", savepointPath);
            body.put("allowNonRestoredState", false);
        }
        JsonNode answer = post("/jars/" + jarId + "/run", body, Duration.ofMinutes(3));
        String jid = answer.path("jobid").asText();
        if (jid.isEmpty()) {
            throw new IOException("Flink did not start " + entryClass + ": " + answer);
        }
        return jid;
    }

    /** Stop-with-savepoint; waits for it and returns the savepoint location. */
    String stopWithSavepoint(String jid, Path targetDirectory, Duration timeout)
            throws IOException, InterruptedException {
        JsonNode trigger =
                post(
                        "/jobs/" + jid + "/stop",
                        Map.of(
                                "targetDirectory",
                                targetDirectory.toUri().toString(),
                                "drain",
                                false),
                        Duration.ofSeconds(30));
        String requestId = trigger.path("request-id").asText();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode status = get("/jobs/" + jid + "/savepoints/" + requestId);
            if ("COMPLETED".equals(status.path("status").path("id").asText())) {
                JsonNode op = status.path("operation");
                if (op.has("location")) {
                    return op.path("location").asText();
                }
                throw new IOException(
                        "savepoint of " + jid + " failed: " + op.path("failure-cause"));
            }
            Thread.sleep(500);
        }
        throw new IOException(
                "savepoint of " + jid + " not done within " + timeout.toSeconds() + " s");
    }

    void cancel(String jid) throws IOException, InterruptedException {
        HttpRequest request =
                HttpRequest.newBuilder(URI.create(baseUrl + "/jobs/" + jid + "?mode=cancel"))
                        .timeout(Duration.ofSeconds(30))
                        .method("PATCH", HttpRequest.BodyPublishers.noBody())
                        .build();
        http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    JsonNode get(String path) throws IOException, InterruptedException {
        return send(
                HttpRequest.newBuilder(URI.create(baseUrl + path))
                        .timeout(Duration.ofSeconds(30))
                        .GET()
                        .build());
    }

    private JsonNode post(String path, Object body, Duration timeout)
            throws IOException, InterruptedException {
        return send(
                HttpRequest.newBuilder(URI.create(baseUrl + path))
                        .timeout(timeout)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                        .build());
    }

    /**
     * What Flink's error answer says went wrong. For a job whose {@code main} threw (a refused
     * password, say), Flink answers a stack trace in which the line after "The main method caused
     * an error: " is the job's own message; that line alone is returned, or null for any other
     * failure.
     */
    static String mainMethodFailure(String body) {
        String marker = "The main method caused an error: ";
        String text = body;
        try {
            JsonNode errors = JSON.readTree(body).path("errors");
            if (errors.isArray()) {
                StringBuilder all = new StringBuilder();
                errors.forEach(e -> all.append(e.asText()).append('\n'));
                text = all.toString();
            }
        } catch (IOException notJson) {
            // keep the raw body
        }
        int at = text.lastIndexOf(marker);
        if (at >= 0) {
            String rest = text.substring(at + marker.length());
            int nl = rest.indexOf('\n');
            return nl < 0 ? rest : rest.substring(0, nl);
        }
        return null;
    }

    private JsonNode send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            String mainFailure = mainMethodFailure(response.body());
            if (mainFailure != null) {
                throw new IOException(mainFailure);
            }
            throw new IOException(
                    request.method()
                            + " "
                            + request.uri().getPath()
                            + ": HTTP "
                            + response.statusCode()
                            + " "
                            + response.body());
        }
        return JSON.readTree(response.body());
    }
}
