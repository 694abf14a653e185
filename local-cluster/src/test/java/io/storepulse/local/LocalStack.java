package io.storepulse.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Drives {@code ./local-cluster/storepulse} for tests: its own home directory under {@code target/}
 * and its own free loopback ports, so that it never meets a developer's stack.
 */
final class LocalStack {
    final Path moduleDir = Path.of("").toAbsolutePath();
    final Path script = moduleDir.resolve("storepulse");
    final Path home;
    final Path outputs;
    final Map<String, Integer> ports = new LinkedHashMap<>();

    /** Environment for every command of this stack, e.g. {@code STOREPULSE_SECURITY}. */
    final Map<String, String> extraEnv;

    private int commandCount;

    LocalStack() throws IOException {
        this("e2e", Map.of());
    }

    /** A stack under {@code target/<name>-home} whose commands all see {@code extraEnv}. */
    LocalStack(String stackName, Map<String, String> extraEnv) throws IOException {
        this.home = moduleDir.resolve("target/" + stackName + "-home");
        this.outputs = moduleDir.resolve("target/" + stackName + "-output");
        this.extraEnv = Map.copyOf(extraEnv);
        for (String name :
                List.of(
                        "KAFKA_PORT",
                        "KAFKA_CONTROLLER_PORT",
                        "REGISTRY_PORT",
                        "REGISTRY_MANAGEMENT_PORT",
                        "FLINK_PORT",
                        "FLINK_RPC_PORT",
                        "FLINK_BLOB_PORT",
                        "WALLBOARD_PORT")) {
            ports.put(name, freePort());
        }
        deleteRecursively(home);
        Files.createDirectories(outputs);
    }

    String bootstrapServers() {
        return "127.0.0.1:" + ports.get("KAFKA_PORT");
    }

    String registryUrl() {
        return "http://127.0.0.1:" + ports.get("REGISTRY_PORT") + "/apis/ccompat/v7";
    }

    String wallboardUrl() {
        return "http://127.0.0.1:" + ports.get("WALLBOARD_PORT") + "/";
    }

    String flinkUrl() {
        return "http://127.0.0.1:" + ports.get("FLINK_PORT");
    }

    Path jobJar() throws IOException {
        try (Stream<Path> files = Files.list(moduleDir.resolve("../flink-jobs/target"))) {
            return files.filter(p -> p.getFileName().toString().endsWith("-job.jar"))
                    .findFirst()
                    .orElseThrow(
                            () -> new IllegalStateException("no job jar: build flink-jobs first"));
        }
    }

    /** What a run of the script printed, and how it ended. */
    record Result(int exitCode, String output, Path log) {
        /**
         * Where the whole output is, and its last lines: CI keeps a failed test's message but not
         * the files under target, so the cause must be in the message itself.
         */
        String ending() {
            List<String> lines = output.lines().toList();
            return String.format(
                    "see %s, which ends with:%n%s",
                    log,
                    String.join(
                            System.lineSeparator(),
                            lines.subList(Math.max(0, lines.size() - 12), lines.size())));
        }
    }

    /** Runs the script with the given arguments; output goes to target/e2e-output. */
    Result run(Duration timeout, String... args) throws IOException, InterruptedException {
        return run(timeout, Map.of(), args);
    }

    /** The same, with more environment for this command only. */
    Result run(Duration timeout, Map<String, String> commandEnv, String... args)
            throws IOException, InterruptedException {
        Path log = outputs.resolve(String.format("%02d-%s.log", ++commandCount, args[0]));
        ProcessBuilder pb = builder(args).redirectOutput(log.toFile());
        pb.environment().putAll(commandEnv);
        Process process = pb.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
            process.destroyForcibly();
            throw new IllegalStateException(
                    "storepulse "
                            + String.join(" ", args)
                            + " did not finish in "
                            + timeout
                            + "; see "
                            + log);
        }
        return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8), log);
    }

    private ProcessBuilder builder(String... args) {
        List<String> command = new ArrayList<>();
        command.add(script.toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.directory(moduleDir.getParent().toFile());
        Map<String, String> env = pb.environment();
        env.put("STOREPULSE_HOME", home.toString());
        env.put("STOREPULSE_SKIP_BUILD", "1");
        env.put("STOREPULSE_TIMEOUT", "300");
        // The test drives the simulator itself: background traffic in real time would hold the
        // inventory job's watermark behind the stop/up test's last movements.
        env.put("STOREPULSE_SIMULATOR", "off");
        ports.forEach((name, port) -> env.put("STOREPULSE_" + name, Integer.toString(port)));
        env.putAll(extraEnv);
        return pb;
    }

    /**
     * Starts the script in the background (e.g. a simulator that must run while a fault strikes);
     * output goes to target/e2e-output. The caller waits for it.
     */
    Background start(String... args) throws IOException {
        Path log = outputs.resolve(String.format("%02d-%s.log", ++commandCount, args[0]));
        return new Background(builder(args).redirectOutput(log.toFile()).start(), log);
    }

    /** A run of the script in the background. */
    record Background(Process process, Path log) {
        /** Waits for it to end; past the timeout it and its children are killed. */
        Result await(Duration timeout) throws IOException, InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                Result sofar = new Result(-1, Files.readString(log, StandardCharsets.UTF_8), log);
                throw new IllegalStateException(
                        "did not finish in " + timeout + "; " + sofar.ending());
            }
            return new Result(
                    process.exitValue(), Files.readString(log, StandardCharsets.UTF_8), log);
        }
    }

    /** The pid of one of this stack's components, from its pid file. */
    long pidOf(String component) throws IOException {
        return Long.parseLong(Files.readString(home.resolve("run/" + component + ".pid")).trim());
    }

    /** Pids of processes whose command line names this stack's home. */
    List<Long> processesOfThisStack() {
        String marker = "-Dstorepulse.home=" + home + "\0";
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .forEach(
                            p -> {
                                try {
                                    String cmd =
                                            new String(
                                                    Files.readAllBytes(p.resolve("cmdline")),
                                                    StandardCharsets.UTF_8);
                                    if (cmd.contains(marker)) {
                                        pids.add(Long.parseLong(p.getFileName().toString()));
                                    }
                                } catch (IOException | UncheckedIOException e) {
                                    // gone meanwhile
                                }
                            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pids;
    }

    /** This stack's ports that {@code ss -ltn} still lists as listening. */
    List<Integer> portsStillBound() throws IOException, InterruptedException {
        Process ss = new ProcessBuilder("ss", "-Hltn").redirectErrorStream(true).start();
        String listing = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        ss.waitFor();
        List<Integer> bound = new ArrayList<>();
        for (int port : ports.values()) {
            if (listing.lines().anyMatch(l -> l.matches(".*[:\\]]" + port + "\\s.*"))) {
                bound.add(port);
            }
        }
        return bound;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
