package io.storepulse.metrics;

import static io.storepulse.metrics.MetricsFixtures.cart;
import static io.storepulse.metrics.MetricsFixtures.line;
import static io.storepulse.metrics.MetricsFixtures.order;
import static io.storepulse.metrics.MetricsFixtures.product;
import static io.storepulse.metrics.MetricsFixtures.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.config.KafkaIO;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.testing.SharedStack;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.actions.DimensionType;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.WindowType;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.CartEventType;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;

/**
 * The metrics job on the real stack (in-JVM KRaft broker, Apicurio registry): Confluent-framed
 * events in, exactly-once conversion metrics and a TOO_LATE dead letter out, read back with
 * read_committed. Its events use their own channel ({@code it-web}), and assertions look only at
 * that channel, since other ITCases share the broker.
 */
class MetricsKafkaITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(MetricsGoldenITCase.loopback())
                            .build());

    /**
     * Half an hour ago, to the minute: in the past, because outputs are stamped with event time and
     * the broker refuses future stamps; events of other ITCases stamped in the future are dead
     * letters here (FutureEventTime.MAX_FUTURE_SKEW).
     */
    static final long BASE =
            Math.floorDiv(System.currentTimeMillis() - Duration.ofMinutes(30).toMillis(), 60_000L)
                    * 60_000L;

    static final long DAY_OFFSET = BASE - MetricsFixtures.T0.toEpochMilli();

    static final long S = 1_000L;

    private static SharedStack stack;

    @BeforeAll
    static void topics() {
        stack = SharedStack.get();
        for (Topic<?> t :
                List.of(
                        Topics.BROWSE,
                        Topics.CARTS,
                        Topics.ORDERS,
                        Topics.CATALOG,
                        Topics.RULES,
                        Topics.CONVERSION_METRICS,
                        Topics.SKU_QUADRANTS,
                        Topics.RETURN_INSIGHTS,
                        Topics.DEAD_LETTERS)) {
            try {
                stack.createTopics(t);
            } catch (IllegalStateException alreadyThere) {
                // Another ITCase in this JVM created it.
            }
        }
    }

    @Test
    void shouldWriteConversionMetricsAndTooLateDeadLettersToKafka() throws Exception {
        // Given the catalog and one minute of funnel on channel it-web
        stack.produce(Topics.CATALOG, "it-sku-1", product("it-sku-1", "it-shoes"));
        for (int i = 0; i < 12; i++) {
            BrowseEvent v = view("it-b" + i, "it-v" + i, "it-sku-1", "it-web", off(i * S));
            stack.produce(Topics.BROWSE, v.getVisitorId(), v);
        }
        CartEvent add =
                cart("it-c1", "it-u1", CartEventType.ADD, "it-sku-1", "it-web", off(20 * S));
        stack.produce(Topics.CARTS, add.getUserId(), add);
        stack.produce(Topics.CARTS, add.getUserId(), add); // a duplicate
        OrderEvent placed =
                order(
                        "it-o1-placed",
                        "it-o1",
                        "it-u1",
                        OrderEventType.PLACED,
                        "it-web",
                        off(30 * S),
                        line("it-sku-1", 3, "19.99", "9.00"));
        stack.produce(Topics.ORDERS, placed.getOrderId(), placed);
        // ...and, 3 minutes later, traffic on another channel on many keys, so that every source
        // subtask moves event time past the first minute
        for (int i = 0; i < 12; i++) {
            stack.produce(
                    Topics.BROWSE,
                    "it-push-" + i,
                    view("it-pb" + i, "it-push-" + i, null, "it-push", off(180 * S)));
            stack.produce(
                    Topics.CARTS,
                    "it-push-" + i,
                    cart(
                            "it-pc" + i,
                            "it-push-" + i,
                            CartEventType.CLEAR,
                            null,
                            "it-push",
                            off(180 * S)));
            stack.produce(
                    Topics.ORDERS,
                    "it-push-o" + i,
                    order(
                            "it-po" + i,
                            "it-push-o" + i,
                            "it-push-" + i,
                            OrderEventType.PAID,
                            "it-push",
                            off(180 * S),
                            line("it-sku-9", 1, "1.00", "0.50")));
        }
        stack.flush();

        // When the metrics job runs on the stack at parallelism 2, exactly once
        StorepulseSettings settings = stack.settings();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        KafkaIO.configure(env, settings);
        env.setParallelism(2);
        MetricsJob.wireKafka(env, settings);
        JobClient job = env.executeAsync("metrics-kafka-it");
        Optional<FunnelMetrics> minute;
        List<DeadLetter> tooLate;
        try {
            minute = awaitChannelMinute(Duration.ofSeconds(150));
            // An event an hour behind the watermark: too late for any window
            BrowseEvent late = view("it-late", "it-v-late", null, "it-web", off(-3_600 * S));
            stack.produce(Topics.BROWSE, late.getVisitorId(), late);
            stack.flush();
            tooLate = awaitTooLate(Duration.ofSeconds(60));
        } finally {
            job.cancel().get();
        }

        // Then the minute of it-web is on conversion-metrics with exact figures...
        assertThat(minute).isPresent();
        FunnelMetrics m = minute.get();
        assertThat(m.getRevision()).isZero();
        assertThat(m.getVisitors()).isEqualTo(13); // 12 visitors and the ordering user
        assertThat(m.getProductViews()).isEqualTo(12);
        assertThat(m.getAddToCarts()).isEqualTo(1);
        assertThat(m.getOrders()).isEqualTo(1);
        assertThat(m.getUnits()).isEqualTo(3);
        assertThat(m.getGmv()).isEqualByComparingTo("59.97");
        assertThat(m.getAov()).isEqualByComparingTo("59.97");
        assertThat(m.getConversionRate()).isEqualTo(1.0 / 13);
        // ...and the late event is a TOO_LATE dead letter of this job
        assertThat(tooLate)
                .anySatisfy(
                        d -> {
                            assertThat(d.getSourceTopic()).isEqualTo("browse");
                            assertThat(d.getJob()).isEqualTo("storepulse-metrics");
                            assertThat(d.getErrorMessage()).contains("it-late");
                        });
    }

    private static Optional<FunnelMetrics> awaitChannelMinute(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<FunnelMetrics> found =
                    stack.consume(Topics.CONVERSION_METRICS, 1, Duration.ofSeconds(5)).stream()
                            .filter(k -> k.key().equals("CHANNEL:it-web@" + at(0)))
                            .map(SharedStack.Keyed::value)
                            .filter(v -> v.getWindowType() == WindowType.MINUTE)
                            .filter(v -> v.getDimensionType() == DimensionType.CHANNEL)
                            .findFirst();
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static List<DeadLetter> awaitTooLate(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<DeadLetter> found = List.of();
        while (System.nanoTime() < deadline && found.isEmpty()) {
            found =
                    stack.consumeValues(Topics.DEAD_LETTERS, 1, Duration.ofSeconds(5)).stream()
                            .filter(d -> d.getErrorKind() == DeadLetterKind.TOO_LATE)
                            .filter(d -> d.getErrorMessage().contains("it-late"))
                            .toList();
        }
        return found;
    }

    /** A fixture offset (from the fixtures' T0) that lands at BASE + offsetMillis. */
    private static long off(long offsetMillis) {
        return DAY_OFFSET + offsetMillis;
    }

    /** Epoch millis of BASE + offsetMillis. */
    private static long at(long offsetMillis) {
        return MetricsFixtures.T0.toEpochMilli() + DAY_OFFSET + offsetMillis;
    }
}
