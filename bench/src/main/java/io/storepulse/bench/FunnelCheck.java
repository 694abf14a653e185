package io.storepulse.bench;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import storepulse.v1.actions.DimensionType;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.WindowType;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;

/**
 * The conversion figures by channel and 1-minute window computed directly from the generated events
 * (an independent oracle), and the comparison of emitted {@link FunnelMetrics} with it or with each
 * other.
 */
public final class FunnelCheck {

    /** Figures of one channel and window. */
    public record Figures(long visitors, long orders, BigDecimal gmv) {}

    /** Outcome of comparing two sets of windows on the windows both contain. */
    public record Comparison(
            int compared, int equal, int onlyLeft, int onlyRight, List<String> examples) {
        public boolean allEqual() {
            return compared > 0 && equal == compared;
        }
    }

    private static final long MINUTE = 60_000;

    private final Map<String, Set<String>> visitors = new HashMap<>();
    private final Map<String, Set<String>> orders = new HashMap<>();
    private final Map<String, BigDecimal> gmv = new HashMap<>();

    public void accept(ShopGenerator.Event e) {
        if (e.value() instanceof BrowseEvent b) {
            visitors.computeIfAbsent(key(b.getChannel(), e.eventTimeMs()), k -> new HashSet<>())
                    .add(b.getVisitorId());
        } else if (e.value() instanceof OrderEvent o && o.getType() == OrderEventType.PLACED) {
            String k = key(o.getChannel(), e.eventTimeMs());
            if (orders.computeIfAbsent(k, x -> new HashSet<>()).add(o.getOrderId())) {
                gmv.merge(k, o.getOrderTotal(), BigDecimal::add);
            }
        }
    }

    static String key(String channel, long t) {
        return channel + "@" + Math.floorDiv(t, MINUTE) * MINUTE;
    }

    public Map<String, Figures> figures() {
        Set<String> keys = new HashSet<>(visitors.keySet());
        keys.addAll(orders.keySet());
        Map<String, Figures> out = new HashMap<>();
        for (String k : keys) {
            out.put(
                    k,
                    new Figures(
                            visitors.getOrDefault(k, Set.of()).size(),
                            orders.getOrDefault(k, Set.of()).size(),
                            gmv.getOrDefault(k, BigDecimal.ZERO).setScale(2)));
        }
        return out;
    }

    /** Channel figures of MINUTE windows, latest revision of each window. */
    public static Map<String, Figures> ofMetrics(List<FunnelMetrics> emitted) {
        Map<String, FunnelMetrics> latest = new HashMap<>();
        for (FunnelMetrics m : emitted) {
            if (m.getDimensionType() != DimensionType.CHANNEL
                    || m.getWindowType() != WindowType.MINUTE) {
                continue;
            }
            String k = m.getDimensionValue() + "@" + m.getWindowStart().toEpochMilli();
            FunnelMetrics prev = latest.get(k);
            if (prev == null || prev.getRevision() <= m.getRevision()) {
                latest.put(k, m);
            }
        }
        Map<String, Figures> out = new HashMap<>();
        latest.forEach(
                (k, m) ->
                        out.put(
                                k,
                                new Figures(
                                        m.getVisitors(), m.getOrders(), m.getGmv().setScale(2))));
        return out;
    }

    public static Comparison compare(Map<String, Figures> left, Map<String, Figures> right) {
        int compared = 0;
        int equal = 0;
        int onlyLeft = 0;
        List<String> examples = new ArrayList<>();
        for (Map.Entry<String, Figures> e : left.entrySet()) {
            Figures r = right.get(e.getKey());
            if (r == null) {
                onlyLeft++;
                continue;
            }
            compared++;
            if (r.equals(e.getValue())) {
                equal++;
            } else if (examples.size() < 5) {
                examples.add(e.getKey() + ": " + e.getValue() + " vs " + r);
            }
        }
        int onlyRight = (int) right.keySet().stream().filter(k -> !left.containsKey(k)).count();
        return new Comparison(compared, equal, onlyLeft, onlyRight, examples);
    }
}
