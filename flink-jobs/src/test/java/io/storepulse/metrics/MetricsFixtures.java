package io.storepulse.metrics;

import io.storepulse.rules.RuleUpdate;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import storepulse.v1.common.ReturnReason;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.CartEventType;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.PageType;
import storepulse.v1.events.Product;
import storepulse.v1.events.RuleJob;
import storepulse.v1.events.RuleScope;
import storepulse.v1.events.RuleSet;

/** Small factories for the metrics tests, from fixed instants. */
final class MetricsFixtures {

    /** A Friday at 10:00 UTC. */
    static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");

    static final long MINUTE = 60_000L;

    private MetricsFixtures() {}

    static Instant at(long offsetMillis) {
        return T0.plusMillis(offsetMillis);
    }

    static BrowseEvent view(String id, String visitor, String sku, String channel, long offset) {
        return BrowseEvent.newBuilder()
                .setEventId(id)
                .setVisitorId(visitor)
                .setUserId(null)
                .setSessionId("s-" + visitor)
                .setPageType(sku == null ? PageType.HOME : PageType.PRODUCT)
                .setSku(sku)
                .setCategory(null)
                .setChannel(channel)
                .setEventTime(at(offset))
                .build();
    }

    static CartEvent cart(
            String id, String user, CartEventType type, String sku, String channel, long offset) {
        return CartEvent.newBuilder()
                .setEventId(id)
                .setUserId(user)
                .setSessionId("s-" + user)
                .setType(type)
                .setSku(sku)
                .setQuantity(sku == null ? 0 : 1)
                .setUnitPrice(null)
                .setCurrency("EUR")
                .setChannel(channel)
                .setEventTime(at(offset))
                .build();
    }

    static OrderLine line(String sku, int qty, String price, String cost) {
        return OrderLine.newBuilder()
                .setSku(sku)
                .setWarehouseId("w1")
                .setQuantity(qty)
                .setUnitPrice(new BigDecimal(price).setScale(2))
                .setUnitCost(new BigDecimal(cost).setScale(2))
                .build();
    }

    static OrderEvent order(
            String id,
            String orderId,
            String user,
            OrderEventType type,
            String channel,
            long offset,
            OrderLine... lines) {
        BigDecimal total = BigDecimal.ZERO.setScale(2);
        for (OrderLine l : lines) {
            total = total.add(l.getUnitPrice().multiply(BigDecimal.valueOf(l.getQuantity())));
        }
        return OrderEvent.newBuilder()
                .setEventId(id)
                .setOrderId(orderId)
                .setUserId(user)
                .setType(type)
                .setReturnReason(null)
                .setLines(List.of(lines))
                .setOrderTotal(total.setScale(2))
                .setCurrency("EUR")
                .setChannel(channel)
                .setEventTime(at(offset))
                .build();
    }

    static OrderEvent returned(
            String id, String orderId, ReturnReason reason, long offset, OrderLine... lines) {
        OrderEvent e =
                order(id, orderId, "u-" + orderId, OrderEventType.RETURNED, "web", offset, lines);
        e.setReturnReason(reason);
        return e;
    }

    static Product product(String sku, String category) {
        return Product.newBuilder()
                .setSku(sku)
                .setName("Product " + sku)
                .setCategory(category)
                .setListPrice(new BigDecimal("10.00"))
                .setUnitCost(new BigDecimal("6.00"))
                .setMinPrice(new BigDecimal("7.00"))
                .setCurrency("EUR")
                .setPerishable(false)
                .setSupplierLeadTimeDays(7)
                .setActive(true)
                .setUpdatedAt(Instant.parse("2026-01-01T00:00:00Z"))
                .build();
    }

    static RuleUpdate globalRule(String id, long version, Map<String, String> params) {
        return RuleUpdate.upsert(
                RuleSet.newBuilder()
                        .setRuleId(id)
                        .setVersion(version)
                        .setJob(RuleJob.METRICS)
                        .setScopeType(RuleScope.GLOBAL)
                        .setScopeValue(null)
                        .setParams(params)
                        .setUpdatedAt(T0)
                        .build());
    }
}
