package io.storepulse.reliability;

import static io.storepulse.inventory.InventoryFixtures.T0;
import static io.storepulse.inventory.InventoryFixtures.line;
import static io.storepulse.inventory.InventoryFixtures.movement;
import static io.storepulse.inventory.InventoryFixtures.order;

import io.storepulse.inventory.OrderLifecycleFunction;
import io.storepulse.inventory.StockChange;
import io.storepulse.inventory.StockFunction;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.testing.StateSamples;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.StockMovement;
import storepulse.v1.events.StockMovementType;

/**
 * Bounded state under key churn: long event-time runs through the two keyed functions of the
 * inventory job, sampling keyed state entries and event-time timers after warm-up. Both stay flat
 * within ±10 %: what the functions remember is bounded by their retention rules, not by how many
 * keys have passed.
 *
 * <p>Size: {@code -Dstorepulse.reliability.soak.days=N} (default 40 days of event time).
 */
class BoundedStateTest {

    static final int DAYS = Integer.getInteger("storepulse.reliability.soak.days", 40);
    static final long DAY = Duration.ofDays(1).toMillis();

    /** New orders, each with its own order_id, come and go; ended orders must be forgotten. */
    @Test
    void shouldKeepOrderStateFlatWhileOrdersComeAndGo() throws Exception {
        try (KeyedTwoInputStreamOperatorTestHarness<String, OrderEvent, RuleUpdate, ?> harness =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new CoBroadcastWithKeyedOperator<>(
                                new OrderLifecycleFunction(), List.of(RulesState.DESCRIPTOR)),
                        OrderEvent::getOrderId,
                        r -> "rules",
                        Types.STRING)) {
            harness.open();
            harness.processWatermark2(Watermark.MAX_WATERMARK);
            Random rnd = new Random(1);
            long step = Duration.ofMinutes(10).toMillis();
            // The return window (30 days) is the longest memory of an order: warm up past it.
            long warmUp = Duration.ofDays(32).toMillis();
            PriorityQueue<OrderEvent> queue =
                    new PriorityQueue<>(
                            Comparator.comparing(OrderEvent::getEventTime)
                                    .thenComparing(OrderEvent::getEventId));
            StateSamples samples = new StateSamples(T0);
            long nextSample = T0.toEpochMilli() + warmUp;
            long end = T0.toEpochMilli() + DAYS * DAY;
            int i = 0;
            for (long t = T0.toEpochMilli(); t < end; t += step, i++) {
                queue.addAll(lifeOfOrder("o" + i, t, rnd));
                while (!queue.isEmpty() && queue.peek().getEventTime().toEpochMilli() <= t) {
                    OrderEvent e = queue.poll();
                    harness.processElement1(new StreamRecord<>(e, e.getEventTime().toEpochMilli()));
                }
                harness.processWatermark1(new Watermark(t));
                harness.getOutput().clear();
                if (t >= nextSample) {
                    samples.add(t, harness.numKeyedStateEntries(), harness.numEventTimeTimers());
                    nextSample += DAY / 2;
                }
            }
            samples.report("order-lifecycle", i + " orders");
            samples.assertFlat();
        }
    }

    /** A fixed catalogue with a steady flow of movements: remembered event ids must expire. */
    @Test
    void shouldKeepStockStateFlatUnderASteadyFlowOfMovements() throws Exception {
        try (KeyedTwoInputStreamOperatorTestHarness<String, StockChange, RuleUpdate, ?> harness =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new CoBroadcastWithKeyedOperator<>(
                                new StockFunction(), List.of(RulesState.DESCRIPTOR)),
                        c -> c.sku,
                        r -> "rules",
                        Types.STRING)) {
            harness.open();
            harness.processWatermark2(Watermark.MAX_WATERMARK);
            Random rnd = new Random(2);
            long step = Duration.ofMinutes(1).toMillis();
            // Movement ids are remembered for 24 h (dedup_retention): warm up past it.
            long warmUp = 2 * DAY;
            int days = Math.max(4, DAYS / 8);
            StateSamples samples = new StateSamples(T0);
            long nextSample = T0.toEpochMilli() + warmUp;
            long end = T0.toEpochMilli() + days * DAY;
            int i = 0;
            for (long t = T0.toEpochMilli(); t < end; t += step, i++) {
                String sku = "sku-" + rnd.nextInt(100);
                StockMovementType type =
                        rnd.nextBoolean() ? StockMovementType.RESTOCK : StockMovementType.COUNT;
                StockMovement m =
                        movement(
                                "m" + i, sku, "wh-" + rnd.nextInt(2), type, 1 + rnd.nextInt(20), t);
                harness.processElement1(new StreamRecord<>(StockChange.ofMovement(m), t));
                harness.processWatermark1(new Watermark(t));
                harness.getOutput().clear();
                if (t >= nextSample) {
                    samples.add(t, harness.numKeyedStateEntries(), harness.numEventTimeTimers());
                    nextSample += DAY / 4;
                }
            }
            samples.report("stock-by-sku", i + " movements over 100 skus x 2 warehouses");
            samples.assertFlat();
        }
    }

    /** One order's events: unpaid, cancelled, or paid and shipped (sometimes returned). */
    private static List<OrderEvent> lifeOfOrder(String id, long t, Random rnd) {
        List<OrderEvent> out = new ArrayList<>();
        var l = line("sku-" + rnd.nextInt(50), "wh-1", 1);
        int[] seq = {0};
        LongSupplier minute = () -> Duration.ofMinutes(1).toMillis();
        java.util.function.BiConsumer<OrderEventType, Long> add =
                (type, at) -> out.add(order(id + "-e" + seq[0]++, id, type, at, l));
        add.accept(OrderEventType.PLACED, t);
        switch (rnd.nextInt(4)) {
            case 0 -> {} // never paid: auto-cancelled after 15 minutes
            case 1 -> add.accept(OrderEventType.CANCELLED, t + 5 * minute.getAsLong());
            default -> {
                add.accept(OrderEventType.PAID, t + 2 * minute.getAsLong());
                add.accept(OrderEventType.SHIPPED, t + 60 * minute.getAsLong());
                add.accept(OrderEventType.DELIVERED, t + DAY);
            }
        }
        return out;
    }
}
