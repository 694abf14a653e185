package io.storepulse.bench;

import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * The ceiling job's one small output record per input: which record it was and when it happened.
 * Hand-written SpecificRecord (bench-only; not part of the event contract).
 */
public class PassThrough extends SpecificRecordBase {

    public static final Schema SCHEMA$ =
            new Schema.Parser()
                    .parse(
                            "{\"type\":\"record\",\"name\":\"PassThrough\",\"namespace\":\"io.storepulse.bench\","
                                    + "\"fields\":[{\"name\":\"event_id\",\"type\":\"string\"},"
                                    + "{\"name\":\"event_time\",\"type\":\"long\"}]}");

    private String eventId;
    private long eventTime;

    public PassThrough() {}

    public PassThrough(String eventId, long eventTime) {
        this.eventId = eventId;
        this.eventTime = eventTime;
    }

    public static Schema getClassSchema() {
        return SCHEMA$;
    }

    @Override
    public Schema getSchema() {
        return SCHEMA$;
    }

    @Override
    public Object get(int field) {
        return switch (field) {
            case 0 -> eventId;
            case 1 -> eventTime;
            default -> throw new IndexOutOfBoundsException(field);
        };
    }

    @Override
    public void put(int field, Object value) {
        switch (field) {
            case 0 -> eventId = value == null ? null : value.toString();
            case 1 -> eventTime = (Long) value;
            default -> throw new IndexOutOfBoundsException(field);
        }
    }

    public String getEventId() {
        return eventId;
    }

    public long getEventTime() {
        return eventTime;
    }

    public void setEventId(String eventId) {
        this.eventId = eventId;
    }

    public void setEventTime(long eventTime) {
        this.eventTime = eventTime;
    }
}
