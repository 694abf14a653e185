package io.storepulse.reliability;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.IllegalConfigurationException;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.runtime.state.CheckpointStateOutputStream;
import org.apache.flink.runtime.state.CheckpointStateToolset;
import org.apache.flink.runtime.state.CheckpointStorage;
import org.apache.flink.runtime.state.CheckpointStorageAccess;
import org.apache.flink.runtime.state.CheckpointStorageFactory;
import org.apache.flink.runtime.state.CheckpointStorageLocation;
import org.apache.flink.runtime.state.CheckpointStorageLocationReference;
import org.apache.flink.runtime.state.CheckpointStreamFactory;
import org.apache.flink.runtime.state.CheckpointedStateScope;
import org.apache.flink.runtime.state.CompletedCheckpointStorageLocation;
import org.apache.flink.runtime.state.StreamStateHandle;
import org.apache.flink.runtime.state.storage.FileSystemCheckpointStorage;

/**
 * The filesystem checkpoint storage, except that a task's checkpoint output stream can fail when it
 * is closed into a state handle: the end of the upload that a task runs in the asynchronous phase
 * of a checkpoint (RocksDB's files, operator state), after the synchronous snapshot has let the
 * task process records again. Armed and counted through {@link FailureInjector} under the id given
 * by {@link #FAULT_ID}.
 *
 * <p>Test only. Configured with {@link #configuration(String)}: Flink's {@code
 * CheckpointStorageLoader} loads {@link Factory} by its class name from {@code
 * execution.checkpointing.storage}, on the JobManager and in every task.
 */
public final class FaultyCheckpointStorage implements CheckpointStorage {
    private static final long serialVersionUID = 1L;

    /**
     * The {@link FailureInjector} id of the fault (see {@link FailureInjector#disarmedInStorage}).
     */
    public static final ConfigOption<String> FAULT_ID =
            ConfigOptions.key("storepulse.test.faulty-checkpoint-storage.fault-id")
                    .stringType()
                    .noDefaultValue();

    private final FileSystemCheckpointStorage delegate;
    private final String faultId;

    private FaultyCheckpointStorage(FileSystemCheckpointStorage delegate, String faultId) {
        this.delegate = delegate;
        this.faultId = faultId;
    }

    /** Job configuration that selects this storage for the fault {@code faultId}. */
    public static Configuration configuration(String faultId) {
        Configuration c = new Configuration();
        c.set(CheckpointingOptions.CHECKPOINT_STORAGE, Factory.class.getName());
        c.set(FAULT_ID, faultId);
        return c;
    }

    /**
     * Loaded by Flink by class name; needs {@code execution.checkpointing.dir} as filesystem does.
     */
    public static final class Factory implements CheckpointStorageFactory<FaultyCheckpointStorage> {
        @Override
        public FaultyCheckpointStorage createFromConfig(ReadableConfig config, ClassLoader cl)
                throws IllegalConfigurationException {
            String id =
                    config.getOptional(FAULT_ID)
                            .orElseThrow(
                                    () ->
                                            new IllegalConfigurationException(
                                                    FAULT_ID.key() + " is not set"));
            return new FaultyCheckpointStorage(
                    FileSystemCheckpointStorage.createFromConfig(config, cl), id);
        }
    }

    @Override
    public CompletedCheckpointStorageLocation resolveCheckpoint(String pointer) throws IOException {
        return delegate.resolveCheckpoint(pointer);
    }

    @Override
    public CheckpointStorageAccess createCheckpointStorage(JobID jobId) throws IOException {
        return new Access(delegate.createCheckpointStorage(jobId), faultId);
    }

    /** The JobManager's side unchanged; the tasks' stream factories wrapped. */
    private record Access(CheckpointStorageAccess delegate, String faultId)
            implements CheckpointStorageAccess {

        @Override
        public CheckpointStreamFactory resolveCheckpointStorageLocation(
                long checkpointId, CheckpointStorageLocationReference reference)
                throws IOException {
            return new Streams(
                    delegate.resolveCheckpointStorageLocation(checkpointId, reference), faultId);
        }

        @Override
        public CheckpointStateOutputStream createTaskOwnedStateStream() throws IOException {
            return delegate.createTaskOwnedStateStream();
        }

        @Override
        public CheckpointStateToolset createTaskOwnedCheckpointStateToolset() {
            return delegate.createTaskOwnedCheckpointStateToolset();
        }

        @Override
        public boolean supportsHighlyAvailableStorage() {
            return delegate.supportsHighlyAvailableStorage();
        }

        @Override
        public boolean hasDefaultSavepointLocation() {
            return delegate.hasDefaultSavepointLocation();
        }

        @Override
        public CompletedCheckpointStorageLocation resolveCheckpoint(String pointer)
                throws IOException {
            return delegate.resolveCheckpoint(pointer);
        }

        @Override
        public void initializeBaseLocationsForCheckpoint() throws IOException {
            delegate.initializeBaseLocationsForCheckpoint();
        }

        @Override
        public CheckpointStorageLocation initializeLocationForCheckpoint(long checkpointId)
                throws IOException {
            return delegate.initializeLocationForCheckpoint(checkpointId);
        }

        @Override
        public CheckpointStorageLocation initializeLocationForSavepoint(
                long checkpointId, String externalLocationPointer) throws IOException {
            return delegate.initializeLocationForSavepoint(checkpointId, externalLocationPointer);
        }
    }

    /** A task's stream factory for one checkpoint: its streams may fail on closeAndGetHandle. */
    private record Streams(CheckpointStreamFactory delegate, String faultId)
            implements CheckpointStreamFactory {

        @Override
        public CheckpointStateOutputStream createCheckpointStateOutputStream(
                CheckpointedStateScope scope) throws IOException {
            return new FaultyStream(delegate.createCheckpointStateOutputStream(scope), faultId);
        }

        @Override
        public boolean canFastDuplicate(StreamStateHandle stateHandle, CheckpointedStateScope scope)
                throws IOException {
            return delegate.canFastDuplicate(stateHandle, scope);
        }

        @Override
        public List<StreamStateHandle> duplicate(
                List<StreamStateHandle> stateHandles, CheckpointedStateScope scope)
                throws IOException {
            return delegate.duplicate(stateHandles, scope);
        }

        @Override
        public void reusePreviousStateHandle(
                Collection<? extends StreamStateHandle> previousHandle) {
            delegate.reusePreviousStateHandle(previousHandle);
        }

        @Override
        public boolean couldReuseStateHandle(StreamStateHandle stateHandle) {
            return delegate.couldReuseStateHandle(stateHandle);
        }
    }

    /** Writes through; the fault strikes where the written state becomes a handle. */
    private static final class FaultyStream extends CheckpointStateOutputStream {
        private final CheckpointStateOutputStream delegate;
        private final String faultId;

        FaultyStream(CheckpointStateOutputStream delegate, String faultId) {
            this.delegate = delegate;
            this.faultId = faultId;
        }

        @Override
        public StreamStateHandle closeAndGetHandle() throws IOException {
            try {
                FailureInjector.strikeInStorage(faultId);
            } catch (IOException e) {
                delegate.close(); // discards what was written, as a failed upload would
                throw e;
            }
            return delegate.closeAndGetHandle();
        }

        @Override
        public void write(int b) throws IOException {
            delegate.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            delegate.write(b, off, len);
        }

        @Override
        public long getPos() throws IOException {
            return delegate.getPos();
        }

        @Override
        public void flush() throws IOException {
            delegate.flush();
        }

        @Override
        public void sync() throws IOException {
            delegate.sync();
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }
}
