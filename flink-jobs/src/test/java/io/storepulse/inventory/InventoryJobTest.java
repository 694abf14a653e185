package io.storepulse.inventory;

import static io.storepulse.inventory.InventoryFixtures.line;
import static io.storepulse.inventory.InventoryFixtures.min;
import static io.storepulse.inventory.InventoryFixtures.movement;
import static io.storepulse.inventory.InventoryFixtures.order;
import static io.storepulse.inventory.InventoryFixtures.product;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import storepulse.v1.common.ReturnReason;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.RuleJob;
import storepulse.v1.events.RuleScope;
import storepulse.v1.events.RuleSet;
import storepulse.v1.events.StockMovementType;

class InventoryJobTest {

    @Test
    void shouldAcceptPlausibleInputs() {
        assertThat(
                        InventoryJob.ORDER_VALIDATOR.problem(
                                order("e", "o", OrderEventType.PLACED, min(0), line("s", "w", 1))))
                .isNull();
        assertThat(
                        InventoryJob.ORDER_VALIDATOR.problem(
                                order(
                                        "e",
                                        "o",
                                        OrderEventType.RETURNED,
                                        ReturnReason.QUALITY,
                                        "web",
                                        min(0),
                                        List.of(line("s", "w", 1)))))
                .isNull();
        assertThat(
                        InventoryJob.MOVEMENT_VALIDATOR.problem(
                                movement("m", "s", "w", StockMovementType.ADJUSTMENT, -4, min(0))))
                .isNull();
        assertThat(
                        InventoryJob.MOVEMENT_VALIDATOR.problem(
                                movement("m", "s", "w", StockMovementType.COUNT, 0, min(0))))
                .isNull();
        assertThat(InventoryJob.PRODUCT_VALIDATOR.problem(product("s", "c", 0, min(0)))).isNull();
    }

    @Test
    void shouldRejectImpossibleOrders() {
        assertThat(
                        InventoryJob.ORDER_VALIDATOR.problem(
                                order("e", "o", OrderEventType.PLACED, min(0), line("s", "w", -1))))
                .contains("quantity -1");
        assertThat(
                        InventoryJob.ORDER_VALIDATOR.problem(
                                order("e", "o", OrderEventType.PLACED, min(0), line("s", "w", 0))))
                .contains("quantity 0");
        assertThat(
                        InventoryJob.ORDER_VALIDATOR.problem(
                                order("e", "o", OrderEventType.PLACED, min(0), line("s", null, 1))))
                .contains("no warehouse_id");
        assertThat(
                        InventoryJob.ORDER_VALIDATOR.problem(
                                order("e", "o", OrderEventType.UNKNOWN, min(0), line("s", "w", 1))))
                .contains("UNKNOWN");
        assertThat(
                        InventoryJob.ORDER_VALIDATOR.problem(
                                order(
                                        "e",
                                        "o",
                                        OrderEventType.RETURNED,
                                        ReturnReason.UNKNOWN,
                                        "web",
                                        min(0),
                                        List.of(line("s", "w", 1)))))
                .contains("return_reason");
    }

    @Test
    void shouldRejectImpossibleMovementsAndProducts() {
        assertThat(
                        InventoryJob.MOVEMENT_VALIDATOR.problem(
                                movement("m", "s", "w", StockMovementType.RESTOCK, -2, min(0))))
                .contains("positive");
        assertThat(
                        InventoryJob.MOVEMENT_VALIDATOR.problem(
                                movement("m", "s", "w", StockMovementType.TRANSFER_OUT, 0, min(0))))
                .contains("positive");
        assertThat(
                        InventoryJob.MOVEMENT_VALIDATOR.problem(
                                movement("m", "s", "w", StockMovementType.COUNT, -1, min(0))))
                .contains("negative");
        assertThat(
                        InventoryJob.MOVEMENT_VALIDATOR.problem(
                                movement("m", "s", "w", StockMovementType.UNKNOWN, 1, min(0))))
                .contains("UNKNOWN");
        assertThat(
                        InventoryJob.MOVEMENT_VALIDATOR.problem(
                                movement("m", "s", " ", StockMovementType.RESTOCK, 1, min(0))))
                .contains("warehouse_id");
        assertThat(InventoryJob.PRODUCT_VALIDATOR.problem(product("s", "c", -1, min(0))))
                .contains("negative");
    }

    @Test
    void shouldDeclareEveryThresholdAsARuleWithItsDefault() {
        assertThat(InventoryJob.RULES.job()).isEqualTo(RuleJob.INVENTORY);
        assertThat(InventoryJob.RULES.params())
                .extracting(p -> p.name())
                .contains(
                        "payment_timeout",
                        "resellable_return_reasons",
                        "service_level",
                        "low_stock_hysteresis",
                        "expiry_warning",
                        "reorder_point",
                        "safety_stock");
        assertThat(InventoryJob.PAYMENT_TIMEOUT.defaultValue().toMinutes()).isEqualTo(15);
        assertThat(InventoryJob.SERVICE_LEVEL.defaultValue()).isEqualTo(0.95);
        assertThat(InventoryJob.LOW_STOCK_HYSTERESIS.defaultValue()).isEqualTo(0.20);
        assertThat(InventoryJob.EXPIRY_WARNING.defaultValue().toHours()).isEqualTo(24);
        assertThat(InventoryJob.RESELLABLE_RETURN_REASONS.defaultValue().contains("QUALITY"))
                .isFalse();
        assertThat(
                        InventoryJob.RESELLABLE_RETURN_REASONS
                                .defaultValue()
                                .contains("DAMAGED_IN_TRANSIT"))
                .isFalse();
    }

    @Test
    void shouldRejectRuleSetsWithUnknownOrMalformedParameters() {
        assertThat(InventoryJob.RULES.problems(rules(Map.of("payment_timeout", "30m")))).isEmpty();
        assertThat(InventoryJob.RULES.problems(rules(Map.of("payment_timeout", "soon"))))
                .isNotEmpty();
        assertThat(InventoryJob.RULES.problems(rules(Map.of("service_level", "1.5")))).isNotEmpty();
        assertThat(InventoryJob.RULES.problems(rules(Map.of("no_such_param", "1")))).isNotEmpty();
    }

    private static RuleSet rules(Map<String, String> params) {
        return RuleSet.newBuilder()
                .setRuleId("r")
                .setVersion(1)
                .setJob(RuleJob.INVENTORY)
                .setScopeType(RuleScope.GLOBAL)
                .setParams(params)
                .setUpdatedAt(InventoryFixtures.T0)
                .build();
    }
}
