package io.storepulse.metrics;

import org.apache.flink.runtime.state.heap.HeapKeyedStateBackend;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

/** Keyed-state counts for the broadcast harnesses, which lack numKeyedStateEntries(). */
final class HarnessState {

    private HarnessState() {}

    static int numKeyedStateEntries(AbstractStreamOperatorTestHarness<?> harness) {
        AbstractStreamOperator<?> operator = (AbstractStreamOperator<?>) harness.getOperator();
        return ((HeapKeyedStateBackend<?>) operator.getKeyedStateBackend())
                .numKeyValueStateEntries();
    }
}
