package io.storepulse.bench;

import io.storepulse.testkit.ApicurioRegistry;
import io.storepulse.testkit.ChildProcess;
import io.storepulse.testkit.LoopbackPorts;
import io.storepulse.topics.Topic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;

/**
 * The real stack the suite runs against: a KRaft Kafka broker and an Apicurio Registry, each a
 * child process on loopback (or an existing cluster, when its addresses are given). The broker is a
 * separate JVM so that the benchmark JVM's resident memory is Flink's (JobManager + TaskManager)
 * and not the broker's. Both are testkit {@link ChildProcess}es: they stop with the benchmark JVM,
 * even when it is killed.
 */
public final class BenchStack implements AutoCloseable {

    private final String bootstrapServers;
    private final String registryUrl;
    private final ChildProcess broker;
    private final ApicurioRegistry registry;

    private BenchStack(
            String bootstrapServers,
            String registryUrl,
            ChildProcess broker,
            ApicurioRegistry registry) {
        this.bootstrapServers = bootstrapServers;
        this.registryUrl = registryUrl;
        this.broker = broker;
        this.registry = registry;
    }

    /** An already running cluster (e.g. {@code ./local-cluster/storepulse up}). */
    public static BenchStack external(String bootstrapServers, String registryUrl) {
        return new BenchStack(bootstrapServers, registryUrl, null, null);
    }

    /** Starts a broker and a registry under {@code workDir}; both stop on {@link #close()}. */
    public static BenchStack start(Path workDir) {
        ChildProcess broker = null;
        ApicurioRegistry registry = null;
        try {
            Files.createDirectories(workDir);
            int kafkaPort = LoopbackPorts.freePort();
            broker = startBroker(workDir, kafkaPort);
            registry =
                    ApicurioRegistry.start(
                            Path.of(
                                    System.getProperty(
                                            "storepulse.apicurio.home", "bench/target/apicurio")),
                            workDir);
            awaitPort(broker, kafkaPort, Duration.ofSeconds(120));
            BenchStack stack =
                    new BenchStack(
                            "127.0.0.1:" + kafkaPort, registry.ccompatUrl(), broker, registry);
            // The children would die with this JVM anyway; the hook lets an interrupted suite
            // wait (bounded) for their orderly stop, so that nothing is still writing after it.
            Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "bench-stack-stop"));
            return stack;
        } catch (IOException | RuntimeException e) {
            if (registry != null) {
                registry.close();
            }
            if (broker != null) {
                broker.close();
            }
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

    private static ChildProcess startBroker(Path workDir, int port) throws IOException {
        Path libs =
                Path.of(System.getProperty("storepulse.broker.libs", "bench/broker/target/libs"));
        if (!Files.isDirectory(libs)) {
            throw new IllegalStateException(
                    "broker classpath missing at "
                            + libs.toAbsolutePath()
                            + " (build with: mvn -pl bench -am compile)");
        }
        int controllerPort = LoopbackPorts.freePort();
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
        ChildProcess format =
                ChildProcess.start(
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
                                "--ignore-formatted"),
                        workDir.resolve("broker-format.log"));
        try {
            if (!format.waitFor(Duration.ofSeconds(120)) || format.exitValue() != 0) {
                throw new IllegalStateException(
                        "formatting the broker storage failed; see " + format.log());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            format.close();
        }
        return ChildProcess.start(
                new ProcessBuilder(
                        java,
                        "-Xmx768m",
                        "-XX:+UseG1GC",
                        "-cp",
                        cp,
                        "kafka.Kafka",
                        props.toString()),
                workDir.resolve("broker.log"));
    }

    private static void awaitPort(ChildProcess p, int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the Kafka broker exited; see " + p.log());
            }
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                sleep(250);
            }
        }
        throw new IllegalStateException("the Kafka broker did not listen in time; see " + p.log());
    }

    private static String currentJava() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        // Registry first, then the broker.
        if (registry != null) {
            registry.close();
        }
        if (broker != null) {
            broker.close();
        }
    }
}
