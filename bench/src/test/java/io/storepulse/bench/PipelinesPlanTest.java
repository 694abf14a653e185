package io.storepulse.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.config.KafkaIO;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.topics.StorepulseJob;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/** The SQL peers plan (the planner accepts their queries) without a broker. */
class PipelinesPlanTest {

    private static KafkaIO io() {
        return new KafkaIO(
                StorepulseSettings.fromArgs(
                        "--bootstrap-servers",
                        "127.0.0.1:1",
                        "--registry-url",
                        "http://127.0.0.1:1"),
                StorepulseJob.METRICS);
    }

    @Test
    void shouldPlanTheMetricsPeerWithItsCatalogTemporalJoin() {
        // Given a fresh environment
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();

        // When the SQL metrics peer is wired
        Pipelines.sqlMetricsPeer(env, io(), "plan/");

        // Then the planner translates it, temporal join included
        assertThat(env.getStreamGraph().getStreamNodes())
                .anySatisfy(
                        n -> assertThat(n.getOperatorName()).containsIgnoringCase("TemporalJoin"));
    }

    @Test
    void shouldPlanTheInventoryPeer() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();

        Pipelines.sqlInventoryPeer(env, io(), "plan/");

        assertThat(env.getStreamGraph().getStreamNodes()).isNotEmpty();
    }
}
