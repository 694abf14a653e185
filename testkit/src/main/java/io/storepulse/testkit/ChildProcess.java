package io.storepulse.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A child process that dies with the JVM that started it, however that JVM ends: {@link #close()},
 * a normal exit, a crash, {@code kill -9}, or Maven killing a test fork that overran its timeout.
 *
 * <p>Why a wrapper: a plain {@link ProcessBuilder} child outlives its parent. Shutdown hooks do not
 * run on {@code SIGKILL}, and Java cannot ask the kernel for {@code PR_SET_PDEATHSIG}. What the
 * kernel does do for any dying process is close its file descriptors. So the command runs under a
 * small bash wrapper whose stdin is a pipe from this JVM, a pipe nobody ever writes to: a watcher
 * in the wrapper blocks reading it, and when this JVM ends the pipe reaches end-of-file and the
 * watcher sends the command {@code SIGTERM}. An orderly {@link #close()} is the same path: it
 * closes the pipe, then waits.
 *
 * <p>The wrapper is the command's parent and reaps it, so the watcher never signals a process id
 * that has been reused. It exits as soon as the command does, with the command's exit status
 * ({@code 128 + n} for a signal {@code n}), so {@link #isAlive()}, {@link #exitValue()} and {@link
 * #waitFor} describe the command. The command's stdin is {@code /dev/null}; its stdout and stderr
 * go to the log file.
 */
public final class ChildProcess implements AutoCloseable {

    /**
     * $1 is the log file, the rest the command. fd 3 keeps this JVM's pipe for the watcher alone:
     * the command gets neither the pipe nor the wrapper's stdout (which tells this JVM the
     * command's pid, then closes). The watcher is a subshell looping on the builtin {@code read},
     * so no extra process is left behind when the wrapper kills it.
     */
    private static final String WRAPPER =
            String.join(
                    "\n",
                    "log=$1; shift",
                    "exec 3<&0 </dev/null",
                    "\"$@\" >\"$log\" 2>&1 3<&- &",
                    "child=$!",
                    "{ while read -r -u 3 line; do :; done; kill \"$child\"; } >/dev/null 2>&1 &",
                    "watcher=$!",
                    "exec 3<&-",
                    "echo \"$child\"",
                    "exec >/dev/null",
                    "wait \"$child\"",
                    "status=$?",
                    "kill \"$watcher\" 2>/dev/null",
                    "exit \"$status\"");

    private static final Duration DEFAULT_GRACE = Duration.ofSeconds(20);

    private final Process wrapper;
    private final long pid;
    private final Optional<ProcessHandle> command;
    private final String commandLine;
    private final Path log;

    private ChildProcess(
            Process wrapper,
            long pid,
            Optional<ProcessHandle> command,
            String commandLine,
            Path log) {
        this.wrapper = wrapper;
        this.pid = pid;
        this.command = command;
        this.commandLine = commandLine;
        this.log = log;
    }

    /**
     * Starts {@code command}'s command line, in its working directory and environment, writing its
     * output to {@code log} (replaced if present).
     */
    public static ChildProcess start(ProcessBuilder command, Path log) throws IOException {
        Path logFile = log.toAbsolutePath();
        if (logFile.getParent() != null) {
            Files.createDirectories(logFile.getParent());
        }
        List<String> wrapped =
                new ArrayList<>(
                        List.of("bash", "-c", WRAPPER, "storepulse-child", logFile.toString()));
        wrapped.addAll(command.command());
        ProcessBuilder builder = new ProcessBuilder(wrapped).directory(command.directory());
        builder.environment().clear();
        builder.environment().putAll(command.environment());
        builder.redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectOutput(ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        Process wrapper = builder.start();
        String commandLine = String.join(" ", command.command());
        String pidLine;
        try (BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(wrapper.getInputStream(), StandardCharsets.UTF_8))) {
            pidLine = out.readLine();
        }
        if (pidLine == null) {
            wrapper.destroyForcibly();
            throw new IOException("the process wrapper for [" + commandLine + "] did not start");
        }
        long pid = Long.parseLong(pidLine.trim());
        return new ChildProcess(wrapper, pid, ProcessHandle.of(pid), commandLine, logFile);
    }

    /** The command's process id (not the wrapper's). */
    public long pid() {
        return pid;
    }

    public boolean isAlive() {
        return wrapper.isAlive();
    }

    /** The command's exit status; throws {@link IllegalThreadStateException} while it runs. */
    public int exitValue() {
        return wrapper.exitValue();
    }

    /** Waits at most {@code timeout} for the command to exit; true if it has. */
    public boolean waitFor(Duration timeout) throws InterruptedException {
        return wrapper.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public Path log() {
        return log;
    }

    @Override
    public String toString() {
        return "pid " + pid + " [" + commandLine + "], log " + log;
    }

    /** Stops the command: {@code SIGTERM}, then {@code SIGKILL} if it is not gone in 20 s. */
    @Override
    public void close() {
        stop(DEFAULT_GRACE);
    }

    /**
     * Stops the command: {@code SIGTERM} (by closing the pipe, as if this JVM had ended), and
     * {@code SIGKILL} for the command, the watcher and the wrapper if the command has not exited
     * within {@code grace}. Idempotent.
     */
    public synchronized void stop(Duration grace) {
        // Taken first: once the wrapper has gone, its children are no longer its descendants.
        List<ProcessHandle> tree = wrapper.descendants().toList();
        try {
            wrapper.getOutputStream().close();
        } catch (IOException alreadyClosed) {
            // the pipe is closed either way
        }
        boolean exited;
        try {
            exited = wrapper.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exited = false;
        }
        if (exited && command.map(h -> !h.isAlive()).orElse(true)) {
            return;
        }
        command.ifPresent(ProcessHandle::destroyForcibly);
        tree.forEach(ProcessHandle::destroyForcibly);
        wrapper.destroyForcibly();
        try {
            wrapper.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
