package io.storepulse.metrics;

import static io.storepulse.metrics.MetricsFixtures.T0;
import static io.storepulse.metrics.MetricsFixtures.globalRule;
import static io.storepulse.metrics.MetricsFixtures.line;
import static io.storepulse.metrics.MetricsFixtures.order;
import static io.storepulse.metrics.MetricsFixtures.returned;
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
import storepulse.v1.actions.ReturnInsight;
import storepulse.v1.common.ReturnReason;
import storepulse.v1.events.OrderEventType;

class ReturnInsightFunctionTest {

    static final long HOUR = Duration.ofHours(1).toMillis();

    private KeyedBroadcastOperatorTestHarness<String, SkuSignal, RuleUpdate, ReturnInsight> harness;

    @BeforeEach
    void setupHarness() throws Exception {
        harness =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new ReturnInsightFunction(),
                        s -> s.sku,
                        Types.STRING,
                        RulesState.DESCRIPTOR);
    }

    @Test
    void shouldAlertWhenWrongSizePassesThirtyPercentOfAtLeastTwentyReturns() throws Exception {
        ship(100);
        returns(7, ReturnReason.WRONG_SIZE); // 7 of 20 = 35 %
        returns(13, ReturnReason.QUALITY);

        watermark(HOUR - 1);

        ReturnInsight r = only();
        assertThat(r.getAlert()).isTrue();
        assertThat(r.getAlertReason()).isEqualTo(ReturnReason.WRONG_SIZE);
        assertThat(r.getReturns()).isEqualTo(20);
        assertThat(r.getUnitsSold()).isEqualTo(100);
        assertThat(r.getUnitsReturned()).isEqualTo(20);
        assertThat(r.getReturnRate()).isEqualTo(0.2);
        assertThat(r.getReasonShares())
                .containsEntry("WRONG_SIZE", 0.35)
                .containsEntry("QUALITY", 0.65);
        assertThat(r.getWindowDays()).isEqualTo(30);
        assertThat(r.getExplanation().getText()).contains("WRONG_SIZE").contains("35.0 %");
    }

    @Test
    void shouldNotAlertWithFewerThanTwentyReturns() throws Exception {
        ship(100);
        returns(10, ReturnReason.WRONG_SIZE);
        returns(9, ReturnReason.QUALITY);

        watermark(HOUR - 1);

        assertThat(only().getAlert()).isFalse();
    }

    @Test
    void shouldNotAlertAtExactlyTheThreshold() throws Exception {
        ship(100);
        returns(6, ReturnReason.WRONG_SIZE); // 6 of 20 = 30 %: not over
        returns(14, ReturnReason.QUALITY);

        watermark(HOUR - 1);

        assertThat(only().getAlert()).isFalse();
    }

    @Test
    void shouldApplyReasonThresholdRules() throws Exception {
        harness.processBroadcastElement(
                globalRule(
                        "returns",
                        2,
                        Map.of(
                                "return_alert_share_quality",
                                "0.5",
                                "return_alert_min_returns",
                                "5")),
                0);
        returns(4, ReturnReason.QUALITY);
        returns(2, ReturnReason.OTHER);

        watermark(HOUR - 1);

        ReturnInsight r = only();
        assertThat(r.getAlertReason()).isEqualTo(ReturnReason.QUALITY);
        assertThat(r.getRuleId()).isEqualTo("returns");
        assertThat(r.getReturnRate()).isZero(); // nothing shipped in the window
    }

    @Test
    void shouldForgetReturnsAfterThirtyDays() throws Exception {
        ship(10);
        returns(1, ReturnReason.WRONG_SIZE);
        watermark(HOUR - 1);
        harness.getOutput().clear();

        watermark(Duration.ofDays(31).toMillis());

        ReturnInsight r = only();
        assertThat(r.getReturns()).isZero();
        assertThat(r.getUnitsSold()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(HarnessState.numKeyedStateEntries(harness)).isZero();
    }

    private int orders;

    private void ship(int units) throws Exception {
        String id = "o" + orders++;
        for (SkuSignal s :
                SkuSignal.lines(
                        order(
                                id + "-s",
                                id,
                                "u",
                                OrderEventType.SHIPPED,
                                "web",
                                0,
                                line("sku-1", units, "10.00", "5.00")))) {
            harness.processElement(s, s.eventTime);
        }
    }

    private void returns(int n, ReturnReason reason) throws Exception {
        for (int i = 0; i < n; i++) {
            String id = "o" + orders++;
            for (SkuSignal s :
                    SkuSignal.lines(
                            returned(
                                    id + "-r",
                                    id,
                                    reason,
                                    1_000,
                                    line("sku-1", 1, "10.00", "5.00")))) {
                harness.processElement(s, s.eventTime);
            }
        }
    }

    private void watermark(long offset) throws Exception {
        harness.processWatermark(T0.toEpochMilli() + offset);
        harness.processBroadcastWatermark(T0.toEpochMilli() + offset);
    }

    private ReturnInsight only() {
        List<ReturnInsight> out = harness.extractOutputValues();
        assertThat(out).hasSize(1);
        return out.get(0);
    }
}
