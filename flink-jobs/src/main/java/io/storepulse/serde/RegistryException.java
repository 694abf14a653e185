package io.storepulse.serde;

/**
 * The registry answered, but not with what was asked: an unknown schema id, an incompatible schema,
 * a refused credential. Carries the Confluent error code when the registry sent one.
 */
public class RegistryException extends RuntimeException {

    /** Confluent error code for "schema not found". */
    public static final int SCHEMA_NOT_FOUND = 40403;

    private final int httpStatus;
    private final int errorCode;

    public RegistryException(String message, int httpStatus, int errorCode) {
        super(message);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public int errorCode() {
        return errorCode;
    }

    public boolean isNotFound() {
        return httpStatus == 404;
    }
}
