package io.storepulse.reliability;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;

/**
 * A pass-through step to put in front of a job's keyed functions that fails the job once, at a
 * chosen point of its life. The MiniCluster runs in the test's JVM, so a static registry of
 * "already fired" survives the restarts it causes, and each fault fires exactly once per test.
 */
public class FailureInjector<T> extends RichMapFunction<T, T>
        implements CheckpointedFunction, CheckpointListener {

    /** Where the fault strikes. */
    public enum Fault {
        /** An exception while processing the N-th record of subtask 0. */
        EXCEPTION_IN_OPERATOR,
        /** An exception while the operator's state is snapshotted for checkpoint N. */
        DURING_CHECKPOINT,
        /** An exception as soon as checkpoint N is reported complete. */
        AFTER_CHECKPOINT,
        /** An exception while restoring state after the first restart. */
        WHILE_RESTORING,
        /**
         * An IOException when a task's checkpoint stream is closed into a state handle, in the
         * asynchronous phase of a checkpoint. Struck by {@link FaultyCheckpointStorage}, not by
         * this map function: see {@link #disarmedInStorage}.
         */
        ASYNC_CHECKPOINT_PHASE
    }

    private static final Map<String, AtomicInteger> FIRED = new ConcurrentHashMap<>();
    private static final Set<String> DISARMED = ConcurrentHashMap.newKeySet();
    private static final Map<String, Throwable> STRUCK_AT = new ConcurrentHashMap<>();

    private final String id;
    private final Fault fault;
    private final long at;

    private transient long seen;

    /**
     * @param id unique per test, so that faults of different tests do not see each other
     * @param at the record count since the last (re)start (EXCEPTION_IN_OPERATOR; strikes at the
     *     first record at or past it) or the lowest checkpoint id (DURING/AFTER_CHECKPOINT)
     */
    public FailureInjector(String id, Fault fault, long at) {
        this.id = id;
        this.fault = fault;
        this.at = at;
        FIRED.putIfAbsent(id, new AtomicInteger());
    }

    /**
     * A fault that waits for {@link #arm} before it can strike, so that a test can place several
     * faults in one run, each while the records of its phase are flowing.
     */
    public static <T> FailureInjector<T> disarmed(String id, Fault fault, long at) {
        DISARMED.add(id);
        return new FailureInjector<>(id, fault, at);
    }

    /**
     * Registers a disarmed {@link Fault#ASYNC_CHECKPOINT_PHASE} fault; the job must use {@link
     * FaultyCheckpointStorage#configuration} with the same id. Returns the id.
     */
    public static String disarmedInStorage(String id) {
        DISARMED.add(id);
        FIRED.putIfAbsent(id, new AtomicInteger());
        return id;
    }

    /**
     * Called by {@link FaultyCheckpointStorage} when a task closes a checkpoint stream: throws once
     * the fault is armed, and keeps where it struck (thread and stack) for the test. Strikes only
     * in a stream closed by the task's asynchronous checkpoint part itself ({@code
     * AsyncCheckpointRunnable}: operator state, RocksDB's metadata); RocksDB's file uploads on its
     * transfer threads, started from there, pass.
     */
    static void strikeInStorage(String id) throws IOException {
        AtomicInteger fired = FIRED.get(id);
        if (!DISARMED.contains(id)
                && fired != null
                && inAsyncCheckpointPart()
                && fired.compareAndSet(0, 1)) {
            IOException failure =
                    new IOException(
                            "injected failure: "
                                    + Fault.ASYNC_CHECKPOINT_PHASE
                                    + " in thread "
                                    + Thread.currentThread().getName());
            STRUCK_AT.put(id, failure);
            throw failure;
        }
    }

    private static boolean inAsyncCheckpointPart() {
        return StackWalker.getInstance()
                .walk(
                        frames ->
                                frames.anyMatch(
                                        f ->
                                                f.getClassName()
                                                        .endsWith(".AsyncCheckpointRunnable")));
    }

    /** The exception a storage fault threw, with the stack it was thrown from, or null. */
    public static Throwable struckAt(String id) {
        return STRUCK_AT.get(id);
    }

    /** Lets a {@link #disarmed} fault strike at its next opportunity. */
    public static void arm(String id) {
        DISARMED.remove(id);
    }

    /** How many times the fault fired (1 when it struck, 0 when the run never reached it). */
    public static int timesFired(String id) {
        AtomicInteger n = FIRED.get(id);
        return n == null ? 0 : n.get();
    }

    @Override
    public void open(OpenContext openContext) {
        seen = 0;
    }

    @Override
    public T map(T value) {
        seen++;
        if (fault == Fault.EXCEPTION_IN_OPERATOR && isFirstSubtask() && seen >= at) {
            fire("record " + at);
        }
        return value;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) {
        if (fault == Fault.DURING_CHECKPOINT
                && isFirstSubtask()
                && context.getCheckpointId() >= at) {
            fire("snapshot of checkpoint " + context.getCheckpointId());
        }
    }

    @Override
    public void initializeState(FunctionInitializationContext context) {
        if (fault == Fault.WHILE_RESTORING && context.isRestored() && isFirstSubtask()) {
            fire("restore");
        }
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        if (fault == Fault.AFTER_CHECKPOINT && isFirstSubtask() && checkpointId >= at) {
            fire("after checkpoint " + checkpointId);
        }
    }

    private boolean isFirstSubtask() {
        return getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0;
    }

    private void fire(String where) {
        if (!DISARMED.contains(id) && FIRED.get(id).compareAndSet(0, 1)) {
            throw new InjectedFailure(fault + " at " + where);
        }
    }

    /** The injected fault, recognisable in logs. */
    public static final class InjectedFailure extends RuntimeException {
        InjectedFailure(String message) {
            super("injected failure: " + message);
        }
    }
}
