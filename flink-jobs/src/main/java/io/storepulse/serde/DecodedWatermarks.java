package io.storepulse.serde;

import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.WatermarkAlignmentParams;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.types.Either;
import storepulse.v1.actions.DeadLetter;

/**
 * A job's watermark strategy for decoded records, applied to the Kafka source's envelopes (see
 * {@link DecodingDeserializationSchema}) so that Flink generates watermarks per Kafka partition.
 * Dead letters take no part in event time: they keep their Kafka timestamp and never reach the
 * job's watermark generator, so they neither advance time nor hold it back (nor keep a partition
 * from going idle).
 */
public final class DecodedWatermarks<T> implements WatermarkStrategy<Either<DeadLetter, T>> {

    private final WatermarkStrategy<T> strategy;

    private DecodedWatermarks(WatermarkStrategy<T> strategy) {
        this.strategy = strategy;
    }

    public static <T> DecodedWatermarks<T> of(WatermarkStrategy<T> strategy) {
        return new DecodedWatermarks<>(strategy);
    }

    /**
     * For inputs that carry no event time (rules, reference data): always idle, so they never hold
     * event time back. Idle, not the maximum watermark: when the event inputs go idle, Flink takes
     * the watermark from the inputs still active, and a maximum there would make every later event
     * too late. Records keep their Kafka timestamps.
     */
    public static <T> WatermarkStrategy<T> neverHoldBackTime() {
        return WatermarkStrategy.forGenerator(ctx -> new AlwaysIdle<>());
    }

    @Override
    public TimestampAssigner<Either<DeadLetter, T>> createTimestampAssigner(
            org.apache.flink.api.common.eventtime.TimestampAssignerSupplier.Context context) {
        TimestampAssigner<T> records = strategy.createTimestampAssigner(context);
        return (envelope, kafkaTimestamp) ->
                envelope.isRight()
                        ? records.extractTimestamp(envelope.right(), kafkaTimestamp)
                        : kafkaTimestamp;
    }

    @Override
    public WatermarkGenerator<Either<DeadLetter, T>> createWatermarkGenerator(
            org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier.Context context) {
        return new RecordsOnly<>(strategy.createWatermarkGenerator(context));
    }

    @Override
    public WatermarkAlignmentParams getAlignmentParameters() {
        return strategy.getAlignmentParameters();
    }

    private static final class RecordsOnly<T> implements WatermarkGenerator<Either<DeadLetter, T>> {
        private final WatermarkGenerator<T> records;

        RecordsOnly(WatermarkGenerator<T> records) {
            this.records = records;
        }

        @Override
        public void onEvent(
                Either<DeadLetter, T> envelope, long timestamp, WatermarkOutput output) {
            if (envelope.isRight()) {
                records.onEvent(envelope.right(), timestamp, output);
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            records.onPeriodicEmit(output);
        }
    }

    private static final class AlwaysIdle<T> implements WatermarkGenerator<T> {
        @Override
        public void onEvent(T event, long timestamp, WatermarkOutput output) {}

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            output.markIdle();
        }
    }
}
