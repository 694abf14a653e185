package io.storepulse.inventory;

import static io.storepulse.inventory.InventoryFixtures.T0;
import static io.storepulse.inventory.InventoryFixtures.line;
import static io.storepulse.inventory.InventoryFixtures.movement;
import static io.storepulse.inventory.InventoryFixtures.order;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;
import storepulse.v1.actions.InventoryAlert;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.actions.OrderAction;
import storepulse.v1.common.ReturnReason;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.StockMovement;
import storepulse.v1.events.StockMovementType;

/**
 * Random event logs for the property tests, and an independent oracle written plainly: it sorts
 * each log by event time and walks it, without Flink, timers or state backends.
 */
public final class InventoryHistories {

    public static final long LATENESS = InventoryJob.MAX_OUT_OF_ORDERNESS.toMillis();
    public static final long TIMEOUT = Duration.ofMinutes(15).toMillis();
    public static final long WARNING = Duration.ofHours(24).toMillis();
    public static final List<String> WAREHOUSES = List.of("wh-1", "wh-2", "wh-3");
    public static final Set<ReturnReason> NOT_RESELLABLE =
            Set.of(ReturnReason.QUALITY, ReturnReason.DAMAGED_IN_TRANSIT);

    private InventoryHistories() {}

    /** One input as it arrives: its arrival key orders the stream, within the lateness. */
    public record Arrival(double arrivalKey, SpecificRecord event) {
        public long eventTime() {
            return event instanceof OrderEvent o
                    ? o.getEventTime().toEpochMilli()
                    : ((StockMovement) event).getEventTime().toEpochMilli();
        }
    }

    /** A generated log: its events in arrival order, duplicates included. */
    public record History(String prefix, List<String> skus, List<Arrival> arrivals) {}

    /** Final figures of one sku@warehouse; the next perishable lot's expiry and units, or null. */
    public record Level(long onHand, long reserved, Long nextExpiryAt, Long nextExpiryQuantity) {}

    /** What the oracle expects of a set of histories. */
    public record Expected(
            Map<String, Level> levels,
            Map<String, List<String>> alerts,
            Map<String, List<String>> orderActions) {}

    /** What the job produced, in the oracle's terms. */
    public record Outcome(
            Map<String, Level> levels,
            Map<String, List<String>> alerts,
            Map<String, List<String>> orderActions) {

        public static Outcome of(
                List<InventoryLevel> levels,
                List<InventoryAlert> alerts,
                List<OrderAction> actions) {
            Map<String, Level> lv = new TreeMap<>();
            for (InventoryLevel l : levels) {
                lv.put(
                        l.getSku() + "@" + l.getWarehouseId(),
                        new Level(
                                l.getOnHand(),
                                l.getReserved(),
                                l.getNextExpiryAt() == null
                                        ? null
                                        : l.getNextExpiryAt().toEpochMilli(),
                                l.getNextExpiryQuantity()));
            }
            Map<String, List<String>> al = new TreeMap<>();
            for (InventoryAlert a : alerts) {
                String text = a.getType() + "@" + a.getEventTime().toEpochMilli();
                if (a.getFromWarehouse() != null) {
                    text += " " + a.getFromWarehouse() + "x" + a.getQuantity();
                }
                al.computeIfAbsent(a.getSku() + "@" + a.getWarehouseId(), k -> new ArrayList<>())
                        .add(text);
            }
            Map<String, List<String>> ac = new TreeMap<>();
            for (OrderAction a : actions) {
                ac.computeIfAbsent(a.getOrderId(), k -> new ArrayList<>())
                        .add(a.getType() + "@" + a.getEventTime().toEpochMilli());
            }
            return new Outcome(lv, al, ac);
        }
    }

    // ---------------------------------------------------------------- generation

    /**
     * A log as the reliability runs use it: no perishable lots, no shipment after an auto-cancel.
     */
    public static History generate(String prefix, Random rnd) {
        return generate(prefix, rnd, false);
    }

    /**
     * A random log. With {@code richer}, restocks may bring perishable lots (whose expiry warning
     * falls inside the log) and an auto-cancelled order may still be shipped after its late
     * payment.
     */
    public static History generate(String prefix, Random rnd, boolean richer) {
        List<String> skus = List.of(prefix + "-sku-a", prefix + "-sku-b");
        List<SpecificRecord> events = new ArrayList<>();
        long span = Duration.ofHours(2).toMillis();
        int movements = 3 + rnd.nextInt(8);
        for (int i = 0; i < movements; i++) {
            String sku = skus.get(rnd.nextInt(skus.size()));
            String wh = WAREHOUSES.get(rnd.nextInt(WAREHOUSES.size()));
            long t = T0.toEpochMilli() + seconds(rnd, span);
            StockMovementType type = StockMovementType.values()[rnd.nextInt(5)];
            int q =
                    switch (type) {
                        case RESTOCK -> 1 + rnd.nextInt(10);
                        case ADJUSTMENT -> rnd.nextInt(7) - 3;
                        case TRANSFER_IN, TRANSFER_OUT -> 1 + rnd.nextInt(5);
                        default -> rnd.nextInt(16);
                    };
            Long expiry = null;
            if (richer && type == StockMovementType.RESTOCK && rnd.nextBoolean()) {
                // The warning (24 h before expiry) falls 1 s to 2 h after the restock.
                expiry = t + WARNING + 1000 + seconds(rnd, span);
            }
            events.add(movement(prefix + "-m" + i, sku, wh, type, q, expiry, t));
        }
        int orders = 1 + rnd.nextInt(6);
        for (int o = 0; o < orders; o++) {
            events.addAll(orderLife(prefix + "-o" + o, skus, rnd, span, richer));
        }
        // Duplicates: the same event_id again, at any later point of the stream.
        List<SpecificRecord> duplicates = new ArrayList<>();
        for (SpecificRecord e : events) {
            if (rnd.nextInt(6) == 0) {
                duplicates.add(e);
            }
        }
        List<Arrival> arrivals = new ArrayList<>();
        for (SpecificRecord e : events) {
            long t = timeOf(e);
            arrivals.add(new Arrival(t + rnd.nextDouble() * LATENESS, e));
        }
        for (SpecificRecord d : duplicates) {
            arrivals.add(new Arrival(timeOf(d) + rnd.nextDouble() * 4 * span, d));
        }
        arrivals.sort(Comparator.comparingDouble(Arrival::arrivalKey));
        return new History(prefix, skus, arrivals);
    }

    private static List<OrderEvent> orderLife(
            String orderId, List<String> skus, Random rnd, long span, boolean richer) {
        List<OrderLine> lines = new ArrayList<>();
        int n = 1 + rnd.nextInt(2);
        for (int i = 0; i < n; i++) {
            lines.add(
                    line(
                            skus.get(rnd.nextInt(skus.size())),
                            WAREHOUSES.get(rnd.nextInt(WAREHOUSES.size())),
                            1 + rnd.nextInt(3)));
        }
        long placed = T0.toEpochMilli() + seconds(rnd, span);
        List<OrderEvent> out = new ArrayList<>();
        int[] seq = {0};
        java.util.function.BiConsumer<OrderEventType, Long> add =
                (type, t) -> out.add(ev(orderId, seq[0]++, type, null, t, lines));
        add.accept(OrderEventType.PLACED, placed);
        if (rnd.nextInt(8) == 0) {
            add.accept(OrderEventType.PLACED, placed + seconds(rnd, 120_000)); // re-sent
        }
        switch (rnd.nextInt(6)) {
            case 0 -> {
                // never paid: auto-cancelled
            }
            case 1 -> {
                // paid late: auto-cancelled, then the payment is reported; the order system
                // may re-confirm and ship it after all
                long paid = placed + TIMEOUT + 1000 + seconds(rnd, TIMEOUT);
                add.accept(OrderEventType.PAID, paid);
                if (richer && rnd.nextBoolean()) {
                    add.accept(OrderEventType.SHIPPED, paid + seconds(rnd, 600_000));
                }
            }
            case 2 -> {
                // cancelled, possibly after the timeout
                add.accept(OrderEventType.CANCELLED, placed + seconds(rnd, 2 * TIMEOUT));
            }
            case 3 -> {
                // shipped unpaid before the timeout (cash on delivery)
                add.accept(OrderEventType.SHIPPED, placed + seconds(rnd, TIMEOUT));
            }
            default -> {
                long paid = placed + seconds(rnd, TIMEOUT);
                add.accept(OrderEventType.PAID, paid);
                if (rnd.nextInt(4) > 0) {
                    long shipped = paid + seconds(rnd, Duration.ofHours(1).toMillis());
                    add.accept(OrderEventType.SHIPPED, shipped);
                    if (rnd.nextBoolean()) {
                        add.accept(OrderEventType.DELIVERED, shipped + 60_000);
                    }
                    if (rnd.nextInt(3) == 0) {
                        ReturnReason reason = ReturnReason.values()[rnd.nextInt(6)];
                        out.add(
                                ev(
                                        orderId,
                                        seq[0]++,
                                        OrderEventType.RETURNED,
                                        reason,
                                        shipped + 120_000 + seconds(rnd, 600_000),
                                        lines));
                    }
                } else if (rnd.nextBoolean()) {
                    add.accept(OrderEventType.CANCELLED, paid + seconds(rnd, 600_000));
                }
            }
        }
        return out;
    }

    private static OrderEvent ev(
            String orderId,
            int seq,
            OrderEventType type,
            ReturnReason reason,
            long t,
            List<OrderLine> lines) {
        return order(orderId + "-e" + seq, orderId, type, reason, "web", t, lines);
    }

    /** Whole seconds, so that events of one key often share an instant. */
    private static long seconds(Random rnd, long bound) {
        return rnd.nextLong(bound / 1000 + 1) * 1000;
    }

    public static long timeOf(SpecificRecord e) {
        return new Arrival(0, e).eventTime();
    }

    // ---------------------------------------------------------------- oracle

    /** Rank of a stock change among changes at the same instant (the job's documented order). */
    private static final List<String> RANK =
            List.of(
                    "CATALOG",
                    "RESTOCK",
                    "TRANSFER_IN",
                    "ADJUSTMENT",
                    "COUNT",
                    "RETURN",
                    "RELEASE",
                    "RESERVE",
                    "SHIP",
                    "TRANSFER_OUT",
                    // not a change: the expiry warning of a lot, after the changes of its instant
                    "EXPIRY_WARNING");

    /** A stock change; {@code expiry} is the lot's for a perishable RESTOCK and EXPIRY_WARNING. */
    private record Change(
            long t, String kind, String id, String sku, String wh, long q, Long expiry) {}

    private static final class Wh {
        long onHand;
        long reserved;

        /** Units on hand by lot expiry (Long.MAX_VALUE: no expiry); empty lots are removed. */
        final TreeMap<Long, Long> lots = new TreeMap<>();

        /** Expiries of the lots whose warning has gone out (forgotten when the lot empties). */
        final Set<Long> warned = new HashSet<>();

        /** Units above a deficit go into the lot. */
        void add(long units, long expiry) {
            long before = Math.max(onHand, 0);
            onHand += units;
            long toLots = Math.max(onHand, 0) - before;
            if (toLots > 0) {
                lots.merge(expiry, toLots, Long::sum);
            }
        }

        /** First expiry first out. */
        void remove(long units) {
            long before = Math.max(onHand, 0);
            onHand -= units;
            long fromLots = before - Math.max(onHand, 0);
            while (fromLots > 0 && !lots.isEmpty()) {
                Map.Entry<Long, Long> first = lots.firstEntry();
                long take = Math.min(first.getValue(), fromLots);
                fromLots -= take;
                if (take == first.getValue()) {
                    lots.remove(first.getKey());
                    warned.remove(first.getKey());
                } else {
                    lots.put(first.getKey(), first.getValue() - take);
                }
            }
        }

        boolean out;
        boolean oversold;
        boolean lowArmed = true;
        boolean transferArmed = true;
    }

    /**
     * Final levels, alert sequences per sku@warehouse and order actions per order, with a fixed
     * reorder point and the default 20 % hysteresis.
     */
    public static Expected expect(List<History> histories, long reorderPoint) {
        Map<String, Level> levels = new TreeMap<>();
        Map<String, List<String>> alerts = new TreeMap<>();
        Map<String, List<String>> actions = new TreeMap<>();
        long rearmAbove = (long) Math.floor(reorderPoint * 1.2);
        for (History h : histories) {
            Map<String, OrderEvent> uniqueOrders = new LinkedHashMap<>();
            List<Change> changes = new ArrayList<>();
            Map<String, StockMovement> uniqueMoves = new LinkedHashMap<>();
            for (Arrival a : h.arrivals()) {
                if (a.event() instanceof OrderEvent o) {
                    uniqueOrders.putIfAbsent(o.getEventId(), o);
                } else {
                    StockMovement m = (StockMovement) a.event();
                    uniqueMoves.putIfAbsent(m.getEventId(), m);
                }
            }
            for (StockMovement m : uniqueMoves.values()) {
                Long expiry =
                        m.getLotExpiresAt() == null ? null : m.getLotExpiresAt().toEpochMilli();
                changes.add(
                        new Change(
                                m.getEventTime().toEpochMilli(),
                                m.getType().name(),
                                m.getEventId(),
                                m.getSku(),
                                m.getWarehouseId(),
                                m.getQuantity(),
                                expiry));
                if (expiry != null) {
                    changes.add(
                            new Change(
                                    expiry - WARNING,
                                    "EXPIRY_WARNING",
                                    m.getEventId(),
                                    m.getSku(),
                                    m.getWarehouseId(),
                                    0,
                                    expiry));
                }
            }
            Map<String, List<OrderEvent>> byOrder = new TreeMap<>();
            for (OrderEvent o : uniqueOrders.values()) {
                byOrder.computeIfAbsent(o.getOrderId(), k -> new ArrayList<>()).add(o);
            }
            for (Map.Entry<String, List<OrderEvent>> e : byOrder.entrySet()) {
                walkOrder(e.getKey(), e.getValue(), changes, actions);
            }
            changes.sort(
                    Comparator.comparingLong(Change::t)
                            .thenComparingInt(c -> RANK.indexOf(c.kind()))
                            .thenComparing(Change::id));
            Map<String, TreeMap<String, Wh>> stock = new HashMap<>();
            for (Change c : changes) {
                TreeMap<String, Wh> whs = stock.computeIfAbsent(c.sku(), k -> new TreeMap<>());
                if (c.kind().equals("EXPIRY_WARNING")) {
                    // Once per lot, if the lot still holds units when its warning time comes.
                    Wh w = whs.get(c.wh());
                    if (w != null && w.lots.containsKey(c.expiry()) && w.warned.add(c.expiry())) {
                        alerts.computeIfAbsent(c.sku() + "@" + c.wh(), k -> new ArrayList<>())
                                .add("EXPIRING_SOON@" + c.t());
                    }
                    continue;
                }
                Wh w = whs.computeIfAbsent(c.wh(), k -> new Wh());
                switch (c.kind()) {
                    case "RESERVE" -> w.reserved += c.q();
                    case "RELEASE" -> w.reserved -= c.q();
                    case "SHIP" -> {
                        w.reserved -= c.q();
                        w.remove(c.q());
                    }
                    case "RESTOCK" ->
                            w.add(c.q(), c.expiry() == null ? Long.MAX_VALUE : c.expiry());
                    case "RETURN", "TRANSFER_IN" -> w.add(c.q(), Long.MAX_VALUE);
                    case "ADJUSTMENT" -> {
                        if (c.q() >= 0) {
                            w.add(c.q(), Long.MAX_VALUE);
                        } else {
                            w.remove(-c.q());
                        }
                    }
                    case "TRANSFER_OUT" -> w.remove(c.q());
                    case "COUNT" -> {
                        if (c.q() > w.onHand) {
                            w.add(c.q() - w.onHand, Long.MAX_VALUE);
                        } else {
                            w.remove(w.onHand - c.q());
                        }
                    }
                    default -> throw new IllegalStateException(c.kind());
                }
                for (Map.Entry<String, Wh> e : whs.entrySet()) {
                    String key = c.sku() + "@" + e.getKey();
                    Wh x = e.getValue();
                    List<String> out = alerts.computeIfAbsent(key, k -> new ArrayList<>());
                    long avail = x.onHand - x.reserved;
                    if (avail <= 0 && !x.out) {
                        x.out = true;
                        out.add("OUT_OF_STOCK@" + c.t());
                    } else if (avail > 0 && x.out) {
                        x.out = false;
                        out.add("BACK_IN_STOCK@" + c.t());
                    }
                    if (x.reserved > x.onHand && !x.oversold) {
                        x.oversold = true;
                        out.add("OVERSOLD@" + c.t());
                    } else if (x.reserved <= x.onHand) {
                        x.oversold = false;
                    }
                    if (avail < reorderPoint && x.lowArmed) {
                        x.lowArmed = false;
                        out.add("LOW_STOCK@" + c.t());
                    }
                    if (avail < reorderPoint && x.transferArmed) {
                        String from = null;
                        long best = 0;
                        for (Map.Entry<String, Wh> s : whs.entrySet()) {
                            long surplus =
                                    s.getValue().onHand - s.getValue().reserved - reorderPoint;
                            if (!s.getKey().equals(e.getKey()) && surplus > best) {
                                best = surplus;
                                from = s.getKey();
                            }
                        }
                        if (from != null) {
                            x.transferArmed = false;
                            long q = Math.min(rearmAbove + 1 - avail, best);
                            out.add("TRANSFER_SUGGESTED@" + c.t() + " " + from + "x" + q);
                        }
                    }
                    if (avail > rearmAbove) {
                        x.lowArmed = true;
                        x.transferArmed = true;
                    }
                }
            }
            for (Map.Entry<String, TreeMap<String, Wh>> s : stock.entrySet()) {
                for (Map.Entry<String, Wh> w : s.getValue().entrySet()) {
                    Wh x = w.getValue();
                    Map.Entry<Long, Long> next = x.lots.firstEntry();
                    boolean perishable = next != null && next.getKey() != Long.MAX_VALUE;
                    levels.put(
                            s.getKey() + "@" + w.getKey(),
                            new Level(
                                    x.onHand,
                                    x.reserved,
                                    perishable ? next.getKey() : null,
                                    perishable ? next.getValue() : null));
                }
            }
        }
        alerts.values().removeIf(List::isEmpty);
        return new Expected(levels, alerts, actions);
    }

    private static void walkOrder(
            String orderId,
            List<OrderEvent> events,
            List<Change> changes,
            Map<String, List<String>> actions) {
        events.sort(
                Comparator.comparingLong((OrderEvent e) -> e.getEventTime().toEpochMilli())
                        .thenComparing(OrderEvent::getType)
                        .thenComparing(OrderEvent::getEventId));
        String status = "NEW";
        boolean paid = false;
        boolean reported = false;
        long deadline = -1;
        List<OrderLine> lines = List.of();
        List<String> acts = new ArrayList<>();
        for (OrderEvent e : events) {
            long t = e.getEventTime().toEpochMilli();
            if (status.equals("RESERVED") && !paid && t > deadline) {
                acts.add("CANCEL_UNPAID@" + deadline);
                lines(changes, orderId, "RELEASE", lines, deadline);
                status = "AUTO_CANCELLED";
            }
            switch (e.getType()) {
                case PLACED -> {
                    if (status.equals("NEW")) {
                        lines = e.getLines();
                        lines(changes, orderId, "RESERVE", lines, t);
                        status = "RESERVED";
                        deadline = t + TIMEOUT;
                    }
                }
                case PAID -> {
                    if (status.equals("AUTO_CANCELLED")) {
                        if (!reported) {
                            reported = true;
                            acts.add("PAYMENT_AFTER_CANCEL@" + t);
                        }
                    } else {
                        paid = true;
                    }
                }
                case CANCELLED -> {
                    if (status.equals("RESERVED")) {
                        lines(changes, orderId, "RELEASE", lines, t);
                        status = "CANCELLED";
                    } else if (status.equals("NEW")) {
                        status = "CANCELLED";
                    }
                }
                case SHIPPED -> {
                    if (status.equals("RESERVED")) {
                        lines(changes, orderId, "SHIP", lines, t);
                        status = "SHIPPED";
                    } else if (status.equals("AUTO_CANCELLED")) {
                        // shipped after all: the units leave the warehouse
                        lines(changes, orderId, "RESERVE", lines, t);
                        lines(changes, orderId, "SHIP", lines, t);
                        status = "SHIPPED";
                    }
                }
                case RETURNED -> {
                    if (status.equals("SHIPPED")) {
                        if (!NOT_RESELLABLE.contains(e.getReturnReason())) {
                            lines(changes, orderId, "RETURN", lines, t);
                        }
                        status = "RETURNED";
                    }
                }
                default -> {}
            }
        }
        if (status.equals("RESERVED") && !paid) {
            acts.add("CANCEL_UNPAID@" + deadline);
            lines(changes, orderId, "RELEASE", lines, deadline);
        }
        if (!acts.isEmpty()) {
            actions.put(orderId, acts);
        }
    }

    private static void lines(
            List<Change> changes, String orderId, String kind, List<OrderLine> lines, long t) {
        for (int i = 0; i < lines.size(); i++) {
            OrderLine l = lines.get(i);
            changes.add(
                    new Change(
                            t,
                            kind,
                            orderId + ":" + kind + ":" + i,
                            l.getSku(),
                            l.getWarehouseId(),
                            l.getQuantity(),
                            null));
        }
    }
}
