package io.storepulse.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports on the loopback interface. */
public final class LoopbackPorts {
    private LoopbackPorts() {}

    /**
     * A port that was free a moment ago: nothing listens on it, until something is told to. Another
     * process may take it meanwhile, which for a child process shows as a failed start.
     */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
