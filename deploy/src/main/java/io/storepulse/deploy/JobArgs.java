package io.storepulse.deploy;

import io.storepulse.topics.StorepulseJob;
import java.util.List;

/**
 * The command line every FlinkDeployment passes to its job's {@code main}: the one place that
 * builds it. The job parses it with {@code io.storepulse.config.StorepulseSettings.fromArgs}; the
 * entry-point test parses exactly this list, so that the manifests and the parser cannot disagree.
 *
 * <p>No secret is on the command line: passwords are read from files that the pod mounts from
 * Kubernetes Secrets (the KafkaUser's Secret made by Strimzi's user operator, and the cluster CA).
 * Checkpointing, RocksDB and HA are set in the FlinkDeployment's {@code flinkConfiguration}, not
 * here.
 */
public final class JobArgs {

    /** Where the pod mounts the KafkaUser Secret ({@code password} key). */
    public static final String KAFKA_USER_DIR = "/etc/storepulse/kafka-user";

    /** Where the pod mounts the Strimzi cluster CA Secret ({@code ca.p12} key, PKCS#12). */
    public static final String KAFKA_CA_DIR = "/etc/storepulse/kafka-ca";

    /**
     * Checkpoint interval. The job sets it in code from {@code --checkpoint-interval} (code wins
     * over the cluster configuration), so the FlinkDeployment's configuration repeats this same
     * value.
     */
    public static final int CHECKPOINT_INTERVAL_SECONDS = 30;

    /**
     * Kafka transaction timeout: long enough to outlast a job restart (the transactions of the last
     * checkpoint are committed on recovery only if they have not timed out), under the broker's
     * {@code transaction.max.timeout.ms} ({@link #BROKER_MAX_TRANSACTION_TIMEOUT_MINUTES}).
     */
    public static final int TRANSACTION_TIMEOUT_MINUTES = 15;

    /** {@code transaction.max.timeout.ms} of the brokers in k8s/kafka/kafka-cluster.yaml. */
    public static final int BROKER_MAX_TRANSACTION_TIMEOUT_MINUTES = 60;

    private JobArgs() {}

    /**
     * The arguments of one job, in order. Option names are those of {@code StorepulseSettings}.
     * Left at their defaults: {@code --checkpoint-dir} (unset keeps the cluster's, set in the
     * FlinkDeployment) and {@code --parallelism} (0 keeps the cluster's: the operator and its
     * autoscaler set it).
     */
    public static List<String> forJob(StorepulseJob job, DeployConfig env) {
        return List.of(
                "--bootstrap-servers",
                env.bootstrapServers(),
                "--registry-url",
                env.registryUrl(),
                // The schema registration Job registers every subject before jobs start.
                "--registry-auto-register=false",
                "--kafka-security-protocol",
                "SASL_SSL",
                "--kafka-sasl-mechanism",
                "SCRAM-SHA-512",
                "--kafka-user",
                job.id(),
                "--kafka-password-file",
                KAFKA_USER_DIR + "/password",
                // Its password comes from env STOREPULSE_KAFKA_TRUSTSTORE_PASSWORD (see
                // podTemplate).
                "--kafka-truststore",
                KAFKA_CA_DIR + "/ca.p12",
                "--delivery",
                "exactly-once",
                "--checkpoint-interval",
                CHECKPOINT_INTERVAL_SECONDS + "s",
                "--transaction-timeout",
                TRANSACTION_TIMEOUT_MINUTES + "m",
                "--broker-max-transaction-timeout",
                BROKER_MAX_TRANSACTION_TIMEOUT_MINUTES + "m",
                "--max-parallelism",
                String.valueOf(JobSizing.MAX_PARALLELISM),
                "--starting-offsets",
                "earliest");
    }
}
