package io.storepulse.config;

import io.storepulse.topics.StorepulseJob;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one way every job's {@code main} starts: the same checks and settings for each job. */
public final class JobLauncher {

    private static final Logger LOG = LoggerFactory.getLogger(JobLauncher.class);

    /** Wires a job's Kafka sources, functions and sinks into an environment. */
    @FunctionalInterface
    public interface Wiring {
        void wire(StreamExecutionEnvironment env, StorepulseSettings settings);
    }

    private JobLauncher() {}

    /**
     * Parses settings, proves that Kafka and the registry accept the connection settings (a wrong
     * password fails here, in one line, rather than as endless restarts on the task managers),
     * refuses configurations the broker cannot honour, configures checkpointing and state, wires
     * the job and runs it under its catalogue id.
     *
     * <p>Secrets are resolved here, where {@code main} runs (the JobManager for a REST submission),
     * from the environment or files; they travel to the task managers inside the serialized
     * sources, sinks and functions, never through program arguments or the Flink configuration.
     */
    public static void launch(StorepulseJob job, String[] args, Wiring wiring) throws Exception {
        StorepulseSettings settings = StorepulseSettings.fromArgs(args);
        LOG.info("Starting {} with {}", job.id(), settings); // toString redacts secrets
        ConnectionCheck.kafka(settings);
        if (!ConnectionCheck.registry(settings.registryConfig(), false)) {
            LOG.warn(
                    "schema registry at {} not reachable now; starting anyway, its calls are retried",
                    settings.registryConfig().url());
        }
        new KafkaIO(settings, job).verifyBrokerAllowsTransactions();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        KafkaIO.configure(env, settings);
        wiring.wire(env, settings);
        env.execute(job.id());
    }
}
