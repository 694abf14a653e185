package io.storepulse.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real Apicurio Registry (3.3.x, unpacked by the Maven build) running as a {@link ChildProcess}
 * on 127.0.0.1, with in-memory storage, so it also stops when the JVM that started it is killed. It
 * needs Java 21 or newer, so it runs on the newest JDK found under {@code /usr/lib/jvm} (or {@code
 * STOREPULSE_REGISTRY_JAVA}).
 */
public final class ApicurioRegistry implements AutoCloseable {

    /** A startup deadline for a loaded 2-core machine, not an expectation of speed. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);

    private final ChildProcess process;
    private final int httpPort;

    private ApicurioRegistry(ChildProcess process, int httpPort) {
        this.process = process;
        this.httpPort = httpPort;
    }

    /**
     * Starts the registry unpacked at {@code home} (the directory holding {@code quarkus-run.jar})
     * and waits until it is ready. Its log is {@code workDir/apicurio-<port>.log}.
     */
    public static ApicurioRegistry start(Path home, Path workDir) {
        Path runJar = home.resolve("quarkus-run.jar");
        if (!Files.exists(runJar)) {
            throw new IllegalStateException(
                    "Apicurio is not unpacked at "
                            + home.toAbsolutePath()
                            + " (the Maven build unpacks it: run the tests through Maven, the"
                            + " benchmarks through ./bench/run)");
        }
        String java =
                findJava21()
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "Apicurio Registry needs Java 21 or newer; none found under /usr/lib/jvm. Set STOREPULSE_REGISTRY_JAVA."));
        int httpPort = LoopbackPorts.freePort();
        int managementPort = LoopbackPorts.freePort();
        ChildProcess process;
        try {
            process =
                    ChildProcess.start(
                            new ProcessBuilder(
                                            java,
                                            "-Xmx384m",
                                            "-Dquarkus.http.host=127.0.0.1",
                                            "-Dquarkus.http.port=" + httpPort,
                                            "-Dquarkus.management.host=127.0.0.1",
                                            "-Dquarkus.management.port=" + managementPort,
                                            "-Dquarkus.otel.sdk.disabled=true",
                                            "-Dquarkus.log.level=WARN",
                                            "-jar",
                                            runJar.toAbsolutePath().toString())
                                    .directory(home.toFile()),
                            workDir.resolve("apicurio-" + httpPort + ".log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ApicurioRegistry registry = new ApicurioRegistry(process, httpPort);
        try {
            registry.awaitReady(managementPort);
        } catch (RuntimeException e) {
            registry.close();
            throw e;
        }
        return registry;
    }

    /** Base of the Confluent-compatible API. */
    public String ccompatUrl() {
        return "http://127.0.0.1:" + httpPort + "/apis/ccompat/v7";
    }

    public int httpPort() {
        return httpPort;
    }

    public Path log() {
        return process.log();
    }

    private void awaitReady(int managementPort) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        URI ready = URI.create("http://127.0.0.1:" + managementPort + "/health/ready");
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "Apicurio exited with " + process.exitValue() + "; see " + process.log());
            }
            try {
                HttpResponse<Void> r =
                        http.send(
                                HttpRequest.newBuilder(ready).GET().build(),
                                HttpResponse.BodyHandlers.discarding());
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
        throw new IllegalStateException(
                "Apicurio did not become ready within " + READY_TIMEOUT + "; see " + process.log());
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

    @Override
    public void close() {
        process.close();
    }

    /**
     * Stops the registry, force-killing it if it has not exited within {@code grace}: at JVM exit
     * its in-memory storage has nothing to save, and a shutdown hook should not hold the JVM up.
     */
    public void stop(Duration grace) {
        process.stop(grace);
    }
}
