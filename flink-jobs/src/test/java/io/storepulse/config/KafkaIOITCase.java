package io.storepulse.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.serde.ConfluentWireFormat;
import io.storepulse.serde.Decoded;
import io.storepulse.testing.SharedStack;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;

/**
 * The Kafka path every job shares, end to end on a real broker and registry: Confluent-framed Avro
 * in, decode with dead-lettering, exactly-once Avro out, read back with read_committed.
 */
class KafkaIOITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    private static final Topic<OrderEvent> ORDERS_COPY =
            new Topic<>(
                    "orders-copy",
                    "order_id",
                    OrderEvent.class,
                    2,
                    false,
                    -1,
                    Topic.Direction.OUTPUT);

    private static SharedStack stack;

    @BeforeAll
    static void topics() {
        stack = SharedStack.get();
        stack.createTopics(Topics.ORDERS, Topics.DEAD_LETTERS, ORDERS_COPY);
    }

    @Test
    void shouldCopyGoodRecordsExactlyOnceAndDeadLetterEveryBadOne() throws Exception {
        // Given 300 good orders and 4 kinds of bad record on the orders topic
        int good = 300;
        for (int i = 0; i < good; i++) {
            stack.produce(Topics.ORDERS, "o-" + i, order(i, 1));
        }
        stack.produceRaw("orders", "bad-1", "not avro at all".getBytes());
        stack.produceRaw(
                "orders", "bad-2", ConfluentWireFormat.frame(424_242, new byte[] {1, 2, 3}));
        stack.produceRaw("orders", "bad-3", new byte[] {0, 0});
        stack.produce(Topics.ORDERS, "bad-4", order(9_999, -5)); // negative quantity
        stack.flush();

        // When the orders pass through KafkaIO at parallelism 2 with exactly-once sinks
        StorepulseSettings settings = stack.settings();
        KafkaIO io = new KafkaIO(settings, StorepulseJob.INVENTORY);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        KafkaIO.configure(env, settings);
        env.setParallelism(2);
        Decoded<OrderEvent> orders =
                io.read(
                        env,
                        Topics.ORDERS,
                        order ->
                                order.getLines().stream().anyMatch(l -> l.getQuantity() <= 0)
                                        ? "line quantity must be positive"
                                        : null);
        orders.records()
                .sinkTo(io.sink(ORDERS_COPY, OrderEvent::getOrderId))
                .uid("sink-orders-copy");
        orders.deadLetters()
                .sinkTo(io.deadLetterSink())
                .uid("sink-dead-letters")
                .name("sink dead-letters");
        JobClient job = env.executeAsync("kafka-io-it");
        List<OrderEvent> copied;
        List<DeadLetter> dead;
        try {
            copied = stack.consumeValues(ORDERS_COPY, good, Duration.ofSeconds(90));
            dead = stack.consumeValues(Topics.DEAD_LETTERS, 4, Duration.ofSeconds(30));
        } finally {
            job.cancel().get();
        }

        // Then a read_committed reader sees every good record exactly once...
        assertThat(copied).hasSize(good);
        assertThat(copied.stream().map(OrderEvent::getEventId).collect(Collectors.toSet()))
                .isEqualTo(
                        IntStream.range(0, good)
                                .mapToObj(i -> "e-" + i)
                                .collect(Collectors.toSet()));
        // ...and one dead letter per bad record, with its reason and coordinates
        assertThat(dead).hasSize(4);
        assertThat(dead)
                .extracting(DeadLetter::getErrorKind)
                .containsExactlyInAnyOrder(
                        DeadLetterKind.BAD_MAGIC_BYTE, DeadLetterKind.UNKNOWN_SCHEMA_ID,
                        DeadLetterKind.UNDECODABLE, DeadLetterKind.IMPOSSIBLE_VALUE);
        assertThat(dead)
                .allSatisfy(
                        d -> {
                            assertThat(d.getSourceTopic()).isEqualTo("orders");
                            assertThat(d.getSourceOffset()).isNotNegative();
                            assertThat(d.getJob()).isEqualTo("storepulse-inventory");
                        });
        Set<String> deadKeys =
                dead.stream()
                        .map(d -> new String(d.getRawKey().array()))
                        .collect(Collectors.toSet());
        assertThat(deadKeys).containsExactlyInAnyOrder("bad-1", "bad-2", "bad-3", "bad-4");
    }

    @Test
    void shouldRefuseATransactionTimeoutTheBrokerWouldReject() {
        // Given settings whose static check passes (the operator claims the broker allows 1 h)...
        StorepulseSettings settings =
                stack.settings(
                        "--broker-max-transaction-timeout", "1h", "--transaction-timeout", "20m");
        KafkaIO io = new KafkaIO(settings, StorepulseJob.INVENTORY);

        // When the job checks the real broker (default transaction.max.timeout.ms = 15 min),
        // Then it refuses to start and says what to change
        org.assertj.core.api.Assertions.assertThatThrownBy(io::verifyBrokerAllowsTransactions)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("transaction.max.timeout.ms=900000")
                .hasMessageContaining("Lower --transaction-timeout");
        // And a timeout under the broker's maximum passes
        new KafkaIO(stack.settings("--transaction-timeout", "14m"), StorepulseJob.INVENTORY)
                .verifyBrokerAllowsTransactions();
    }

    private static OrderEvent order(int i, int quantity) {
        return OrderEvent.newBuilder()
                .setEventId("e-" + i)
                .setOrderId("o-" + i)
                .setUserId("u-" + (i % 17))
                .setType(OrderEventType.PLACED)
                .setReturnReason(null)
                .setLines(
                        List.of(
                                OrderLine.newBuilder()
                                        .setSku("sku-" + (i % 5))
                                        .setWarehouseId("wh-1")
                                        .setQuantity(quantity)
                                        .setUnitPrice(new BigDecimal("10.00"))
                                        .setUnitCost(new BigDecimal("4.00"))
                                        .build()))
                .setOrderTotal(new BigDecimal("10.00"))
                .setCurrency("EUR")
                .setChannel("web")
                .setEventTime(Instant.parse("2026-11-23T09:00:00Z").plusSeconds(i))
                .build();
    }
}
