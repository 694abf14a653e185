package io.storepulse.engagement;

import static io.storepulse.engagement.EngagementFixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.config.KafkaIO;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.testing.SharedStack;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import storepulse.v1.actions.CouponAction;
import storepulse.v1.actions.CouponTrigger;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.actions.Segment;
import storepulse.v1.actions.SegmentChange;
import storepulse.v1.events.CartEventType;
import storepulse.v1.events.OrderEventType;

/**
 * The engagement job end to end on a real Kafka broker and a real schema registry: Avro input in
 * Confluent framing with bad records mixed in, coupons and segment changes out, exactly-once.
 */
class EngagementKafkaITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setConfiguration(loopback())
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    private static Configuration loopback() {
        Configuration c = new Configuration();
        c.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        c.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        c.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        c.set(RestOptions.ADDRESS, "127.0.0.1");
        return c;
    }

    private static final Duration WAIT = Duration.ofSeconds(90);

    @Test
    void shouldEmitCouponsAndSegmentChangesFromAvroInputWithBadRecordsMixedInAcrossARestart()
            throws Exception {
        // Given the real stack and the job running on it
        SharedStack stack = SharedStack.get();
        stack.createTopics(
                Topics.CARTS,
                Topics.ORDERS,
                Topics.BROWSE,
                Topics.CATALOG,
                Topics.RULES,
                Topics.COUPON_ACTIONS,
                Topics.USER_SEGMENTS,
                Topics.DEAD_LETTERS);
        StorepulseSettings settings = stack.settings("--parallelism", "2");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        KafkaIO.configure(env, settings);
        KafkaIO io = new KafkaIO(settings, StorepulseJob.ENGAGEMENT);
        EngagementJob.Inputs kafka = EngagementJob.kafkaInputs(env, io);
        // The job fails once, later in the run, on the cart event "boom": it restarts from its
        // last checkpoint after coupons were already committed.
        EngagementJob.Inputs inputs =
                new EngagementJob.Inputs(
                        kafka.carts()
                                .map(new FailOnBoom())
                                .uid("test-fail-on-boom")
                                .name("fail once"),
                        kafka.orders(),
                        kafka.browse(),
                        kafka.catalog(),
                        kafka.rules(),
                        kafka.deadLetters());
        EngagementJob.build(inputs, EngagementJob.kafkaOutputs(io));
        JobClient job = env.executeAsync(StorepulseJob.ENGAGEMENT.id());
        try {
            // When alice leaves a cart, bob orders before his deadline, carol adds one SKU 3 times
            stack.produce(
                    Topics.CARTS,
                    "alice",
                    cartEvent("a1", "alice", CartEventType.ADD, "sku-1", 2, "25.00", T0));
            stack.produce(
                    Topics.CARTS,
                    "bob",
                    cartEvent(
                            "b1",
                            "bob",
                            CartEventType.ADD,
                            "sku-2",
                            1,
                            "30.00",
                            T0.plusSeconds(1)));
            stack.produce(
                    Topics.ORDERS,
                    "order-bob-1",
                    orderEvent(
                            "b2",
                            "bob",
                            "order-bob-1",
                            OrderEventType.PLACED,
                            "30.00",
                            T0.plusSeconds(10),
                            "sku-2"));
            for (int i = 0; i < 3; i++) {
                Instant t = T0.plusSeconds(2 + i * 2L);
                stack.produce(
                        Topics.CARTS,
                        "carol",
                        cartEvent("c-add-" + i, "carol", CartEventType.ADD, "sku-3", 1, "9.00", t));
                stack.produce(
                        Topics.CARTS,
                        "carol",
                        cartEvent(
                                "c-rm-" + i,
                                "carol",
                                CartEventType.REMOVE,
                                "sku-3",
                                1,
                                null,
                                t.plusSeconds(1)));
            }
            stack.produce(
                    Topics.CARTS,
                    "alice",
                    cartEvent(
                            "a1",
                            "alice",
                            CartEventType.ADD,
                            "sku-1",
                            2,
                            "25.00",
                            T0)); // duplicate
            // ... with bad records on every partition: garbage bytes and impossible values
            int bad = 0;
            for (Topic<?> topic : List.of(Topics.CARTS, Topics.ORDERS, Topics.BROWSE)) {
                for (String key : keysCoveringPartitions(topic)) {
                    stack.produceRaw(
                            topic.name(), key, "not avro".getBytes(StandardCharsets.UTF_8));
                    bad++;
                }
            }
            stack.produce(
                    Topics.CARTS,
                    "mallory",
                    cartEvent("m1", "mallory", CartEventType.ADD, "sku-1", -3, "25.00", T0));
            stack.produce(
                    Topics.ORDERS,
                    "order-m",
                    orderEvent(
                            "m2",
                            "mallory",
                            "order-m",
                            OrderEventType.PLACED,
                            "-5.00",
                            T0,
                            "sku-1"));
            stack.produce(
                    Topics.RULES, "bad-rule", ruleSet("bad-rule", 1, Map.of("no-such-param", "1")));
            // a cart event stamped a day ahead of the wall clock would move event time on
            stack.produce(
                    Topics.CARTS,
                    "zed",
                    cartEvent(
                            "z1",
                            "zed",
                            CartEventType.ADD,
                            "sku-1",
                            1,
                            "25.00",
                            Instant.now().plus(Duration.ofDays(1))));
            bad += 4;
            stack.flush();

            // Once every partition has been read past those events, time moves on: page views and
            // harmless cart and order events three hours later, on every partition.
            List<DeadLetter> deadLetters = stack.consumeValues(Topics.DEAD_LETTERS, bad, WAIT);
            assertThat(deadLetters).hasSizeGreaterThanOrEqualTo(bad);
            Instant later = T0.plus(Duration.ofHours(3));
            for (String key : keysCoveringPartitions(Topics.BROWSE)) {
                stack.produce(Topics.BROWSE, key, browseEvent("clock-" + key, key, null, later));
            }
            for (String key : keysCoveringPartitions(Topics.CARTS)) {
                stack.produce(
                        Topics.CARTS,
                        key,
                        cartEvent(
                                "clock-" + key,
                                key,
                                CartEventType.CHECKOUT_STARTED,
                                null,
                                0,
                                null,
                                later));
            }
            for (String key : keysCoveringPartitions(Topics.ORDERS)) {
                stack.produce(
                        Topics.ORDERS,
                        key,
                        orderEvent(
                                "clock-" + key,
                                "clock-user",
                                key,
                                OrderEventType.SHIPPED,
                                "1.00",
                                later,
                                "sku-9"));
            }
            stack.flush();

            // Then alice gets an abandoned-cart coupon and carol a repeated-add coupon, bob none
            List<CouponAction> coupons = stack.consumeValues(Topics.COUPON_ACTIONS, 2, WAIT);
            assertThat(coupons)
                    .extracting(CouponAction::getUserId, CouponAction::getTrigger)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple(
                                    "alice", CouponTrigger.CART_ABANDONED),
                            org.assertj.core.groups.Tuple.tuple(
                                    "carol", CouponTrigger.REPEATED_ADD_TO_CART));
            CouponAction alice =
                    coupons.stream()
                            .filter(c -> c.getUserId().equals("alice"))
                            .findFirst()
                            .orElseThrow();
            assertThat(alice.getActionId())
                    .isEqualTo("cpn:alice:CART_ABANDONED:" + T0.toEpochMilli());
            assertThat(alice.getCartValue()).isEqualByComparingTo("50.00");
            assertThat(alice.getCouponValue()).isEqualByComparingTo("10.00");
            // ... bob is a NEW customer
            List<SegmentChange> segments = stack.consumeValues(Topics.USER_SEGMENTS, 1, WAIT);
            assertThat(segments)
                    .extracting(SegmentChange::getUserId, SegmentChange::getSegment)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("bob", Segment.NEW));
            // When the job fails after those were committed and dave's cart comes and is left
            stack.produce(
                    Topics.CARTS,
                    "dave",
                    cartEvent(
                            "boom",
                            "dave",
                            CartEventType.ADD,
                            "sku-4",
                            1,
                            "70.00",
                            later.plusSeconds(1)));
            stack.flush();
            Instant evenLater = later.plus(Duration.ofHours(3));
            for (String key : keysCoveringPartitions(Topics.BROWSE)) {
                stack.produce(
                        Topics.BROWSE, key, browseEvent("clock2-" + key, key, null, evenLater));
            }
            for (String key : keysCoveringPartitions(Topics.CARTS)) {
                stack.produce(
                        Topics.CARTS,
                        key,
                        cartEvent(
                                "clock2-" + key,
                                key,
                                CartEventType.CHECKOUT_STARTED,
                                null,
                                0,
                                null,
                                evenLater));
            }
            for (String key : keysCoveringPartitions(Topics.ORDERS)) {
                stack.produce(
                        Topics.ORDERS,
                        key,
                        orderEvent(
                                "clock2-" + key,
                                "clock-user",
                                key,
                                OrderEventType.SHIPPED,
                                "1.00",
                                evenLater,
                                "sku-9"));
            }
            stack.flush();

            // Then dave gets his coupon, and across the restart no action is repeated
            List<CouponAction> allCoupons = stack.consumeValues(Topics.COUPON_ACTIONS, 3, WAIT);
            assertThat(FAILED.get()).as("the fault struck").isTrue();
            assertThat(allCoupons)
                    .extracting(CouponAction::getUserId)
                    .containsExactlyInAnyOrder("alice", "carol", "dave");
            assertThat(allCoupons).extracting(CouponAction::getActionId).doesNotHaveDuplicates();
            assertThat(stack.consumeValues(Topics.USER_SEGMENTS, 1, Duration.ofSeconds(5)))
                    .extracting(SegmentChange::getActionId)
                    .doesNotHaveDuplicates()
                    .hasSize(1);

            // ... and every bad record is on dead-letters with its reason, once
            List<DeadLetter> allDead = stack.consumeValues(Topics.DEAD_LETTERS, bad, WAIT);
            assertThat(allDead)
                    .extracting(DeadLetter::getErrorKind)
                    .contains(DeadLetterKind.IMPOSSIBLE_VALUE, DeadLetterKind.BAD_RULE)
                    .doesNotContain(DeadLetterKind.TOO_LATE);
            assertThat(allDead)
                    .extracting(DeadLetter::getErrorMessage)
                    .anyMatch(m -> m.contains("ahead of the clock"));
            assertThat(allDead).hasSize(bad);
        } finally {
            job.cancel().get();
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean FAILED =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Throws once, the first time it sees the cart event "boom" (the MiniCluster shares the JVM).
     */
    private static final class FailOnBoom
            implements org.apache.flink.api.common.functions.MapFunction<
                    storepulse.v1.events.CartEvent, storepulse.v1.events.CartEvent> {
        @Override
        public storepulse.v1.events.CartEvent map(storepulse.v1.events.CartEvent e) {
            if (e.getEventId().equals("boom") && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure on " + e.getEventId());
            }
            return e;
        }
    }

    /** One key per partition of the topic, so that every source split sees the record. */
    private static List<String> keysCoveringPartitions(Topic<?> topic) {
        List<String> keys = new ArrayList<>();
        boolean[] covered = new boolean[topic.partitions()];
        Function<String, Integer> partition =
                k ->
                        Utils.toPositive(Utils.murmur2(k.getBytes(StandardCharsets.UTF_8)))
                                % topic.partitions();
        for (int i = 0; keys.size() < topic.partitions(); i++) {
            String key = topic.name() + "-k" + i;
            int p = partition.apply(key);
            if (!covered[p]) {
                covered[p] = true;
                keys.add(key);
            }
        }
        return keys;
    }
}
