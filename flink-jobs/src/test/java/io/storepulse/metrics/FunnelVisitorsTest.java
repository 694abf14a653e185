package io.storepulse.metrics;

import static io.storepulse.metrics.MetricsFixtures.MINUTE;
import static io.storepulse.metrics.MetricsFixtures.T0;
import static io.storepulse.metrics.MetricsFixtures.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import storepulse.v1.actions.DimensionType;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.WindowType;
import storepulse.v1.events.BrowseEvent;

/** Who counts as a visitor of a minute: one per person, never fewer. */
class FunnelVisitorsTest {

    private KeyedBroadcastOperatorTestHarness<String, DimFact, RuleUpdate, FunnelMetrics> harness;

    @BeforeEach
    void setupHarness() throws Exception {
        harness =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new FunnelAggregator(), DimFact::key, Types.STRING, RulesState.DESCRIPTOR);
    }

    @Test
    void shouldCountAnonymousVisitorsWithABlankUserIdByTheirVisitorId() throws Exception {
        send(withUser(view("b1", "v1", null, "web", 1_000), ""));
        send(withUser(view("b2", "v2", null, "web", 2_000), ""));
        send(withUser(view("b3", "v3", null, "web", 3_000), " "));
        send(withUser(view("b4", "v4", null, "web", 4_000), null));
        send(withUser(view("b5", "v5", null, "web", 5_000), "u5"));
        send(withUser(view("b6", "v6", null, "web", 6_000), "u5")); // u5 on a second device

        harness.processWatermark(T0.toEpochMilli() + MINUTE - 1);
        harness.processBroadcastWatermark(T0.toEpochMilli() + MINUTE - 1);

        List<FunnelMetrics> minutes =
                harness.extractOutputValues().stream()
                        .filter(m -> m.getWindowType() == WindowType.MINUTE)
                        .filter(m -> m.getDimensionType() == DimensionType.ALL)
                        .toList();
        assertThat(minutes).hasSize(1);
        // v:v1, v:v2, v:v3, v:v4 and u:u5: a blank user_id is no user.
        assertThat(minutes.get(0).getVisitors()).isEqualTo(5);
    }

    private static BrowseEvent withUser(BrowseEvent e, String userId) {
        e.setUserId(userId);
        return e;
    }

    private void send(BrowseEvent e) throws Exception {
        FunnelFact f = FunnelFacts.fromBrowse(e);
        for (DimFact d : FunnelFacts.dimensions(f)) {
            harness.processElement(d, f.eventTime);
        }
    }
}
