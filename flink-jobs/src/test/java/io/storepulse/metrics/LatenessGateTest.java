package io.storepulse.metrics;

import static io.storepulse.metrics.MetricsFixtures.MINUTE;
import static io.storepulse.metrics.MetricsFixtures.T0;
import static io.storepulse.metrics.MetricsFixtures.globalRule;
import static io.storepulse.metrics.MetricsFixtures.line;
import static io.storepulse.metrics.MetricsFixtures.order;
import static io.storepulse.metrics.MetricsFixtures.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.serde.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;

class LatenessGateTest {

    private LatenessGate<BrowseEvent> browseGate;

    private BroadcastOperatorTestHarness<BrowseEvent, RuleUpdate, BrowseEvent> setupHarness()
            throws Exception {
        browseGate =
                new LatenessGate<>(
                        "browse",
                        e -> e.getEventTime().toEpochMilli(),
                        BrowseEvent::getVisitorId,
                        BrowseEvent::getEventId,
                        null);
        return ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
                browseGate, RulesState.DESCRIPTOR);
    }

    @Test
    void shouldLetALateEventThroughWhileItsWindowIsWithinTheAllowedLateness() throws Exception {
        var harness = setupHarness();
        watermark(harness, 5 * MINUTE); // minute 0 closed 4 min ago: within the default 5 min

        harness.processElement(view("b1", "v1", null, "web", 1_000), T0.toEpochMilli() + 1_000);

        assertThat(harness.extractOutputValues()).hasSize(1);
        assertThat(harness.getSideOutput(DeadLetters.TAG)).isNull();
        assertThat(browseGate.tooLateCount()).isZero();
    }

    @Test
    void shouldSendAnEventLaterThanTheAllowedLatenessToDeadLettersAndCountIt() throws Exception {
        var harness = setupHarness();
        watermark(harness, 6 * MINUTE - 1); // minute 0 ends at 1 min; + 5 min lateness = now
        BrowseEvent late = view("b1", "v1", null, "web", 1_000);

        harness.processElement(late, T0.toEpochMilli() + 1_000);

        assertThat(harness.extractOutputValues()).isEmpty();
        List<DeadLetter> dead = deadLetters(harness);
        assertThat(dead).hasSize(1);
        DeadLetter d = dead.get(0);
        assertThat(d.getErrorKind()).isEqualTo(DeadLetterKind.TOO_LATE);
        assertThat(d.getSourceTopic()).isEqualTo("browse");
        assertThat(d.getJob()).isEqualTo("storepulse-metrics");
        assertThat(d.getSourceOffset()).isEqualTo(-1);
        assertThat(StandardCharsets.UTF_8.decode(d.getRawValue()).toString())
                .isEqualTo(late.toString());
        assertThat(d.getErrorMessage()).contains("b1").contains("v1").contains("PT5M");
        assertThat(browseGate.tooLateCount()).isEqualTo(1);
    }

    @Test
    void shouldApplyTheAllowedLatenessRule() throws Exception {
        var harness = setupHarness();
        harness.processBroadcastElement(globalRule("late", 1, Map.of("allowed_lateness", "0m")), 0);
        watermark(harness, MINUTE - 1);

        harness.processElement(view("b1", "v1", null, "web", 1_000), T0.toEpochMilli() + 1_000);

        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(deadLetters(harness)).hasSize(1);
    }

    @Test
    void shouldDeadLetterAnOrderInAnotherCurrencyThanTheShops() throws Exception {
        LatenessGate<OrderEvent> gate =
                new LatenessGate<>(
                        "orders",
                        e -> e.getEventTime().toEpochMilli(),
                        OrderEvent::getOrderId,
                        OrderEvent::getEventId,
                        MetricsJob::currencyProblem);
        var harness =
                ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
                        gate, RulesState.DESCRIPTOR);
        OrderEvent usd =
                order(
                        "e1",
                        "o1",
                        "u1",
                        OrderEventType.PLACED,
                        "web",
                        0,
                        line("s", 1, "1.00", "0.50"));
        usd.setCurrency("USD");

        harness.processElement(usd, T0.toEpochMilli());

        assertThat(harness.extractOutputValues()).isEmpty();
        DeadLetter d = harness.getSideOutput(DeadLetters.TAG).peek().getValue();
        assertThat(d.getErrorKind()).isEqualTo(DeadLetterKind.IMPOSSIBLE_VALUE);
        assertThat(d.getErrorMessage()).contains("USD").contains("EUR");
    }

    private static void watermark(
            BroadcastOperatorTestHarness<BrowseEvent, RuleUpdate, BrowseEvent> harness, long offset)
            throws Exception {
        harness.processWatermark(T0.toEpochMilli() + offset);
        harness.processBroadcastWatermark(T0.toEpochMilli() + offset);
    }

    private static List<DeadLetter> deadLetters(
            BroadcastOperatorTestHarness<BrowseEvent, RuleUpdate, BrowseEvent> harness) {
        return harness.getSideOutput(DeadLetters.TAG).stream().map(StreamRecord::getValue).toList();
    }
}
