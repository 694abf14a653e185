package io.storepulse.engagement;

import java.math.BigDecimal;
import java.util.stream.Collectors;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderLine;

/**
 * One customer event of any input topic, flattened to what the engagement job needs, keyed by
 * {@code userId}. A flat POJO (no nested Avro) keeps Flink's serializer cheap. Money is held in
 * cents.
 */
public class UserEvent {

    /** Which input the event came from. */
    public enum Kind {
        CART,
        ORDER,
        BROWSE
    }

    public Kind kind;
    public String eventId;
    public String userId;
    public long eventTime;
    public String channel;
    public String currency;

    /** CART: ADD, REMOVE, CLEAR, CHECKOUT_STARTED. ORDER: PLACED, PAID, CANCELLED, ... */
    public String type;

    /** CART: the SKU added or removed. */
    public String sku;

    /** CART: units added or removed. */
    public int quantity;

    /** CART: unit price in cents, or -1 when the event carries none. */
    public long unitPriceCents = -1;

    /** ORDER: the order id. */
    public String orderId;

    /** ORDER: order total in cents. */
    public long orderTotalCents;

    /** ORDER: the SKUs of its lines, comma-separated. */
    public String orderSkus;

    public UserEvent() {}

    public static UserEvent ofCart(CartEvent c) {
        UserEvent e =
                base(Kind.CART, c.getEventId(), c.getUserId(), c.getEventTime().toEpochMilli());
        e.channel = c.getChannel();
        e.currency = c.getCurrency();
        e.type = c.getType().name();
        e.sku = c.getSku();
        e.quantity = c.getQuantity();
        e.unitPriceCents = c.getUnitPrice() == null ? -1 : cents(c.getUnitPrice());
        return e;
    }

    public static UserEvent ofOrder(OrderEvent o) {
        UserEvent e =
                base(Kind.ORDER, o.getEventId(), o.getUserId(), o.getEventTime().toEpochMilli());
        e.channel = o.getChannel();
        e.currency = o.getCurrency();
        e.type = o.getType().name();
        e.orderId = o.getOrderId();
        e.orderTotalCents = cents(o.getOrderTotal());
        e.orderSkus =
                o.getLines().stream()
                        .map(OrderLine::getSku)
                        .distinct()
                        .collect(Collectors.joining(","));
        return e;
    }

    /** A page view of a signed-in customer; callers drop anonymous ones first. */
    public static UserEvent ofBrowse(BrowseEvent b) {
        UserEvent e =
                base(Kind.BROWSE, b.getEventId(), b.getUserId(), b.getEventTime().toEpochMilli());
        e.channel = b.getChannel();
        e.type = b.getPageType().name();
        e.sku = b.getSku();
        return e;
    }

    static long cents(BigDecimal amount) {
        return amount.movePointRight(2).longValue();
    }

    private static UserEvent base(Kind kind, String eventId, String userId, long eventTime) {
        UserEvent e = new UserEvent();
        e.kind = kind;
        e.eventId = eventId;
        e.userId = userId;
        e.eventTime = eventTime;
        return e;
    }

    @Override
    public String toString() {
        return kind + "/" + type + "@" + eventTime + "[" + eventId + "," + userId + "," + sku + ","
                + quantity + "," + orderId + "]";
    }
}
