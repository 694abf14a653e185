package io.storepulse.bench.jmh;

import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.Test;

/**
 * The per-job function benchmarks set up and run their operations (past a ring wrap, so shifted
 * event times and ids are exercised) without failing; JMH itself measures them in the suite.
 */
class FunctionBenchmarksTest {

    private static final int OPS = FunctionBench.RING + 1_000;

    @Test
    void shouldRunTheInventoryStockBenchmark() throws Exception {
        InventoryStockBenchmark b = new InventoryStockBenchmark();
        b.setUp();
        assertThatCode(
                        () -> {
                            for (int i = 0; i < OPS; i++) {
                                b.stockByInputEvent();
                            }
                        })
                .doesNotThrowAnyException();
        b.tearDown();
    }

    @Test
    void shouldRunTheEngagementUserBenchmark() throws Exception {
        EngagementUserBenchmark b = new EngagementUserBenchmark();
        b.setUp();
        assertThatCode(
                        () -> {
                            for (int i = 0; i < OPS; i++) {
                                b.userByInputEvent();
                            }
                        })
                .doesNotThrowAnyException();
        b.tearDown();
    }

    @Test
    void shouldRunTheMetricsFunnelBenchmark() throws Exception {
        MetricsFunnelBenchmark b = new MetricsFunnelBenchmark();
        b.setUp();
        assertThatCode(
                        () -> {
                            for (int i = 0; i < OPS; i++) {
                                b.funnelByInputEvent();
                            }
                        })
                .doesNotThrowAnyException();
        b.tearDown();
    }

    @Test
    void shouldRunTheClearanceEvaluationBenchmark() throws Exception {
        // Two simulated days of hourly evaluations of 1,000 SKUs
        ClearanceEvaluationBenchmark b = new ClearanceEvaluationBenchmark();
        b.setUp();
        assertThatCode(
                        () -> {
                            for (int i = 0; i < 2 * 24; i++) {
                                b.evaluateSkuHour();
                            }
                        })
                .doesNotThrowAnyException();
        b.tearDown();
    }
}
