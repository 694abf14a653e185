package io.storepulse.serde;

/**
 * The registry could not be reached after every retry. This is an outage, not bad input: callers
 * let it fail the task loudly (Flink restarts it from the last checkpoint) rather than turning good
 * records into dead letters.
 */
public class RegistryUnavailableException extends RuntimeException {
    public RegistryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
