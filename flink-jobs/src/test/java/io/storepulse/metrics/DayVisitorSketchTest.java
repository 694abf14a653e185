package io.storepulse.metrics;

import static io.storepulse.metrics.MetricsFixtures.MINUTE;
import static io.storepulse.metrics.MetricsFixtures.T0;
import static io.storepulse.metrics.MetricsFixtures.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import java.util.List;
import org.apache.datasketches.hll.HllSketch;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import storepulse.v1.actions.DimensionType;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.WindowType;

/**
 * The documented error bound of the running day's visitors: HLL with lgK = 12 has a relative
 * standard error of 1.04 / sqrt(4096) = 1.625 %; we promise |estimate - true| <= 3 RSE (4.9 %),
 * which holds with probability 99.7 % for any one count, and check the sketch's own 3-sigma bounds.
 * Hashing is seeded and fixed, so these tests are deterministic.
 */
class DayVisitorSketchTest {

    static final double RSE = 1.04 / Math.sqrt(1 << FunnelAggregator.HLL_LG_K);

    @ParameterizedTest
    @ValueSource(ints = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000})
    void shouldEstimateDistinctVisitorsWithinThreeStandardErrors(int n) {
        HllSketch sketch = FunnelAggregator.sketch(null);
        for (int i = 0; i < n; i++) {
            sketch.update("v:visitor-" + i);
            sketch.update("v:visitor-" + (i / 2)); // repeats change nothing
        }
        byte[] stored = sketch.toCompactByteArray();

        long estimate = FunnelAggregator.estimate(stored);

        assertThat(Math.abs(estimate - n)).isLessThanOrEqualTo((long) Math.ceil(3 * RSE * n));
        HllSketch restored = FunnelAggregator.sketch(stored);
        assertThat(restored.getLowerBound(3)).isLessThanOrEqualTo(n);
        assertThat(restored.getUpperBound(3)).isGreaterThanOrEqualTo(n);
    }

    @Test
    void shouldReportAnEstimatedDayNextToExactMinutes() throws Exception {
        KeyedBroadcastOperatorTestHarness<String, DimFact, RuleUpdate, FunnelMetrics> harness =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new FunnelAggregator(), DimFact::key, Types.STRING, RulesState.DESCRIPTOR);
        int perMinute = 500;
        for (int minute = 0; minute < 6; minute++) {
            for (int i = 0; i < perMinute; i++) {
                // Half of each minute's visitors come back from the minute before.
                int visitor = minute * perMinute / 2 + i;
                FunnelFact f =
                        FunnelFacts.fromBrowse(
                                view(
                                        "b" + minute + "-" + i,
                                        "v" + visitor,
                                        null,
                                        "web",
                                        minute * MINUTE + i));
                harness.processElement(
                        new DimFact(DimensionType.ALL, FunnelFacts.ALL_VALUE, f), f.eventTime);
            }
            harness.processWatermark(T0.toEpochMilli() + (minute + 1) * MINUTE - 1);
            harness.processBroadcastWatermark(T0.toEpochMilli() + (minute + 1) * MINUTE - 1);
        }
        long distinct = 5 * perMinute / 2 + perMinute; // 3000

        List<FunnelMetrics> out = harness.extractOutputValues();
        FunnelMetrics lastDay =
                out.stream()
                        .filter(m -> m.getWindowType() == WindowType.DAY)
                        .reduce((a, b) -> b)
                        .get();
        assertThat(lastDay.getRevision()).isEqualTo(5);
        assertThat(lastDay.getVisitorsExact()).isFalse();
        assertThat(Math.abs(lastDay.getVisitors() - distinct))
                .isLessThanOrEqualTo((long) Math.ceil(3 * RSE * distinct));
        assertThat(out.stream().filter(m -> m.getWindowType() == WindowType.MINUTE))
                .allSatisfy(
                        m -> {
                            assertThat(m.getVisitors()).isEqualTo(perMinute);
                            assertThat(m.getVisitorsExact()).isTrue();
                        });
    }
}
