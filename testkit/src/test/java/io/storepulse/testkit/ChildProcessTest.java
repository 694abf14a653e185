package io.storepulse.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChildProcessTest {

    /** Bounds for waiting on other processes; generous because the machine may be loaded. */
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @TempDir Path dir;

    @Test
    void closeStopsTheCommandWithSigterm() throws Exception {
        // Given a long-running command started through ChildProcess
        ChildProcess child =
                ChildProcess.start(new ProcessBuilder("sleep", "600"), dir.resolve("log"));
        long pid = child.pid();
        assertThat(isAlive(pid)).isTrue();

        // When it is closed
        child.close();

        // Then the command is gone, stopped by SIGTERM (143) rather than by the SIGKILL fallback
        assertThat(isAlive(pid)).isFalse();
        assertThat(child.isAlive()).isFalse();
        assertThat(child.exitValue()).isEqualTo(128 + 15);
    }

    @Test
    void reportsTheCommandsExitStatusAndLogsItsOutput() throws Exception {
        try (ChildProcess child =
                ChildProcess.start(
                        new ProcessBuilder("bash", "-c", "echo hello from the child; exit 3"),
                        dir.resolve("child.log"))) {
            assertThat(child.waitFor(DEADLINE)).isTrue();
            assertThat(child.exitValue()).isEqualTo(3);
            assertThat(Files.readString(child.log())).contains("hello from the child");
        }
    }

    @Test
    void theCommandStopsWhenTheJvmThatStartedItIsKilled() throws Exception {
        // Given a JVM that started `sleep 600` through ChildProcess
        Process parent = startParent("wrapped");
        long pid = -1;
        try {
            pid = childPid(parent);
            assertThat(isAlive(pid)).isTrue();

            // When that JVM is killed with SIGKILL (no shutdown hooks run)
            parent.destroyForcibly();
            assertThat(parent.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();

            // Then the sleep goes too
            assertThat(awaitGone(pid))
                    .as("sleep (pid %d) still runs %s after its JVM was killed", pid, DEADLINE)
                    .isTrue();
        } finally {
            parent.destroyForcibly();
            killIfAlive(pid);
        }
    }

    /**
     * The control for the test above: without the wrapper, the same sleep outlives its killed JVM.
     * If it did not (an init that kills orphans, say), the test above would prove nothing here.
     */
    @Test
    void aPlainChildOfAKilledJvmKeepsRunning() throws Exception {
        Process parent = startParent("plain");
        long pid = -1;
        try {
            pid = childPid(parent);
            parent.destroyForcibly();
            assertThat(parent.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();

            assertThat(isAlive(pid)).isTrue();
        } finally {
            parent.destroyForcibly();
            killIfAlive(pid);
        }
    }

    private Process startParent(String mode) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath =
                codeSource(ChildProcess.class)
                        + File.pathSeparator
                        + codeSource(KillableParent.class);
        return new ProcessBuilder(
                        java,
                        "-Xmx32m",
                        "-cp",
                        classpath,
                        KillableParent.class.getName(),
                        mode,
                        dir.resolve(mode + "-sleep.log").toString())
                .redirectErrorStream(true)
                .start();
    }

    /**
     * The pid the parent prints; bounded, in case the parent hangs instead of printing or dying.
     */
    private static long childPid(Process parent) throws Exception {
        CompletableFuture<Long> pid =
                CompletableFuture.supplyAsync(
                        () -> {
                            try (BufferedReader out =
                                    new BufferedReader(
                                            new InputStreamReader(
                                                    parent.getInputStream(),
                                                    StandardCharsets.UTF_8))) {
                                StringBuilder seen = new StringBuilder();
                                for (String line; (line = out.readLine()) != null; ) {
                                    if (line.startsWith(KillableParent.PID_PREFIX)) {
                                        return Long.parseLong(
                                                line.substring(KillableParent.PID_PREFIX.length()));
                                    }
                                    seen.append(line).append('\n');
                                }
                                throw new IllegalStateException(
                                        "the parent JVM ended without a pid:\n" + seen);
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        });
        try {
            return pid.get(DEADLINE.toSeconds() * 2, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return fail("the parent JVM printed no pid within " + DEADLINE.multipliedBy(2));
        }
    }

    private static String codeSource(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    private static boolean isAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Polls until the process is gone; false if it still runs at the deadline. */
    private static boolean awaitGone(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (isAlive(pid)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    private static void killIfAlive(long pid) {
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
