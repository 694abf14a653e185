package io.storepulse.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.topics.Topics;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.CartEventType;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.PageType;

class FunnelCheckTest {

    private static final long T = 1_795_000_020_000L; // 20 s into a minute

    @Test
    void shouldCountPersonsOrdersAndLineGmvByChannelAndCatalogCategory() {
        // Given a catalog, a signed-in and an anonymous page view, a cart change and an order
        FunnelCheck check = new FunnelCheck();
        ShopGenerator gen = new ShopGenerator(1, 10, 2, T, 1);
        gen.catalog(check::accept);
        String sku0 = ShopGenerator.sku(0);
        String cat0 = ShopGenerator.category(0);
        check.accept(event(browse("b1", "v-1", "u-1", sku0, "web")));
        check.accept(event(browse("b2", "v-2", null, null, "web")));
        check.accept(event(cart("c1", "u-1", sku0, "web")));
        check.accept(event(order("o1", "u-3", "web", sku0, 2, "10.00")));
        // the same order PLACED again (a duplicate) counts once
        check.accept(event(order("o1", "u-3", "web", sku0, 2, "10.00")));

        // When the figures are computed
        var figures = check.figures();

        // Then visitors are persons over browse, cart and order facts, GMV is quantity x price
        String minute = "@" + Math.floorDiv(T, 60_000) * 60_000;
        assertThat(figures.get("CHANNEL:web" + minute))
                .isEqualTo(new FunnelCheck.Figures(3, 1, new BigDecimal("20.00")));
        // and the category holds the facts with a SKU only
        assertThat(figures.get("CATEGORY:" + cat0 + minute))
                .isEqualTo(new FunnelCheck.Figures(2, 1, new BigDecimal("20.00")));
    }

    private static ShopGenerator.Event event(org.apache.avro.specific.SpecificRecord r) {
        return new ShopGenerator.Event(
                r instanceof BrowseEvent
                        ? Topics.BROWSE
                        : r instanceof CartEvent ? Topics.CARTS : Topics.ORDERS,
                "k",
                r,
                T);
    }

    private static BrowseEvent browse(
            String id, String visitor, String user, String sku, String channel) {
        return BrowseEvent.newBuilder()
                .setEventId(id)
                .setVisitorId(visitor)
                .setUserId(user)
                .setSessionId("s")
                .setPageType(sku == null ? PageType.HOME : PageType.PRODUCT)
                .setSku(sku)
                .setCategory(null)
                .setChannel(channel)
                .setEventTime(Instant.ofEpochMilli(T))
                .build();
    }

    private static CartEvent cart(String id, String user, String sku, String channel) {
        return CartEvent.newBuilder()
                .setEventId(id)
                .setUserId(user)
                .setSessionId("s")
                .setType(CartEventType.ADD)
                .setSku(sku)
                .setQuantity(1)
                .setUnitPrice(new BigDecimal("10.00"))
                .setCurrency("EUR")
                .setChannel(channel)
                .setEventTime(Instant.ofEpochMilli(T))
                .build();
    }

    private static OrderEvent order(
            String id, String user, String channel, String sku, int qty, String price) {
        return OrderEvent.newBuilder()
                .setEventId(id + "-e")
                .setOrderId(id)
                .setUserId(user)
                .setType(OrderEventType.PLACED)
                .setLines(
                        List.of(
                                OrderLine.newBuilder()
                                        .setSku(sku)
                                        .setWarehouseId("wh-north")
                                        .setQuantity(qty)
                                        .setUnitPrice(new BigDecimal(price))
                                        .setUnitCost(new BigDecimal("5.00"))
                                        .build()))
                .setOrderTotal(new BigDecimal("20.00"))
                .setCurrency("EUR")
                .setChannel(channel)
                .setEventTime(Instant.ofEpochMilli(T))
                .build();
    }
}
