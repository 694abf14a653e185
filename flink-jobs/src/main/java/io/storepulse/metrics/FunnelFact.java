package io.storepulse.metrics;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * One funnel contribution, decoded from a browse, cart or order event: what happened, who did it,
 * where (channel, category, SKU) and when. An order becomes one fact per order line, all sharing
 * the order id and event time. A Flink POJO.
 */
public class FunnelFact {

    /** What a fact contributes to the funnel. */
    public enum Kind {
        /** A browse event on any page but a product page: counts a visitor only. */
        PAGE_VIEW,
        /** A browse event on a PRODUCT page: a visitor and a product view. */
        PRODUCT_VIEW,
        /** A cart ADD: a visitor and an add-to-cart. */
        ADD_TO_CART,
        /** A cart CHECKOUT_STARTED: a visitor and a checkout started. */
        CHECKOUT_STARTED,
        /** Any other cart event (REMOVE, CLEAR): counts a visitor only. */
        CART_OTHER,
        /** One line of the first PLACED event of an order: a visitor, an order, units and GMV. */
        ORDER_LINE
    }

    public Kind kind;
    public String eventId;

    /** Source topic, for dead letters. */
    public String sourceTopic;

    /**
     * Who: {@code u:<user_id>} when the person is known (signed-in browse, carts, orders), else
     * {@code v:<visitor_id>}.
     */
    public String person;

    public String channel;
    public String sku;
    public String category;
    public long eventTime;

    /** Order lines only. */
    public String orderId;

    public long units;

    /** quantity x unit_price, scale 2; zero except on order lines. */
    public BigDecimal lineValue = BigDecimal.ZERO.setScale(2);

    public FunnelFact() {}

    public FunnelFact copy() {
        FunnelFact c = new FunnelFact();
        c.kind = kind;
        c.eventId = eventId;
        c.sourceTopic = sourceTopic;
        c.person = person;
        c.channel = channel;
        c.sku = sku;
        c.category = category;
        c.eventTime = eventTime;
        c.orderId = orderId;
        c.units = units;
        c.lineValue = lineValue;
        return c;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof FunnelFact f)) {
            return false;
        }
        return kind == f.kind
                && eventTime == f.eventTime
                && units == f.units
                && Objects.equals(eventId, f.eventId)
                && Objects.equals(sourceTopic, f.sourceTopic)
                && Objects.equals(person, f.person)
                && Objects.equals(channel, f.channel)
                && Objects.equals(sku, f.sku)
                && Objects.equals(category, f.category)
                && Objects.equals(orderId, f.orderId)
                && Objects.equals(lineValue, f.lineValue);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, eventId, sku, eventTime, orderId);
    }

    @Override
    public String toString() {
        return kind
                + "{"
                + eventId
                + " "
                + person
                + " "
                + channel
                + "/"
                + category
                + "/"
                + sku
                + " @"
                + eventTime
                + (orderId == null ? "" : " " + orderId + " " + units + "u " + lineValue)
                + "}";
    }
}
