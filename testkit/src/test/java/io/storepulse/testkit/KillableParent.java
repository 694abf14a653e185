package io.storepulse.testkit;

import java.nio.file.Path;

/**
 * The JVM that {@link ChildProcessTest} kills: it starts {@code sleep 600}, through {@link
 * ChildProcess} ({@code wrapped}) or a plain {@link ProcessBuilder} ({@code plain}), prints the
 * sleep's pid and waits to be killed.
 */
public final class KillableParent {

    static final String PID_PREFIX = "child-pid=";

    /** Held until this JVM dies, as a real owner of a child process would hold it. */
    private static Object child;

    private KillableParent() {}

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path log = Path.of(args[1]);
        ProcessBuilder sleep = new ProcessBuilder("sleep", "600");
        long pid;
        if (mode.equals("wrapped")) {
            ChildProcess wrapped = ChildProcess.start(sleep, log);
            child = wrapped;
            pid = wrapped.pid();
        } else if (mode.equals("plain")) {
            Process plain = sleep.redirectErrorStream(true).redirectOutput(log.toFile()).start();
            child = plain;
            pid = plain.pid();
        } else {
            throw new IllegalArgumentException("mode: wrapped or plain, not " + mode);
        }
        System.out.println(PID_PREFIX + pid);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
