package io.storepulse.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.MapFunction;

/**
 * Counts records passing a point of a pipeline and remembers when the first and the last passed.
 * The MiniCluster runs in this JVM, so the driver reads the counters directly; every subtask of a
 * named meter adds to the same counter.
 */
public final class Meter {

    private static final Map<String, Meter> METERS = new ConcurrentHashMap<>();

    private final AtomicLong count = new AtomicLong();
    private final AtomicLong firstNanos = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong lastNanos = new AtomicLong();

    public static Meter get(String name) {
        return METERS.computeIfAbsent(name, n -> new Meter());
    }

    public static void reset(String name) {
        METERS.put(name, new Meter());
    }

    void mark() {
        long now = System.nanoTime();
        if (count.getAndIncrement() == 0) {
            firstNanos.accumulateAndGet(now, Math::min);
        }
        lastNanos.accumulateAndGet(now, Math::max);
    }

    public long count() {
        return count.get();
    }

    public long firstNanos() {
        return firstNanos.get();
    }

    public long lastNanos() {
        return lastNanos.get();
    }

    /** A pass-through map that marks the named meter. */
    public static <T> MapFunction<T, T> at(String name) {
        return new Marker<>(name);
    }

    private static final class Marker<T> implements MapFunction<T, T> {
        private final String name;
        private transient Meter meter;

        Marker(String name) {
            this.name = name;
        }

        @Override
        public T map(T value) {
            if (meter == null) {
                meter = get(name);
            }
            meter.mark();
            return value;
        }
    }
}
