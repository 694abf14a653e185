package io.storepulse.engagement;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything the engagement job remembers about one user between events. Every list is bounded by a
 * rule window and pruned on the path that ends its episode (see {@link EngagementFunction}). Money
 * is in cents.
 */
public class UserState {

    // The open cart episode: from the first change until an order, an empty cart or expiry.
    public TreeMap<String, Integer> cartQty = new TreeMap<>();
    public TreeMap<String, Long> cartPrice = new TreeMap<>();
    public long cartLastChange = -1;
    public long cartDeadline = -1;
    public long cartExpiry = -1;
    public String cartChannel;
    public boolean checkoutStarted;
    public String currency;

    // Orders in the trailing RFM window, one entry per order id.
    public List<OrderEntry> orders = new ArrayList<>();
    public long lastOrderTime = -1;
    public String segment;
    public long dormantSince = -1;
    public long winBackSentFor = -1;

    // ADDs per SKU within the repeated-add window since the SKU was last bought.
    public List<AddEntry> adds = new ArrayList<>();

    // Coupons decided but not yet delivered (waiting for the end of quiet hours).
    public List<PendingCoupon> pending = new ArrayList<>();

    // Coupons delivered within the cooldown and cap windows.
    public List<SentCoupon> sent = new ArrayList<>();

    public UserState() {}

    boolean hasCart() {
        return cartLastChange >= 0;
    }

    /** Whether nothing is left worth keeping: the caller then clears the state entirely. */
    boolean isEmpty() {
        return !hasCart()
                && orders.isEmpty()
                && adds.isEmpty()
                && pending.isEmpty()
                && sent.isEmpty()
                && segment == null;
    }

    long cartValueCents() {
        long sum = 0;
        for (Map.Entry<String, Integer> e : cartQty.entrySet()) {
            sum += e.getValue() * cartPrice.getOrDefault(e.getKey(), 0L);
        }
        return sum;
    }

    void endCart() {
        cartQty.clear();
        cartPrice.clear();
        cartLastChange = -1;
        cartDeadline = -1;
        cartExpiry = -1;
        cartChannel = null;
        checkoutStarted = false;
        pending.removeIf(p -> p.trigger.equals("CART_ABANDONED"));
    }

    /** An order seen in the RFM window. */
    public static class OrderEntry {
        public String orderId;
        public long time;
        public long totalCents;
        public String currency;
        public boolean cancelled;

        public OrderEntry() {}

        OrderEntry(String orderId, long time, long totalCents, String currency) {
            this.orderId = orderId;
            this.time = time;
            this.totalCents = totalCents;
            this.currency = currency;
        }
    }

    /** One ADD of a SKU. */
    public static class AddEntry {
        public String sku;
        public long time;

        public AddEntry() {}

        AddEntry(String sku, long time) {
            this.sku = sku;
            this.time = time;
        }
    }

    /** A coupon decided at {@code due} and delivered at {@code deliverAt} unless void by then. */
    public static class PendingCoupon {
        public String trigger;
        public String actionId;
        public long episode;
        public long due;
        public long deliverAt;
        public String sku;
        public String channel;
        public int count;

        public PendingCoupon() {}
    }

    /** A coupon delivered. */
    public static class SentCoupon {
        public String trigger;
        public long time;

        public SentCoupon() {}

        SentCoupon(String trigger, long time) {
            this.trigger = trigger;
            this.time = time;
        }
    }
}
