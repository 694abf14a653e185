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

    /** Where the pod mounts the Strimzi cluster CA Secret ({@code ca.crt} key, PEM). */
    public static final String KAFKA_CA_DIR = "/etc/storepulse/kafka-ca";

    private JobArgs() {}

    /** The arguments of one job, in order. */
    public static List<String> forJob(StorepulseJob job, DeployConfig env) {
        return List.of(
                "--bootstrap-servers",
                env.bootstrapServers(),
                "--registry-url",
                env.registryUrl(),
                "--security-protocol",
                "SASL_SSL",
                "--sasl-mechanism",
                "SCRAM-SHA-512",
                "--sasl-username",
                job.id(),
                "--sasl-password-file",
                KAFKA_USER_DIR + "/password",
                "--ssl-truststore-pem",
                KAFKA_CA_DIR + "/ca.crt");
    }
}
