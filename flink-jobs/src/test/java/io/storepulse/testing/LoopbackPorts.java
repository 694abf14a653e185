package io.storepulse.testing;

/** Loopback ports for tests. */
public final class LoopbackPorts {
    private LoopbackPorts() {}

    /** A port that was free a moment ago, so nothing listens on it. */
    public static int closedPort() {
        return ApicurioRegistry.freePort();
    }
}
