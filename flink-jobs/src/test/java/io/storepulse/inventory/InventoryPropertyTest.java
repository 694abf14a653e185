package io.storepulse.inventory;

import static io.storepulse.inventory.InventoryFixtures.globalRule;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.inventory.InventoryHistories.Arrival;
import io.storepulse.inventory.InventoryHistories.Expected;
import io.storepulse.inventory.InventoryHistories.History;
import io.storepulse.inventory.InventoryHistories.Outcome;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import storepulse.v1.actions.InventoryAlert;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.actions.OrderAction;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.StockMovement;

/**
 * Replays thousands of random event logs (cancels, timeouts, shipments, returns, movements,
 * perishable lots, duplicates, reordering within the lateness) through the two keyed functions,
 * chained as in the job, and compares the outcome with {@link InventoryHistories#expect}, the plain
 * oracle.
 */
class InventoryPropertyTest {

    static final int HISTORIES = 1000;
    static final long SEED = 20261123L;
    static final long REORDER_POINT = 4;

    @Test
    void shouldMatchTheOracleOnThousandsOfRandomLogs() throws Exception {
        Random rnd = new Random(SEED);
        List<History> histories = new ArrayList<>();
        for (int i = 0; i < HISTORIES; i++) {
            histories.add(InventoryHistories.generate("h" + i, rnd, true));
        }

        Outcome actual = runThroughFunctions(histories);
        Expected expected = InventoryHistories.expect(histories, REORDER_POINT);

        assertThat(actual.levels()).isEqualTo(expected.levels());
        assertThat(actual.alerts()).isEqualTo(expected.alerts());
        assertThat(actual.orderActions()).isEqualTo(expected.orderActions());
        // The logs are not trivial: every kind of outcome occurs many times.
        String allAlerts = expected.alerts().values().toString();
        for (String kind :
                List.of(
                        "LOW_STOCK",
                        "OUT_OF_STOCK",
                        "BACK_IN_STOCK",
                        "OVERSOLD",
                        "TRANSFER_SUGGESTED",
                        "EXPIRING_SOON")) {
            assertThat(allAlerts.split(kind).length).as(kind).isGreaterThan(30);
        }
        assertThat(expected.levels().values().stream().filter(l -> l.nextExpiryAt() != null))
                .as("levels ending with a perishable lot")
                .hasSizeGreaterThan(30);
        String allActions = expected.orderActions().values().toString();
        assertThat(allActions.split("CANCEL_UNPAID").length).isGreaterThan(60);
        assertThat(allActions.split("PAYMENT_AFTER_CANCEL").length).isGreaterThan(30);
    }

    /**
     * Feeds every log's events in arrival order, the watermark trailing the largest event time by
     * the job's out-of-orderness, and passes the order function's output on to the stock function.
     */
    static Outcome runThroughFunctions(List<History> histories) throws Exception {
        List<Arrival> arrivals = new ArrayList<>();
        histories.forEach(h -> arrivals.addAll(h.arrivals()));
        arrivals.sort(Comparator.comparingDouble(Arrival::arrivalKey));

        try (KeyedTwoInputStreamOperatorTestHarness<String, OrderEvent, RuleUpdate, StockChange>
                        orders =
                                new KeyedTwoInputStreamOperatorTestHarness<>(
                                        new CoBroadcastWithKeyedOperator<>(
                                                new OrderLifecycleFunction(),
                                                List.of(RulesState.DESCRIPTOR)),
                                        OrderEvent::getOrderId,
                                        r -> "rules",
                                        Types.STRING);
                KeyedTwoInputStreamOperatorTestHarness<
                                String, StockChange, RuleUpdate, InventoryLevel>
                        stock =
                                new KeyedTwoInputStreamOperatorTestHarness<>(
                                        new CoBroadcastWithKeyedOperator<>(
                                                new StockFunction(),
                                                List.of(RulesState.DESCRIPTOR)),
                                        c -> c.sku,
                                        r -> "rules",
                                        Types.STRING)) {
            orders.open();
            stock.open();
            orders.processWatermark2(Watermark.MAX_WATERMARK);
            stock.processWatermark2(Watermark.MAX_WATERMARK);
            stock.processElement2(
                    new StreamRecord<>(
                            globalRule(
                                    "rop",
                                    1,
                                    Map.of("reorder_point", Long.toString(REORDER_POINT)))));

            List<InventoryLevel> levels = new ArrayList<>();
            long maxTime = Long.MIN_VALUE;
            long watermark = Long.MIN_VALUE;
            for (Arrival a : arrivals) {
                long t = a.eventTime();
                if (a.event() instanceof OrderEvent o) {
                    orders.processElement1(new StreamRecord<>(o, t));
                } else {
                    stock.processElement1(
                            new StreamRecord<>(
                                    StockChange.ofMovement((StockMovement) a.event()), t));
                }
                maxTime = Math.max(maxTime, t);
                long next = maxTime - InventoryHistories.LATENESS - 1;
                if (next > watermark) {
                    watermark = next;
                    advance(orders, stock, watermark, levels);
                }
            }
            advance(orders, stock, Long.MAX_VALUE, levels);

            List<InventoryAlert> alerts = new ArrayList<>();
            var alertQueue = stock.getSideOutput(StockFunction.ALERTS);
            if (alertQueue != null) {
                alertQueue.forEach(r -> alerts.add(r.getValue()));
            }
            List<OrderAction> actions = new ArrayList<>();
            var actionQueue = orders.getSideOutput(OrderLifecycleFunction.ORDER_ACTIONS);
            if (actionQueue != null) {
                actionQueue.forEach(r -> actions.add(r.getValue()));
            }
            return Outcome.of(levels, alerts, actions);
        }
    }

    @SuppressWarnings("unchecked")
    private static void advance(
            KeyedTwoInputStreamOperatorTestHarness<String, OrderEvent, RuleUpdate, StockChange>
                    orders,
            KeyedTwoInputStreamOperatorTestHarness<String, StockChange, RuleUpdate, InventoryLevel>
                    stock,
            long watermark,
            List<InventoryLevel> levels)
            throws Exception {
        orders.processWatermark1(new Watermark(watermark));
        for (Object o : orders.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                stock.processElement1((StreamRecord<StockChange>) r);
            }
        }
        orders.getOutput().clear();
        stock.processWatermark1(new Watermark(watermark));
        for (Object o : stock.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                levels.add((InventoryLevel) r.getValue());
            }
        }
        stock.getOutput().clear();
    }
}
