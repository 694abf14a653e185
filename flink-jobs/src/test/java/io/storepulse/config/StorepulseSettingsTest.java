package io.storepulse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorepulseSettingsTest {

    @Test
    void shouldDefaultToLoopbackAndExactlyOnce() {
        StorepulseSettings s = StorepulseSettings.fromArgs(Map.of());
        assertThat(s.bootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(s.registryConfig().url()).isEqualTo("http://127.0.0.1:8081/apis/ccompat/v7");
        assertThat(s.isExactlyOnce()).isTrue();
        assertThat(s.checkpointIntervalDuration()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void shouldRefuseATransactionTimeoutAboveTheBrokerMaximum() {
        assertThatThrownBy(
                        () -> StorepulseSettings.fromArgs(Map.of(), "--transaction-timeout", "20m"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exceeds the broker's transaction.max.timeout.ms");
    }

    @Test
    void shouldRefuseATransactionTimeoutShorterThanTwoCheckpoints() {
        assertThatThrownBy(
                        () ->
                                StorepulseSettings.fromArgs(
                                        Map.of(),
                                        "--checkpoint-interval",
                                        "5m",
                                        "--transaction-timeout",
                                        "6m"))
                .hasMessageContaining("shorter than twice the checkpoint interval");
    }

    @Test
    void shouldReadSecretsFromTheEnvironmentAndNeverPrintThem() {
        Map<String, String> env =
                Map.of(
                        "STOREPULSE_KAFKA_PASSWORD", "kafka-s3cret",
                        "STOREPULSE_REGISTRY_PASSWORD", "registry-s3cret");
        StorepulseSettings s =
                StorepulseSettings.fromArgs(
                        env,
                        "--kafka-security-protocol",
                        "SASL_SSL",
                        "--kafka-user",
                        "inventory",
                        "--registry-user",
                        "reader");

        assertThat(s.kafkaSecurityProperties().getProperty("sasl.jaas.config"))
                .contains("username=\"inventory\"")
                .contains("password=\"kafka-s3cret\"");
        assertThat(s.registryConfig().password()).isEqualTo("registry-s3cret");
        assertThat(s.toString()).doesNotContain("s3cret");
        assertThat(s.registryConfig().toString()).doesNotContain("s3cret").contains("***");
    }

    @Test
    void shouldFailClearlyWhenASaslPasswordIsMissing() {
        StorepulseSettings s =
                StorepulseSettings.fromArgs(
                        Map.of(),
                        "--kafka-security-protocol",
                        "SASL_SSL",
                        "--kafka-user",
                        "inventory");
        assertThatThrownBy(s::kafkaSecurityProperties)
                .hasMessageContaining("STOREPULSE_KAFKA_PASSWORD");
    }

    @Test
    void shouldReadStorePasswordsAndTheSaslPasswordFromFilesNamedInTheEnvironment(@TempDir Path dir)
            throws Exception {
        // Given: a trust store and a key store (mutual TLS), their passwords and the SASL
        // password in files, as Kubernetes mounts a Secret
        Path trustStore = Files.writeString(dir.resolve("truststore.p12"), "x");
        Path keyStore = Files.writeString(dir.resolve("client.jks"), "x");
        Path kafkaPassword = Files.writeString(dir.resolve("kafka-password"), "pa\\ss\"word\n");
        Path storePassword = Files.writeString(dir.resolve("store-password"), "st0re\n");
        Map<String, String> env =
                Map.of(
                        "STOREPULSE_KAFKA_PASSWORD_FILE", kafkaPassword.toString(),
                        "STOREPULSE_KAFKA_TRUSTSTORE_PASSWORD_FILE", storePassword.toString(),
                        "STOREPULSE_KAFKA_KEYSTORE_PASSWORD_FILE", storePassword.toString());

        // When
        StorepulseSettings s =
                StorepulseSettings.fromArgs(
                        env,
                        "--kafka-security-protocol",
                        "sasl_ssl",
                        "--kafka-user",
                        "inventory",
                        "--kafka-password-file",
                        kafkaPassword.toString(),
                        "--kafka-truststore",
                        trustStore.toString(),
                        "--kafka-keystore",
                        keyStore.toString());
        var props = s.kafkaSecurityProperties();

        // Then: the JAAS value is quoted safely and the store types follow the file names
        assertThat(props.getProperty("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(props.getProperty("sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
        assertThat(props.getProperty("sasl.jaas.config"))
                .startsWith("org.apache.kafka.common.security.scram.ScramLoginModule required")
                .contains("password=\"pa\\\\ss\\\"word\";");
        assertThat(props.getProperty("ssl.truststore.type")).isEqualTo("PKCS12");
        assertThat(props.getProperty("ssl.truststore.password")).isEqualTo("st0re");
        assertThat(props.getProperty("ssl.keystore.type")).isEqualTo("JKS");
        assertThat(props.getProperty("ssl.keystore.password")).isEqualTo("st0re");
        assertThat(s.toString()).doesNotContain("st0re").doesNotContain("pa\\ss");
    }

    @Test
    void shouldRefuseAnUnknownProtocolOrMechanismAndAKeyStoreWithoutPassword(@TempDir Path dir)
            throws Exception {
        assertThatThrownBy(
                        () ->
                                StorepulseSettings.fromArgs(
                                        Map.of(), "--kafka-security-protocol", "SASL_TLS"))
                .hasMessageContaining("must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");

        StorepulseSettings gssapi =
                StorepulseSettings.fromArgs(
                        Map.of("STOREPULSE_KAFKA_PASSWORD", "x"),
                        "--kafka-security-protocol",
                        "SASL_SSL",
                        "--kafka-user",
                        "u",
                        "--kafka-sasl-mechanism",
                        "GSSAPI");
        assertThatThrownBy(gssapi::kafkaSecurityProperties)
                .hasMessageContaining("SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN");

        Path keyStore = Files.writeString(dir.resolve("client.p12"), "x");
        StorepulseSettings mtls =
                StorepulseSettings.fromArgs(
                        Map.of(),
                        "--kafka-security-protocol",
                        "SSL",
                        "--kafka-keystore",
                        keyStore.toString());
        assertThatThrownBy(mtls::kafkaSecurityProperties)
                .hasMessageContaining("STOREPULSE_KAFKA_KEYSTORE_PASSWORD");

        StorepulseSettings missingStore =
                StorepulseSettings.fromArgs(
                        Map.of(),
                        "--kafka-security-protocol",
                        "SSL",
                        "--kafka-truststore",
                        dir.resolve("nowhere.p12").toString());
        assertThatThrownBy(missingStore::kafkaSecurityProperties)
                .hasMessageContaining("cannot read " + dir.resolve("nowhere.p12"));
    }
}
