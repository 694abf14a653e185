package io.storepulse.serde;

import org.apache.flink.streaming.api.datastream.DataStream;
import storepulse.v1.actions.DeadLetter;

/** A decoded input stream and the dead letters its decoding produced. */
public record Decoded<T>(DataStream<T> records, DataStream<DeadLetter> deadLetters) {}
