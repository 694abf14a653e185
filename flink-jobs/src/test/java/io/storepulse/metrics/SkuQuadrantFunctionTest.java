package io.storepulse.metrics;

import static io.storepulse.metrics.MetricsFixtures.T0;
import static io.storepulse.metrics.MetricsFixtures.line;
import static io.storepulse.metrics.MetricsFixtures.order;
import static io.storepulse.metrics.MetricsFixtures.product;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import storepulse.v1.actions.Quadrant;
import storepulse.v1.actions.SkuQuadrant;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.RuleJob;
import storepulse.v1.events.RuleScope;
import storepulse.v1.events.RuleSet;

class SkuQuadrantFunctionTest {

    static final long HOUR = Duration.ofHours(1).toMillis();

    private KeyedBroadcastOperatorTestHarness<String, SkuSignal, RuleUpdate, SkuQuadrant> harness;

    @BeforeEach
    void setupHarness() throws Exception {
        harness =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new SkuQuadrantFunction(), s -> s.sku, Types.STRING, RulesState.DESCRIPTOR);
        harness.processElement(SkuSignal.catalog(product("sku-1", "shoes")), 0);
    }

    @Test
    void shouldPlaceASkuByUnitsAndMarginRateAtTheEndOfTheHour() throws Exception {
        sell("o1", 10, "10.00", "8.00", 0); // 10 units at a 20 % margin

        watermark(HOUR - 1);

        SkuQuadrant q = only();
        assertThat(q.getQuadrant()).isEqualTo(Quadrant.SLOW_MOVER);
        assertThat(q.getPreviousQuadrant()).isNull();
        assertThat(q.getUnits7d()).isEqualTo(10);
        assertThat(q.getRevenue7d()).isEqualByComparingTo("100.00");
        assertThat(q.getMargin7d()).isEqualByComparingTo("20.00");
        assertThat(q.getMarginRate()).isEqualTo(0.2);
        assertThat(q.getSalesSplit()).isEqualTo(50.0);
        assertThat(q.getMarginSplit()).isEqualTo(0.3);
        assertThat(q.getCategory()).isEqualTo("shoes");
        assertThat(q.getEventTime()).isEqualTo(T0.plusMillis(HOUR));
        assertThat(q.getRuleId()).isEqualTo("default");
    }

    @Test
    void shouldEmitOnlyWhenTheQuadrantChanges() throws Exception {
        sell("o1", 10, "10.00", "5.00", 0); // 50 % margin, low sales
        watermark(HOUR - 1);
        assertThat(only().getQuadrant()).isEqualTo(Quadrant.PROFIT_MAKER);
        harness.getOutput().clear();

        sell("o2", 5, "10.00", "5.00", HOUR + 1);
        watermark(2 * HOUR - 1);
        assertThat(harness.extractOutputValues()).isEmpty();

        sell("o3", 40, "10.00", "5.00", 2 * HOUR + 1); // 55 units: high sales
        watermark(3 * HOUR - 1);
        SkuQuadrant star = only();
        assertThat(star.getQuadrant()).isEqualTo(Quadrant.STAR);
        assertThat(star.getPreviousQuadrant()).isEqualTo(Quadrant.PROFIT_MAKER);
        harness.getOutput().clear();

        sell("o4", 10, "10.00", "9.50", 3 * HOUR + 1); // margin falls to 43 %: still high
        watermark(4 * HOUR - 1);
        assertThat(harness.extractOutputValues()).isEmpty();
    }

    @Test
    void shouldUseCategoryScopedThresholds() throws Exception {
        harness.processBroadcastElement(
                RuleUpdate.upsert(
                        RuleSet.newBuilder()
                                .setRuleId("shoes-quadrants")
                                .setVersion(3)
                                .setJob(RuleJob.METRICS)
                                .setScopeType(RuleScope.CATEGORY)
                                .setScopeValue("shoes")
                                .setParams(Map.of("quadrant_high_sales_units_7d", "5"))
                                .setUpdatedAt(T0)
                                .build()),
                0);
        sell("o1", 10, "10.00", "8.00", 0);

        watermark(HOUR - 1);

        SkuQuadrant q = only();
        assertThat(q.getQuadrant()).isEqualTo(Quadrant.TRAFFIC_DRIVER);
        assertThat(q.getRuleId()).isEqualTo("shoes-quadrants");
        assertThat(q.getRuleVersion()).isEqualTo(3);
    }

    @Test
    void shouldDropSalesOlderThanSevenDaysAndThenForgetTheSku() throws Exception {
        sell("o1", 60, "10.00", "5.00", 0);
        watermark(HOUR - 1);
        assertThat(only().getQuadrant()).isEqualTo(Quadrant.STAR);
        harness.getOutput().clear();

        watermark(Duration.ofDays(7).toMillis() + HOUR - 1);

        SkuQuadrant q = only();
        assertThat(q.getQuadrant()).isEqualTo(Quadrant.SLOW_MOVER);
        assertThat(q.getUnits7d()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(HarnessState.numKeyedStateEntries(harness)).isEqualTo(1); // the category only
    }

    @Test
    void shouldReEvaluateAnHourAlreadyEvaluatedWhenALateSaleArrivesForIt() throws Exception {
        sell("o1", 10, "10.00", "5.00", 0); // 50 % margin, low sales
        watermark(HOUR - 1);
        assertThat(only().getQuadrant()).isEqualTo(Quadrant.PROFIT_MAKER);
        harness.getOutput().clear();

        // 45 more units placed in that same first hour, arriving after it was evaluated.
        sell("o2", 45, "10.00", "5.00", 10 * 60_000);
        watermark(HOUR + 60_000);

        SkuQuadrant star = only();
        assertThat(star.getQuadrant()).isEqualTo(Quadrant.STAR);
        assertThat(star.getPreviousQuadrant()).isEqualTo(Quadrant.PROFIT_MAKER);
        assertThat(star.getUnits7d()).isEqualTo(55);
        assertThat(star.getEventTime()).isEqualTo(T0.plusMillis(HOUR));
    }

    private void sell(String orderId, int units, String price, String cost, long offset)
            throws Exception {
        for (SkuSignal s :
                SkuSignal.lines(
                        order(
                                orderId + "-p",
                                orderId,
                                "u1",
                                OrderEventType.PLACED,
                                "web",
                                offset,
                                line("sku-1", units, price, cost)))) {
            harness.processElement(s, s.eventTime);
        }
    }

    private void watermark(long offset) throws Exception {
        harness.processWatermark(T0.toEpochMilli() + offset);
        harness.processBroadcastWatermark(T0.toEpochMilli() + offset);
    }

    private SkuQuadrant only() {
        List<SkuQuadrant> out = harness.extractOutputValues();
        assertThat(out).hasSize(1);
        return out.get(0);
    }
}
