package io.storepulse.serde;

import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import storepulse.v1.actions.DeadLetter;

/**
 * Splits the source's envelopes (see {@link DecodingDeserializationSchema}): decoded records go on
 * with the timestamps the source gave them, dead letters go to the {@link DeadLetters#TAG} side
 * output. Stateless; chained to the source.
 */
public final class DeadLetterSplit<T> extends ProcessFunction<Either<DeadLetter, T>, T> {

    @Override
    public void processElement(Either<DeadLetter, T> envelope, Context ctx, Collector<T> out) {
        if (envelope.isRight()) {
            out.collect(envelope.right());
        } else {
            ctx.output(DeadLetters.TAG, envelope.left());
        }
    }
}
