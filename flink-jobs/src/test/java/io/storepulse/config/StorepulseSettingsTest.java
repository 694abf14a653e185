package io.storepulse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
}
