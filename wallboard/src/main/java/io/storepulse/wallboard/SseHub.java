package io.storepulse.wallboard;

import io.javalin.http.sse.SseClient;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The browsers connected over server-sent events. Each gets the full snapshot at once when it
 * connects (so a page that reconnects after a backend restart is complete again), then a new
 * snapshot whenever the view changed, at most every {@code pushEveryMs}, and at least every
 * heartbeat (so clocks and staleness stay current and idle proxies keep the stream open).
 */
final class SseHub implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SseHub.class);
    static final String EVENT = "snapshot";

    private final WallboardView view;
    private final long heartbeatMs;
    private final Set<SseClient> clients = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService scheduler =
            Executors.newSingleThreadScheduledExecutor(
                    r -> {
                        Thread t = new Thread(r, "wallboard-sse-push");
                        t.setDaemon(true);
                        return t;
                    });
    private long lastVersion = -1;
    private long lastPush;

    SseHub(WallboardView view, long pushEveryMs, long heartbeatMs) {
        this.view = view;
        this.heartbeatMs = heartbeatMs;
        scheduler.scheduleWithFixedDelay(
                this::tick, pushEveryMs, pushEveryMs, TimeUnit.MILLISECONDS);
    }

    /** Called by the SSE route on the request's thread. */
    void connect(SseClient client) {
        client.keepAlive();
        client.onClose(() -> clients.remove(client));
        clients.add(client);
        send(client, SnapshotJson.write(view.snapshot()));
    }

    int clientCount() {
        return clients.size();
    }

    private void tick() {
        try {
            long version = view.version();
            long now = System.currentTimeMillis();
            if (version == lastVersion && now - lastPush < heartbeatMs) {
                return;
            }
            lastVersion = version;
            lastPush = now;
            if (clients.isEmpty()) {
                return;
            }
            String json = SnapshotJson.write(view.snapshot());
            for (SseClient c : clients) {
                send(c, json);
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot push snapshot", e);
        }
    }

    private void send(SseClient client, String json) {
        synchronized (client) {
            if (client.terminated()) {
                clients.remove(client);
                return;
            }
            try {
                client.sendEvent(EVENT, json);
            } catch (RuntimeException e) {
                clients.remove(client);
            }
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        for (SseClient c : clients) {
            try {
                c.close();
            } catch (RuntimeException ignored) {
                // closing anyway
            }
        }
        clients.clear();
    }
}
