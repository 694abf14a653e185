package io.storepulse.serde;

import storepulse.v1.actions.DeadLetterKind;

/** A record that cannot be decoded, with the dead-letter kind that explains why. */
public class DecodeException extends Exception {

    private final DeadLetterKind kind;
    private final Integer schemaId;

    public DecodeException(DeadLetterKind kind, String message, Integer schemaId, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.schemaId = schemaId;
    }

    public DeadLetterKind kind() {
        return kind;
    }

    /** The writer schema id from the framing, or null when the framing itself was unreadable. */
    public Integer schemaId() {
        return schemaId;
    }
}
