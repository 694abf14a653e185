package io.storepulse.clearance;

import io.storepulse.rules.RuleUpdate;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.Product;
import storepulse.v1.events.RuleJob;
import storepulse.v1.events.RuleScope;
import storepulse.v1.events.RuleSet;

/** Small factories for clearance inputs, all from fixed instants. */
final class ClearanceFixtures {

    static final long T0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    static final long HOUR = Duration.ofHours(1).toMillis();
    static final long DAY = Duration.ofDays(1).toMillis();

    private ClearanceFixtures() {}

    static BigDecimal money(String v) {
        return new BigDecimal(v).setScale(2, RoundingMode.HALF_UP);
    }

    static Product product(
            String sku, String list, String cost, String min, boolean perishable, long at) {
        return Product.newBuilder()
                .setSku(sku)
                .setName("Product " + sku)
                .setCategory("grocery")
                .setListPrice(money(list))
                .setUnitCost(money(cost))
                .setMinPrice(money(min))
                .setCurrency("EUR")
                .setPerishable(perishable)
                .setUpdatedAt(Instant.ofEpochMilli(at))
                .build();
    }

    static InventoryLevel level(
            String sku, String warehouse, long onHand, long reorderPoint, long at) {
        return level(sku, warehouse, onHand, reorderPoint, null, null, at);
    }

    static InventoryLevel level(
            String sku,
            String warehouse,
            long onHand,
            long reorderPoint,
            Long expiryAt,
            Long expiryQuantity,
            long at) {
        return InventoryLevel.newBuilder()
                .setSku(sku)
                .setWarehouseId(warehouse)
                .setOnHand(onHand)
                .setReserved(0)
                .setAvailable(onHand)
                .setSafetyStock(0)
                .setReorderPoint(reorderPoint)
                .setSalesVelocity(0)
                .setDaysOfCover(null)
                .setNextExpiryAt(expiryAt == null ? null : Instant.ofEpochMilli(expiryAt))
                .setNextExpiryQuantity(expiryQuantity)
                .setUpdatedAt(Instant.ofEpochMilli(at))
                .build();
    }

    static OrderEvent order(String eventId, String sku, int quantity, long at) {
        return order(eventId, OrderEventType.PLACED, sku, quantity, at);
    }

    static OrderEvent order(
            String eventId, OrderEventType type, String sku, int quantity, long at) {
        OrderLine line =
                OrderLine.newBuilder()
                        .setSku(sku)
                        .setWarehouseId("w1")
                        .setQuantity(quantity)
                        .setUnitPrice(money("10.00"))
                        .setUnitCost(money("5.00"))
                        .build();
        return OrderEvent.newBuilder()
                .setEventId(eventId)
                .setOrderId("o-" + eventId)
                .setUserId("u1")
                .setType(type)
                .setLines(List.of(line))
                .setOrderTotal(money("10.00").multiply(BigDecimal.valueOf(quantity)))
                .setCurrency("EUR")
                .setChannel("web")
                .setEventTime(Instant.ofEpochMilli(at))
                .build();
    }

    static RuleSet ruleSet(
            String ruleId, long version, RuleScope scope, String value, Map<String, String> p) {
        return RuleSet.newBuilder()
                .setRuleId(ruleId)
                .setVersion(version)
                .setJob(RuleJob.CLEARANCE)
                .setScopeType(scope)
                .setScopeValue(value)
                .setParams(p)
                .setUpdatedAt(Instant.ofEpochMilli(T0))
                .build();
    }

    static RuleUpdate rule(String ruleId, long version, Map<String, String> params) {
        return RuleUpdate.upsert(ruleSet(ruleId, version, RuleScope.GLOBAL, null, params));
    }
}
