package io.storepulse.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.storepulse.testing.SharedStack;
import io.storepulse.testkit.LoopbackPorts;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.flink.api.common.functions.util.ListCollector;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.flink.util.SimpleUserCodeClassLoader;
import org.apache.flink.util.UserCodeClassLoader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;

/**
 * Interop against real software nobody here wrote: a real Apicurio Registry, and Apicurio's own
 * Kafka serde writing and reading Confluent framing.
 */
class RegistryInteropITCase {

    private static SharedStack stack;
    private static RegistryClient client;

    @BeforeAll
    static void startStack() {
        stack = SharedStack.get();
        client = new RegistryClient(RegistryConfig.of(stack.registryUrl()));
    }

    @Test
    void shouldRegisterEveryContractSchemaIdempotently() {
        // Given every value schema of the contract
        Map<String, Integer> ids = new HashMap<>();
        for (Topic<?> topic : Topics.ALL) {
            Schema schema = SpecificData.get().getSchema(topic.valueType());
            // When registered twice
            int first = client.register(topic.valueSubject(), schema);
            int second =
                    new RegistryClient(RegistryConfig.of(stack.registryUrl()))
                            .register(topic.valueSubject(), schema);
            // Then the registry hands back the same id, and serves the schema by it
            assertThat(second).as(topic.name()).isEqualTo(first);
            assertThat(new RegistryClient(RegistryConfig.of(stack.registryUrl())).schemaById(first))
                    .isEqualTo(schema);
            ids.put(topic.name(), first);
        }
        assertThat(ids).hasSize(Topics.ALL.size());
    }

    @Test
    void shouldReadWhatApicurioSerdeWrote() throws Exception {
        // Given a record written by Apicurio's own serializer in Confluent framing (headers off)
        OrderEvent order = sampleOrder("e-apicurio-1");
        byte[] bytes;
        try (AvroKafkaSerializer<OrderEvent> serializer = new AvroKafkaSerializer<>()) {
            serializer.configure(apicurioConfig(), false);
            bytes = serializer.serialize(Topics.ORDERS.name(), order);
        }
        assertThat(bytes[0]).isEqualTo(ConfluentWireFormat.MAGIC_BYTE);

        // When Storepulse's decoder reads it through the ccompat API
        OrderEvent read = new ConfluentAvroDecoder<>(client, OrderEvent.class).decode(bytes);

        // Then it is the same record, decimals and timestamps included
        assertThat(read).isEqualTo(order);
        assertThat(read.getOrderTotal()).isEqualByComparingTo("59.98");
    }

    @Test
    void shouldWriteWhatApicurioSerdeReads() {
        // Given a record written by Storepulse's encoder
        OrderEvent order = sampleOrder("e-storepulse-1");
        byte[] bytes =
                new ConfluentAvroEncoder<>(client, Topics.ORDERS.valueSubject(), OrderEvent.class)
                        .encode(order);

        // When Apicurio's own deserializer reads it
        Object read;
        try (AvroKafkaDeserializer<Object> deserializer = new AvroKafkaDeserializer<>()) {
            Map<String, Object> config = apicurioConfig();
            config.put("apicurio.registry.use-specific-avro-reader", "true");
            deserializer.configure(config, false);
            read = deserializer.deserialize(Topics.ORDERS.name(), bytes);
        }

        // Then it sees the same record
        assertThat(read).isInstanceOf(OrderEvent.class).isEqualTo(order);
    }

    @Test
    void shouldTurnBadBytesWrongMagicAndUnknownIdIntoDeadLettersWithTheirReason() throws Exception {
        // Given the source's decoder against the real registry
        DecodingDeserializationSchema<OrderEvent> decode =
                new DecodingDeserializationSchema<>(
                        RegistryConfig.of(stack.registryUrl()),
                        OrderEvent.class,
                        o -> o.getLines().isEmpty() ? "order has no lines" : null,
                        "test-job");
        decode.open(new TestContext());
        byte[] good =
                new ConfluentAvroEncoder<>(client, Topics.ORDERS.valueSubject(), OrderEvent.class)
                        .encode(sampleOrder("e-good"));
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 7);
        byte[] wrongMagic = good.clone();
        wrongMagic[0] = 7;
        byte[] unknownId = ConfluentWireFormat.frame(987_654, new byte[] {2, 4, 6});
        OrderEvent noLines = sampleOrder("e-nolines");
        noLines.setLines(List.of());
        byte[] impossible =
                new ConfluentAvroEncoder<>(client, Topics.ORDERS.valueSubject(), OrderEvent.class)
                        .encode(noLines);

        // When good and bad records go through it
        List<Either<DeadLetter, OrderEvent>> out = new ArrayList<>();
        Collector<Either<DeadLetter, OrderEvent>> collector = new ListCollector<>(out);
        decode.deserialize(record(0, good), collector);
        decode.deserialize(record(1, "garbage!".getBytes()), collector);
        decode.deserialize(record(2, wrongMagic), collector);
        decode.deserialize(record(3, unknownId), collector);
        decode.deserialize(record(4, truncated), collector);
        decode.deserialize(record(5, impossible), collector);

        // Then the good one is decoded and each bad one is a dead letter with its reason
        assertThat(out.stream().filter(Either::isRight).map(Either::right))
                .extracting(OrderEvent::getEventId)
                .containsExactly("e-good");
        List<DeadLetter> dead = out.stream().filter(Either::isLeft).map(Either::left).toList();
        assertThat(dead)
                .extracting(DeadLetter::getSourceOffset)
                .containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(dead)
                .extracting(DeadLetter::getErrorKind)
                .containsExactly(
                        DeadLetterKind.BAD_MAGIC_BYTE, // "garbage!" starts with 'g'
                        DeadLetterKind.BAD_MAGIC_BYTE,
                        DeadLetterKind.UNKNOWN_SCHEMA_ID,
                        DeadLetterKind.UNDECODABLE,
                        DeadLetterKind.IMPOSSIBLE_VALUE);
        assertThat(dead.get(2).getErrorMessage()).contains("987654");
        assertThat(dead.get(2).getSchemaId()).isEqualTo(987_654);
        assertThat(dead.get(4).getErrorMessage()).isEqualTo("order has no lines");
        assertThat(dead.get(0).getRawValue()).isEqualTo(ByteBuffer.wrap("garbage!".getBytes()));
        assertThat(dead)
                .allSatisfy(
                        d -> {
                            assertThat(d.getSourceTopic()).isEqualTo("orders");
                            assertThat(d.getJob()).isEqualTo("test-job");
                            assertThat(d.getRawKey()).isEqualTo(ByteBuffer.wrap("o-1".getBytes()));
                        });
    }

    @Test
    void shouldRetryThenFailLoudlyWhenTheRegistryIsUnreachable() {
        // Given a registry URL where nothing listens (a port that was free a moment ago)
        int closedPort = LoopbackPorts.freePort();
        RegistryClient unreachable =
                new RegistryClient(
                        RegistryConfig.of("http://127.0.0.1:" + closedPort + "/apis/ccompat/v7")
                                .withRetries(3, Duration.ofMillis(10)));

        // When a schema is looked up, Then it fails after its retries, naming the registry and the
        // cause
        assertThatThrownBy(() -> unreachable.schemaById(1))
                .isInstanceOf(RegistryUnavailableException.class)
                .hasMessageContaining("127.0.0.1:" + closedPort)
                .hasMessageContaining("unreachable after 3 attempts")
                .hasMessageContaining("ConnectException");
        // And a decoder does not turn the outage into dead letters: the error escapes
        assertThatThrownBy(
                        () ->
                                new ConfluentAvroDecoder<>(unreachable, OrderEvent.class)
                                        .decode(ConfluentWireFormat.frame(1, new byte[] {0})))
                .isInstanceOf(RegistryUnavailableException.class);
    }

    private static ConsumerRecord<byte[], byte[]> record(long offset, byte[] value) {
        return new ConsumerRecord<>("orders", 0, offset, "o-1".getBytes(), value);
    }

    /** What the Kafka source hands a deserializer when it opens it. */
    private static final class TestContext
            implements org.apache.flink.api.common.serialization.DeserializationSchema
                    .InitializationContext {
        @Override
        public MetricGroup getMetricGroup() {
            return new UnregisteredMetricsGroup();
        }

        @Override
        public UserCodeClassLoader getUserCodeClassLoader() {
            return SimpleUserCodeClassLoader.create(getClass().getClassLoader());
        }
    }

    private Map<String, Object> apicurioConfig() {
        Map<String, Object> config = new HashMap<>();
        config.put(
                "apicurio.registry.url",
                stack.registryUrl().replace("/apis/ccompat/v7", "/apis/registry/v3"));
        config.put("apicurio.registry.headers.enabled", "false");
        config.put("apicurio.registry.auto-register", "true");
        return config;
    }

    static OrderEvent sampleOrder(String eventId) {
        return OrderEvent.newBuilder()
                .setEventId(eventId)
                .setOrderId("o-1")
                .setUserId("u-1")
                .setType(OrderEventType.PLACED)
                .setReturnReason(null)
                .setLines(
                        List.of(
                                OrderLine.newBuilder()
                                        .setSku("sku-1")
                                        .setWarehouseId("wh-1")
                                        .setQuantity(2)
                                        .setUnitPrice(new BigDecimal("29.99"))
                                        .setUnitCost(new BigDecimal("12.50"))
                                        .build()))
                .setOrderTotal(new BigDecimal("59.98"))
                .setCurrency("EUR")
                .setChannel("web")
                .setEventTime(Instant.parse("2026-11-23T10:15:30.123Z"))
                .build();
    }
}
