package io.storepulse.metrics;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import storepulse.v1.actions.DimensionType;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.PageType;

/** Turns input events into {@link FunnelFact}s and facts into their dimensions. */
public final class FunnelFacts {

    /** Dimension value of the {@code ALL} breakdown. */
    public static final String ALL_VALUE = "all";

    /** CATEGORY value of a SKU that the catalog does not (yet) know. */
    public static final String UNKNOWN_CATEGORY = "unknown";

    private FunnelFacts() {}

    /**
     * The person behind a browse event: the signed-in user when known, else the visitor id. A blank
     * user_id (some shop clients send "" for signed-out visitors) is no user: taking it as one
     * would merge every anonymous visitor of a window into the single person "u:".
     */
    public static String person(BrowseEvent e) {
        String user = e.getUserId();
        return user != null && !user.isBlank() ? userPerson(user) : "v:" + e.getVisitorId();
    }

    public static String userPerson(String userId) {
        return "u:" + userId;
    }

    public static FunnelFact fromBrowse(BrowseEvent e) {
        FunnelFact f = new FunnelFact();
        f.kind =
                e.getPageType() == PageType.PRODUCT
                        ? FunnelFact.Kind.PRODUCT_VIEW
                        : FunnelFact.Kind.PAGE_VIEW;
        f.eventId = e.getEventId();
        f.sourceTopic = "browse";
        f.person = person(e);
        f.channel = e.getChannel();
        f.sku = e.getSku();
        f.category = e.getCategory();
        f.eventTime = e.getEventTime().toEpochMilli();
        return f;
    }

    public static FunnelFact fromCart(CartEvent e) {
        FunnelFact f = new FunnelFact();
        f.kind =
                switch (e.getType()) {
                    case ADD -> FunnelFact.Kind.ADD_TO_CART;
                    case CHECKOUT_STARTED -> FunnelFact.Kind.CHECKOUT_STARTED;
                    default -> FunnelFact.Kind.CART_OTHER;
                };
        f.eventId = e.getEventId();
        f.sourceTopic = "carts";
        f.person = userPerson(e.getUserId());
        f.channel = e.getChannel();
        f.sku = e.getSku();
        f.eventTime = e.getEventTime().toEpochMilli();
        return f;
    }

    /** One fact per line of a PLACED order event. */
    public static List<FunnelFact> fromOrder(OrderEvent e) {
        List<FunnelFact> facts = new ArrayList<>(e.getLines().size());
        for (OrderLine line : e.getLines()) {
            FunnelFact f = new FunnelFact();
            f.kind = FunnelFact.Kind.ORDER_LINE;
            f.eventId = e.getEventId();
            f.sourceTopic = "orders";
            f.person = userPerson(e.getUserId());
            f.channel = e.getChannel();
            f.sku = line.getSku();
            f.eventTime = e.getEventTime().toEpochMilli();
            f.orderId = e.getOrderId();
            f.units = line.getQuantity();
            f.lineValue = lineValue(line);
            facts.add(f);
        }
        return facts;
    }

    /** quantity x unit_price, scale 2. */
    public static BigDecimal lineValue(OrderLine line) {
        return line.getUnitPrice()
                .multiply(BigDecimal.valueOf(line.getQuantity()))
                .setScale(2, RoundingMode.HALF_UP);
    }

    /**
     * The breakdowns a fact counts in: always ALL and its CHANNEL; its CATEGORY when it has one (a
     * fact with a SKU but no known category counts under {@value #UNKNOWN_CATEGORY}, so that order
     * figures over categories add up to ALL); its SKU when it has one.
     */
    public static List<DimFact> dimensions(FunnelFact f) {
        List<DimFact> out = new ArrayList<>(4);
        out.add(new DimFact(DimensionType.ALL, ALL_VALUE, f));
        out.add(new DimFact(DimensionType.CHANNEL, f.channel, f));
        String category = f.category != null ? f.category : f.sku != null ? UNKNOWN_CATEGORY : null;
        if (category != null) {
            out.add(new DimFact(DimensionType.CATEGORY, category, f));
        }
        if (f.sku != null) {
            out.add(new DimFact(DimensionType.SKU, f.sku, f));
        }
        return out;
    }
}
