package io.storepulse.inventory;

import static io.storepulse.inventory.InventoryFixtures.globalRule;
import static io.storepulse.inventory.InventoryFixtures.line;
import static io.storepulse.inventory.InventoryFixtures.min;
import static io.storepulse.inventory.InventoryFixtures.order;
import static io.storepulse.inventory.InventoryFixtures.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static storepulse.v1.events.OrderEventType.CANCELLED;
import static storepulse.v1.events.OrderEventType.DELIVERED;
import static storepulse.v1.events.OrderEventType.PAID;
import static storepulse.v1.events.OrderEventType.PLACED;
import static storepulse.v1.events.OrderEventType.RETURNED;
import static storepulse.v1.events.OrderEventType.SHIPPED;

import io.storepulse.inventory.StockChange.Kind;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import java.time.Duration;
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
import storepulse.v1.actions.OrderAction;
import storepulse.v1.actions.OrderActionType;
import storepulse.v1.common.ReturnReason;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.RuleScope;

class OrderLifecycleFunctionTest {

    private KeyedTwoInputStreamOperatorTestHarness<String, OrderEvent, RuleUpdate, StockChange>
            harness;

    @BeforeEach
    void setupHarness() throws Exception {
        harness =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new CoBroadcastWithKeyedOperator<>(
                                new OrderLifecycleFunction(), List.of(RulesState.DESCRIPTOR)),
                        OrderEvent::getOrderId,
                        r -> "rules",
                        Types.STRING);
        harness.open();
        // Rules carry no event time; their input never holds back the watermark.
        harness.processWatermark2(Watermark.MAX_WATERMARK);
    }

    @AfterEach
    void closeHarness() throws Exception {
        harness.close();
    }

    private void send(OrderEvent e) throws Exception {
        harness.processElement1(new StreamRecord<>(e, e.getEventTime().toEpochMilli()));
    }

    private void watermark(long t) throws Exception {
        harness.processWatermark1(new Watermark(t));
    }

    private List<StockChange> changes() {
        return harness.extractOutputValues();
    }

    private List<OrderAction> actions() {
        var side = harness.getSideOutput(OrderLifecycleFunction.ORDER_ACTIONS);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).toList();
    }

    private static List<String> kinds(List<StockChange> changes) {
        return changes.stream()
                .map(c -> c.kind + " " + c.sku + "@" + c.warehouseId + " " + c.quantity)
                .toList();
    }

    @Test
    void shouldReserveOnPlacedAndReleaseOnCancel() throws Exception {
        send(order("e1", "o1", PLACED, min(0), line("sku-a", "wh-1", 2), line("sku-b", "wh-2", 1)));
        send(
                order(
                        "e2",
                        "o1",
                        CANCELLED,
                        min(5),
                        line("sku-a", "wh-1", 2),
                        line("sku-b", "wh-2", 1)));
        watermark(min(10));

        assertThat(kinds(changes()))
                .containsExactly(
                        "RESERVE sku-a@wh-1 2",
                        "RESERVE sku-b@wh-2 1",
                        "RELEASE sku-a@wh-1 2",
                        "RELEASE sku-b@wh-2 1");
        assertThat(changes().get(2).eventTime).isEqualTo(min(5));
        assertThat(actions()).isEmpty();
    }

    @Test
    void shouldReleaseAndTakeOffHandOnShipment() throws Exception {
        send(order("e1", "o1", PLACED, min(0), line("sku-a", "wh-1", 3)));
        send(order("e2", "o1", PAID, min(1), line("sku-a", "wh-1", 3)));
        send(order("e3", "o1", SHIPPED, min(60), line("sku-a", "wh-1", 3)));
        send(order("e4", "o1", DELIVERED, min(600), line("sku-a", "wh-1", 3)));
        send(order("e5", "o1", CANCELLED, min(700), line("sku-a", "wh-1", 3)));
        watermark(min(800));

        assertThat(kinds(changes())).containsExactly("RESERVE sku-a@wh-1 3", "SHIP sku-a@wh-1 3");
        assertThat(actions()).isEmpty();
    }

    @Test
    void shouldRestockOnlyResellableReturns() throws Exception {
        for (String id : List.of("o1", "o2")) {
            send(order(id + "-p", id, PLACED, min(0), line("sku-a", "wh-1", 1)));
            send(order(id + "-s", id, SHIPPED, min(10), line("sku-a", "wh-1", 1)));
        }
        send(
                order(
                        "o1-r",
                        "o1",
                        RETURNED,
                        ReturnReason.QUALITY,
                        "web",
                        min(100),
                        List.of(line("sku-a", "wh-1", 1))));
        send(
                order(
                        "o2-r",
                        "o2",
                        RETURNED,
                        ReturnReason.WRONG_SIZE,
                        "web",
                        min(100),
                        List.of(line("sku-a", "wh-1", 1))));
        watermark(min(200));

        assertThat(changes().stream().filter(c -> c.kind == Kind.RETURN).map(c -> c.id))
                .containsExactly("o2:RETURN:0");
    }

    @Test
    void shouldTakeResellableReasonsFromRules() throws Exception {
        harness.processElement2(
                new StreamRecord<>(
                        globalRule("returns", 1, Map.of("resellable_return_reasons", "QUALITY"))));
        send(order("p", "o1", PLACED, min(0), line("sku-a", "wh-1", 1)));
        send(order("s", "o1", SHIPPED, min(10), line("sku-a", "wh-1", 1)));
        send(
                order(
                        "r",
                        "o1",
                        RETURNED,
                        ReturnReason.QUALITY,
                        "web",
                        min(100),
                        List.of(line("sku-a", "wh-1", 1))));
        watermark(min(200));

        assertThat(kinds(changes())).contains("RETURN sku-a@wh-1 1");
    }

    @Test
    void shouldCountLinesOnceWhateverTheDuplicates() throws Exception {
        OrderEvent placed = order("e1", "o1", PLACED, min(0), line("sku-a", "wh-1", 2));
        send(placed);
        send(placed);
        send(order("e1-resent-under-new-id", "o1", PLACED, min(0), line("sku-a", "wh-1", 2)));
        send(order("e2", "o1", PAID, min(1), line("sku-a", "wh-1", 2)));
        OrderEvent shipped = order("e3", "o1", SHIPPED, min(2), line("sku-a", "wh-1", 2));
        send(shipped);
        send(shipped);
        send(order("e3-again", "o1", SHIPPED, min(3), line("sku-a", "wh-1", 2)));
        watermark(min(10));
        send(shipped); // a duplicate after the watermark changes nothing either

        assertThat(kinds(changes())).containsExactly("RESERVE sku-a@wh-1 2", "SHIP sku-a@wh-1 2");
    }

    @Test
    void shouldAutoCancelUnpaidOrderAndReleaseInTheSameStep() throws Exception {
        send(order("e1", "o1", PLACED, min(0), line("sku-a", "wh-1", 2)));
        watermark(min(14));
        assertThat(actions()).isEmpty();

        watermark(min(15));

        assertThat(actions()).hasSize(1);
        OrderAction a = actions().get(0);
        assertThat(a.getType()).isEqualTo(OrderActionType.CANCEL_UNPAID);
        assertThat(a.getOrderId()).isEqualTo("o1");
        assertThat(a.getPaymentDeadline().toEpochMilli()).isEqualTo(min(15));
        assertThat(a.getEventTime().toEpochMilli()).isEqualTo(min(15));
        assertThat(a.getRuleId()).isEqualTo("default");
        assertThat(a.getExplanation().getFigures()).containsKey("payment_timeout");
        assertThat(kinds(changes()))
                .containsExactly("RESERVE sku-a@wh-1 2", "RELEASE sku-a@wh-1 2");
        assertThat(changes().get(1).eventTime).isEqualTo(min(15));
    }

    @Test
    void shouldNotAutoCancelWhenPaidInTime() throws Exception {
        send(order("e1", "o1", PLACED, min(0), line("sku-a", "wh-1", 2)));
        send(order("e2", "o1", PAID, min(15), line("sku-a", "wh-1", 2)));
        watermark(min(60));

        assertThat(actions()).isEmpty();
        assertThat(kinds(changes())).containsExactly("RESERVE sku-a@wh-1 2");
    }

    @Test
    void shouldReportPaymentAfterAutoCancelWithoutReReserving() throws Exception {
        send(order("e1", "o1", PLACED, min(0), line("sku-a", "wh-1", 2)));
        watermark(min(20));
        send(order("e2", "o1", PAID, min(21), line("sku-a", "wh-1", 2)));
        send(order("e3", "o1", PAID, min(22), line("sku-a", "wh-1", 2)));
        send(order("e4", "o1", CANCELLED, min(30), line("sku-a", "wh-1", 2)));
        watermark(min(40));

        assertThat(actions().stream().map(OrderAction::getType))
                .containsExactly(
                        OrderActionType.CANCEL_UNPAID, OrderActionType.PAYMENT_AFTER_CANCEL);
        assertThat(actions().get(1).getExplanation().getFigures())
                .containsEntry("payment_event_id", "e2");
        assertThat(kinds(changes()))
                .containsExactly("RESERVE sku-a@wh-1 2", "RELEASE sku-a@wh-1 2");
    }

    @Test
    void shouldTakeUnitsOffHandWhenAnAutoCancelledOrderShipsAfterAll() throws Exception {
        // The order system re-confirmed after the late payment and shipped the order: the units
        // left the warehouse and must come off hand, and a later return puts them back.
        send(order("e1", "o1", PLACED, min(0), line("sku-a", "wh-1", 2)));
        send(order("e2", "o1", PAID, min(21), line("sku-a", "wh-1", 2)));
        send(order("e3", "o1", SHIPPED, min(30), line("sku-a", "wh-1", 2)));
        send(
                order(
                        "e4",
                        "o1",
                        RETURNED,
                        ReturnReason.CHANGED_MIND,
                        "web",
                        min(90),
                        List.of(line("sku-a", "wh-1", 2))));
        watermark(min(100));

        assertThat(actions().stream().map(OrderAction::getType))
                .containsExactly(
                        OrderActionType.CANCEL_UNPAID, OrderActionType.PAYMENT_AFTER_CANCEL);
        assertThat(kinds(changes()))
                .containsExactly(
                        "RESERVE sku-a@wh-1 2",
                        "RELEASE sku-a@wh-1 2",
                        "RESERVE sku-a@wh-1 2",
                        "SHIP sku-a@wh-1 2",
                        "RETURN sku-a@wh-1 2");
        assertThat(changes().get(3).eventTime).isEqualTo(min(30));
    }

    @Test
    void shouldGiveTheSameActionIdsOnReplay() throws Exception {
        send(order("e1", "o1", PLACED, min(0), line("sku-a", "wh-1", 2)));
        watermark(min(20));
        String first = actions().get(0).getActionId();
        closeHarness();
        setupHarness();
        send(order("e1", "o1", PLACED, min(0), line("sku-a", "wh-1", 2)));
        watermark(min(20));

        assertThat(actions().get(0).getActionId()).isEqualTo(first);
    }

    @Test
    void shouldTakePaymentTimeoutFromChannelRules() throws Exception {
        harness.processElement2(
                new StreamRecord<>(
                        rule(
                                "app-timeout",
                                3,
                                RuleScope.CHANNEL,
                                "app",
                                Map.of("payment_timeout", "5m"))));
        send(order("e1", "o1", PLACED, null, "app", min(0), List.of(line("sku-a", "wh-1", 1))));
        send(order("e2", "o2", PLACED, null, "web", min(0), List.of(line("sku-a", "wh-1", 1))));
        watermark(min(6));

        assertThat(actions()).hasSize(1);
        assertThat(actions().get(0).getOrderId()).isEqualTo("o1");
        assertThat(actions().get(0).getRuleId()).isEqualTo("app-timeout");
        assertThat(actions().get(0).getRuleVersion()).isEqualTo(3L);
    }

    @Test
    void shouldApplyEventsInEventTimeOrderWhateverTheArrivalOrder() throws Exception {
        send(order("e3", "o1", SHIPPED, min(3), line("sku-a", "wh-1", 1)));
        send(order("e2", "o1", PAID, min(2), line("sku-a", "wh-1", 1)));
        send(order("e1", "o1", PLACED, min(1), line("sku-a", "wh-1", 1)));
        watermark(min(30));

        assertThat(kinds(changes())).containsExactly("RESERVE sku-a@wh-1 1", "SHIP sku-a@wh-1 1");
        assertThat(actions()).isEmpty();
    }

    @Test
    void shouldClearStateAndTimersWhenAReturnedOrderEnds() throws Exception {
        send(order("e1", "o1", PLACED, min(0), line("sku-a", "wh-1", 1)));
        send(order("e2", "o1", PAID, min(1), line("sku-a", "wh-1", 1)));
        send(order("e3", "o1", SHIPPED, min(2), line("sku-a", "wh-1", 1)));
        send(
                order(
                        "e4",
                        "o1",
                        RETURNED,
                        ReturnReason.CHANGED_MIND,
                        "web",
                        min(100),
                        List.of(line("sku-a", "wh-1", 1))));
        watermark(min(100));
        assertThat(harness.numKeyedStateEntries()).isGreaterThan(0);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        watermark(min(100) + Duration.ofHours(24).toMillis());

        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void shouldClearStateAndTimersWhenAnAutoCancelledOrderEnds() throws Exception {
        send(order("e1", "o1", PLACED, min(0), line("sku-a", "wh-1", 1)));
        watermark(min(15) + Duration.ofHours(24).toMillis());

        assertThat(actions()).hasSize(1);
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void shouldClearStateAndTimersWhenACancelledOrderEnds() throws Exception {
        send(order("e1", "o1", PLACED, min(0), line("sku-a", "wh-1", 1)));
        send(order("e2", "o1", CANCELLED, min(3), line("sku-a", "wh-1", 1)));
        watermark(min(3));
        // The payment timer went with the cancel; only the cleanup timer is left.
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        watermark(min(3) + Duration.ofHours(24).toMillis());

        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void shouldForgetAShippedOrderAfterTheReturnWindow() throws Exception {
        send(order("e1", "o1", PLACED, min(0), line("sku-a", "wh-1", 1)));
        send(order("e2", "o1", SHIPPED, min(1), line("sku-a", "wh-1", 1)));
        watermark(min(1) + Duration.ofDays(30).toMillis());

        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void shouldForgetStragglersOfAnOrderNeverPlaced() throws Exception {
        send(order("e1", "o1", PAID, min(0), line("sku-a", "wh-1", 1)));
        watermark(min(0) + Duration.ofHours(24).toMillis());

        assertThat(changes()).isEmpty();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numKeyedStateEntries()).isZero();
    }
}
