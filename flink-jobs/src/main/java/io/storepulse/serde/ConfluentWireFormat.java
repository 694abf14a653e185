package io.storepulse.serde;

import java.nio.ByteBuffer;
import storepulse.v1.actions.DeadLetterKind;

/**
 * The Confluent wire format: magic byte {@code 0}, the writer schema id as a 4-byte big-endian int,
 * then the Avro binary body.
 */
public final class ConfluentWireFormat {

    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_LENGTH = 5;

    private ConfluentWireFormat() {}

    /** Reads the schema id from the header, or explains why the bytes are not framed. */
    public static int schemaId(byte[] bytes) throws DecodeException {
        if (bytes == null) {
            throw new DecodeException(DeadLetterKind.UNDECODABLE, "value is null", null, null);
        }
        if (bytes.length < HEADER_LENGTH) {
            throw new DecodeException(
                    DeadLetterKind.UNDECODABLE,
                    "value has "
                            + bytes.length
                            + " bytes, shorter than the 5-byte Confluent header",
                    null,
                    null);
        }
        if (bytes[0] != MAGIC_BYTE) {
            throw new DecodeException(
                    DeadLetterKind.BAD_MAGIC_BYTE,
                    String.format(
                            "magic byte is 0x%02x, expected 0x00 (Confluent framing)", bytes[0]),
                    null,
                    null);
        }
        return ByteBuffer.wrap(bytes, 1, 4).getInt();
    }

    /** Header for a schema id, followed by room for the body. */
    public static byte[] frame(int schemaId, byte[] avroBody) {
        ByteBuffer out = ByteBuffer.allocate(HEADER_LENGTH + avroBody.length);
        out.put(MAGIC_BYTE).putInt(schemaId).put(avroBody);
        return out.array();
    }
}
