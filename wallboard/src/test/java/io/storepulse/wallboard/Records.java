package io.storepulse.wallboard;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import storepulse.v1.actions.CouponAction;
import storepulse.v1.actions.CouponTrigger;
import storepulse.v1.actions.CouponType;
import storepulse.v1.actions.DimensionType;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.InventoryAlert;
import storepulse.v1.actions.InventoryAlertType;
import storepulse.v1.actions.MarkdownReason;
import storepulse.v1.actions.PriceAction;
import storepulse.v1.actions.PriceActionType;
import storepulse.v1.actions.WindowType;
import storepulse.v1.common.Explanation;
import storepulse.v1.events.Product;

/** Builders of the records the wallboard reads, for tests. */
final class Records {

    static final String SCRIPT_NAME = "<script>alert(1)</script>";

    private Records() {}

    static BigDecimal money(String v) {
        return new BigDecimal(v).setScale(2, RoundingMode.HALF_UP);
    }

    /** A metrics record whose GMV identity holds: gmv = visitors × conversion × aov. */
    static FunnelMetrics metrics(
            DimensionType dim,
            String value,
            WindowType window,
            Instant start,
            long visitors,
            long orders,
            String gmv,
            int revision,
            Instant emittedAt) {
        Duration length = window == WindowType.DAY ? Duration.ofDays(1) : Duration.ofMinutes(1);
        BigDecimal g = money(gmv);
        BigDecimal aov =
                orders == 0
                        ? money("0")
                        : g.divide(BigDecimal.valueOf(orders), 2, RoundingMode.HALF_UP);
        return FunnelMetrics.newBuilder()
                .setDimensionType(dim)
                .setDimensionValue(value)
                .setWindowType(window)
                .setWindowStart(start)
                .setWindowEnd(start.plus(length))
                .setVisitors(visitors)
                .setVisitorsExact(window != WindowType.DAY)
                .setProductViews(visitors * 3)
                .setAddToCarts(visitors)
                .setCheckoutsStarted(Math.max(orders, visitors / 3))
                .setOrders(orders)
                .setUnits(orders * 2)
                .setGmv(g)
                .setAov(aov)
                .setConversionRate(visitors == 0 ? 0.0 : (double) orders / visitors)
                .setViewingVisitors(dim == DimensionType.SKU ? visitors : 0)
                .setOrderingVisitors(dim == DimensionType.SKU ? orders : 0)
                .setCurrency("EUR")
                .setRevision(revision)
                .setEmittedAt(emittedAt)
                .build();
    }

    static String key(FunnelMetrics m) {
        return m.getDimensionType() + ":" + m.getDimensionValue() + "@" + m.getWindowStart();
    }

    static Product product(String sku, String name, String category) {
        return Product.newBuilder()
                .setSku(sku)
                .setName(name)
                .setCategory(category)
                .setListPrice(money("19.99"))
                .setUnitCost(money("8.00"))
                .setMinPrice(money("9.00"))
                .setCurrency("EUR")
                .setUpdatedAt(Instant.parse("2026-11-01T00:00:00Z"))
                .build();
    }

    static InventoryAlert alert(
            String actionId, InventoryAlertType type, String sku, Instant at, long available) {
        return alert(actionId, type, sku, "wh-berlin", at, available);
    }

    static InventoryAlert alert(
            String actionId,
            InventoryAlertType type,
            String sku,
            String warehouse,
            Instant at,
            long available) {
        return InventoryAlert.newBuilder()
                .setActionId(actionId)
                .setType(type)
                .setSku(sku)
                .setWarehouseId(warehouse)
                .setOnHand(available)
                .setReserved(0)
                .setAvailable(available)
                .setReorderPoint(10)
                .setEventTime(at)
                .setRuleId("default")
                .setRuleVersion(0)
                .setExplanation(
                        new Explanation(
                                type == InventoryAlertType.OUT_OF_STOCK
                                        ? "Nothing left to sell."
                                        : type == InventoryAlertType.EXPIRING_SOON
                                                ? "A lot expires within 2 days."
                                                : "Available "
                                                        + available
                                                        + " fell below the reorder point 10.",
                                Map.of("available", Long.toString(available))))
                .build();
    }

    static CouponAction coupon(String actionId, Instant at) {
        return CouponAction.newBuilder()
                .setActionId(actionId)
                .setUserId("user-" + actionId)
                .setTrigger(CouponTrigger.CART_ABANDONED)
                .setCouponType(CouponType.PERCENT_OFF)
                .setCouponValue(money("10"))
                .setCurrency("EUR")
                .setValidUntil(at.plus(Duration.ofDays(2)))
                .setSkus(List.of("sku-1"))
                .setEventTime(at)
                .setRuleId("default")
                .setRuleVersion(0)
                .setExplanation(new Explanation("Cart abandoned.", Map.of()))
                .build();
    }

    static PriceAction price(String actionId, PriceActionType type, Instant at) {
        return PriceAction.newBuilder()
                .setActionId(actionId)
                .setSku("sku-1")
                .setType(type)
                .setReason(MarkdownReason.SLOW_MOVING)
                .setTier(type == PriceActionType.MARKDOWN ? 1 : 0)
                .setListPrice(money("19.99"))
                .setOldPrice(money("19.99"))
                .setNewPrice(money("15.99"))
                .setFloorPrice(money("9.00"))
                .setCurrency("EUR")
                .setEventTime(at)
                .setRuleId("default")
                .setRuleVersion(0)
                .setExplanation(new Explanation("Slow moving.", Map.of()))
                .build();
    }
}
