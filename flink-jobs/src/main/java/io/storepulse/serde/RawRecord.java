package io.storepulse.serde;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A Kafka record exactly as received: where it came from and its raw bytes. The source's
 * deserializers ({@link DecodingDeserializationSchema}, {@link RulesDeserializationSchema}) keep it
 * while decoding, so that a record that cannot be decoded still has its coordinates and bytes for
 * the dead letter. A Flink POJO (public no-arg constructor and accessors) so that it serializes
 * without Kryo.
 */
public class RawRecord {
    private String topic;
    private int partition;
    private long offset;
    private long timestamp;
    private byte[] key;
    private byte[] value;

    public RawRecord() {}

    public RawRecord(
            String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.key = key;
        this.value = value;
    }

    public static RawRecord of(ConsumerRecord<byte[], byte[]> record) {
        return new RawRecord(
                record.topic(),
                record.partition(),
                record.offset(),
                record.timestamp(),
                record.key(),
                record.value());
    }

    public String getTopic() {
        return topic;
    }

    public void setTopic(String topic) {
        this.topic = topic;
    }

    public int getPartition() {
        return partition;
    }

    public void setPartition(int partition) {
        this.partition = partition;
    }

    public long getOffset() {
        return offset;
    }

    public void setOffset(long offset) {
        this.offset = offset;
    }

    public long getTimestamp() {
        return timestamp;
    }

    public void setTimestamp(long timestamp) {
        this.timestamp = timestamp;
    }

    public byte[] getKey() {
        return key;
    }

    public void setKey(byte[] key) {
        this.key = key;
    }

    public byte[] getValue() {
        return value;
    }

    public void setValue(byte[] value) {
        this.value = value;
    }

    /** {@code topic:partition:offset}, the dead-letter key. */
    public String coordinates() {
        return topic + ":" + partition + ":" + offset;
    }

    @Override
    public String toString() {
        return "RawRecord[" + coordinates() + "]";
    }
}
