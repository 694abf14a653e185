package io.storepulse.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.storepulse.config.KafkaIO;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.engagement.EngagementJob;
import io.storepulse.rules.RuleUpdate;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.InjectClusterRESTAddress;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.CartEventType;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.Product;

/**
 * Checkpoint size under key churn: the engagement job as deployed (RocksDB, parallelism 2), with
 * full checkpoints every second, fed by a steady stream of new shoppers who fill a cart and walk
 * away, with event time running fast (one cart addition per simulated minute, 1,000 per second).
 * Once the first shoppers' carts have passed their 7-day retention, the checkpoint size, measured
 * through Flink's REST API, does not grow with the shoppers that keep coming: the run goes on until
 * event time has reached three times the warm-up, and the second half of it averages at most 25 %
 * above the first half (and peaks at most 40 % above), where keeping every shopper would put it
 * about 67 % above. State is bounded by retention, not by the number of shoppers that came.
 *
 * <p>Size: {@code -Dstorepulse.reliability.checkpoints=N} checkpoints after warm-up (default 20).
 */
class BoundedCheckpointSizeITCase {

    static final int CHECKPOINTS = Integer.getInteger("storepulse.reliability.checkpoints", 20);
    static final int RATE = 1_000;
    static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    static final Duration EVENT_STEP = Duration.ofMinutes(1);

    /** Cart retention (7 d) and the coupon caps' window (7 d), plus margin. */
    static final Duration WARM_UP = Duration.ofDays(9);

    /**
     * The run ends once event time has reached this many warm-ups (and CHECKPOINTS checkpoints have
     * completed after the warm-up). If the job kept every shopper, state would grow with the
     * shoppers seen: at the middle of the first half about 1.5 warm-ups' worth, at the middle of
     * the second 2.5, so the second half would average about 2.5 / 1.5 = 1.67 times the first.
     * Bounded state stays near 1.
     */
    static final long RUN_LENGTH = 3;

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(config())
                            .build());

    static Configuration config() {
        Configuration c = ExactlyOnceUnderFailureITCase.loopback();
        c.set(WebOptions.CHECKPOINTS_HISTORY_SIZE, 500);
        return c;
    }

    @Test
    void shouldKeepCheckpointSizeFlatWhileShoppersComeAndGo(
            @InjectClusterRESTAddress URI rest, @TempDir Path checkpoints) throws Exception {
        // Given the engagement job with RocksDB and checkpoints every second
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        StorepulseSettings settings =
                StorepulseSettings.fromArgs(
                        new String[] {
                            "--bootstrap-servers", "127.0.0.1:1",
                            "--registry-url", "http://127.0.0.1:1",
                            "--checkpoint-interval", "1s",
                            "--checkpoint-dir", checkpoints.toUri().toString(),
                            "--parallelism", "2"
                        });
        KafkaIO.configure(env, settings);
        // Full snapshots, so that a checkpoint's size is the live state: incremental ones also
        // carry RocksDB files until compaction rewrites them, a sawtooth (measured 0.60 to 1.00 MB
        // for this workload) that says more about compaction than about what the job keeps.
        Configuration full = new Configuration();
        full.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, false);
        env.configure(full);
        long warmUpRecords = WARM_UP.dividedBy(EVENT_STEP);
        long runRecords = RUN_LENGTH * warmUpRecords;
        // one generator subtask, so that event time rises steadily with the record index
        DataStream<CartEvent> carts =
                env.fromSource(
                                new DataGeneratorSource<>(
                                        BoundedCheckpointSizeITCase::cartAddition,
                                        Long.MAX_VALUE,
                                        RateLimiterStrategy.perSecond(RATE),
                                        TypeInformation.of(CartEvent.class)),
                                EngagementJob.CART_WATERMARKS,
                                "churning-shoppers")
                        .setParallelism(1)
                        .uid("churning-shoppers");
        EngagementJob.build(
                new EngagementJob.Inputs(
                        carts,
                        none(carts, OrderEvent.class, "no-orders"),
                        none(carts, BrowseEvent.class, "no-browse"),
                        none(carts, Product.class, "no-catalog"),
                        none(carts, RuleUpdate.class, "no-rules"),
                        none(carts, storepulse.v1.actions.DeadLetter.class, "no-dead-letters")),
                new EngagementJob.Outputs(
                        new DiscardingSink<>(), new DiscardingSink<>(), new DiscardingSink<>()));

        // When it runs through the warm-up and then CHECKPOINTS more checkpoints
        JobClient job = env.executeAsync("bounded-checkpoint-size");
        List<long[]> afterWarmUp = new ArrayList<>();
        try {
            // Warm-up ends in event time, when the generator has passed WARM_UP, not after a
            // number of wall-clock seconds: a loaded machine generates below RATE, and a
            // checkpoint taken while the first carts are still within retention is still growing.
            long warmUpSeconds = warmUpRecords / RATE;
            long deadline =
                    System.nanoTime()
                            + Duration.ofSeconds(
                                            4 * RUN_LENGTH * warmUpSeconds + 3L * CHECKPOINTS + 60)
                                    .toNanos();
            long warmedUpAt = Long.MAX_VALUE;
            while ((afterWarmUp.size() < CHECKPOINTS || HIGHEST_GENERATED.get() < runRecords)
                    && System.nanoTime() < deadline) {
                Thread.sleep(1_000);
                if (warmedUpAt == Long.MAX_VALUE && HIGHEST_GENERATED.get() >= warmUpRecords) {
                    warmedUpAt = System.currentTimeMillis();
                }
                afterWarmUp.clear();
                for (JsonNode c : completedCheckpoints(rest, job.getJobID().toHexString())) {
                    if (c.get("trigger_timestamp").asLong() >= warmedUpAt) {
                        afterWarmUp.add(
                                new long[] {
                                    c.get("id").asLong(),
                                    c.get("state_size").asLong(),
                                    c.get("checkpointed_size").asLong(),
                                    c.get("end_to_end_duration").asLong()
                                });
                    }
                }
            }
        } finally {
            job.cancel().get();
        }

        // Then the checkpoint size stays flat
        StringBuilder report =
                new StringBuilder(
                        "checkpoint sizes of the engagement job after warm-up ("
                                + RATE
                                + " cart additions/s, one per simulated minute, new shopper every"
                                + " 3):");
        afterWarmUp.forEach(
                r ->
                        report.append(
                                String.format(
                                        "%n  chk %4d: state %,10d B, this checkpoint %,10d B, %5d ms",
                                        r[0], r[1], r[2], r[3])));
        System.out.println(report);
        assertThat(afterWarmUp).hasSizeGreaterThanOrEqualTo(CHECKPOINTS);
        // What a full RocksDB snapshot reports is not a smooth figure: it rises for about three
        // checkpoints and falls back on the fourth, by about a third (measured 651 to 982 KB over
        // 60 checkpoints, with quiet hours on and off alike), while the entries the function
        // keeps stay flat (3,370 to 3,372 users and timers from 14 to 76 simulated days, counted
        // in RocksDB itself in a harness run of this workload with quiet hours off). Which teeth
        // of that saw fall into a half moves the halves' means apart by sampling alone: measured
        // -10.4 % to +11.3 % over 20 checkpoints (the latter failed CI on 2026-11-23 against the
        // former 10 % bound). Over long runs the reported size also creeps up slowly (its minimum
        // from 642 to 983 KB over 139 simulated days; halves of 26 checkpoints from +0.3 % to
        // +6.8 % apart), with the same flat entries. Keeping every shopper would put
        // the second half about 67 % above the first (see RUN_LENGTH), so the bounds sit between:
        // the second half's mean at most 25 % above the first's, its peak at most 40 % above.
        // (It must not fall below half either: state that vanished would mean the job stopped
        // keeping carts, not that it bounded them.)
        List<long[]> first = afterWarmUp.subList(0, afterWarmUp.size() / 2);
        List<long[]> second = afterWarmUp.subList(afterWarmUp.size() / 2, afterWarmUp.size());
        double firstMean = first.stream().mapToLong(r -> r[1]).average().orElseThrow();
        double secondMean = second.stream().mapToLong(r -> r[1]).average().orElseThrow();
        long firstMax = first.stream().mapToLong(r -> r[1]).max().orElseThrow();
        long secondMax = second.stream().mapToLong(r -> r[1]).max().orElseThrow();
        System.out.printf(
                "first half: mean %,.0f B, max %,d B; second half: mean %,.0f B, max %,d B%n",
                firstMean, firstMax, secondMean, secondMax);
        assertThat(firstMean).isPositive();
        assertThat(secondMean)
                .as("mean state size, second half against the first")
                .isBetween(firstMean * 0.5, firstMean * 1.25);
        assertThat((double) secondMax)
                .as("peak state size, second half against the first")
                .isBetween(firstMax * 0.5, firstMax * 1.4);
    }

    /**
     * The index of the latest record generated: the generator runs in this JVM's MiniCluster, so
     * the test reads how far event time has come without asking the job.
     */
    private static final AtomicLong HIGHEST_GENERATED = new AtomicLong(-1);

    /** Record i: shopper i/3 adds an item, one simulated minute after record i-1. */
    static CartEvent cartAddition(long i) {
        HIGHEST_GENERATED.accumulateAndGet(i, Math::max);
        String shopper = "shopper-" + (i / 3);
        return CartEvent.newBuilder()
                .setEventId("churn-" + i)
                .setUserId(shopper)
                .setSessionId("session-" + shopper)
                .setType(CartEventType.ADD)
                .setSku("sku-" + (i % 50))
                .setQuantity(1)
                .setUnitPrice(new BigDecimal("20.00"))
                .setCurrency("EUR")
                .setChannel("web")
                .setEventTime(T0.plus(EVENT_STEP.multipliedBy(i)))
                .build();
    }

    /**
     * An input with no records that follows the carts' event time (an empty collection source would
     * finish, and Flink's finishes with an error when empty).
     */
    private static <T> DataStream<T> none(DataStream<CartEvent> clock, Class<T> type, String uid) {
        return clock.flatMap((CartEvent c, Collector<T> out) -> {})
                .returns(TypeInformation.of(type))
                .uid(uid)
                .name(uid);
    }

    private static List<JsonNode> completedCheckpoints(URI rest, String jobId) throws Exception {
        HttpResponse<String> response =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                rest.resolve("/jobs/" + jobId + "/checkpoints"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        List<JsonNode> completed = new ArrayList<>();
        for (JsonNode c : new ObjectMapper().readTree(response.body()).path("history")) {
            if ("COMPLETED".equals(c.path("status").asText())) {
                completed.add(c);
            }
        }
        completed.sort(java.util.Comparator.comparingLong(c -> c.get("id").asLong()));
        return completed;
    }
}
