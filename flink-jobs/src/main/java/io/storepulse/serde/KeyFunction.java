package io.storepulse.serde;

import java.io.Serializable;

/** The plain UTF-8 string key of an output record, as the contract names it. */
@FunctionalInterface
public interface KeyFunction<T> extends Serializable {
    String key(T value);
}
