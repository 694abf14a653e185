package io.storepulse.clearance;

import static io.storepulse.clearance.ClearanceFixtures.DAY;
import static io.storepulse.clearance.ClearanceFixtures.HOUR;
import static io.storepulse.clearance.ClearanceFixtures.T0;
import static io.storepulse.clearance.ClearanceFixtures.level;
import static io.storepulse.clearance.ClearanceFixtures.product;
import static io.storepulse.clearance.ClearanceFixtures.ruleSet;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.rules.ParamSpec;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.serde.DeadLetters;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.actions.MarkdownReason;
import storepulse.v1.actions.PriceAction;
import storepulse.v1.actions.PriceActionType;
import storepulse.v1.events.Product;
import storepulse.v1.events.RuleScope;

/**
 * Replays random histories (products, rules, stock, lots, sales) through the pricer and checks the
 * invariants of issue 7 on every action. Each history is run twice: once in event-time order, and
 * once out of order (within the allowed lateness, some behind the watermark) with duplicates; the
 * two runs must give exactly the same actions.
 */
class ClearanceReplayTest {

    private static final int HISTORIES = 1000;
    private static final int PER_HARNESS = 200;
    private static final long END = T0 + 40 * DAY;
    private static final long DRAIN = END + 3 * DAY;

    /** One SKU's generated history. */
    record History(
            String sku, Product product, Map<String, String> params, List<SkuSignal> events) {
        <T extends java.io.Serializable> T get(ParamSpec<T> spec) {
            String raw = params.get(spec.name());
            return raw == null ? spec.defaultValue() : spec.parse(raw);
        }
    }

    @Test
    void shouldKeepTheInvariantsOverRandomHistories() throws Exception {
        int checkedActions = 0;
        for (int batch = 0; batch < HISTORIES / PER_HARNESS; batch++) {
            Random random = new Random(7_000 + batch);
            List<History> histories = new ArrayList<>();
            for (int i = 0; i < PER_HARNESS; i++) {
                histories.add(history("sku-" + batch + "-" + i, random));
            }
            List<PriceAction> ordered = run(histories, false, random);
            List<PriceAction> messy = run(histories, true, random);

            assertThat(messy)
                    .as("out-of-order, duplicated replay of batch %d", batch)
                    .containsExactlyElementsOf(ordered);
            checkInvariants(histories, ordered);
            checkedActions += ordered.size();
        }
        // The generator must actually exercise markdowns of every reason.
        assertThat(checkedActions).isGreaterThan(HISTORIES);
    }

    private static void checkInvariants(List<History> histories, List<PriceAction> actions) {
        Map<String, History> bySku = new HashMap<>();
        histories.forEach(h -> bySku.put(h.sku(), h));
        Set<String> ids = new HashSet<>();
        Map<String, List<PriceAction>> perSku = new LinkedHashMap<>();
        Set<MarkdownReason> reasons = new HashSet<>();
        for (PriceAction a : actions) {
            assertThat(ids.add(a.getActionId())).as("action id %s twice", a.getActionId()).isTrue();
            perSku.computeIfAbsent(a.getSku(), k -> new ArrayList<>()).add(a);
            reasons.add(a.getReason());
        }
        assertThat(reasons)
                .contains(
                        MarkdownReason.SLOW_MOVING,
                        MarkdownReason.OVERSTOCK,
                        MarkdownReason.NEAR_EXPIRY);
        for (Map.Entry<String, List<PriceAction>> e : perSku.entrySet()) {
            History h = bySku.get(e.getKey());
            List<PriceAction> list = e.getValue();
            list.sort(Comparator.comparing(PriceAction::getEventTime));
            long minInterval = h.get(ClearanceParams.MIN_INTERVAL).toMillis();
            PriceAction previous = null;
            for (PriceAction a : list) {
                BigDecimal floor = expectedFloor(h, a.getReason());
                assertThat(a.getFloorPrice()).as("floor of %s", a.getActionId()).isEqualTo(floor);
                assertThat(a.getNewPrice())
                        .as("price of %s", a.getActionId())
                        .isGreaterThanOrEqualTo(floor);
                if (a.getType() == PriceActionType.MARKDOWN) {
                    assertThat(a.getNewPrice()).isLessThan(a.getOldPrice());
                } else {
                    assertThat(a.getNewPrice()).isEqualTo(h.product().getListPrice());
                }
                if (previous != null) {
                    assertThat(a.getOldPrice())
                            .as("%s continues from %s", a.getActionId(), previous.getActionId())
                            .isEqualTo(previous.getNewPrice());
                    if (a.getReason() != MarkdownReason.NEAR_EXPIRY) {
                        long gap =
                                a.getEventTime().toEpochMilli()
                                        - previous.getEventTime().toEpochMilli();
                        assertThat(gap)
                                .as("gap before %s", a.getActionId())
                                .isGreaterThanOrEqualTo(minInterval);
                    }
                }
                previous = a;
            }
            assertThat(previous.getType())
                    .as("last action of %s", e.getKey())
                    .isEqualTo(PriceActionType.RESTORE);
        }
    }

    private static BigDecimal expectedFloor(History h, MarkdownReason reason) {
        Product p = h.product();
        BigDecimal regular = p.getMinPrice().max(p.getUnitCost());
        if (reason == MarkdownReason.NEAR_EXPIRY && h.get(ClearanceParams.ALLOW_LOSS_ON_EXPIRY)) {
            BigDecimal loss =
                    p.getListPrice()
                            .multiply(h.get(ClearanceParams.LOSS_FLOOR_FRACTION))
                            .setScale(2, RoundingMode.CEILING);
            return loss.min(regular).setScale(2, RoundingMode.HALF_UP);
        }
        return regular.setScale(2, RoundingMode.HALF_UP);
    }

    // ---- running ----------------------------------------------------------------------------

    private record Arrival(long at, int seq, SkuSignal signal) {}

    private static List<PriceAction> run(List<History> histories, boolean messy, Random random)
            throws Exception {
        KeyedBroadcastOperatorTestHarness<String, SkuSignal, RuleUpdate, PriceAction> harness =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new ClearancePricer(),
                        SkuSignal::getSku,
                        Types.STRING,
                        RulesState.DESCRIPTOR);
        try {
            harness.processBroadcastWatermark(Long.MAX_VALUE);
            for (History h : histories) {
                harness.processBroadcastElement(
                        RuleUpdate.upsert(
                                ruleSet("r-" + h.sku(), 1, RuleScope.SKU, h.sku(), h.params())),
                        T0);
            }
            List<Arrival> arrivals = new ArrayList<>();
            int seq = 0;
            for (History h : histories) {
                for (SkuSignal s : h.events()) {
                    // Messy: up to 100 minutes late; the watermark trails arrivals by 45 minutes,
                    // so some inputs are behind it but all are within the 1 h lateness.
                    long delay = messy ? (long) (random.nextDouble() * 100 * 60_000) : 0;
                    arrivals.add(new Arrival(s.eventTime + delay, seq++, s));
                    if (messy && random.nextInt(10) == 0) {
                        long again = s.eventTime + (long) (random.nextDouble() * 100 * 60_000);
                        arrivals.add(new Arrival(again, seq++, s));
                    }
                }
            }
            arrivals.sort(Comparator.comparingLong(Arrival::at).thenComparingInt(Arrival::seq));
            long watermark = Long.MIN_VALUE;
            for (Arrival a : arrivals) {
                harness.processElement(a.signal(), a.signal().eventTime);
                long next = messy ? a.at() - 45 * 60_000 : a.at() - 1;
                if (next > watermark) {
                    watermark = next;
                    harness.processWatermark(watermark);
                }
            }
            harness.processWatermark(DRAIN);
            assertThat(harness.getSideOutput(DeadLetters.TAG)).isNullOrEmpty();
            List<PriceAction> out = new ArrayList<>(harness.extractOutputValues());
            out.sort(Comparator.comparing(PriceAction::getActionId));
            return out;
        } finally {
            harness.close();
        }
    }

    // ---- generating -------------------------------------------------------------------------

    private static History history(String sku, Random r) {
        long listCents = 500 + r.nextInt(19_500);
        BigDecimal list = BigDecimal.valueOf(listCents, 2);
        BigDecimal cost = list.multiply(BigDecimal.valueOf(20 + r.nextInt(70), 2));
        BigDecimal min = list.multiply(BigDecimal.valueOf(10 + r.nextInt(91), 2));
        boolean perishable = r.nextInt(10) < 4;
        Product p =
                product(
                        sku,
                        list.toPlainString(),
                        cost.setScale(2, RoundingMode.HALF_UP).toPlainString(),
                        min.setScale(2, RoundingMode.DOWN).toPlainString(),
                        perishable,
                        T0);

        Map<String, String> params = new HashMap<>();
        params.put("rounding", pick(r, "CENTS", "ENDING_99", "WHOLE"));
        params.put("tier_step", pick(r, "0.05", "0.10", "0.20"));
        params.put("max_depth", pick(r, "0.30", "0.50", "0.70"));
        params.put("min_interval", pick(r, "2h", "6h", "12h"));
        params.put("cadence", pick(r, "24h", "48h"));
        params.put("allow_loss_on_expiry", pick(r, "true", "false"));
        params.put("loss_floor_fraction", pick(r, "0.10", "0.20", "0.40"));
        params.put("min_active_days", pick(r, "3", "7", "14"));
        params.put("restore_hysteresis", pick(r, "6h", "24h"));
        params.put("markdown_max_duration", pick(r, "5d", "30d"));
        params.put("evaluation_interval", pick(r, "6h", "12h"));

        List<SkuSignal> events = new ArrayList<>();
        events.add(SkuSignal.product(p));
        int warehouses = 1 + r.nextInt(2);
        long[] onHand = new long[warehouses];
        long[] reorder = new long[warehouses];
        Long[] expiry = new Long[warehouses];
        for (int w = 0; w < warehouses; w++) {
            onHand[w] = 50 + r.nextInt(2000);
            reorder[w] = r.nextInt(50);
            expiry[w] = perishable ? T0 + 2 * DAY + (long) (r.nextDouble() * 10 * DAY) : null;
            events.add(levelSignal(sku, w, onHand[w], reorder[w], expiry[w], T0 + w));
        }
        double[] regimes = {0.03, 0.3, 0.9};
        double saleChance = regimes[r.nextInt(3)];
        int sale = 0;
        for (long t = T0 + HOUR; t < END; t += HOUR + r.nextInt((int) (4 * HOUR))) {
            if (r.nextInt(200) == 0) {
                saleChance = regimes[r.nextInt(3)]; // demand changes
            }
            if (r.nextDouble() < saleChance / 4) {
                events.add(SkuSignal.sale(sku, sku + "-s" + sale++, 1 + r.nextInt(30), t));
            }
            if (r.nextInt(40) == 0) {
                int w = r.nextInt(warehouses);
                switch (r.nextInt(4)) {
                    case 0 -> onHand[w] += 100 + r.nextInt(1000); // restock
                    case 1 -> onHand[w] = Math.max(0, onHand[w] - r.nextInt(300));
                    case 2 -> {
                        if (perishable) { // the next lot changes: sold out or a fresh lot
                            expiry[w] =
                                    r.nextBoolean()
                                            ? null
                                            : t + DAY / 2 + (long) (r.nextDouble() * 8 * DAY);
                        }
                    }
                    default -> onHand[w] = reorder[w];
                }
                events.add(levelSignal(sku, w, onHand[w], reorder[w], expiry[w], t + 1));
            }
        }
        // The tail: stock sells out or falls into the reorder zone, with no expiring lot left.
        boolean soldOut = r.nextBoolean();
        for (int w = 0; w < warehouses; w++) {
            events.add(levelSignal(sku, w, soldOut ? 0 : reorder[w], reorder[w], null, END + w));
        }
        events.sort(Comparator.comparingLong(s -> s.eventTime));
        return new History(sku, p, params, events);
    }

    private static SkuSignal levelSignal(
            String sku, int w, long onHand, long reorder, Long expiry, long at) {
        Long quantity = expiry == null || onHand == 0 ? null : Math.max(1, onHand / 3);
        InventoryLevel l =
                level(sku, "w" + w, onHand, reorder, onHand == 0 ? null : expiry, quantity, at);
        return SkuSignal.level(l);
    }

    private static String pick(Random r, String... choices) {
        return choices[r.nextInt(choices.length)];
    }
}
