package io.storepulse.bench;

import java.math.BigDecimal;
import java.math.RoundingMode;
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
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.Product;

/**
 * The conversion figures of 1-minute windows by CHANNEL and by CATEGORY computed directly from the
 * generated events (an independent oracle), with the definitions of {@code docs/jobs/metrics.md}: a
 * visitor is a person ({@code u:<user_id>} when known, else {@code v:<visitor_id>}) with a browse,
 * cart or order-line fact in the window; orders are distinct PLACED order ids; GMV is the sum of
 * quantity × unit price over the order lines (of the category). A fact's category is the catalog's
 * category of its SKU, else a browse event's own category, else {@code unknown} for a SKU without
 * one; facts with neither have no CATEGORY. Also compares emitted {@link FunnelMetrics} with it or
 * with each other.
 */
public final class FunnelCheck {

    /** Figures of one dimension value and window. */
    public record Figures(long visitors, long orders, BigDecimal gmv) {}

    /** Outcome of comparing two sets of windows on the windows both contain. */
    public record Comparison(
            int compared, int equal, int onlyLeft, int onlyRight, List<String> examples) {
        public boolean allEqual() {
            return compared > 0 && equal == compared;
        }
    }

    private static final long MINUTE = 60_000;

    private final Map<String, String> catalog = new HashMap<>();
    private final Map<String, Set<String>> visitors = new HashMap<>();
    private final Map<String, Set<String>> orders = new HashMap<>();
    private final Map<String, BigDecimal> gmv = new HashMap<>();
    private final Set<String> placed = new HashSet<>();

    public void accept(ShopGenerator.Event e) {
        long t = e.eventTimeMs();
        if (e.value() instanceof Product p) {
            catalog.put(p.getSku(), p.getCategory());
        } else if (e.value() instanceof BrowseEvent b) {
            String person = b.getUserId() != null ? "u:" + b.getUserId() : "v:" + b.getVisitorId();
            fact(b.getChannel(), category(b.getSku(), b.getCategory()), person, null, null, t);
        } else if (e.value() instanceof CartEvent c) {
            fact(c.getChannel(), category(c.getSku(), null), "u:" + c.getUserId(), null, null, t);
        } else if (e.value() instanceof OrderEvent o
                && o.getType() == OrderEventType.PLACED
                && placed.add(o.getOrderId())) {
            for (OrderLine l : o.getLines()) {
                BigDecimal value =
                        l.getUnitPrice()
                                .multiply(BigDecimal.valueOf(l.getQuantity()))
                                .setScale(2, RoundingMode.HALF_UP);
                fact(
                        o.getChannel(),
                        category(l.getSku(), null),
                        "u:" + o.getUserId(),
                        o.getOrderId(),
                        value,
                        t);
            }
        }
    }

    private String category(String sku, String own) {
        String known = sku == null ? null : catalog.get(sku);
        return known != null ? known : own != null ? own : sku != null ? "unknown" : null;
    }

    private void fact(
            String channel,
            String category,
            String person,
            String orderId,
            BigDecimal value,
            long t) {
        add(key(DimensionType.CHANNEL, channel, t), person, orderId, value);
        if (category != null) {
            add(key(DimensionType.CATEGORY, category, t), person, orderId, value);
        }
    }

    private void add(String k, String person, String orderId, BigDecimal value) {
        visitors.computeIfAbsent(k, x -> new HashSet<>()).add(person);
        if (orderId != null) {
            orders.computeIfAbsent(k, x -> new HashSet<>()).add(orderId);
            gmv.merge(k, value, BigDecimal::add);
        }
    }

    static String key(DimensionType type, String value, long t) {
        return type + ":" + value + "@" + Math.floorDiv(t, MINUTE) * MINUTE;
    }

    public Map<String, Figures> figures() {
        Map<String, Figures> out = new HashMap<>();
        for (String k : visitors.keySet()) {
            out.put(
                    k,
                    new Figures(
                            visitors.get(k).size(),
                            orders.getOrDefault(k, Set.of()).size(),
                            gmv.getOrDefault(k, BigDecimal.ZERO).setScale(2)));
        }
        return out;
    }

    /** CHANNEL and CATEGORY figures of MINUTE windows, latest revision of each window. */
    public static Map<String, Figures> ofMetrics(List<FunnelMetrics> emitted) {
        Map<String, FunnelMetrics> latest = new HashMap<>();
        for (FunnelMetrics m : emitted) {
            if ((m.getDimensionType() != DimensionType.CHANNEL
                            && m.getDimensionType() != DimensionType.CATEGORY)
                    || m.getWindowType() != WindowType.MINUTE) {
                continue;
            }
            String k =
                    m.getDimensionType()
                            + ":"
                            + m.getDimensionValue()
                            + "@"
                            + m.getWindowStart().toEpochMilli();
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
                                        m.getVisitors(),
                                        m.getOrders(),
                                        m.getGmv().setScale(2, RoundingMode.HALF_UP))));
        return out;
    }

    /** Only the windows of one breakdown. */
    public static Map<String, Figures> only(Map<String, Figures> all, DimensionType type) {
        Map<String, Figures> out = new HashMap<>();
        all.forEach(
                (k, v) -> {
                    if (k.startsWith(type + ":")) {
                        out.put(k, v);
                    }
                });
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
            } else if (examples.size() < 3) {
                examples.add(e.getKey() + ": " + e.getValue() + " vs " + r);
            }
        }
        int onlyRight = (int) right.keySet().stream().filter(k -> !left.containsKey(k)).count();
        return new Comparison(compared, equal, onlyLeft, onlyRight, examples);
    }
}
