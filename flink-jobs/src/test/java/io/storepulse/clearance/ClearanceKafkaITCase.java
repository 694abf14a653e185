package io.storepulse.clearance;

import static io.storepulse.clearance.ClearanceFixtures.DAY;
import static io.storepulse.clearance.ClearanceFixtures.HOUR;
import static io.storepulse.clearance.ClearanceFixtures.T0;
import static io.storepulse.clearance.ClearanceFixtures.level;
import static io.storepulse.clearance.ClearanceFixtures.money;
import static io.storepulse.clearance.ClearanceFixtures.order;
import static io.storepulse.clearance.ClearanceFixtures.product;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.config.KafkaIO;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.testing.SharedStack;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
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
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.actions.MarkdownReason;
import storepulse.v1.actions.PriceAction;
import storepulse.v1.actions.PriceActionType;

/**
 * The clearance job from Avro on a real broker and registry to {@code price-actions}: a slow mover
 * and an expiring lot are marked down, an impossible catalog record is dead-lettered and its SKU
 * left unpriced.
 */
class ClearanceKafkaITCase {

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(loopback())
                            .build());

    /** Event time of the scenario's last inputs. */
    private static final long HEARTBEAT = T0 + 15 * DAY;

    /**
     * Every partition gets a record at this time to move watermarks on, past the allowed lateness
     * after the scenario: a catalog record read after the watermark passed its SKU's evaluation
     * points is evaluated one lateness later, so the test must not depend on read order.
     */
    private static final long WATERMARK_PUSH = HEARTBEAT + 3 * HOUR;

    @Test
    void shouldWritePriceActionsFromAvroInputs() throws Exception {
        // Given the real stack with the clearance topics
        SharedStack stack = SharedStack.get();
        stack.createTopics(
                Topics.ORDERS,
                Topics.INVENTORY_LEVELS,
                Topics.CATALOG,
                Topics.RULES,
                Topics.PRICE_ACTIONS,
                Topics.DEAD_LETTERS);
        // Catalog records on one partition, the impossible one last: once its dead letter is
        // committed, the pricer has processed the others (aligned checkpoint barriers).
        int catalogPartition = partitionOf("sku-bad", Topics.CATALOG.partitions());
        String slowSku = keyOnPartition("sku-slow-", catalogPartition, Topics.CATALOG.partitions());
        String milkSku = keyOnPartition("sku-milk-", catalogPartition, Topics.CATALOG.partitions());
        // a slow mover: 1000 on hand since T0 and 3 sold in the last week
        stack.produce(
                Topics.CATALOG, slowSku, product(slowSku, "100.00", "40.00", "45.00", false, T0));
        stack.produce(Topics.INVENTORY_LEVELS, slowSku + "@w1", level(slowSku, "w1", 1000, 10, T0));
        stack.produce(Topics.ORDERS, "o-1", order("e-1", slowSku, 3, T0 + 10 * DAY));
        // a perishable lot expiring 12 hours after the scenario's last event
        long expiry = HEARTBEAT + 12 * HOUR;
        long fresh = HEARTBEAT - 2 * DAY;
        stack.produce(
                Topics.CATALOG, milkSku, product(milkSku, "10.00", "3.00", "3.00", true, fresh));
        stack.produce(
                Topics.INVENTORY_LEVELS,
                milkSku + "@w1",
                level(milkSku, "w1", 40, 0, expiry, 40L, fresh));
        // an impossible catalog record (min_price above list) for a SKU that would be slow
        stack.produce(
                Topics.CATALOG, "sku-bad", product("sku-bad", "10.00", "4.00", "12.00", false, T0));
        stack.produce(Topics.INVENTORY_LEVELS, "sku-bad@w1", level("sku-bad", "w1", 500, 0, T0));
        stack.flush();

        // When the job runs on them
        StorepulseSettings settings = stack.settings("--parallelism", "2");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        KafkaIO.configure(env, settings);
        ClearanceJob.build(env, new KafkaIO(settings, StorepulseJob.CLEARANCE));
        JobClient job = env.executeAsync(StorepulseJob.CLEARANCE.id());
        List<PriceAction> actions;
        List<DeadLetter> deadLetters;
        try {
            deadLetters = stack.consumeValues(Topics.DEAD_LETTERS, 1, Duration.ofMinutes(5));
            // and event time moves on: a record on every partition, past the allowed lateness
            pushWatermarks(stack);
            actions = stack.consumeValues(Topics.PRICE_ACTIONS, 2, Duration.ofMinutes(5));
        } finally {
            job.cancel().get();
        }

        // Then the impossible catalog record is a dead letter, its SKU unpriced
        assertThat(deadLetters)
                .anySatisfy(
                        d -> {
                            assertThat(d.getSourceTopic()).isEqualTo("catalog");
                            assertThat(d.getErrorKind()).isEqualTo(DeadLetterKind.IMPOSSIBLE_VALUE);
                            assertThat(d.getErrorMessage()).contains("sku-bad");
                        });
        // and the slow mover and the expiring lot are marked down, each once
        assertThat(actions)
                .extracting(PriceAction::getSku)
                .containsExactlyInAnyOrder(milkSku, slowSku);
        PriceAction milk = bySku(actions, milkSku);
        assertThat(milk.getType()).isEqualTo(PriceActionType.MARKDOWN);
        assertThat(milk.getReason()).isEqualTo(MarkdownReason.NEAR_EXPIRY);
        assertThat(milk.getTier()).isEqualTo(1);
        assertThat(milk.getNewPrice()).isEqualTo(money("8.00"));
        assertThat(milk.getValidUntil().toEpochMilli()).isEqualTo(expiry);
        PriceAction slow = bySku(actions, slowSku);
        assertThat(slow.getReason()).isEqualTo(MarkdownReason.SLOW_MOVING);
        assertThat(slow.getTier()).isEqualTo(1);
        assertThat(slow.getOldPrice()).isEqualTo(money("100.00"));
        assertThat(slow.getNewPrice()).isEqualTo(money("90.00"));
        assertThat(slow.getFloorPrice()).isEqualTo(money("45.00"));
        assertThat(slow.getExplanation().getFigures()).containsEntry("sold_units_7d", "3");
    }

    private static void pushWatermarks(SharedStack stack) {
        for (String key : keysCoveringPartitions("o-hb-", Topics.ORDERS.partitions())) {
            stack.produce(Topics.ORDERS, key, order("e-" + key, "sku-hb", 1, WATERMARK_PUSH));
        }
        for (String key : keysCoveringPartitions("sku-hb@", Topics.INVENTORY_LEVELS.partitions())) {
            String warehouse = key.substring("sku-hb@".length());
            stack.produce(
                    Topics.INVENTORY_LEVELS, key, level("sku-hb", warehouse, 5, 0, WATERMARK_PUSH));
        }
        stack.flush();
    }

    private static int partitionOf(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    private static String keyOnPartition(String prefix, int partition, int partitions) {
        for (int i = 0; ; i++) {
            if (partitionOf(prefix + i, partitions) == partition) {
                return prefix + i;
            }
        }
    }

    private static PriceAction bySku(List<PriceAction> actions, String sku) {
        return actions.stream().filter(a -> a.getSku().equals(sku)).findFirst().orElseThrow();
    }

    /** Keys {@code prefix + i} that the default partitioner spreads over every partition. */
    private static List<String> keysCoveringPartitions(String prefix, int partitions) {
        String[] chosen = new String[partitions];
        int found = 0;
        for (int i = 0; found < partitions; i++) {
            String key = prefix + i;
            int p = partitionOf(key, partitions);
            if (chosen[p] == null) {
                chosen[p] = key;
                found++;
            }
        }
        return List.of(chosen);
    }

    private static Configuration loopback() {
        Configuration c = new Configuration();
        c.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        c.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        c.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        c.set(RestOptions.ADDRESS, "127.0.0.1");
        return c;
    }
}
