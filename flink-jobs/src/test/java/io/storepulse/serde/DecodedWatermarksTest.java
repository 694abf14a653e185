package io.storepulse.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.inventory.InventoryJob;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.TimestampAssignerSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.apache.flink.util.clock.ManualClock;
import org.apache.flink.util.clock.RelativeClock;
import org.junit.jupiter.api.Test;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;

/**
 * The job's watermark strategy applied to the source's envelopes (one generator per Kafka
 * partition): decoded records drive event time as they would on their own, dead letters neither
 * advance it nor hold it back.
 */
class DecodedWatermarksTest {

    private static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");
    private static final long KAFKA_TIME = T0.plus(Duration.ofDays(3)).toEpochMilli();

    private final ManualClock clock = new ManualClock();
    private final RecordingOutput output = new RecordingOutput();

    @Test
    void shouldTimestampRecordsByEventTimeAndDeadLettersByKafkaTime() {
        // Given the inventory's order strategy on envelopes
        TimestampAssigner<Either<DeadLetter, OrderEvent>> assigner =
                DecodedWatermarks.of(InventoryJob.ORDER_WATERMARKS)
                        .createTimestampAssigner(timestampContext());

        // When a record and a dead letter are timestamped, Then the record gets its event_time
        // and the dead letter keeps its Kafka timestamp
        assertThat(assigner.extractTimestamp(Either.Right(order(T0)), KAFKA_TIME))
                .isEqualTo(T0.toEpochMilli());
        assertThat(assigner.extractTimestamp(Either.Left(deadLetter()), KAFKA_TIME))
                .isEqualTo(KAFKA_TIME);
    }

    @Test
    void shouldNotLetDeadLettersAdvanceEventTime() {
        // Given a partition's generator that has seen an order at T0
        WatermarkGenerator<Either<DeadLetter, OrderEvent>> partition = generator();
        partition.onEvent(Either.Right(order(T0)), T0.toEpochMilli(), output);

        // When a dead letter with a much later Kafka timestamp follows
        partition.onEvent(Either.Left(deadLetter()), KAFKA_TIME, output);
        partition.onPeriodicEmit(output);

        // Then the watermark follows the order alone: T0 less the 30 s out-of-orderness
        assertThat(output.watermarks)
                .containsExactly(T0.minus(InventoryJob.MAX_OUT_OF_ORDERNESS).toEpochMilli() - 1);
        assertThat(output.idle).isFalse();
    }

    @Test
    void shouldNotLetDeadLettersKeepAQuietPartitionFromGoingIdle() {
        // Given a partition whose last order came at T0
        WatermarkGenerator<Either<DeadLetter, OrderEvent>> partition = generator();
        partition.onEvent(Either.Right(order(T0)), T0.toEpochMilli(), output);
        partition.onPeriodicEmit(output);

        // When only dead letters arrive for longer than the idleness timeout
        for (int i = 0; i < 13; i++) {
            clock.advanceTime(Duration.ofSeconds(10));
            partition.onEvent(Either.Left(deadLetter()), KAFKA_TIME, output);
            partition.onPeriodicEmit(output);
        }

        // Then the partition goes idle: dead letters do not hold event time back either
        assertThat(output.idle).isTrue();
    }

    @Test
    void shouldSendDecodedRecordsOnAndDeadLettersToTheSideOutput() throws Exception {
        // Given the split step after the source
        try (OneInputStreamOperatorTestHarness<Either<DeadLetter, OrderEvent>, OrderEvent> split =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(new DeadLetterSplit<>()))) {
            split.open();

            // When a record and a dead letter arrive with their timestamps
            split.processElement(new StreamRecord<>(Either.Right(order(T0)), T0.toEpochMilli()));
            split.processElement(new StreamRecord<>(Either.Left(deadLetter()), KAFKA_TIME));

            // Then the record goes on with its timestamp, the dead letter to the side output
            assertThat(split.extractOutputStreamRecords())
                    .containsExactly(new StreamRecord<>(order(T0), T0.toEpochMilli()));
            assertThat(split.getSideOutput(DeadLetters.TAG))
                    .extracting(StreamRecord::getValue)
                    .containsExactly(deadLetter());
        }
    }

    private WatermarkGenerator<Either<DeadLetter, OrderEvent>> generator() {
        return DecodedWatermarks.of(InventoryJob.ORDER_WATERMARKS)
                .createWatermarkGenerator(
                        new WatermarkGeneratorSupplier.Context() {
                            @Override
                            public MetricGroup getMetricGroup() {
                                return new UnregisteredMetricsGroup();
                            }

                            @Override
                            public RelativeClock getInputActivityClock() {
                                return clock;
                            }
                        });
    }

    private static TimestampAssignerSupplier.Context timestampContext() {
        return UnregisteredMetricsGroup::new;
    }

    private static OrderEvent order(Instant at) {
        return OrderEvent.newBuilder()
                .setEventId("e-1")
                .setOrderId("o-1")
                .setUserId("u-1")
                .setType(OrderEventType.PLACED)
                .setReturnReason(null)
                .setLines(List.of())
                .setOrderTotal(java.math.BigDecimal.ZERO.setScale(2))
                .setCurrency("EUR")
                .setChannel("web")
                .setEventTime(at)
                .build();
    }

    private static final DeadLetter DEAD_LETTER =
            DeadLetters.of(
                    new RawRecord(
                            "orders",
                            0,
                            7,
                            KAFKA_TIME,
                            "o-1".getBytes(StandardCharsets.UTF_8),
                            new byte[] {1}),
                    DeadLetterKind.BAD_MAGIC_BYTE,
                    "not Confluent framing",
                    null,
                    "test-job");

    private static DeadLetter deadLetter() {
        return DEAD_LETTER;
    }

    private static final class RecordingOutput implements WatermarkOutput {
        final List<Long> watermarks = new ArrayList<>();
        boolean idle;

        @Override
        public void emitWatermark(Watermark watermark) {
            if (watermarks.isEmpty()
                    || watermarks.get(watermarks.size() - 1) != watermark.getTimestamp()) {
                watermarks.add(watermark.getTimestamp());
            }
            idle = false;
        }

        @Override
        public void markIdle() {
            idle = true;
        }

        @Override
        public void markActive() {
            idle = false;
        }
    }
}
