package io.storepulse.inventory;

import io.storepulse.rules.RuleUpdate;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import storepulse.v1.common.ReturnReason;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.Product;
import storepulse.v1.events.RuleJob;
import storepulse.v1.events.RuleScope;
import storepulse.v1.events.RuleSet;
import storepulse.v1.events.StockMovement;
import storepulse.v1.events.StockMovementType;

/** Small factories for inventory test inputs, all from fixed instants. */
public final class InventoryFixtures {

    public static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");

    private InventoryFixtures() {}

    public static long at(Duration offset) {
        return T0.plus(offset).toEpochMilli();
    }

    public static long min(long minutes) {
        return at(Duration.ofMinutes(minutes));
    }

    public static OrderLine line(String sku, String warehouse, int quantity) {
        return OrderLine.newBuilder()
                .setSku(sku)
                .setWarehouseId(warehouse)
                .setQuantity(quantity)
                .setUnitPrice(new BigDecimal("9.99"))
                .setUnitCost(new BigDecimal("4.00"))
                .build();
    }

    public static OrderEvent order(
            String eventId, String orderId, OrderEventType type, long time, OrderLine... lines) {
        return order(eventId, orderId, type, null, "web", time, List.of(lines));
    }

    public static OrderEvent order(
            String eventId,
            String orderId,
            OrderEventType type,
            ReturnReason reason,
            String channel,
            long time,
            List<OrderLine> lines) {
        return OrderEvent.newBuilder()
                .setEventId(eventId)
                .setOrderId(orderId)
                .setUserId("user-" + orderId)
                .setType(type)
                .setReturnReason(reason)
                .setLines(new ArrayList<>(lines))
                .setOrderTotal(new BigDecimal("19.98"))
                .setCurrency("EUR")
                .setChannel(channel)
                .setEventTime(Instant.ofEpochMilli(time))
                .build();
    }

    public static StockMovement movement(
            String eventId,
            String sku,
            String warehouse,
            StockMovementType type,
            int quantity,
            long time) {
        return movement(eventId, sku, warehouse, type, quantity, null, time);
    }

    public static StockMovement movement(
            String eventId,
            String sku,
            String warehouse,
            StockMovementType type,
            int quantity,
            Long lotExpiresAt,
            long time) {
        return StockMovement.newBuilder()
                .setEventId(eventId)
                .setSku(sku)
                .setWarehouseId(warehouse)
                .setType(type)
                .setQuantity(quantity)
                .setLotExpiresAt(lotExpiresAt == null ? null : Instant.ofEpochMilli(lotExpiresAt))
                .setEventTime(Instant.ofEpochMilli(time))
                .build();
    }

    public static Product product(String sku, String category, int leadTimeDays, long time) {
        return Product.newBuilder()
                .setSku(sku)
                .setName("Product " + sku)
                .setCategory(category)
                .setListPrice(new BigDecimal("9.99"))
                .setUnitCost(new BigDecimal("4.00"))
                .setMinPrice(new BigDecimal("5.00"))
                .setCurrency("EUR")
                .setPerishable(false)
                .setSupplierLeadTimeDays(leadTimeDays)
                .setActive(true)
                .setUpdatedAt(Instant.ofEpochMilli(time))
                .build();
    }

    public static RuleUpdate rule(
            String ruleId,
            long version,
            RuleScope scope,
            String scopeValue,
            Map<String, String> params) {
        return RuleUpdate.upsert(
                RuleSet.newBuilder()
                        .setRuleId(ruleId)
                        .setVersion(version)
                        .setJob(RuleJob.INVENTORY)
                        .setScopeType(scope)
                        .setScopeValue(scopeValue)
                        .setParams(Map.copyOf(params))
                        .setUpdatedAt(T0)
                        .build());
    }

    public static RuleUpdate globalRule(String ruleId, long version, Map<String, String> params) {
        return rule(ruleId, version, RuleScope.GLOBAL, null, params);
    }
}
