package io.storepulse.inventory;

import static io.storepulse.inventory.InventoryFixtures.T0;
import static io.storepulse.inventory.InventoryFixtures.line;
import static io.storepulse.inventory.InventoryFixtures.min;
import static io.storepulse.inventory.InventoryFixtures.movement;
import static io.storepulse.inventory.InventoryFixtures.order;
import static io.storepulse.inventory.InventoryFixtures.product;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.config.KafkaIO;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.testing.SharedStack;
import io.storepulse.testing.SharedStack.Keyed;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.actions.InventoryAlert;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.actions.OrderAction;
import storepulse.v1.actions.OrderActionType;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.RuleJob;
import storepulse.v1.events.RuleScope;
import storepulse.v1.events.RuleSet;
import storepulse.v1.events.StockMovementType;

/**
 * The inventory job as deployed ({@link InventoryJob#wireKafka}) against a real broker and a real
 * registry: contract Avro in, bad records mixed in, levels, alerts, order actions and dead letters
 * out, exactly-once, read back read_committed.
 */
class InventoryKafkaITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(loopback())
                            .build());

    private static final String SKU = "sku-1";
    private static SharedStack stack;

    private static Configuration loopback() {
        Configuration c = new Configuration();
        c.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        c.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        c.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        c.set(RestOptions.ADDRESS, "127.0.0.1");
        return c;
    }

    @BeforeAll
    static void topics() {
        stack = SharedStack.get();
        stack.createTopics(
                Topics.ORDERS,
                Topics.STOCK_MOVEMENTS,
                Topics.CATALOG,
                Topics.RULES,
                Topics.INVENTORY_LEVELS,
                Topics.INVENTORY_ALERTS,
                Topics.ORDER_ACTIONS,
                Topics.DEAD_LETTERS);
    }

    @Test
    void shouldTurnOrdersAndMovementsIntoLevelsAlertsActionsAndDeadLetters() throws Exception {
        // Given rules (reorder point 5) and the catalog
        stack.produce(Topics.RULES, "rop", ruleSet("rop", Map.of("reorder_point", "5")));
        stack.produce(Topics.CATALOG, SKU, product(SKU, "snacks", 3, min(-60)));
        // ...stock movements (one duplicated) and two orders, all of one key's partition, so
        // that each arrives in event-time order
        String o1 = keyOnPartition("o1-", Topics.ORDERS, 0);
        String o2 = keyOnPartition("o2-", Topics.ORDERS, 0);
        stack.produce(
                Topics.STOCK_MOVEMENTS,
                SKU,
                movement("m1", SKU, "wh-1", StockMovementType.RESTOCK, 10, min(0)));
        stack.produce(
                Topics.STOCK_MOVEMENTS,
                SKU,
                movement("m2", SKU, "wh-2", StockMovementType.RESTOCK, 30, min(0)));
        stack.produce(
                Topics.STOCK_MOVEMENTS,
                SKU,
                movement("m1", SKU, "wh-1", StockMovementType.RESTOCK, 10, min(0)));
        stack.produce(
                Topics.ORDERS,
                o1,
                order("e1", o1, OrderEventType.PLACED, min(1), line(SKU, "wh-1", 8)));
        stack.produce(
                Topics.ORDERS,
                o2,
                order("e2", o2, OrderEventType.PLACED, min(2), line(SKU, "wh-2", 2)));
        stack.produce(
                Topics.ORDERS,
                o2,
                order("e3", o2, OrderEventType.SHIPPED, min(3), line(SKU, "wh-2", 2)));
        stack.produce(
                Topics.ORDERS,
                o1,
                order("e4", o1, OrderEventType.PAID, min(30), line(SKU, "wh-1", 8)));
        stack.produce(
                Topics.STOCK_MOVEMENTS,
                SKU,
                movement("m3", SKU, "wh-1", StockMovementType.TRANSFER_OUT, 10, min(40)));
        stack.produce(
                Topics.STOCK_MOVEMENTS,
                SKU,
                movement("m4", SKU, "wh-1", StockMovementType.RESTOCK, 4, min(50)));
        // ...and 7 bad records behind them in the same partitions
        stack.produceRaw("orders", o1, "not avro at all".getBytes(StandardCharsets.UTF_8));
        stack.produce(
                Topics.ORDERS,
                o1,
                order("b2", o1, OrderEventType.PLACED, min(5), line(SKU, "wh-1", -2)));
        stack.produce(
                Topics.ORDERS,
                o2,
                order("b3", o2, OrderEventType.PLACED, min(5), line(SKU, null, 1)));
        stack.produce(
                Topics.ORDERS,
                o2,
                order("b4", o2, OrderEventType.UNKNOWN, min(5), line(SKU, "wh-1", 1)));
        stack.produce(
                Topics.STOCK_MOVEMENTS,
                SKU,
                movement("b5", SKU, "wh-1", StockMovementType.TRANSFER_OUT, -3, min(5)));
        stack.produce(
                Topics.STOCK_MOVEMENTS,
                SKU,
                movement("b6", SKU, "wh-1", StockMovementType.UNKNOWN, 3, min(5)));
        stack.produce(Topics.RULES, "bad-rule", ruleSet("bad-rule", Map.of("no_such_param", "1")));
        stack.flush();
        int badRecords = 7;

        // When the job runs against the stack
        StorepulseSettings settings = stack.settings();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        KafkaIO.configure(env, settings);
        env.setParallelism(2);
        InventoryJob.wireKafka(env, settings);
        JobClient job = env.executeAsync("inventory-kafka-it");
        List<DeadLetter> dead;
        List<Keyed<InventoryLevel>> levels;
        List<Keyed<InventoryAlert>> alerts;
        List<Keyed<OrderAction>> actions;
        try {
            // The dead letters show that everything ahead of them in their partitions was read;
            // then a clock tick in every partition moves event time past the scenario.
            dead = stack.consumeValues(Topics.DEAD_LETTERS, badRecords, Duration.ofSeconds(90));
            tickEveryPartition(min(180));
            actions = stack.consume(Topics.ORDER_ACTIONS, 2, Duration.ofSeconds(90));
            alerts = stack.consume(Topics.INVENTORY_ALERTS, 6, Duration.ofSeconds(60));
            levels = stack.consume(Topics.INVENTORY_LEVELS, 2, Duration.ofSeconds(30));
        } finally {
            job.cancel().get();
        }

        // Then one dead letter per bad record, each with its reason
        assertThat(dead).hasSize(badRecords);
        assertThat(dead)
                .extracting(DeadLetter::getErrorKind)
                .containsExactlyInAnyOrder(
                        DeadLetterKind.BAD_MAGIC_BYTE,
                        DeadLetterKind.IMPOSSIBLE_VALUE,
                        DeadLetterKind.IMPOSSIBLE_VALUE,
                        DeadLetterKind.IMPOSSIBLE_VALUE,
                        DeadLetterKind.IMPOSSIBLE_VALUE,
                        DeadLetterKind.IMPOSSIBLE_VALUE,
                        DeadLetterKind.BAD_RULE);
        assertThat(dead)
                .extracting(DeadLetter::getErrorMessage)
                .anyMatch(m -> m.contains("no warehouse_id"))
                .anyMatch(m -> m.contains("quantity -2"))
                .anyMatch(m -> m.contains("UNKNOWN"));

        // ...the latest level per sku@warehouse is the truth of the compacted topic
        Map<String, InventoryLevel> latest = new LinkedHashMap<>();
        levels.stream()
                .filter(k -> k.value().getSku().equals(SKU))
                .forEach(k -> latest.put(k.key(), k.value()));
        assertThat(latest).containsOnlyKeys(SKU + "@wh-1", SKU + "@wh-2");
        assertThat(latest.get(SKU + "@wh-1").getOnHand()).isEqualTo(4);
        assertThat(latest.get(SKU + "@wh-1").getReserved()).isZero();
        assertThat(latest.get(SKU + "@wh-1").getReorderPoint()).isEqualTo(5);
        assertThat(latest.get(SKU + "@wh-2").getOnHand()).isEqualTo(28);
        assertThat(latest.get(SKU + "@wh-2").getReserved()).isZero();

        // ...each alert crossing once, with the rule version that fired it
        List<String> mine = new ArrayList<>();
        for (Keyed<InventoryAlert> k : alerts) {
            InventoryAlert a = k.value();
            if (a.getSku().equals(SKU)) {
                assertThat(k.key()).isEqualTo(SKU + "@" + a.getWarehouseId());
                assertThat(a.getRuleId()).isEqualTo("rop");
                mine.add(
                        a.getType()
                                + "@"
                                + a.getWarehouseId()
                                + (a.getFromWarehouse() == null
                                        ? ""
                                        : " from "
                                                + a.getFromWarehouse()
                                                + " x"
                                                + a.getQuantity()));
            }
        }
        assertThat(mine)
                .containsExactly(
                        "LOW_STOCK@wh-1",
                        "TRANSFER_SUGGESTED@wh-1 from wh-2 x5",
                        "OUT_OF_STOCK@wh-1",
                        "LOW_STOCK@wh-1",
                        "TRANSFER_SUGGESTED@wh-1 from wh-2 x7",
                        "BACK_IN_STOCK@wh-1");

        // ...and the unpaid order cancelled, then its late payment reported, keyed by order_id
        assertThat(actions).extracting(Keyed::key).containsExactly(o1, o1);
        assertThat(actions)
                .extracting(k -> k.value().getType())
                .containsExactly(
                        OrderActionType.CANCEL_UNPAID, OrderActionType.PAYMENT_AFTER_CANCEL);
        assertThat(actions.get(0).value().getEventTime().toEpochMilli()).isEqualTo(min(16));
    }

    /** Records in every partition of every input, far later, so that event time moves on. */
    private static void tickEveryPartition(long t) {
        for (int p = 0; p < Topics.ORDERS.partitions(); p++) {
            String id = keyOnPartition("clock-order-", Topics.ORDERS, p);
            stack.produce(
                    Topics.ORDERS,
                    id,
                    order("tick-" + id, id, OrderEventType.DELIVERED, t, line("clock", "wh-0", 1)));
        }
        for (int p = 0; p < Topics.STOCK_MOVEMENTS.partitions(); p++) {
            String sku = keyOnPartition("clock-sku-", Topics.STOCK_MOVEMENTS, p);
            stack.produce(
                    Topics.STOCK_MOVEMENTS,
                    sku,
                    movement("tick-" + sku, sku, "wh-0", StockMovementType.COUNT, 100, t));
        }
        for (int p = 0; p < Topics.CATALOG.partitions(); p++) {
            String sku = keyOnPartition("clock-product-", Topics.CATALOG, p);
            stack.produce(Topics.CATALOG, sku, product(sku, "clock", 1, t));
        }
        stack.flush();
    }

    /** A key with the given prefix that the default partitioner sends to the given partition. */
    private static String keyOnPartition(String prefix, Topic<?> topic, int partition) {
        for (int i = 0; ; i++) {
            String key = prefix + i;
            byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
            if (Utils.toPositive(Utils.murmur2(bytes)) % topic.partitions() == partition) {
                return key;
            }
        }
    }

    private static RuleSet ruleSet(String id, Map<String, String> params) {
        return RuleSet.newBuilder()
                .setRuleId(id)
                .setVersion(1)
                .setJob(RuleJob.INVENTORY)
                .setScopeType(RuleScope.GLOBAL)
                .setScopeValue(null)
                .setParams(params)
                .setUpdatedAt(T0)
                .build();
    }
}
