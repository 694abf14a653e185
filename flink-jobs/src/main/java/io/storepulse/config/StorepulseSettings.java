package io.storepulse.config;

import io.storepulse.serde.RegistryConfig;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Where a job connects and how it checkpoints, read from the command line with environment
 * fallbacks ({@code STOREPULSE_*}).
 *
 * <p>Secrets (Kafka and registry passwords, store passwords) are read only from the environment or
 * from files, never from program arguments: arguments are shown in the Flink web UI and in process
 * listings. {@link #toString()} redacts them.
 */
@Command(
        name = "storepulse-job",
        mixinStandardHelpOptions = true,
        description = "Runs a Storepulse Flink job.")
public final class StorepulseSettings implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Kafka's default {@code transaction.max.timeout.ms}; our transactions must fit under it. */
    public static final Duration BROKER_DEFAULT_MAX_TRANSACTION_TIMEOUT = Duration.ofMinutes(15);

    @Option(
            names = "--bootstrap-servers",
            defaultValue = "${env:STOREPULSE_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
            description = "Kafka bootstrap servers (env STOREPULSE_BOOTSTRAP_SERVERS).")
    String bootstrapServers;

    @Option(
            names = "--registry-url",
            defaultValue = "${env:STOREPULSE_REGISTRY_URL:-http://127.0.0.1:8081/apis/ccompat/v7}",
            description = "Confluent-compatible schema registry API (env STOREPULSE_REGISTRY_URL).")
    String registryUrl;

    @Option(
            names = "--registry-user",
            defaultValue = "${env:STOREPULSE_REGISTRY_USER}",
            description =
                    "Registry basic-auth user; the password comes from env STOREPULSE_REGISTRY_PASSWORD or --registry-password-file.")
    String registryUser;

    @Option(
            names = "--registry-password-file",
            defaultValue = "${env:STOREPULSE_REGISTRY_PASSWORD_FILE}")
    String registryPasswordFile;

    @Option(names = "--registry-truststore", defaultValue = "${env:STOREPULSE_REGISTRY_TRUSTSTORE}")
    String registryTrustStore;

    @Option(names = "--registry-keystore", defaultValue = "${env:STOREPULSE_REGISTRY_KEYSTORE}")
    String registryKeyStore;

    @Option(
            names = "--registry-auto-register",
            defaultValue = "${env:STOREPULSE_REGISTRY_AUTO_REGISTER:-true}",
            description =
                    "Register output schemas on start (turn off where a deploy job registers them).")
    boolean registryAutoRegister;

    @Option(
            names = "--kafka-security-protocol",
            defaultValue = "${env:STOREPULSE_KAFKA_SECURITY_PROTOCOL:-PLAINTEXT}",
            description = "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.")
    String kafkaSecurityProtocol;

    @Option(
            names = "--kafka-sasl-mechanism",
            defaultValue = "${env:STOREPULSE_KAFKA_SASL_MECHANISM:-SCRAM-SHA-512}")
    String kafkaSaslMechanism;

    @Option(
            names = "--kafka-user",
            defaultValue = "${env:STOREPULSE_KAFKA_USER}",
            description =
                    "SASL user; the password comes from env STOREPULSE_KAFKA_PASSWORD or --kafka-password-file.")
    String kafkaUser;

    @Option(names = "--kafka-password-file", defaultValue = "${env:STOREPULSE_KAFKA_PASSWORD_FILE}")
    String kafkaPasswordFile;

    @Option(names = "--kafka-truststore", defaultValue = "${env:STOREPULSE_KAFKA_TRUSTSTORE}")
    String kafkaTrustStore;

    @Option(
            names = "--kafka-keystore",
            defaultValue = "${env:STOREPULSE_KAFKA_KEYSTORE}",
            description = "Key store for mutual TLS to Kafka.")
    String kafkaKeyStore;

    @Option(
            names = "--delivery",
            defaultValue = "${env:STOREPULSE_DELIVERY:-exactly-once}",
            description = "exactly-once (default) or at-least-once.")
    String delivery;

    @Option(
            names = "--checkpoint-interval",
            defaultValue = "${env:STOREPULSE_CHECKPOINT_INTERVAL:-10s}",
            description =
                    "Checkpoint interval, e.g. 10s; exactly-once outputs become visible at each checkpoint.")
    String checkpointInterval;

    @Option(
            names = "--checkpoint-dir",
            defaultValue = "${env:STOREPULSE_CHECKPOINT_DIR}",
            description = "Checkpoint directory URI; unset keeps the cluster's setting.")
    String checkpointDir;

    @Option(
            names = "--transaction-timeout",
            defaultValue = "${env:STOREPULSE_TRANSACTION_TIMEOUT:-10m}",
            description =
                    "Kafka transaction timeout; must exceed the checkpoint interval and fit under the broker's transaction.max.timeout.ms.")
    String transactionTimeout;

    @Option(
            names = "--broker-max-transaction-timeout",
            defaultValue = "${env:STOREPULSE_BROKER_MAX_TRANSACTION_TIMEOUT:-15m}",
            description =
                    "The broker's transaction.max.timeout.ms, to refuse a configuration that cannot work.")
    String brokerMaxTransactionTimeout;

    @Option(
            names = "--parallelism",
            defaultValue = "${env:STOREPULSE_PARALLELISM:-0}",
            description = "Job parallelism; 0 keeps the cluster default.")
    int parallelism;

    @Option(
            names = "--max-parallelism",
            defaultValue = "${env:STOREPULSE_MAX_PARALLELISM:-720}",
            description = "Key groups; fixed for the life of the job's state.")
    int maxParallelism;

    @Option(
            names = "--starting-offsets",
            defaultValue = "${env:STOREPULSE_STARTING_OFFSETS:-earliest}",
            description = "Where a new consumer group starts: earliest or latest.")
    String startingOffsets;

    @Option(
            names = "--group-suffix",
            defaultValue = "${env:STOREPULSE_GROUP_SUFFIX:-}",
            description =
                    "Suffix for the consumer group and transactional ids (tests, side-by-side runs).")
    String groupSuffix;

    /** Environment the secrets are read from; replaced in tests. */
    private transient Map<String, String> environment = System.getenv();

    public static StorepulseSettings fromArgs(String... args) {
        return fromArgs(System.getenv(), args);
    }

    static StorepulseSettings fromArgs(Map<String, String> env, String... args) {
        StorepulseSettings settings = new StorepulseSettings();
        settings.environment = env;
        CommandLine cli = new CommandLine(settings);
        // A later occurrence of an option wins, so wrappers can append overrides to default args.
        cli.setOverwrittenOptionsAllowed(true);
        CommandLine.ParseResult parsed = cli.parseArgs(args);
        if (parsed.isUsageHelpRequested()) {
            cli.usage(System.out);
        }
        settings.validate();
        return settings;
    }

    /** Refuses configurations that cannot work, each with a message that says how to fix it. */
    void validate() {
        Duration interval = checkpointIntervalDuration();
        Duration txTimeout = transactionTimeoutDuration();
        Duration brokerMax =
                Durations.parse(brokerMaxTransactionTimeout, "--broker-max-transaction-timeout");
        if (isExactlyOnce()) {
            if (txTimeout.compareTo(brokerMax) > 0) {
                throw new IllegalArgumentException(
                        "--transaction-timeout "
                                + transactionTimeout
                                + " exceeds the broker's transaction.max.timeout.ms ("
                                + brokerMaxTransactionTimeout
                                + "): the broker would refuse every transaction. Lower it or raise the broker setting.");
            }
            if (txTimeout.compareTo(interval.multipliedBy(2)) < 0) {
                throw new IllegalArgumentException(
                        "--transaction-timeout "
                                + transactionTimeout
                                + " is shorter than twice the checkpoint interval ("
                                + checkpointInterval
                                + "): transactions would expire before their checkpoint completes and outputs would be lost.");
            }
        }
        if (!delivery.equals("exactly-once") && !delivery.equals("at-least-once")) {
            throw new IllegalArgumentException(
                    "--delivery must be exactly-once or at-least-once, not " + delivery);
        }
        if (!startingOffsets.equals("earliest") && !startingOffsets.equals("latest")) {
            throw new IllegalArgumentException("--starting-offsets must be earliest or latest");
        }
        kafkaProtocol(); // a typo in the protocol fails here, not at the first connection
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public boolean isExactlyOnce() {
        return delivery.equals("exactly-once");
    }

    public Duration checkpointIntervalDuration() {
        return Durations.parse(checkpointInterval, "--checkpoint-interval");
    }

    public Duration transactionTimeoutDuration() {
        return Durations.parse(transactionTimeout, "--transaction-timeout");
    }

    public String checkpointDir() {
        return blankToNull(checkpointDir);
    }

    public int parallelism() {
        return parallelism;
    }

    public int maxParallelism() {
        return maxParallelism;
    }

    public boolean startFromEarliest() {
        return startingOffsets.equals("earliest");
    }

    public String groupSuffix() {
        return groupSuffix == null ? "" : groupSuffix;
    }

    /**
     * Registry settings for operators; carries the password, so never log it (its toString
     * redacts).
     */
    public RegistryConfig registryConfig() {
        RegistryConfig config = RegistryConfig.of(registryUrl);
        config =
                new RegistryConfig(
                        config.url(),
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        config.requestTimeout(),
                        config.maxAttempts(),
                        config.initialBackoff(),
                        registryAutoRegister);
        if (blankToNull(registryUser) != null) {
            config =
                    config.withBasicAuth(
                            registryUser,
                            secret("STOREPULSE_REGISTRY_PASSWORD", registryPasswordFile));
        }
        if (blankToNull(registryTrustStore) != null || blankToNull(registryKeyStore) != null) {
            config =
                    config.withTls(
                            blankToNull(registryTrustStore),
                            secretOrNull("STOREPULSE_REGISTRY_TRUSTSTORE_PASSWORD"),
                            blankToNull(registryKeyStore),
                            secretOrNull("STOREPULSE_REGISTRY_KEYSTORE_PASSWORD"));
        }
        return config;
    }

    /** Security protocols Kafka clients speak. */
    private static final java.util.Set<String> KAFKA_PROTOCOLS =
            java.util.Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");

    /**
     * Client properties shared by consumers, producers and admin clients (security only): SASL
     * (SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN) and TLS, including mutual TLS when a key store is
     * given. Carries secrets ({@code sasl.jaas.config}, store passwords): Kafka logs these as
     * {@code [hidden]}, and they must never be logged or put into the Flink configuration here.
     */
    public Properties kafkaSecurityProperties() {
        Properties p = new Properties();
        String protocol = kafkaProtocol();
        p.setProperty("security.protocol", protocol);
        if (protocol.startsWith("SASL")) {
            if (blankToNull(kafkaUser) == null) {
                throw new IllegalArgumentException(
                        "security protocol "
                                + protocol
                                + " needs --kafka-user (env STOREPULSE_KAFKA_USER)");
            }
            String password = secret("STOREPULSE_KAFKA_PASSWORD", kafkaPasswordFile);
            p.setProperty("sasl.mechanism", kafkaSaslMechanism());
            p.setProperty(
                    "sasl.jaas.config",
                    loginModule(kafkaSaslMechanism())
                            + " required username=\""
                            + jaasQuote(kafkaUser)
                            + "\" password=\""
                            + jaasQuote(password)
                            + "\";");
        }
        if (protocol.endsWith("SSL")) {
            if (blankToNull(kafkaTrustStore) != null) {
                p.setProperty("ssl.truststore.location", readableFile(kafkaTrustStore));
                p.setProperty("ssl.truststore.type", storeType(kafkaTrustStore));
                String tsPass = secretOrNull("STOREPULSE_KAFKA_TRUSTSTORE_PASSWORD");
                if (tsPass != null) {
                    p.setProperty("ssl.truststore.password", tsPass);
                }
            }
            if (blankToNull(kafkaKeyStore) != null) {
                // Mutual TLS: the broker authenticates this client by its certificate.
                p.setProperty("ssl.keystore.location", readableFile(kafkaKeyStore));
                p.setProperty("ssl.keystore.type", storeType(kafkaKeyStore));
                String ksPass = secretOrNull("STOREPULSE_KAFKA_KEYSTORE_PASSWORD");
                if (ksPass == null) {
                    throw new IllegalArgumentException(
                            "Kafka key store "
                                    + kafkaKeyStore
                                    + " needs its password: set STOREPULSE_KAFKA_KEYSTORE_PASSWORD or STOREPULSE_KAFKA_KEYSTORE_PASSWORD_FILE");
                }
                p.setProperty("ssl.keystore.password", ksPass);
                p.setProperty("ssl.key.password", ksPass);
            }
        }
        return p;
    }

    /** The SASL user, or null when Kafka is not reached over SASL; for messages. */
    public String kafkaUser() {
        return kafkaProtocol().startsWith("SASL") ? blankToNull(kafkaUser) : null;
    }

    /** The SASL mechanism, upper case. */
    public String kafkaSaslMechanism() {
        return kafkaSaslMechanism.toUpperCase(Locale.ROOT);
    }

    private String kafkaProtocol() {
        String protocol = kafkaSecurityProtocol.toUpperCase(Locale.ROOT);
        if (!KAFKA_PROTOCOLS.contains(protocol)) {
            throw new IllegalArgumentException(
                    "--kafka-security-protocol (env STOREPULSE_KAFKA_SECURITY_PROTOCOL) must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL, not "
                            + kafkaSecurityProtocol);
        }
        return protocol;
    }

    private static String loginModule(String mechanism) {
        return switch (mechanism) {
            case "SCRAM-SHA-512", "SCRAM-SHA-256" ->
                    "org.apache.kafka.common.security.scram.ScramLoginModule";
            case "PLAIN" -> "org.apache.kafka.common.security.plain.PlainLoginModule";
            default ->
                    throw new IllegalArgumentException(
                            "--kafka-sasl-mechanism (env STOREPULSE_KAFKA_SASL_MECHANISM) must be SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN, not "
                                    + mechanism);
        };
    }

    /** A value inside a JAAS double-quoted string: backslashes and quotes escaped. */
    private static String jaasQuote(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** JKS for {@code *.jks}, PKCS12 otherwise (keytool's default since JDK 9). */
    private static String storeType(String path) {
        return path.toLowerCase(Locale.ROOT).endsWith(".jks") ? "JKS" : "PKCS12";
    }

    /** Fails with the path named rather than deep inside the Kafka client's TLS set-up. */
    private static String readableFile(String path) {
        if (!Files.isReadable(Path.of(path))) {
            throw new IllegalArgumentException("cannot read " + path + " (key or trust store)");
        }
        return path;
    }

    /**
     * A required secret: from {@code file} when given, else from env {@code envName}, else from the
     * file named by env {@code envName_FILE}.
     */
    private String secret(String envName, String file) {
        String value = blankToNull(file) != null ? readSecretFile(file) : secretOrNull(envName);
        if (value == null) {
            throw new IllegalArgumentException(
                    "a password is needed: set "
                            + envName
                            + ", "
                            + envName
                            + "_FILE or the matching --*-password-file option");
        }
        return value;
    }

    /** An optional secret: env {@code envName}, else the file named by env {@code envName_FILE}. */
    private String secretOrNull(String envName) {
        String value = environment.get(envName);
        if (value != null) {
            return value;
        }
        String file = blankToNull(environment.get(envName + "_FILE"));
        return file == null ? null : readSecretFile(file);
    }

    private static String readSecretFile(String file) {
        try {
            return Files.readString(Path.of(file)).strip();
        } catch (IOException e) {
            // The message names the file only: never its content.
            throw new IllegalArgumentException(
                    "cannot read secret file " + file + ": " + e.getClass().getSimpleName(), e);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    @Override
    public String toString() {
        return "StorepulseSettings[bootstrapServers="
                + bootstrapServers
                + ", registry="
                + registryUrl
                + ", registryUser="
                + (registryUser == null ? "none" : registryUser)
                + ", kafkaSecurity="
                + kafkaSecurityProtocol
                + ", kafkaUser="
                + (kafkaUser == null ? "none" : kafkaUser)
                + ", delivery="
                + delivery
                + ", checkpointInterval="
                + checkpointInterval
                + "]";
    }
}
