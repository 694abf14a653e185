package io.storepulse.metrics;

import static io.storepulse.metrics.MetricsFixtures.MINUTE;
import static io.storepulse.metrics.MetricsFixtures.T0;
import static io.storepulse.metrics.MetricsFixtures.cart;
import static io.storepulse.metrics.MetricsFixtures.globalRule;
import static io.storepulse.metrics.MetricsFixtures.line;
import static io.storepulse.metrics.MetricsFixtures.order;
import static io.storepulse.metrics.MetricsFixtures.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.serde.DeadLetters;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DimensionType;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.WindowType;
import storepulse.v1.events.CartEventType;
import storepulse.v1.events.OrderEventType;

class FunnelAggregatorTest {

    private KeyedBroadcastOperatorTestHarness<String, DimFact, RuleUpdate, FunnelMetrics> harness;

    @BeforeEach
    void setupHarness() throws Exception {
        harness =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new FunnelAggregator(), DimFact::key, Types.STRING, RulesState.DESCRIPTOR);
    }

    @Test
    void shouldEmitExactMinuteFiguresOnlyWhenTheWatermarkPassesTheWindowEnd() throws Exception {
        send(FunnelFacts.fromBrowse(view("b1", "v1", "sku-1", "web", 1_000)));
        send(FunnelFacts.fromBrowse(view("b2", "v1", "sku-2", "web", 2_000)));
        send(FunnelFacts.fromBrowse(view("b3", "v2", null, "app", 3_000)));
        send(FunnelFacts.fromCart(cart("c1", "u1", CartEventType.ADD, "sku-1", "web", 4_000)));
        send(
                FunnelFacts.fromCart(
                        cart("c2", "u1", CartEventType.CHECKOUT_STARTED, null, "web", 5_000)));
        watermark(MINUTE - 2);
        assertThat(harness.extractOutputValues()).isEmpty();

        watermark(MINUTE - 1);

        FunnelMetrics all = only(DimensionType.ALL, "all", WindowType.MINUTE);
        assertThat(all.getVisitors()).isEqualTo(3); // v:v1, v:v2, u:u1
        assertThat(all.getVisitorsExact()).isTrue();
        assertThat(all.getProductViews()).isEqualTo(2);
        assertThat(all.getAddToCarts()).isEqualTo(1);
        assertThat(all.getCheckoutsStarted()).isEqualTo(1);
        assertThat(all.getOrders()).isZero();
        assertThat(all.getGmv()).isEqualByComparingTo("0.00");
        assertThat(all.getAov()).isEqualByComparingTo("0.00");
        assertThat(all.getConversionRate()).isZero();
        assertThat(all.getRevision()).isZero();
        assertThat(all.getWindowStart()).isEqualTo(T0);
        assertThat(all.getWindowEnd()).isEqualTo(T0.plusMillis(MINUTE));
        assertThat(all.getEmittedAt()).isEqualTo(T0.plusMillis(MINUTE));
        assertThat(FunnelAggregator.key(all)).isEqualTo("ALL:all@" + T0.toEpochMilli());

        FunnelMetrics web = only(DimensionType.CHANNEL, "web", WindowType.MINUTE);
        assertThat(web.getVisitors()).isEqualTo(2);
        assertThat(web.getProductViews()).isEqualTo(2);
        FunnelMetrics sku1 = only(DimensionType.SKU, "sku-1", WindowType.MINUTE);
        assertThat(sku1.getVisitors()).isEqualTo(2); // viewed by v1, carted by u1
        assertThat(sku1.getViewingVisitors()).isEqualTo(2);
        assertThat(sku1.getProductViews()).isEqualTo(1);
        assertThat(sku1.getAddToCarts()).isEqualTo(1);
    }

    @Test
    void shouldCountAnOrderOnceAcrossItsLinesWithUnitsGmvAndAov() throws Exception {
        sendOrder(
                order(
                        "o1-placed",
                        "o1",
                        "u1",
                        OrderEventType.PLACED,
                        "web",
                        10_000,
                        line("sku-1", 2, "10.00", "6.00"),
                        line("sku-2", 1, "5.50", "2.00")));
        sendOrder(
                order(
                        "o2-placed",
                        "o2",
                        "u2",
                        OrderEventType.PLACED,
                        "web",
                        20_000,
                        line("sku-1", 1, "10.00", "6.00")));
        watermark(MINUTE - 1);

        FunnelMetrics all = only(DimensionType.ALL, "all", WindowType.MINUTE);
        assertThat(all.getOrders()).isEqualTo(2);
        assertThat(all.getUnits()).isEqualTo(4);
        assertThat(all.getGmv()).isEqualByComparingTo("35.50");
        assertThat(all.getAov()).isEqualByComparingTo("17.75");
        assertThat(all.getVisitors()).isEqualTo(2);
        assertThat(all.getConversionRate()).isEqualTo(1.0);

        FunnelMetrics sku1 = only(DimensionType.SKU, "sku-1", WindowType.MINUTE);
        assertThat(sku1.getOrders()).isEqualTo(2);
        assertThat(sku1.getUnits()).isEqualTo(3);
        assertThat(sku1.getGmv()).isEqualByComparingTo("30.00");
        assertThat(sku1.getOrderingVisitors()).isEqualTo(2);
        FunnelMetrics category = only(DimensionType.CATEGORY, "shoes", WindowType.MINUTE);
        assertThat(category.getOrders()).isEqualTo(2);
        assertThat(category.getGmv()).isEqualByComparingTo("35.50");
    }

    @Test
    void shouldComputeSkuConversionAsOrderingOverViewingVisitors() throws Exception {
        for (int i = 0; i < 4; i++) {
            send(FunnelFacts.fromBrowse(view("b" + i, "v" + i, "sku-1", "web", 1_000 + i)));
        }
        sendOrder(
                order(
                        "o1-placed",
                        "o1",
                        "u1",
                        OrderEventType.PLACED,
                        "web",
                        10_000,
                        line("sku-1", 1, "10.00", "6.00")));
        watermark(MINUTE - 1);

        FunnelMetrics sku = only(DimensionType.SKU, "sku-1", WindowType.MINUTE);
        assertThat(sku.getViewingVisitors()).isEqualTo(5);
        assertThat(sku.getOrderingVisitors()).isEqualTo(1);
        assertThat(sku.getVisitors()).isEqualTo(5);
        assertThat(sku.getConversionRate()).isEqualTo(0.2);
    }

    @Test
    void shouldEmitTheRunningDayAfterEveryClosedMinuteWithARisingRevision() throws Exception {
        send(FunnelFacts.fromBrowse(view("b1", "v1", null, "web", 1_000)));
        send(FunnelFacts.fromBrowse(view("b2", "v2", null, "web", MINUTE + 1_000)));
        send(FunnelFacts.fromBrowse(view("b3", "v1", null, "web", MINUTE + 2_000)));

        watermark(MINUTE - 1);
        FunnelMetrics first = only(DimensionType.ALL, "all", WindowType.DAY);
        assertThat(first.getVisitors()).isEqualTo(1);
        assertThat(first.getVisitorsExact()).isFalse();
        assertThat(first.getRevision()).isZero();
        assertThat(first.getWindowStart()).isEqualTo(Instant.parse("2026-11-20T00:00:00Z"));
        assertThat(first.getWindowEnd()).isEqualTo(Instant.parse("2026-11-21T00:00:00Z"));
        assertThat(first.getEmittedAt()).isEqualTo(T0.plusMillis(MINUTE));
        harness.getOutput().clear();

        watermark(2 * MINUTE - 1);
        FunnelMetrics second = only(DimensionType.ALL, "all", WindowType.DAY);
        assertThat(second.getVisitors()).isEqualTo(2);
        assertThat(second.getRevision()).isEqualTo(1);
        assertThat(second.getEmittedAt()).isEqualTo(T0.plusMillis(2 * MINUTE));
        assertThat(only(DimensionType.ALL, "all", WindowType.MINUTE).getVisitors()).isEqualTo(2);
    }

    @Test
    void shouldStartTheDayAtMidnightOfTheConfiguredTimeZone() throws Exception {
        harness.processBroadcastElement(
                globalRule("tz", 1, Map.of("day_time_zone", "Asia/Tokyo")), 0);
        send(FunnelFacts.fromBrowse(view("b1", "v1", null, "web", 1_000)));
        watermark(MINUTE - 1);

        FunnelMetrics day = only(DimensionType.ALL, "all", WindowType.DAY);
        // 10:00 UTC is 19:00 in Tokyo: the day began at 15:00 UTC the day before.
        assertThat(day.getWindowStart()).isEqualTo(Instant.parse("2026-11-19T15:00:00Z"));
        assertThat(day.getWindowEnd()).isEqualTo(Instant.parse("2026-11-20T15:00:00Z"));
    }

    @Test
    void shouldReviseAnEmittedMinuteAndItsDayWhenALateEventArrivesWithinTheLateness()
            throws Exception {
        send(FunnelFacts.fromBrowse(view("b1", "v1", null, "web", 1_000)));
        watermark(MINUTE - 1);
        harness.getOutput().clear();
        watermark(3 * MINUTE);

        sendOrder(
                order(
                        "o1-placed",
                        "o1",
                        "u1",
                        OrderEventType.PLACED,
                        "web",
                        30_000,
                        line("sku-1", 1, "12.00", "6.00")));

        FunnelMetrics minute = only(DimensionType.ALL, "all", WindowType.MINUTE);
        assertThat(minute.getRevision()).isEqualTo(1);
        assertThat(minute.getVisitors()).isEqualTo(2);
        assertThat(minute.getOrders()).isEqualTo(1);
        assertThat(minute.getGmv()).isEqualByComparingTo("12.00");
        assertThat(minute.getEmittedAt()).isEqualTo(T0.plusMillis(3 * MINUTE));
        FunnelMetrics day = only(DimensionType.ALL, "all", WindowType.DAY);
        assertThat(day.getRevision()).isEqualTo(1);
        assertThat(day.getOrders()).isEqualTo(1);
        assertThat(day.getVisitors()).isEqualTo(2);
        // A SKU that had nothing in that minute gets its first record for it: revision 0.
        assertThat(only(DimensionType.SKU, "sku-1", WindowType.MINUTE).getRevision()).isZero();

        harness.getOutput().clear();
        send(FunnelFacts.fromBrowse(view("b2", "v3", null, "web", 40_000)));
        assertThat(only(DimensionType.ALL, "all", WindowType.MINUTE).getRevision()).isEqualTo(2);
    }

    @Test
    void shouldForgetMinutesAndDaysOnceTheirLatenessHasPassed() throws Exception {
        send(FunnelFacts.fromBrowse(view("b1", "v1", "sku-1", "web", 1_000)));
        watermark(MINUTE - 1);
        assertThat(HarnessState.numKeyedStateEntries(harness)).isPositive();

        watermark(MINUTE - 1 + 5 * MINUTE);
        // Minutes and their members are gone; each key keeps only its day until the day ends.
        watermark(Instant.parse("2026-11-21T00:05:00Z").toEpochMilli() - T0.toEpochMilli());

        assertThat(HarnessState.numKeyedStateEntries(harness)).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldDeadLetterAFactForAWindowAlreadyForgotten() throws Exception {
        watermark(10 * MINUTE);

        send(FunnelFacts.fromBrowse(view("b1", "v1", null, "web", 1_000)));

        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(harness.getSideOutput(DeadLetters.TAG)).isNotNull();
        List<DeadLetter> dead =
                harness.getSideOutput(DeadLetters.TAG).stream().map(r -> r.getValue()).toList();
        assertThat(dead).hasSize(2); // ALL and CHANNEL: this can only happen after a rule change
        assertThat(dead.get(0).getErrorKind().name()).isEqualTo("TOO_LATE");
    }

    /**
     * The identity tested on every record of 200 random minutes: for ALL, CHANNEL and CATEGORY,
     * orders > 0 implies visitors > 0, and |visitors x conversion_rate x aov - gmv| <= orders x
     * 0.005 (aov is rounded HALF_UP to the cent, so orders x aov is off by at most half a cent per
     * order) plus 1e-9 x gmv for the double. For SKU, |viewing_visitors x conversion_rate x gmv /
     * ordering_visitors - gmv| <= 1e-9 x gmv, and the aov form holds too when each buyer placed one
     * order.
     */
    @Test
    void shouldSatisfyGmvEqualsVisitorsTimesConversionTimesAovOnRandomMinutes() throws Exception {
        Random random = new Random(42);
        for (int minute = 0; minute < 200; minute++) {
            String channel = "ch-" + minute;
            long base = minute * MINUTE;
            int events = 1 + random.nextInt(30);
            for (int i = 0; i < events; i++) {
                String person = "p" + random.nextInt(8);
                String sku = "sku-" + random.nextInt(3);
                long t = base + random.nextInt((int) MINUTE);
                if (random.nextInt(3) == 0) {
                    sendOrder(
                            order(
                                    channel + "-e" + i,
                                    channel + "-o" + i,
                                    person,
                                    OrderEventType.PLACED,
                                    channel,
                                    t,
                                    line(sku, 1 + random.nextInt(3), price(random), "1.00"),
                                    line("sku-" + random.nextInt(3), 1, price(random), "1.00")));
                } else {
                    send(FunnelFacts.fromBrowse(view(channel + "-e" + i, person, sku, channel, t)));
                }
            }
            watermark(base + MINUTE - 1);
        }

        List<FunnelMetrics> all = harness.extractOutputValues();
        assertThat(all).hasSizeGreaterThan(800);
        for (FunnelMetrics m : all) {
            double gmv = m.getGmv().doubleValue();
            if (m.getDimensionType() == DimensionType.SKU) {
                if (m.getOrderingVisitors() > 0) {
                    double perBuyer = gmv / m.getOrderingVisitors();
                    assertThat(m.getViewingVisitors() * m.getConversionRate() * perBuyer)
                            .as("%s", m)
                            .isCloseTo(gmv, org.assertj.core.data.Offset.offset(1e-9 * gmv + 1e-9));
                }
                if (m.getOrders() == m.getOrderingVisitors()) {
                    assertIdentityWithAov(m, m.getViewingVisitors());
                }
            } else {
                if (m.getOrders() > 0) {
                    assertThat(m.getVisitors()).as("%s", m).isPositive();
                }
                assertIdentityWithAov(m, m.getVisitors());
            }
        }
    }

    private static void assertIdentityWithAov(FunnelMetrics m, long visitors) {
        double gmv = m.getGmv().doubleValue();
        double product = visitors * m.getConversionRate() * m.getAov().doubleValue();
        double tolerance = 0.005 * m.getOrders() + 1e-9 * Math.max(1, gmv);
        assertThat(Math.abs(product - gmv)).as("%s", m).isLessThanOrEqualTo(tolerance);
    }

    private static String price(Random random) {
        return BigDecimal.valueOf(100 + random.nextInt(10_000), 2).toPlainString();
    }

    private void send(FunnelFact f) throws Exception {
        for (DimFact d : FunnelFacts.dimensions(f)) {
            harness.processElement(d, f.eventTime);
        }
    }

    /** Order lines get the category "shoes", as the catalog enrichment would give them. */
    private void sendOrder(storepulse.v1.events.OrderEvent e) throws Exception {
        for (FunnelFact f : FunnelFacts.fromOrder(e)) {
            f.category = "shoes";
            send(f);
        }
    }

    private void watermark(long offset) throws Exception {
        harness.processWatermark(T0.toEpochMilli() + offset);
        harness.processBroadcastWatermark(T0.toEpochMilli() + offset);
    }

    private FunnelMetrics only(DimensionType type, String value, WindowType window) {
        List<FunnelMetrics> matching =
                harness.extractOutputValues().stream()
                        .filter(m -> m.getDimensionType() == type)
                        .filter(m -> m.getDimensionValue().equals(value))
                        .filter(m -> m.getWindowType() == window)
                        .toList();
        assertThat(matching).as("%s:%s %s", type, value, window).hasSize(1);
        return matching.get(0);
    }
}
