package io.storepulse.serde;

import java.io.Serializable;

/** Checks a decoded record for impossible values, such as a negative quantity. */
@FunctionalInterface
public interface Validator<T> extends Serializable {

    /** A human reason why the value is impossible, or null when it is valid. */
    String problem(T value);

    static <T> Validator<T> acceptAll() {
        return value -> null;
    }
}
