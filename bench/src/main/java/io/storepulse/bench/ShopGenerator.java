package io.storepulse.bench;

import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.avro.specific.SpecificRecord;
import storepulse.v1.common.ReturnReason;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.CartEventType;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.PageType;
import storepulse.v1.events.Product;
import storepulse.v1.events.StockMovement;
import storepulse.v1.events.StockMovementType;

/**
 * A seeded generator of the simulator's input mix, with a realistic shape: most traffic is page
 * views, a fraction of visitors add to cart, fewer check out and order; SKU popularity is skewed (a
 * few SKUs take most views and orders); orders move through PLACED → PAID → SHIPPED → DELIVERED
 * with some cancellations and returns; warehouses restock and count. Event times advance at a fixed
 * simulated rate with a little out-of-order jitter. The same seed and sizes give the same events.
 */
public final class ShopGenerator {

    /** One input record: its topic, key and value. */
    public record Event(Topic<?> topic, String key, SpecificRecord value, long eventTimeMs) {}

    static final String[] CHANNELS = {"web", "app", "mini_program", "live_stream", "marketplace"};
    static final double[] CHANNEL_SHARE = {0.55, 0.30, 0.08, 0.04, 0.03};
    static final int CATEGORIES = 12;
    static final String[] WAREHOUSES = {"wh-north", "wh-south", "wh-east"};

    private final SplittableRandom random;
    private final int users;
    private final int skus;
    private final long startMs;
    private final double msPerEvent;
    private long sequence;
    private final int jitterMs;
    // A ring of recent orders, so that later state changes refer to real orders.
    private final OrderEvent[] recentOrders = new OrderEvent[4096];
    private int recentCount;

    /**
     * @param seed the random seed
     * @param users distinct users and visitors (the "keys" of the scaling runs)
     * @param skus distinct SKUs
     * @param startMs event time of the first event
     * @param eventsPerSecond simulated event-time rate (not the produce rate)
     */
    public ShopGenerator(long seed, int users, int skus, long startMs, double eventsPerSecond) {
        this(seed, users, skus, startMs, eventsPerSecond, 1_000);
    }

    /** As above, with event times up to {@code jitterMs} out of order (0 for latency runs). */
    public ShopGenerator(
            long seed, int users, int skus, long startMs, double eventsPerSecond, int jitterMs) {
        this.jitterMs = jitterMs;
        this.random = new SplittableRandom(seed);
        this.users = Math.max(1, users);
        this.skus = Math.max(1, skus);
        this.startMs = startMs;
        this.msPerEvent = 1000.0 / eventsPerSecond;
    }

    public static String sku(int i) {
        return String.format("SKU-%08d", i);
    }

    public static String category(int skuIndex) {
        return "cat-" + (Math.floorMod(skuIndex * 31 + 7, CATEGORIES));
    }

    public static BigDecimal listPrice(int skuIndex) {
        return BigDecimal.valueOf(199 + Math.floorMod(skuIndex * 7919L, 19_800), 2);
    }

    /** The product master, one record per SKU, to load into {@code catalog} first. */
    public List<Event> catalog() {
        List<Event> out = new ArrayList<>(skus);
        catalog(out::add);
        return out;
    }

    /** The product master one record at a time (a million SKUs need not be held at once). */
    public void catalog(java.util.function.Consumer<Event> sink) {
        for (int i = 0; i < skus; i++) {
            BigDecimal price = listPrice(i);
            Product p =
                    Product.newBuilder()
                            .setSku(sku(i))
                            .setName("Product " + i)
                            .setCategory(category(i))
                            .setListPrice(price)
                            .setUnitCost(scale(price.multiply(BigDecimal.valueOf(0.55))))
                            .setMinPrice(scale(price.multiply(BigDecimal.valueOf(0.7))))
                            .setCurrency("EUR")
                            .setPerishable(i % 10 == 0)
                            .setSupplierLeadTimeDays(3 + i % 10)
                            .setActive(true)
                            .setUpdatedAt(Instant.ofEpochMilli(startMs - 60_000))
                            .build();
            sink.accept(new Event(Topics.CATALOG, p.getSku(), p, startMs - 60_000));
        }
    }

    /** The next event of the mix. */
    public Event next() {
        long n = sequence++;
        long jitter = jitterMs == 0 ? 0 : random.nextInt(2 * jitterMs) - jitterMs;
        long t = startMs + (long) (n * msPerEvent) + jitter;
        double r = random.nextDouble();
        if (r < 0.70) {
            return browse(t);
        } else if (r < 0.85) {
            return cart(t);
        } else if (r < 0.93) {
            return order(t);
        }
        return stock(t);
    }

    private Event browse(long t) {
        int visitor = random.nextInt(users);
        int sku = popularSku();
        double p = random.nextDouble();
        PageType page =
                p < 0.15
                        ? PageType.HOME
                        : p < 0.35
                                ? PageType.CATEGORY
                                : p < 0.45 ? PageType.SEARCH : PageType.PRODUCT;
        boolean product = page == PageType.PRODUCT;
        BrowseEvent e =
                BrowseEvent.newBuilder()
                        .setEventId(eventId("b"))
                        .setVisitorId("v-" + visitor)
                        .setUserId(visitor % 3 == 0 ? "u-" + visitor : null)
                        .setSessionId("s-" + visitor + "-" + (t / 1_800_000))
                        .setPageType(page)
                        .setSku(product ? sku(sku) : null)
                        .setCategory(product || page == PageType.CATEGORY ? category(sku) : null)
                        .setChannel(channel(visitor))
                        .setEventTime(Instant.ofEpochMilli(t))
                        .build();
        return new Event(Topics.BROWSE, e.getVisitorId(), e, t);
    }

    private Event cart(long t) {
        int user = random.nextInt(users);
        int sku = popularSku();
        double p = random.nextDouble();
        CartEventType type =
                p < 0.65
                        ? CartEventType.ADD
                        : p < 0.85
                                ? CartEventType.REMOVE
                                : p < 0.90 ? CartEventType.CLEAR : CartEventType.CHECKOUT_STARTED;
        boolean line = type == CartEventType.ADD || type == CartEventType.REMOVE;
        CartEvent e =
                CartEvent.newBuilder()
                        .setEventId(eventId("c"))
                        .setUserId("u-" + user)
                        .setSessionId("s-" + user + "-" + (t / 1_800_000))
                        .setType(type)
                        .setSku(line ? sku(sku) : null)
                        .setQuantity(line ? 1 + random.nextInt(3) : 0)
                        .setUnitPrice(line ? listPrice(sku) : null)
                        .setCurrency("EUR")
                        .setChannel(channel(user))
                        .setEventTime(Instant.ofEpochMilli(t))
                        .build();
        return new Event(Topics.CARTS, e.getUserId(), e, t);
    }

    private Event order(long t) {
        double p = random.nextDouble();
        if (recentCount > 0 && p < 0.45) {
            return followUp(t);
        }
        int user = random.nextInt(users);
        int lines = 1 + (random.nextDouble() < 0.7 ? 0 : random.nextInt(3));
        List<OrderLine> ls = new ArrayList<>(lines);
        BigDecimal total = BigDecimal.ZERO;
        for (int i = 0; i < lines; i++) {
            int sku = popularSku();
            int qty = 1 + (random.nextDouble() < 0.8 ? 0 : random.nextInt(4));
            BigDecimal price = listPrice(sku);
            ls.add(
                    OrderLine.newBuilder()
                            .setSku(sku(sku))
                            .setWarehouseId(WAREHOUSES[random.nextInt(WAREHOUSES.length)])
                            .setQuantity(qty)
                            .setUnitPrice(price)
                            .setUnitCost(scale(price.multiply(BigDecimal.valueOf(0.55))))
                            .build());
            total = total.add(price.multiply(BigDecimal.valueOf(qty)));
        }
        OrderEvent e =
                OrderEvent.newBuilder()
                        .setEventId(eventId("o"))
                        .setOrderId("o-" + sequence)
                        .setUserId("u-" + user)
                        .setType(OrderEventType.PLACED)
                        .setLines(ls)
                        .setOrderTotal(scale(total))
                        .setCurrency("EUR")
                        .setChannel(channel(user))
                        .setEventTime(Instant.ofEpochMilli(t))
                        .build();
        recentOrders[recentCount++ % recentOrders.length] = e;
        return new Event(Topics.ORDERS, e.getOrderId(), e, t);
    }

    private Event followUp(long t) {
        OrderEvent placed =
                recentOrders[random.nextInt(Math.min(recentCount, recentOrders.length))];
        double p = random.nextDouble();
        OrderEventType type =
                p < 0.45
                        ? OrderEventType.PAID
                        : p < 0.70
                                ? OrderEventType.SHIPPED
                                : p < 0.88
                                        ? OrderEventType.DELIVERED
                                        : p < 0.95
                                                ? OrderEventType.CANCELLED
                                                : OrderEventType.RETURNED;
        OrderEvent e =
                OrderEvent.newBuilder(placed)
                        .setEventId(eventId("o"))
                        .setType(type)
                        .setReturnReason(
                                type == OrderEventType.RETURNED
                                        ? ReturnReason.values()[random.nextInt(6)]
                                        : null)
                        .setEventTime(Instant.ofEpochMilli(t))
                        .build();
        return new Event(Topics.ORDERS, e.getOrderId(), e, t);
    }

    private Event stock(long t) {
        int sku = popularSku();
        double p = random.nextDouble();
        StockMovementType type =
                p < 0.55
                        ? StockMovementType.RESTOCK
                        : p < 0.70
                                ? StockMovementType.ADJUSTMENT
                                : p < 0.80
                                        ? StockMovementType.TRANSFER_IN
                                        : p < 0.90
                                                ? StockMovementType.TRANSFER_OUT
                                                : StockMovementType.COUNT;
        int qty =
                switch (type) {
                    case ADJUSTMENT -> random.nextInt(21) - 10;
                    case COUNT -> 20 + random.nextInt(200);
                    default -> 5 + random.nextInt(60);
                };
        StockMovement e =
                StockMovement.newBuilder()
                        .setEventId(eventId("m"))
                        .setSku(sku(sku))
                        .setWarehouseId(WAREHOUSES[random.nextInt(WAREHOUSES.length)])
                        .setType(type)
                        .setQuantity(qty)
                        .setLotExpiresAt(
                                type == StockMovementType.RESTOCK && sku % 10 == 0
                                        ? Instant.ofEpochMilli(t + 7L * 86_400_000)
                                        : null)
                        .setEventTime(Instant.ofEpochMilli(t))
                        .build();
        return new Event(Topics.STOCK_MOVEMENTS, e.getSku(), e, t);
    }

    /** Skewed popularity: a cubic transform puts most picks on the low SKU indices. */
    private int popularSku() {
        double u = random.nextDouble();
        return (int) Math.min(skus - 1, (long) (skus * u * u * u));
    }

    private String channel(int who) {
        // A person's channel is stable-ish: derived from the id, with occasional switches.
        double u =
                random.nextDouble() < 0.9
                        ? Math.floorMod(who * 2654435761L, 1000) / 1000.0
                        : random.nextDouble();
        double acc = 0;
        for (int i = 0; i < CHANNELS.length; i++) {
            acc += CHANNEL_SHARE[i];
            if (u < acc) {
                return CHANNELS[i];
            }
        }
        return CHANNELS[0];
    }

    private String eventId(String prefix) {
        return prefix + "-" + sequence;
    }

    private static BigDecimal scale(BigDecimal v) {
        return v.setScale(2, RoundingMode.HALF_UP);
    }
}
