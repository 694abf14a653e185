package io.storepulse.local.sim;

import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
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
 * A seeded shop: a catalogue with Zipf popularity, several warehouses with perishable lots, shopper
 * sessions that browse, fill carts, abandon or check out, pay on time, late or never, cancel and
 * return; restocks and stock counts; and a share of bad records. Pure and single-threaded: the same
 * {@link SimConfig} always yields the same sequence from {@link #next()}, independent of how fast
 * it is sent.
 *
 * <p>The simulated clock advances by {@link SimConfig#eventSpacingMillis()} per record. Follow-ups
 * of an order (payment, shipping, delivery, return) are scheduled on that clock and come out when
 * it passes them. {@link #pace} changes the spacing and the number of concurrent sessions from the
 * next record on (a quiet, compressed history first, then live traffic); the output stays a pure
 * function of the config and of the points where the pace changed.
 */
public final class ShopSimulator {

    static final String CURRENCY = "EUR";
    static final List<String> CATEGORIES =
            List.of(
                    "fresh-produce",
                    "dairy",
                    "bakery",
                    "electronics",
                    "apparel",
                    "home",
                    "toys",
                    "beauty",
                    "sports",
                    "books",
                    "garden",
                    "grocery");
    private static final List<String> PERISHABLE = List.of("fresh-produce", "dairy", "bakery");
    private static final String[] CHANNELS = {
        "web", "app", "mini_program", "live_stream", "marketplace"
    };
    private static final double[] CHANNEL_WEIGHTS = {0.45, 0.35, 0.08, 0.07, 0.05};

    /** Every topic the simulator writes to. */
    public static final List<Topic<?>> TOPICS =
            List.of(
                    Topics.CATALOG,
                    Topics.ORDERS,
                    Topics.CARTS,
                    Topics.BROWSE,
                    Topics.STOCK_MOVEMENTS);

    /** Where garbage and unknown-schema records go: every topic but the catalogue. */
    private static final List<String> INPUT_TOPICS =
            TOPICS.stream().filter(t -> t != Topics.CATALOG).map(Topic::name).toList();

    private static final ReturnReason[] RETURN_REASONS = {
        ReturnReason.QUALITY,
        ReturnReason.DAMAGED_IN_TRANSIT,
        ReturnReason.NOT_AS_DESCRIBED,
        ReturnReason.WRONG_SIZE,
        ReturnReason.WRONG_SIZE,
        ReturnReason.CHANGED_MIND,
        ReturnReason.CHANGED_MIND,
        ReturnReason.OTHER
    };

    /** Schema ids at and above this are never handed out by a fresh registry. */
    static final int UNKNOWN_SCHEMA_ID_BASE = 1_900_000_000;

    private static final int RESTOCK_BELOW = 15;
    private static final int REMEMBERED_FOR_DUPLICATES = 200;

    private final SimConfig config;
    private final SplittableRandom random;
    private final List<Product> products = new ArrayList<>();
    private final int[] popularityToProduct;
    private final Zipf popularity;
    private final Map<String, Integer> stock = new HashMap<>(); // sku@warehouse → simulated on hand
    private final Deque<SimRecord> ready = new ArrayDeque<>();
    private final PriorityQueue<Scheduled> scheduled = new PriorityQueue<>();
    private final List<Session> sessions = new ArrayList<>();
    private final Deque<SimRecord> recentValid = new ArrayDeque<>();
    private double eventSpacingMillis;
    private int concurrentSessions;
    private long clockMillis;
    private double clockFraction;
    private long sequence;
    private long sessionCounter;
    private long orderCounter;

    public ShopSimulator(SimConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
        this.clockMillis = config.start().toEpochMilli();
        this.eventSpacingMillis = config.eventSpacingMillis();
        this.concurrentSessions = config.concurrentSessions();
        this.popularity = new Zipf(config.skus(), 1.07);
        buildCatalogue();
        popularityToProduct = shuffledIndexes(config.skus());
        openingStock();
    }

    /** The catalogue the simulator sells (also published on {@code catalog}). */
    public List<Product> products() {
        return List.copyOf(products);
    }

    /** The simulated clock: event time of the latest regular record. */
    public Instant clock() {
        return Instant.ofEpochMilli(clockMillis);
    }

    /**
     * Changes the pace from the next record on: simulated milliseconds between two records, and how
     * many shopper sessions run at once. Sessions already open finish at their own pace.
     */
    public void pace(double eventSpacingMillis, int concurrentSessions) {
        if (eventSpacingMillis <= 0 || concurrentSessions < 1) {
            throw new IllegalArgumentException("spacing must be > 0 and concurrent sessions >= 1");
        }
        this.eventSpacingMillis = eventSpacingMillis;
        this.concurrentSessions = concurrentSessions;
    }

    /** The next record. The first ones are the catalogue and the opening stock. Never ends. */
    public SimRecord next() {
        while (ready.isEmpty()) {
            step();
        }
        SimRecord record = ready.poll();
        if (record.kind() == SimRecord.Kind.VALID
                && !record.topic().equals(Topics.CATALOG.name())) {
            recentValid.addLast(record);
            if (recentValid.size() > REMEMBERED_FOR_DUPLICATES) {
                recentValid.removeFirst();
            }
        }
        return record;
    }

    /** The next {@code n} records. */
    public List<SimRecord> next(int n) {
        List<SimRecord> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(next());
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // One step of the shop: advance the clock, then either a due follow-up, a bad record, a stock
    // event, or one move of a shopper session.

    private void step() {
        advanceClock();
        Scheduled due = scheduled.peek();
        if (due != null && due.atMillis <= clockMillis) {
            scheduled.poll();
            due.action.run();
            return;
        }
        double r = random.nextDouble();
        if (r < config.badShare()) {
            badRecord();
        } else if (r < config.badShare() + 0.03) {
            stockEvent();
        } else {
            sessionMove();
        }
    }

    private void advanceClock() {
        clockFraction += eventSpacingMillis;
        long whole = (long) clockFraction;
        clockMillis += whole;
        clockFraction -= whole;
    }

    // ---------------------------------------------------------------------------------------------
    // Catalogue and stock.

    private void buildCatalogue() {
        for (int i = 0; i < config.skus(); i++) {
            String category = CATEGORIES.get(random.nextInt(CATEGORIES.size()));
            BigDecimal listPrice = money(2 + random.nextDouble() * 298);
            BigDecimal unitCost =
                    money(listPrice.doubleValue() * (0.4 + random.nextDouble() * 0.35));
            BigDecimal minPrice =
                    money(Math.max(unitCost.doubleValue() * 1.05, listPrice.doubleValue() * 0.5));
            String sku = String.format("SKU-%05d", i + 1);
            products.add(
                    Product.newBuilder()
                            .setSku(sku)
                            .setName(category + " item " + (i + 1))
                            .setCategory(category)
                            .setListPrice(listPrice)
                            .setUnitCost(unitCost)
                            .setMinPrice(minPrice)
                            .setCurrency(CURRENCY)
                            .setPerishable(PERISHABLE.contains(category))
                            .setSupplierLeadTimeDays(2 + random.nextInt(13))
                            .setActive(true)
                            .setUpdatedAt(clock())
                            .build());
        }
        for (Product p : products) {
            ready.add(SimRecord.valid(Topics.CATALOG.name(), p.getSku(), p));
        }
    }

    private int[] shuffledIndexes(int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        return idx;
    }

    private void openingStock() {
        for (Product p : products) {
            for (String warehouse : config.warehouses()) {
                restock(p, warehouse, 40 + random.nextInt(160));
            }
        }
    }

    private void restock(Product p, String warehouse, int quantity) {
        Instant expires =
                p.getPerishable() ? clock().plus(Duration.ofDays(2 + random.nextInt(12))) : null;
        emitStock(p.getSku(), warehouse, StockMovementType.RESTOCK, quantity, expires, clock());
        stock.merge(p.getSku() + "@" + warehouse, quantity, Integer::sum);
    }

    private void stockEvent() {
        Product p = popularProduct();
        String warehouse = warehouse();
        String at = p.getSku() + "@" + warehouse;
        int onHand = stock.getOrDefault(at, 0);
        double r = random.nextDouble();
        if (onHand < RESTOCK_BELOW || r < 0.35) {
            restock(p, warehouse, 50 + random.nextInt(150));
        } else if (r < 0.6) {
            int counted = Math.max(0, onHand - random.nextInt(3)); // shrinkage found at a count
            emitStock(p.getSku(), warehouse, StockMovementType.COUNT, counted, null, clock());
            stock.put(at, counted);
        } else if (r < 0.8) {
            int damaged = -(1 + random.nextInt(3));
            emitStock(p.getSku(), warehouse, StockMovementType.ADJUSTMENT, damaged, null, clock());
            stock.merge(at, damaged, Integer::sum);
        } else {
            String to = warehouse();
            if (to.equals(warehouse) || onHand < 2 * RESTOCK_BELOW) {
                return;
            }
            int moved = 1 + random.nextInt(onHand / 4);
            emitStock(p.getSku(), warehouse, StockMovementType.TRANSFER_OUT, moved, null, clock());
            emitStock(p.getSku(), to, StockMovementType.TRANSFER_IN, moved, null, clock());
            stock.merge(at, -moved, Integer::sum);
            stock.merge(p.getSku() + "@" + to, moved, Integer::sum);
        }
    }

    private void emitStock(
            String sku,
            String warehouse,
            StockMovementType type,
            int quantity,
            Instant expires,
            Instant at) {
        ready.add(
                SimRecord.valid(
                        Topics.STOCK_MOVEMENTS.name(),
                        sku,
                        StockMovement.newBuilder()
                                .setEventId(eventId())
                                .setSku(sku)
                                .setWarehouseId(warehouse)
                                .setType(type)
                                .setQuantity(quantity)
                                .setLotExpiresAt(expires)
                                .setEventTime(at)
                                .build()));
    }

    // ---------------------------------------------------------------------------------------------
    // Shopper sessions.

    private static final class Session {
        final String visitorId;
        final String userId; // null: anonymous, browses only
        final String sessionId;
        final String channel;
        final Map<String, Integer> cart = new LinkedHashMap<>();
        int viewsLeft;

        Session(String visitorId, String userId, String sessionId, String channel, int views) {
            this.visitorId = visitorId;
            this.userId = userId;
            this.sessionId = sessionId;
            this.channel = channel;
            this.viewsLeft = views;
        }
    }

    private void sessionMove() {
        if (sessions.size() < concurrentSessions || random.nextDouble() < 0.05) {
            startSession();
            return;
        }
        Session s = sessions.get(random.nextInt(sessions.size()));
        if (s.viewsLeft > 0) {
            browseOrCart(s);
        } else {
            sessions.remove(s);
            finish(s);
        }
    }

    private void startSession() {
        long n = ++sessionCounter;
        int person = popularUser();
        boolean signedIn = random.nextDouble() < 0.7;
        Session s =
                new Session(
                        "v-" + person,
                        signedIn ? "u-" + person : null,
                        "s-" + config.seed() + "-" + n,
                        channel(),
                        2 + random.nextInt(12));
        sessions.add(s);
        browse(s, PageType.HOME, null, null);
    }

    private void browseOrCart(Session s) {
        s.viewsLeft--;
        double r = random.nextDouble();
        if (r < 0.15) {
            browse(s, PageType.CATEGORY, null, CATEGORIES.get(random.nextInt(CATEGORIES.size())));
        } else if (r < 0.25) {
            browse(s, PageType.SEARCH, null, null);
        } else {
            Product p = popularProduct();
            browse(s, PageType.PRODUCT, p.getSku(), p.getCategory());
            if (s.userId != null && random.nextDouble() < 0.25) {
                int qty = 1 + random.nextInt(3);
                s.cart.merge(p.getSku(), qty, Integer::sum);
                cart(s, CartEventType.ADD, p.getSku(), qty, p.getListPrice());
            } else if (s.userId != null && !s.cart.isEmpty() && random.nextDouble() < 0.05) {
                String sku = s.cart.keySet().iterator().next();
                int qty = s.cart.remove(sku);
                cart(s, CartEventType.REMOVE, sku, qty, product(sku).getListPrice());
            }
        }
    }

    private void finish(Session s) {
        if (s.cart.isEmpty()) {
            return;
        }
        if (random.nextDouble() < 0.35) {
            return; // abandoned: the cart stays, for the engagement job to notice
        }
        browse(s, PageType.CART, null, null);
        cart(s, CartEventType.CHECKOUT_STARTED, null, 0, null);
        browse(s, PageType.CHECKOUT, null, null);
        if (random.nextDouble() < 0.1) {
            return; // left at checkout
        }
        placeOrder(s);
    }

    private void placeOrder(Session s) {
        String orderId = "o-" + config.seed() + "-" + (++orderCounter);
        List<OrderLine> lines = new ArrayList<>();
        BigDecimal total = BigDecimal.ZERO.setScale(2);
        for (Map.Entry<String, Integer> item : s.cart.entrySet()) {
            Product p = product(item.getKey());
            String warehouse = warehouse();
            lines.add(
                    OrderLine.newBuilder()
                            .setSku(p.getSku())
                            .setWarehouseId(warehouse)
                            .setQuantity(item.getValue())
                            .setUnitPrice(p.getListPrice())
                            .setUnitCost(p.getUnitCost())
                            .build());
            total = total.add(p.getListPrice().multiply(BigDecimal.valueOf(item.getValue())));
            stock.merge(p.getSku() + "@" + warehouse, -item.getValue(), Integer::sum);
        }
        s.cart.clear();
        OrderContext order = new OrderContext(orderId, s.userId, s.channel, lines, money(total));
        order(order, OrderEventType.PLACED, null);
        double r = random.nextDouble();
        if (r < 0.75) {
            later(seconds(10, 120), () -> paid(order));
        } else if (r < 0.85) {
            later(seconds(16 * 60, 25 * 60), () -> order(order, OrderEventType.PAID, null)); // late
        } else if (r < 0.9) {
            later(seconds(30, 300), () -> order(order, OrderEventType.CANCELLED, null));
        }
        // else: never paid; the payment timeout cancels it downstream.
    }

    private void paid(OrderContext order) {
        order(order, OrderEventType.PAID, null);
        if (random.nextDouble() < 0.05) {
            later(seconds(30, 600), () -> order(order, OrderEventType.CANCELLED, null));
            return;
        }
        later(
                seconds(120, 900),
                () -> {
                    order(order, OrderEventType.SHIPPED, null);
                    later(
                            seconds(300, 1800),
                            () -> {
                                order(order, OrderEventType.DELIVERED, null);
                                if (random.nextDouble() < 0.08) {
                                    ReturnReason reason =
                                            RETURN_REASONS[random.nextInt(RETURN_REASONS.length)];
                                    later(
                                            seconds(120, 1200),
                                            () -> order(order, OrderEventType.RETURNED, reason));
                                }
                            });
                });
    }

    private record OrderContext(
            String orderId,
            String userId,
            String channel,
            List<OrderLine> lines,
            BigDecimal total) {}

    // ---------------------------------------------------------------------------------------------
    // Bad records.

    private void badRecord() {
        int kind = random.nextInt(5);
        switch (kind) {
            case 0 -> garbage();
            case 1 -> unknownSchemaId();
            case 2 -> impossible();
            case 3 -> duplicate();
            default -> late();
        }
    }

    private void garbage() {
        byte[] bytes = new byte[4 + random.nextInt(40)];
        random.nextBytes(bytes);
        bytes[0] = (byte) (1 + random.nextInt(255)); // never the Confluent magic byte
        ready.add(
                new SimRecord(
                        inputTopic(), "garbage-" + sequence, null, bytes, SimRecord.Kind.GARBAGE));
    }

    private void unknownSchemaId() {
        byte[] payload = new byte[8 + random.nextInt(24)];
        random.nextBytes(payload);
        ByteBuffer framed = ByteBuffer.allocate(5 + payload.length);
        framed.put((byte) 0)
                .putInt(UNKNOWN_SCHEMA_ID_BASE + random.nextInt(1_000_000))
                .put(payload);
        ready.add(
                new SimRecord(
                        inputTopic(),
                        "unknown-schema-" + sequence,
                        null,
                        framed.array(),
                        SimRecord.Kind.UNKNOWN_SCHEMA_ID));
    }

    private void impossible() {
        Product p = popularProduct();
        if (random.nextBoolean()) {
            String orderId = "o-" + config.seed() + "-bad-" + (++orderCounter);
            boolean noWarehouse = random.nextBoolean();
            OrderLine line =
                    OrderLine.newBuilder()
                            .setSku(p.getSku())
                            .setWarehouseId(noWarehouse ? null : warehouse())
                            .setQuantity(noWarehouse ? 1 : -(1 + random.nextInt(5)))
                            .setUnitPrice(p.getListPrice())
                            .setUnitCost(p.getUnitCost())
                            .build();
            OrderEvent event =
                    OrderEvent.newBuilder()
                            .setEventId(eventId())
                            .setOrderId(orderId)
                            .setUserId("u-" + popularUser())
                            .setType(OrderEventType.PLACED)
                            .setLines(List.of(line))
                            .setOrderTotal(p.getListPrice())
                            .setCurrency(CURRENCY)
                            .setChannel(channel())
                            .setEventTime(clock())
                            .build();
            ready.add(
                    new SimRecord(
                            Topics.ORDERS.name(), orderId, event, null, SimRecord.Kind.IMPOSSIBLE));
        } else {
            StockMovement movement =
                    StockMovement.newBuilder()
                            .setEventId(eventId())
                            .setSku(p.getSku())
                            .setWarehouseId(warehouse())
                            .setType(StockMovementType.RESTOCK)
                            .setQuantity(-(1 + random.nextInt(50)))
                            .setLotExpiresAt(null)
                            .setEventTime(clock())
                            .build();
            ready.add(
                    new SimRecord(
                            Topics.STOCK_MOVEMENTS.name(),
                            p.getSku(),
                            movement,
                            null,
                            SimRecord.Kind.IMPOSSIBLE));
        }
    }

    private void duplicate() {
        if (recentValid.isEmpty()) {
            garbage();
            return;
        }
        List<SimRecord> recent = new ArrayList<>(recentValid);
        SimRecord original = recent.get(random.nextInt(recent.size()));
        ready.add(
                new SimRecord(
                        original.topic(),
                        original.key(),
                        original.value(),
                        null,
                        SimRecord.Kind.DUPLICATE));
    }

    private void late() {
        Instant at = clock().minus(Duration.ofSeconds(seconds(600, 3600)));
        Product p = popularProduct();
        int person = popularUser();
        BrowseEvent event =
                BrowseEvent.newBuilder()
                        .setEventId(eventId())
                        .setVisitorId("v-" + person)
                        .setUserId(null)
                        .setSessionId("s-" + config.seed() + "-late-" + sequence)
                        .setPageType(PageType.PRODUCT)
                        .setSku(p.getSku())
                        .setCategory(p.getCategory())
                        .setChannel(channel())
                        .setEventTime(at)
                        .build();
        ready.add(
                new SimRecord(
                        Topics.BROWSE.name(),
                        event.getVisitorId(),
                        event,
                        null,
                        SimRecord.Kind.LATE));
    }

    // ---------------------------------------------------------------------------------------------
    // Emitters and small helpers.

    private void browse(Session s, PageType page, String sku, String category) {
        ready.add(
                SimRecord.valid(
                        Topics.BROWSE.name(),
                        s.visitorId,
                        BrowseEvent.newBuilder()
                                .setEventId(eventId())
                                .setVisitorId(s.visitorId)
                                .setUserId(s.userId)
                                .setSessionId(s.sessionId)
                                .setPageType(page)
                                .setSku(sku)
                                .setCategory(category)
                                .setChannel(s.channel)
                                .setEventTime(clock())
                                .build()));
    }

    private void cart(Session s, CartEventType type, String sku, int quantity, BigDecimal price) {
        ready.add(
                SimRecord.valid(
                        Topics.CARTS.name(),
                        s.userId,
                        CartEvent.newBuilder()
                                .setEventId(eventId())
                                .setUserId(s.userId)
                                .setSessionId(s.sessionId)
                                .setType(type)
                                .setSku(sku)
                                .setQuantity(quantity)
                                .setUnitPrice(price)
                                .setCurrency(CURRENCY)
                                .setChannel(s.channel)
                                .setEventTime(clock())
                                .build()));
    }

    private void order(OrderContext o, OrderEventType type, ReturnReason reason) {
        ready.add(
                SimRecord.valid(
                        Topics.ORDERS.name(),
                        o.orderId(),
                        OrderEvent.newBuilder()
                                .setEventId(eventId())
                                .setOrderId(o.orderId())
                                .setUserId(o.userId())
                                .setType(type)
                                .setReturnReason(reason)
                                .setLines(o.lines())
                                .setOrderTotal(o.total())
                                .setCurrency(CURRENCY)
                                .setChannel(o.channel())
                                .setEventTime(clock())
                                .build()));
    }

    private void later(long delaySeconds, Runnable action) {
        scheduled.add(new Scheduled(clockMillis + delaySeconds * 1000, sequence++, action));
    }

    private record Scheduled(long atMillis, long order, Runnable action)
            implements Comparable<Scheduled> {
        @Override
        public int compareTo(Scheduled o) {
            int c = Long.compare(atMillis, o.atMillis);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    private String eventId() {
        return "ev-" + config.seed() + "-" + (++sequence);
    }

    private long seconds(int min, int max) {
        return min + random.nextInt(max - min + 1);
    }

    private Product popularProduct() {
        return products.get(popularityToProduct[popularity.sample(random)]);
    }

    private Product product(String sku) {
        return products.get(Integer.parseInt(sku.substring(4)) - 1);
    }

    /** Shoppers: a few thousand people, some much more frequent than others. */
    private int popularUser() {
        return 1 + (int) Math.floor(Math.pow(random.nextDouble(), 2) * 5000);
    }

    private String warehouse() {
        return config.warehouses().get(random.nextInt(config.warehouses().size()));
    }

    private String channel() {
        double r = random.nextDouble();
        double acc = 0;
        for (int i = 0; i < CHANNELS.length; i++) {
            acc += CHANNEL_WEIGHTS[i];
            if (r < acc) {
                return CHANNELS[i];
            }
        }
        return CHANNELS[0];
    }

    private String inputTopic() {
        return INPUT_TOPICS.get(random.nextInt(INPUT_TOPICS.size()));
    }

    private static BigDecimal money(double value) {
        return BigDecimal.valueOf(value).setScale(2, RoundingMode.HALF_UP);
    }

    private static BigDecimal money(BigDecimal value) {
        return value.setScale(2, RoundingMode.HALF_UP);
    }
}
