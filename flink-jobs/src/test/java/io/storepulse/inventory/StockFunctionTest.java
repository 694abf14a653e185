package io.storepulse.inventory;

import static io.storepulse.inventory.InventoryFixtures.at;
import static io.storepulse.inventory.InventoryFixtures.globalRule;
import static io.storepulse.inventory.InventoryFixtures.min;
import static io.storepulse.inventory.InventoryFixtures.movement;
import static io.storepulse.inventory.InventoryFixtures.product;
import static io.storepulse.inventory.InventoryFixtures.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static storepulse.v1.events.StockMovementType.ADJUSTMENT;
import static storepulse.v1.events.StockMovementType.COUNT;
import static storepulse.v1.events.StockMovementType.RESTOCK;
import static storepulse.v1.events.StockMovementType.TRANSFER_IN;
import static storepulse.v1.events.StockMovementType.TRANSFER_OUT;

import io.storepulse.inventory.StockChange.Kind;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import storepulse.v1.actions.InventoryAlert;
import storepulse.v1.actions.InventoryAlertType;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.events.RuleScope;
import storepulse.v1.events.StockMovement;

class StockFunctionTest {

    private static final String SKU = "sku-a";

    private KeyedTwoInputStreamOperatorTestHarness<String, StockChange, RuleUpdate, InventoryLevel>
            harness;
    private int orderSeq;

    @BeforeEach
    void setupHarness() throws Exception {
        harness =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new CoBroadcastWithKeyedOperator<>(
                                new StockFunction(), List.of(RulesState.DESCRIPTOR)),
                        c -> c.sku,
                        r -> "rules",
                        Types.STRING);
        harness.open();
        harness.processWatermark2(Watermark.MAX_WATERMARK);
    }

    @AfterEach
    void closeHarness() throws Exception {
        harness.close();
    }

    private void send(StockChange c) throws Exception {
        harness.processElement1(new StreamRecord<>(c, c.eventTime));
    }

    private void send(StockMovement m) throws Exception {
        send(StockChange.ofMovement(m));
    }

    private void rules(RuleUpdate r) throws Exception {
        harness.processElement2(new StreamRecord<>(r));
    }

    private void orderLine(Kind kind, String warehouse, long quantity, long t) throws Exception {
        send(StockChange.ofOrderLine(kind, "o" + (++orderSeq), 0, SKU, warehouse, quantity, t));
    }

    private void watermark(long t) throws Exception {
        harness.processWatermark1(new Watermark(t));
    }

    private List<InventoryLevel> levels() {
        return harness.extractOutputValues();
    }

    private InventoryLevel lastLevel(String warehouse) {
        List<InventoryLevel> mine =
                levels().stream().filter(l -> l.getWarehouseId().equals(warehouse)).toList();
        return mine.get(mine.size() - 1);
    }

    private List<InventoryAlert> alerts() {
        var side = harness.getSideOutput(StockFunction.ALERTS);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).toList();
    }

    private List<String> alertTypes() {
        List<String> out = new ArrayList<>();
        for (InventoryAlert a : alerts()) {
            out.add(a.getType() + "@" + a.getWarehouseId());
        }
        return out;
    }

    private void fixedReorderPoint(long rop) throws Exception {
        rules(globalRule("rop", 1, Map.of("reorder_point", Long.toString(rop))));
    }

    @Test
    void shouldComputeLevelsFromMovementsAndReservations() throws Exception {
        send(movement("m1", SKU, "wh-1", RESTOCK, 10, min(0)));
        orderLine(Kind.RESERVE, "wh-1", 3, min(1));
        watermark(min(2));

        InventoryLevel l = lastLevel("wh-1");
        assertThat(l.getOnHand()).isEqualTo(10);
        assertThat(l.getReserved()).isEqualTo(3);
        assertThat(l.getAvailable()).isEqualTo(7);
        assertThat(l.getUpdatedAt().toEpochMilli()).isEqualTo(min(1));
    }

    @Test
    void shouldApplyEveryMovementType() throws Exception {
        send(movement("m1", SKU, "wh-1", RESTOCK, 10, min(0)));
        send(movement("m2", SKU, "wh-1", ADJUSTMENT, -2, min(1)));
        send(movement("m3", SKU, "wh-1", TRANSFER_IN, 5, min(2)));
        send(movement("m4", SKU, "wh-1", TRANSFER_OUT, 4, min(3)));
        watermark(min(3));
        assertThat(lastLevel("wh-1").getOnHand()).isEqualTo(9);

        send(movement("m5", SKU, "wh-1", COUNT, 20, min(4)));
        orderLine(Kind.RESERVE, "wh-1", 2, min(5));
        orderLine(Kind.SHIP, "wh-1", 2, min(6));
        watermark(min(6));

        assertThat(lastLevel("wh-1").getOnHand()).isEqualTo(18);
        assertThat(lastLevel("wh-1").getReserved()).isZero();
    }

    @Test
    void shouldEmitLevelsOnlyWhenTheyChange() throws Exception {
        send(movement("m1", SKU, "wh-1", RESTOCK, 10, min(0)));
        send(movement("m2", SKU, "wh-1", COUNT, 10, min(1)));
        watermark(min(2));

        assertThat(levels()).hasSize(1);
    }

    @Test
    void shouldIgnoreDuplicateMovementEventIds() throws Exception {
        StockMovement restock = movement("m1", SKU, "wh-1", RESTOCK, 10, min(0));
        send(restock);
        send(restock);
        watermark(min(1));
        send(restock);
        watermark(min(2));

        assertThat(lastLevel("wh-1").getOnHand()).isEqualTo(10);
    }

    @Test
    void shouldForgetMovementIdsAfterTheDedupRetention() throws Exception {
        send(movement("m1", SKU, "wh-1", RESTOCK, 10, min(0)));
        watermark(min(1));
        int withId = harness.numKeyedStateEntries();

        watermark(min(0) + Duration.ofHours(26).toMillis());

        assertThat(harness.numKeyedStateEntries()).isEqualTo(withId - 1);
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldApplyChangesInEventTimeOrderWhateverTheArrivalOrder() throws Exception {
        // A COUNT does not commute with other movements: order matters.
        send(movement("m2", SKU, "wh-1", ADJUSTMENT, 5, min(2)));
        send(movement("m1", SKU, "wh-1", COUNT, 10, min(1)));
        watermark(min(3));

        assertThat(lastLevel("wh-1").getOnHand()).isEqualTo(15);
    }

    @Test
    void shouldAlertLowStockOncePerCrossingWithHysteresis() throws Exception {
        fixedReorderPoint(10); // re-armed above 12 with the default 20 % margin
        send(movement("m1", SKU, "wh-1", RESTOCK, 15, min(0)));
        orderLine(Kind.RESERVE, "wh-1", 6, min(1)); // 9: low
        orderLine(Kind.RESERVE, "wh-1", 1, min(2)); // 8: still low
        orderLine(Kind.RELEASE, "wh-1", 3, min(3)); // 11: recovered, not enough to re-arm
        orderLine(Kind.RESERVE, "wh-1", 2, min(4)); // 9: no second alert
        orderLine(Kind.RELEASE, "wh-1", 4, min(5)); // 13: re-armed
        orderLine(Kind.RESERVE, "wh-1", 4, min(6)); // 9: low again
        watermark(min(10));

        List<InventoryAlert> low =
                alerts().stream().filter(a -> a.getType() == InventoryAlertType.LOW_STOCK).toList();
        assertThat(low).hasSize(2);
        assertThat(low.get(0).getEventTime().toEpochMilli()).isEqualTo(min(1));
        assertThat(low.get(0).getAvailable()).isEqualTo(9);
        assertThat(low.get(0).getReorderPoint()).isEqualTo(10);
        assertThat(low.get(0).getRuleId()).isEqualTo("rop");
        assertThat(low.get(0).getRuleVersion()).isEqualTo(1L);
        assertThat(low.get(0).getExplanation().getFigures()).containsEntry("available", "9");
        assertThat(low.get(1).getEventTime().toEpochMilli()).isEqualTo(min(6));
        assertThat(low.get(0).getActionId()).isNotEqualTo(low.get(1).getActionId());
    }

    @Test
    void shouldTakeTheHysteresisFromRules() throws Exception {
        rules(globalRule("rop", 1, Map.of("reorder_point", "10", "low_stock_hysteresis", "0")));
        send(movement("m1", SKU, "wh-1", RESTOCK, 15, min(0)));
        orderLine(Kind.RESERVE, "wh-1", 6, min(1)); // 9: low
        orderLine(Kind.RELEASE, "wh-1", 2, min(2)); // 11: re-armed without a margin
        orderLine(Kind.RESERVE, "wh-1", 2, min(3)); // 9: low again
        watermark(min(10));

        assertThat(alertTypes()).containsExactly("LOW_STOCK@wh-1", "LOW_STOCK@wh-1");
    }

    @Test
    void shouldAlertOutOfStockAndBackInStockOncePerCrossing() throws Exception {
        send(movement("m1", SKU, "wh-1", RESTOCK, 2, min(0)));
        orderLine(Kind.RESERVE, "wh-1", 2, min(1)); // 0: out
        send(movement("m2", SKU, "wh-1", ADJUSTMENT, -1, min(2))); // -1: oversold, still out
        send(movement("m3", SKU, "wh-1", RESTOCK, 5, min(3))); // 4: back
        send(movement("m4", SKU, "wh-1", RESTOCK, 5, min(4))); // 9: nothing new
        watermark(min(10));

        // With no demand yet the reorder point is 0, so LOW_STOCK fires too; not the subject here.
        assertThat(alertTypes().stream().filter(t -> !t.startsWith("LOW_STOCK")).toList())
                .containsExactly("OUT_OF_STOCK@wh-1", "OVERSOLD@wh-1", "BACK_IN_STOCK@wh-1");
    }

    @Test
    void shouldAlertOversoldOnceWhenReservationsExceedOnHand() throws Exception {
        fixedReorderPoint(0);
        send(movement("m1", SKU, "wh-1", RESTOCK, 3, min(0)));
        orderLine(Kind.RESERVE, "wh-1", 5, min(1));
        orderLine(Kind.RESERVE, "wh-1", 1, min(2));
        watermark(min(3));

        List<InventoryAlert> oversold =
                alerts().stream().filter(a -> a.getType() == InventoryAlertType.OVERSOLD).toList();
        assertThat(oversold).hasSize(1);
        assertThat(oversold.get(0).getReserved()).isEqualTo(5);
        assertThat(oversold.get(0).getOnHand()).isEqualTo(3);
    }

    @Test
    void shouldAlertExpiringLotOnceOnTimerBeforeExpiry() throws Exception {
        long expiry = at(Duration.ofDays(3));
        send(movement("m1", SKU, "wh-1", RESTOCK, 4, expiry, min(0)));
        send(movement("m2", SKU, "wh-1", RESTOCK, 6, null, min(1)));
        watermark(expiry - Duration.ofHours(25).toMillis());
        assertThat(alerts()).isEmpty();

        watermark(expiry - Duration.ofHours(24).toMillis());
        watermark(expiry);

        assertThat(alerts()).hasSize(1);
        InventoryAlert a = alerts().get(0);
        assertThat(a.getType()).isEqualTo(InventoryAlertType.EXPIRING_SOON);
        assertThat(a.getQuantity()).isEqualTo(4L);
        assertThat(a.getLotExpiresAt().toEpochMilli()).isEqualTo(expiry);
        assertThat(a.getEventTime().toEpochMilli())
                .isEqualTo(expiry - Duration.ofHours(24).toMillis());
    }

    @Test
    void shouldNotAlertExpiryOfALotAlreadyConsumedFirstExpiryFirstOut() throws Exception {
        long early = at(Duration.ofDays(3));
        long late = at(Duration.ofDays(10));
        send(movement("m1", SKU, "wh-1", RESTOCK, 5, late, min(0)));
        send(movement("m2", SKU, "wh-1", RESTOCK, 4, early, min(1)));
        send(movement("m3", SKU, "wh-1", RESTOCK, 3, null, min(2)));
        watermark(min(2));
        assertThat(lastLevel("wh-1").getNextExpiryAt().toEpochMilli()).isEqualTo(early);
        assertThat(lastLevel("wh-1").getNextExpiryQuantity()).isEqualTo(4L);

        orderLine(Kind.RESERVE, "wh-1", 6, min(3));
        orderLine(Kind.SHIP, "wh-1", 6, min(4)); // takes the 4 early units, then 2 of the late lot
        watermark(min(4));
        assertThat(lastLevel("wh-1").getNextExpiryAt().toEpochMilli()).isEqualTo(late);
        assertThat(lastLevel("wh-1").getNextExpiryQuantity()).isEqualTo(3L);

        watermark(late);

        assertThat(alerts().stream().filter(a -> a.getType() == InventoryAlertType.EXPIRING_SOON))
                .singleElement()
                .satisfies(a -> assertThat(a.getLotExpiresAt().toEpochMilli()).isEqualTo(late));
    }

    @Test
    void shouldSuggestTransferFromTheWarehouseWithSurplus() throws Exception {
        fixedReorderPoint(10); // target above 12
        send(movement("m1", SKU, "wh-1", RESTOCK, 15, min(0)));
        send(movement("m2", SKU, "wh-2", RESTOCK, 50, min(0)));
        send(movement("m3", SKU, "wh-3", RESTOCK, 20, min(0)));
        orderLine(Kind.RESERVE, "wh-1", 12, min(1)); // wh-1 available 3
        orderLine(Kind.RESERVE, "wh-1", 1, min(2)); // still low: no second suggestion
        watermark(min(5));

        List<InventoryAlert> transfers =
                alerts().stream()
                        .filter(a -> a.getType() == InventoryAlertType.TRANSFER_SUGGESTED)
                        .toList();
        assertThat(transfers).hasSize(1);
        InventoryAlert t = transfers.get(0);
        assertThat(t.getFromWarehouse()).isEqualTo("wh-2");
        assertThat(t.getToWarehouse()).isEqualTo("wh-1");
        assertThat(t.getWarehouseId()).isEqualTo("wh-1");
        assertThat(t.getQuantity()).isEqualTo(10L); // 13 - 3, below wh-2's surplus of 40
        assertThat(t.getExplanation().getFigures())
                .containsEntry("source_surplus", "40")
                .containsEntry("source_available", "50")
                .containsEntry("source_reorder_point", "10")
                .containsEntry("target_available", "13")
                .containsEntry("available", "3");
    }

    @Test
    void shouldCapTransferBySourceSurplus() throws Exception {
        fixedReorderPoint(10);
        send(movement("m1", SKU, "wh-1", RESTOCK, 10, min(0)));
        send(movement("m2", SKU, "wh-2", RESTOCK, 14, min(0)));
        orderLine(Kind.RESERVE, "wh-1", 10, min(1));
        watermark(min(5));

        assertThat(
                        alerts().stream()
                                .filter(a -> a.getType() == InventoryAlertType.TRANSFER_SUGGESTED))
                .singleElement()
                .satisfies(a -> assertThat(a.getQuantity()).isEqualTo(4L));
    }

    @Test
    void shouldComputeVelocitySafetyStockAndReorderPointFromDemand() throws Exception {
        send(StockChange.ofProduct(product(SKU, "snacks", 4, min(0))));
        send(movement("m1", SKU, "wh-1", RESTOCK, 1000, min(0)));
        long[] daily = {10, 14, 6, 12, 8};
        for (int d = 0; d < daily.length; d++) {
            long t = at(Duration.ofDays(d).plusHours(1));
            orderLine(Kind.RESERVE, "wh-1", daily[d], t);
            orderLine(Kind.SHIP, "wh-1", daily[d], t + 1);
        }
        // The last day is folded in when the next day starts.
        send(movement("m2", SKU, "wh-1", ADJUSTMENT, 0, at(Duration.ofDays(5).plusHours(1))));
        watermark(at(Duration.ofDays(6)));

        double alpha = 0.2;
        double v = daily[0];
        double var = 0;
        for (int d = 1; d < daily.length; d++) {
            double diff = daily[d] - v;
            v += alpha * diff;
            var = (1 - alpha) * (var + diff * alpha * diff);
        }
        long safety = (long) Math.ceil(1.6448536 * Math.sqrt(var) * Math.sqrt(4));
        long rop = safety + (long) Math.ceil(v * 4);
        InventoryLevel l = lastLevel("wh-1");
        assertThat(l.getSalesVelocity()).isCloseTo(v, within(1e-9));
        assertThat(l.getSafetyStock()).isEqualTo(safety);
        assertThat(l.getReorderPoint()).isEqualTo(rop);
        assertThat(l.getDaysOfCover()).isCloseTo(l.getAvailable() / v, within(1e-9));
    }

    @Test
    void shouldDecayTheVelocityOfAWarehouseThatStopsSelling() throws Exception {
        // wh-1 sells 10 units on day 0 and nothing after; only wh-2 moves later on.
        send(movement("m1", SKU, "wh-1", RESTOCK, 100, at(Duration.ofHours(1))));
        orderLine(Kind.RESERVE, "wh-1", 10, at(Duration.ofHours(2)));
        orderLine(Kind.SHIP, "wh-1", 10, at(Duration.ofHours(3)));
        for (int d = 1; d <= 3; d++) {
            send(movement("w2-" + d, SKU, "wh-2", ADJUSTMENT, 1, at(Duration.ofDays(d))));
        }
        watermark(at(Duration.ofDays(4)));

        // Day 0 folds in 10, days 1 and 2 fold in 0 with weight 0.2: 10 → 8 → 6.4.
        assertThat(lastLevel("wh-1").getSalesVelocity()).isCloseTo(6.4, within(1e-9));
        assertThat(lastLevel("wh-1").getUpdatedAt().toEpochMilli())
                .isEqualTo(at(Duration.ofDays(3)));
    }

    @Test
    void shouldPreferTheMostSpecificFixedThresholds() throws Exception {
        send(StockChange.ofProduct(product(SKU, "snacks", 4, min(0))));
        rules(
                rule(
                        "cat",
                        2,
                        RuleScope.CATEGORY,
                        "snacks",
                        Map.of("reorder_point", "20", "safety_stock", "5")));
        rules(rule("sku", 7, RuleScope.SKU, SKU, Map.of("reorder_point", "30")));
        send(movement("m1", SKU, "wh-1", RESTOCK, 25, min(1)));
        watermark(min(2));

        assertThat(lastLevel("wh-1").getReorderPoint()).isEqualTo(30);
        assertThat(lastLevel("wh-1").getSafetyStock()).isEqualTo(5);
        assertThat(alerts())
                .singleElement()
                .satisfies(
                        a -> {
                            assertThat(a.getType()).isEqualTo(InventoryAlertType.LOW_STOCK);
                            assertThat(a.getRuleId()).isEqualTo("sku");
                            assertThat(a.getRuleVersion()).isEqualTo(7L);
                        });
    }

    @Test
    void shouldApplyRuleChangesWithoutRestart() throws Exception {
        fixedReorderPoint(5);
        send(movement("m1", SKU, "wh-1", RESTOCK, 8, min(0)));
        watermark(min(1));
        assertThat(alerts()).isEmpty();

        rules(globalRule("rop", 2, Map.of("reorder_point", "50")));
        send(movement("m2", SKU, "wh-1", ADJUSTMENT, -1, min(2)));
        watermark(min(3));

        assertThat(alerts())
                .singleElement()
                .satisfies(a -> assertThat(a.getRuleVersion()).isEqualTo(2L));
    }

    @Test
    void shouldGiveZScoreOfTheServiceLevel() {
        assertThat(Demand.zScore(0.95)).isCloseTo(1.6448536, within(1e-6));
        assertThat(Demand.zScore(0.5)).isCloseTo(0.0, within(1e-9));
        assertThat(Demand.zScore(0.99)).isCloseTo(2.3263479, within(1e-6));
    }
}
