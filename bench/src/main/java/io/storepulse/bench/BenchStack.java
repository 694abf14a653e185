package io.storepulse.bench;

import io.storepulse.topics.Topic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;

/**
 * The real stack the suite runs against: a KRaft Kafka broker and an Apicurio Registry, each a
 * child process on loopback (or an existing cluster, when its addresses are given). The broker is a
 * separate JVM so that the benchmark JVM's resident memory is Flink's (JobManager + TaskManager)
 * and not the broker's.
 */
public final class BenchStack implements AutoCloseable {

    private final String bootstrapServers;
    private final String registryUrl;
    private final List<Process> children;

    private BenchStack(String bootstrapServers, String registryUrl, List<Process> children) {
        this.bootstrapServers = bootstrapServers;
        this.registryUrl = registryUrl;
        this.children = children;
    }

    /** An already running cluster (e.g. {@code ./local-cluster/storepulse up}). */
    public static BenchStack external(String bootstrapServers, String registryUrl) {
        return new BenchStack(bootstrapServers, registryUrl, List.of());
    }

    /** Starts a broker and a registry under {@code workDir}; both stop on {@link #close()}. */
    public static BenchStack start(Path workDir) {
        List<Process> children = new ArrayList<>();
        // Stop the children also when the suite is interrupted.
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(() -> children.forEach(Process::destroy), "bench-stack-stop"));
        try {
            Files.createDirectories(workDir);
            int kafkaPort = freePort();
            Process broker = startBroker(workDir, kafkaPort);
            children.add(broker);
            String registryUrl = startRegistry(workDir, children);
            awaitPort(broker, kafkaPort, Duration.ofSeconds(120), workDir.resolve("broker.log"));
            return new BenchStack("127.0.0.1:" + kafkaPort, registryUrl, children);
        } catch (IOException | RuntimeException e) {
            children.forEach(BenchStack::stop);
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String registryUrl() {
        return registryUrl;
    }

    /** Deletes (if present) and creates topics, with the given partition count. */
    public void recreateTopics(Collection<String> names, int partitions) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            List<String> delete = names.stream().filter(existing::contains).toList();
            if (!delete.isEmpty()) {
                admin.deleteTopics(delete).all().get(60, TimeUnit.SECONDS);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline
                        && admin.listTopics().names().get().stream().anyMatch(delete::contains)) {
                    Thread.sleep(200);
                }
            }
            List<NewTopic> create = new ArrayList<>();
            for (String n : names) {
                create.add(new NewTopic(n, partitions, (short) 1));
            }
            admin.createTopics(create).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topics " + names, e);
        }
    }

    public void recreateTopics(List<Topic<?>> topics) {
        recreateTopics(topics.stream().map(Topic::name).toList(), 2);
    }

    private static Process startBroker(Path workDir, int port) throws IOException {
        Path libs =
                Path.of(System.getProperty("storepulse.broker.libs", "bench/broker/target/libs"));
        if (!Files.isDirectory(libs)) {
            throw new IllegalStateException(
                    "broker classpath missing at "
                            + libs.toAbsolutePath()
                            + " (build with: mvn -pl bench -am compile)");
        }
        int controllerPort = freePort();
        Path data = workDir.resolve("kafka-data");
        Path props = workDir.resolve("server.properties");
        Files.writeString(
                props,
                String.join(
                        "\n",
                        "process.roles=broker,controller",
                        "node.id=1",
                        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                        "listeners=PLAINTEXT://127.0.0.1:"
                                + port
                                + ",CONTROLLER://127.0.0.1:"
                                + controllerPort,
                        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                        "controller.listener.names=CONTROLLER",
                        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                        "log.dirs=" + data.toAbsolutePath(),
                        "offsets.topic.replication.factor=1",
                        "transaction.state.log.replication.factor=1",
                        "transaction.state.log.min.isr=1",
                        "share.coordinator.state.topic.replication.factor=1",
                        "share.coordinator.state.topic.min.isr=1",
                        "group.initial.rebalance.delay.ms=0",
                        "auto.create.topics.enable=false",
                        "num.partitions=2",
                        ""));
        String cp = libs.toAbsolutePath() + "/*";
        String java = currentJava();
        Path log = workDir.resolve("broker.log");
        Process format =
                new ProcessBuilder(
                                java,
                                "-cp",
                                cp,
                                "kafka.tools.StorageTool",
                                "format",
                                "-t",
                                Uuid.randomUuid().toString(),
                                "-c",
                                props.toString(),
                                "--ignore-formatted")
                        .redirectErrorStream(true)
                        .redirectOutput(workDir.resolve("broker-format.log").toFile())
                        .start();
        try {
            if (!format.waitFor(120, TimeUnit.SECONDS) || format.exitValue() != 0) {
                throw new IllegalStateException(
                        "formatting the broker storage failed; see "
                                + workDir.resolve("broker-format.log"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return new ProcessBuilder(
                        java,
                        "-Xmx768m",
                        "-XX:+UseG1GC",
                        "-cp",
                        cp,
                        "kafka.Kafka",
                        props.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    private static String startRegistry(Path workDir, List<Process> children) throws IOException {
        Path home =
                Path.of(System.getProperty("storepulse.apicurio.home", "bench/target/apicurio"));
        Path runJar = home.resolve("quarkus-run.jar");
        if (!Files.exists(runJar)) {
            throw new IllegalStateException(
                    "Apicurio is not unpacked at "
                            + home.toAbsolutePath()
                            + " (build with: mvn -pl bench -am compile)");
        }
        String java =
                findJava21()
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "Apicurio Registry needs Java 21+; set STOREPULSE_REGISTRY_JAVA"));
        int httpPort = freePort();
        int managementPort = freePort();
        Path log = workDir.resolve("apicurio.log");
        Process p =
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
                        .directory(home.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        children.add(p);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI ready = URI.create("http://127.0.0.1:" + managementPort + "/health/ready");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("Apicurio exited; see " + log);
            }
            try {
                HttpResponse<Void> r =
                        http.send(
                                HttpRequest.newBuilder(ready).GET().build(),
                                HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return "http://127.0.0.1:" + httpPort + "/apis/ccompat/v7";
                }
            } catch (IOException notYet) {
                // starting
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(250);
        }
        throw new IllegalStateException("Apicurio did not become ready; see " + log);
    }

    private static void awaitPort(Process p, int port, Duration timeout, Path log) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the Kafka broker exited; see " + log);
            }
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                sleep(250);
            }
        }
        throw new IllegalStateException("the Kafka broker did not listen in time; see " + log);
    }

    static String currentJava() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    static Optional<String> findJava21() {
        String explicit = System.getenv("STOREPULSE_REGISTRY_JAVA");
        if (explicit != null && !explicit.isBlank()) {
            return Optional.of(explicit);
        }
        if (Runtime.version().feature() >= 21) {
            return Optional.of(currentJava());
        }
        try (Stream<Path> jdks = Files.list(Path.of("/usr/lib/jvm"))) {
            return jdks.filter(d -> Files.isExecutable(d.resolve("bin/java")))
                    .filter(d -> featureVersion(d) >= 21)
                    .max(Comparator.comparingInt(BenchStack::featureVersion))
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
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void stop(Process p) {
        p.destroy();
        try {
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    @Override
    public void close() {
        // Registry first, then the broker.
        for (int i = children.size() - 1; i >= 0; i--) {
            stop(children.get(i));
        }
    }
}
