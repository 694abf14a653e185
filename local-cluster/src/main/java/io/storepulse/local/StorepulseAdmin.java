package io.storepulse.local;

import io.storepulse.local.sim.Simulate;
import io.storepulse.serde.RegistryClient;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Java half of {@code ./local-cluster/storepulse}: everything that talks to the running stack
 * (topics, schemas, job submission, savepoints, job status) plus the shop simulator. The shell
 * script starts and stops processes; this tool works through Kafka's admin API, the registry's
 * Confluent-compatible API and Flink's REST API.
 */
@Command(
        name = "storepulse-admin",
        mixinStandardHelpOptions = true,
        subcommands = {
            StorepulseAdmin.Setup.class,
            StorepulseAdmin.Submit.class,
            StorepulseAdmin.StopJobs.class,
            StorepulseAdmin.Jobs.class,
            Simulate.class,
            Tail.class
        },
        description = "Admin tool of the Storepulse local cluster.")
public final class StorepulseAdmin {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The tool's command line. A failure prints one line naming its cause (an authentication
     * refusal, an unreachable service) instead of a stack trace, and exits with 1.
     */
    static CommandLine commandLine() {
        return new CommandLine(new StorepulseAdmin())
                .setExecutionExceptionHandler(
                        (e, cmd, parsed) -> {
                            cmd.getErr()
                                    .println(
                                            "storepulse-admin "
                                                    + cmd.getCommandName()
                                                    + ": ERROR: "
                                                    + oneLine(rootMessage(e)));
                            cmd.getErr().flush();
                            return 1;
                        });
    }

    /**
     * How the tools connect: the addresses given, and security (SASL/SCRAM or mutual TLS for Kafka,
     * basic auth and TLS for the registry) from the same {@code STOREPULSE_*} environment variables
     * and secret files as the jobs, so that no secret is ever a command-line argument.
     */
    public static io.storepulse.config.StorepulseSettings connection(
            String bootstrapServers, String registryUrl) {
        return io.storepulse.config.StorepulseSettings.fromArgs(
                "--bootstrap-servers", bootstrapServers, "--registry-url", registryUrl);
    }

    /** Creates every topic of the catalogue and registers every value schema. */
    @Command(
            name = "setup",
            description = "Create the catalogue's topics and register its schemas.")
    static final class Setup implements Callable<Integer> {
        @Option(names = "--bootstrap-servers", required = true)
        String bootstrapServers;

        @Option(
                names = "--registry-url",
                required = true,
                description = "Confluent-compatible API base URL.")
        String registryUrl;

        @Override
        public Integer call() throws Exception {
            io.storepulse.config.StorepulseSettings connection =
                    connection(bootstrapServers, registryUrl);
            io.storepulse.config.ConnectionCheck.kafka(connection);
            io.storepulse.config.ConnectionCheck.registry(connection);
            int created = 0;
            try (Admin admin = admin(connection)) {
                for (Topic<?> topic : Topics.ALL) {
                    Map<String, String> configs = new HashMap<>();
                    configs.put("cleanup.policy", topic.cleanupPolicy());
                    if (!topic.compacted()) {
                        configs.put("retention.ms", Long.toString(topic.retentionMs()));
                    }
                    NewTopic newTopic =
                            new NewTopic(topic.name(), topic.partitions(), (short) 1)
                                    .configs(configs);
                    try {
                        admin.createTopics(List.of(newTopic)).all().get();
                        created++;
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)) {
                            throw e;
                        }
                    }
                }
            }
            System.out.printf(
                    "topics: %d in the catalogue, %d created, %d already there%n",
                    Topics.ALL.size(), created, Topics.ALL.size() - created);
            RegistryClient registry = new RegistryClient(connection.registryConfig());
            for (Topic<?> topic : Topics.ALL) {
                Schema schema = SpecificData.get().getSchema(topic.valueType());
                int id = registry.register(topic.valueSubject(), schema);
                System.out.printf("schema: %-28s id %d%n", topic.valueSubject(), id);
            }
            return 0;
        }
    }

    /** Submits every job of the catalogue whose main class is in the jar, resuming from state. */
    @Command(
            name = "submit",
            description = "Submit every Storepulse job (resuming from savepoints).")
    static final class Submit implements Callable<Integer> {
        @Option(names = "--flink-url", required = true)
        String flinkUrl;

        @Option(names = "--jar", required = true, description = "The job jar.")
        Path jar;

        @Option(names = "--state-dir", required = true, description = "Local cluster state dir.")
        Path stateDir;

        @Option(
                names = "--job-args",
                required = true,
                description = "Program arguments for every job, whitespace separated.")
        String jobArgs;

        @Option(names = "--only", split = ",", description = "Only these jobs (e.g. INVENTORY).")
        List<StorepulseJob> only;

        @Override
        public Integer call() throws Exception {
            FlinkRest flink = new FlinkRest(flinkUrl);
            List<FlinkRest.JobInfo> running = flink.jobs();
            List<StorepulseJob> toRun = new ArrayList<>();
            try (JarFile jarFile = new JarFile(jar.toFile())) {
                for (StorepulseJob job : StorepulseJob.values()) {
                    if (only != null && !only.contains(job)) {
                        continue;
                    }
                    String missing = missingMain(jarFile, job);
                    if (missing != null) {
                        System.out.printf("job %-22s skipped: %s%n", job.id(), missing);
                    } else if (running.stream()
                            .anyMatch(j -> j.name().equals(job.id()) && j.alive())) {
                        System.out.printf("job %-22s already running%n", job.id());
                    } else {
                        toRun.add(job);
                    }
                }
            }
            if (toRun.isEmpty()) {
                return 0;
            }
            String jarId = flink.upload(jar);
            List<String> args = List.of(jobArgs.trim().split("\\s+"));
            // Shown so that anyone can see what Flink receives: addresses and file paths only;
            // secrets reach the job through the JobManager's environment or files.
            System.out.println("job args: " + String.join(" ", args));
            int failed = 0;
            for (StorepulseJob job : toRun) {
                JobState state = new JobState(stateDir, job);
                Optional<Path> resume = state.latestSnapshot();
                try {
                    String jid =
                            flink.run(
                                    jarId,
                                    job.mainClass(),
                                    args,
                                    resume.map(p -> p.getParent().toUri().toString()).orElse(null));
                    state.recordJid(jid);
                    System.out.printf(
                            "job %-22s submitted as %s%s%n",
                            job.id(),
                            jid,
                            resume.map(p -> ", resumed from " + p.getParent())
                                    .orElse(", fresh start"));
                } catch (IOException e) {
                    failed++;
                    System.out.printf(
                            "job %-22s FAILED to submit: %s%n", job.id(), oneLine(e.getMessage()));
                }
            }
            return failed == 0 ? 0 : 1;
        }
    }

    /** Stops every running Storepulse job with a savepoint. */
    @Command(name = "stop-jobs", description = "Stop every running job with a savepoint.")
    static final class StopJobs implements Callable<Integer> {
        @Option(names = "--flink-url", required = true)
        String flinkUrl;

        @Option(names = "--state-dir", required = true)
        Path stateDir;

        @Option(names = "--timeout-seconds", defaultValue = "120")
        long timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            FlinkRest flink = new FlinkRest(flinkUrl);
            int failed = 0;
            for (FlinkRest.JobInfo info : flink.jobs()) {
                if (!info.alive()) {
                    continue;
                }
                Optional<StorepulseJob> job =
                        Stream.of(StorepulseJob.values())
                                .filter(j -> j.id().equals(info.name()))
                                .findFirst();
                if (job.isEmpty() || !"RUNNING".equals(info.state())) {
                    System.out.printf(
                            "job %-22s %s: cancelling (no savepoint)%n", info.name(), info.state());
                    flink.cancel(info.jid());
                    continue;
                }
                JobState state = new JobState(stateDir, job.get());
                try {
                    String location =
                            flink.stopWithSavepoint(
                                    info.jid(),
                                    state.savepointDir(),
                                    Duration.ofSeconds(timeoutSeconds));
                    System.out.printf("job %-22s stopped, savepoint %s%n", info.name(), location);
                } catch (IOException e) {
                    failed++;
                    System.out.printf(
                            "job %-22s savepoint FAILED (%s); its latest checkpoint will be used%n",
                            info.name(), oneLine(e.getMessage()));
                    flink.cancel(info.jid());
                }
            }
            return failed == 0 ? 0 : 1;
        }
    }

    /** Lists the jobs of the catalogue and their state in the cluster. */
    @Command(name = "jobs", description = "Show every job of the catalogue and its state.")
    static final class Jobs implements Callable<Integer> {
        @Option(names = "--flink-url", required = true)
        String flinkUrl;

        @Option(names = "--state-dir", required = true)
        Path stateDir;

        @Option(names = "--jar")
        Path jar;

        @Override
        public Integer call() throws Exception {
            List<FlinkRest.JobInfo> running;
            try {
                running = new FlinkRest(flinkUrl).jobs();
            } catch (IOException e) {
                System.out.printf("jobs: Flink not reachable at %s%n", flinkUrl);
                return 1;
            }
            JarFile jarFile = jar != null && Files.exists(jar) ? new JarFile(jar.toFile()) : null;
            try {
                for (StorepulseJob job : StorepulseJob.values()) {
                    Optional<FlinkRest.JobInfo> live =
                            running.stream()
                                    .filter(j -> j.name().equals(job.id()) && j.alive())
                                    .findFirst();
                    String what;
                    if (live.isPresent()) {
                        what = live.get().state() + " " + live.get().jid();
                    } else if (jarFile != null
                            && jarFile.getJarEntry(job.mainClass().replace('.', '/') + ".class")
                                    == null) {
                        what = "not written yet (" + job.mainClass() + " not in the jar)";
                    } else {
                        what =
                                new JobState(stateDir, job)
                                        .latestSnapshot()
                                        .map(p -> "stopped, resumes from " + p.getParent())
                                        .orElse("not running");
                    }
                    System.out.printf("job %-22s %s%n", job.id(), what);
                }
            } finally {
                if (jarFile != null) {
                    jarFile.close();
                }
            }
            return 0;
        }
    }

    /**
     * What the local cluster remembers about one job between runs: the Flink job ids it ran under
     * (their retained checkpoints) and its savepoint directory.
     */
    static final class JobState {
        private final Path stateDir;
        private final StorepulseJob job;

        JobState(Path stateDir, StorepulseJob job) {
            this.stateDir = stateDir;
            this.job = job;
        }

        Path savepointDir() {
            return stateDir.resolve("flink/savepoints").resolve(job.id());
        }

        private Path jidFile() {
            return stateDir.resolve("jobs").resolve(job.id() + ".jids");
        }

        void recordJid(String jid) throws IOException {
            Files.createDirectories(jidFile().getParent());
            Files.writeString(
                    jidFile(),
                    jid + System.lineSeparator(),
                    StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        }

        /**
         * The newest {@code _metadata} among the job's savepoints and the retained checkpoints of
         * every Flink job id it ran under.
         */
        Optional<Path> latestSnapshot() throws IOException {
            List<Path> candidates = new ArrayList<>();
            collectMetadata(savepointDir(), 2, candidates);
            if (Files.exists(jidFile())) {
                for (String jid : Files.readAllLines(jidFile())) {
                    if (!jid.isBlank()) {
                        collectMetadata(
                                stateDir.resolve("flink/checkpoints").resolve(jid.trim()),
                                2,
                                candidates);
                    }
                }
            }
            return candidates.stream().max(Comparator.comparingLong(JobState::modified));
        }

        private static void collectMetadata(Path dir, int depth, List<Path> into)
                throws IOException {
            if (!Files.isDirectory(dir)) {
                return;
            }
            try (Stream<Path> files = Files.walk(dir, depth)) {
                files.filter(p -> p.getFileName().toString().equals("_metadata"))
                        .forEach(into::add);
            }
        }

        private static long modified(Path p) {
            try {
                return Files.getLastModifiedTime(p).toMillis();
            } catch (IOException e) {
                return 0;
            }
        }
    }

    /**
     * Why the job cannot run from this jar yet (its class or its {@code main} is missing), or null.
     * Looks at the class file's constant pool rather than loading it: Flink is not on this
     * classpath.
     */
    static String missingMain(JarFile jarFile, StorepulseJob job) throws IOException {
        java.util.jar.JarEntry entry =
                jarFile.getJarEntry(job.mainClass().replace('.', '/') + ".class");
        if (entry == null) {
            return job.mainClass() + " is not in the job jar yet";
        }
        byte[] bytes;
        try (java.io.InputStream in = jarFile.getInputStream(entry)) {
            bytes = in.readAllBytes();
        }
        String pool = new String(bytes, StandardCharsets.ISO_8859_1);
        if (!pool.contains("([Ljava/lang/String;)V") || !pool.contains("\u0004main")) {
            return job.mainClass() + " has no main() yet";
        }
        return null;
    }

    static Admin admin(String bootstrapServers) {
        return admin(new Properties(), bootstrapServers);
    }

    /** An admin client with the connection's security settings. */
    static Admin admin(io.storepulse.config.StorepulseSettings connection) {
        return admin(connection.kafkaSecurityProperties(), connection.bootstrapServers());
    }

    private static Admin admin(Properties props, String bootstrapServers) {
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return Admin.create(props);
    }

    /** The deepest message of a failure, which names its cause. */
    static String rootMessage(Throwable e) {
        String message = e.getMessage();
        for (Throwable t = e; t != null; t = t.getCause()) {
            // Our own one-line messages (ConnectionCheck, settings) win over what they wrap.
            if (t instanceof IllegalStateException || t instanceof IllegalArgumentException) {
                return t.getMessage();
            }
            if (t.getMessage() != null) {
                message = t.getMessage();
            }
        }
        return message == null ? e.getClass().getName() : message;
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String flat = s.replaceAll("\\s+", " ");
        return flat.length() > 300 ? flat.substring(0, 300) + "..." : flat;
    }
}
