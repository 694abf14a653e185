package io.storepulse.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real Apicurio Registry (3.3.x, unpacked by the build into {@code target/apicurio}) running as a
 * child process on 127.0.0.1, with in-memory storage. It needs Java 21 or newer, so it runs on the
 * newest JDK found under {@code /usr/lib/jvm} (or {@code STOREPULSE_REGISTRY_JAVA}).
 */
public final class ApicurioRegistry implements AutoCloseable {

    private final Process process;
    private final int httpPort;
    private final Path log;

    private ApicurioRegistry(Process process, int httpPort, Path log) {
        this.process = process;
        this.httpPort = httpPort;
        this.log = log;
    }

    public static ApicurioRegistry start(Path workDir) {
        Path home = Path.of(System.getProperty("storepulse.apicurio.home", "target/apicurio"));
        Path runJar = home.resolve("quarkus-run.jar");
        if (!Files.exists(runJar)) {
            throw new IllegalStateException(
                    "Apicurio is not unpacked at "
                            + home.toAbsolutePath()
                            + " (run the tests through Maven: the build unpacks it in pre-integration-test)");
        }
        String java =
                findJava21()
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "Apicurio Registry needs Java 21 or newer; none found under /usr/lib/jvm. Set STOREPULSE_REGISTRY_JAVA."));
        int httpPort = freePort();
        int managementPort = freePort();
        try {
            Files.createDirectories(workDir);
            Path log = workDir.resolve("apicurio-" + httpPort + ".log");
            List<String> cmd =
                    new ArrayList<>(
                            List.of(
                                    java,
                                    "-Xmx384m",
                                    "-Dquarkus.http.host=127.0.0.1",
                                    "-Dquarkus.http.port=" + httpPort,
                                    "-Dquarkus.management.host=127.0.0.1",
                                    "-Dquarkus.management.port=" + managementPort,
                                    "-Dquarkus.otel.sdk.disabled=true",
                                    "-Dquarkus.log.level=WARN",
                                    "-jar",
                                    runJar.toAbsolutePath().toString()));
            Process p =
                    new ProcessBuilder(cmd)
                            .directory(home.toFile())
                            .redirectErrorStream(true)
                            .redirectOutput(log.toFile())
                            .start();
            ApicurioRegistry registry = new ApicurioRegistry(p, httpPort, log);
            registry.awaitReady(managementPort, Duration.ofSeconds(120));
            return registry;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Base of the Confluent-compatible API. */
    public String ccompatUrl() {
        return "http://127.0.0.1:" + httpPort + "/apis/ccompat/v7";
    }

    public int httpPort() {
        return httpPort;
    }

    private void awaitReady(int managementPort, Duration timeout) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        URI ready = URI.create("http://127.0.0.1:" + managementPort + "/health/ready");
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "Apicurio exited with " + process.exitValue() + "; see " + log);
            }
            try {
                HttpResponse<String> r =
                        http.send(
                                HttpRequest.newBuilder(ready).GET().build(),
                                HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        close();
        throw new IllegalStateException(
                "Apicurio did not become ready within " + timeout + "; see " + log);
    }

    static Optional<String> findJava21() {
        String explicit = System.getenv("STOREPULSE_REGISTRY_JAVA");
        if (explicit != null && !explicit.isBlank()) {
            return Optional.of(explicit);
        }
        if (Runtime.version().feature() >= 21) {
            return Optional.of(ProcessHandle.current().info().command().orElse("java"));
        }
        try (Stream<Path> jdks = Files.list(Path.of("/usr/lib/jvm"))) {
            return jdks.filter(d -> Files.isExecutable(d.resolve("bin/java")))
                    .filter(d -> featureVersion(d) >= 21)
                    .max(Comparator.comparingInt(ApicurioRegistry::featureVersion))
                    .map(d -> d.resolve("bin/java").toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static int featureVersion(Path jdk) {
        try {
            for (String line : Files.readAllLines(jdk.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(v.split("[.+-]")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
