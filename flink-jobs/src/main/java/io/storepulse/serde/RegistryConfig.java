package io.storepulse.serde;

import java.io.Serializable;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * How to reach a Confluent-compatible schema registry (Confluent Schema Registry, Apicurio at
 * {@code /apis/ccompat/v7}, Karapace, Redpanda). Serializable, because Flink operators carry it to
 * the task managers. {@link #toString()} never prints the password.
 *
 * @param url base URL of the Confluent REST API, e.g. {@code http://127.0.0.1:8081/apis/ccompat/v7}
 * @param username basic-auth user, or null for none
 * @param password basic-auth password, or null for none
 * @param trustStorePath PKCS12/JKS trust store for TLS to the registry, or null for the JDK default
 * @param trustStorePassword its password, or null
 * @param keyStorePath key store for mutual TLS, or null
 * @param keyStorePassword its password, or null
 * @param requestTimeout timeout of one HTTP request
 * @param maxAttempts attempts before an unreachable registry is reported as a failure
 * @param initialBackoff wait before the second attempt; doubles after each failure
 * @param autoRegister whether writers register their schema (off in production registries that are
 *     managed by a registration job)
 */
public record RegistryConfig(
        String url,
        String username,
        String password,
        String trustStorePath,
        String trustStorePassword,
        String keyStorePath,
        String keyStorePassword,
        Duration requestTimeout,
        int maxAttempts,
        Duration initialBackoff,
        boolean autoRegister)
        implements Serializable {

    public RegistryConfig {
        Objects.requireNonNull(url, "registry url");
        URI.create(url); // fail early on a malformed URL
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1");
        }
        url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** Plain HTTP, no auth, sensible timeouts: for local use and tests. */
    public static RegistryConfig of(String url) {
        return new RegistryConfig(
                url,
                null,
                null,
                null,
                null,
                null,
                null,
                Duration.ofSeconds(10),
                5,
                Duration.ofMillis(200),
                true);
    }

    public RegistryConfig withRetries(int attempts, Duration backoff) {
        return new RegistryConfig(
                url,
                username,
                password,
                trustStorePath,
                trustStorePassword,
                keyStorePath,
                keyStorePassword,
                requestTimeout,
                attempts,
                backoff,
                autoRegister);
    }

    public RegistryConfig withBasicAuth(String user, String pass) {
        return new RegistryConfig(
                url,
                user,
                pass,
                trustStorePath,
                trustStorePassword,
                keyStorePath,
                keyStorePassword,
                requestTimeout,
                maxAttempts,
                initialBackoff,
                autoRegister);
    }

    public RegistryConfig withTls(
            String trustStore, String trustStorePass, String keyStore, String keyStorePass) {
        return new RegistryConfig(
                url,
                username,
                password,
                trustStore,
                trustStorePass,
                keyStore,
                keyStorePass,
                requestTimeout,
                maxAttempts,
                initialBackoff,
                autoRegister);
    }

    @Override
    public String toString() {
        return "RegistryConfig[url="
                + url
                + ", user="
                + (username == null ? "none" : username)
                + ", password="
                + (password == null ? "none" : "***")
                + ", trustStore="
                + trustStorePath
                + ", keyStore="
                + keyStorePath
                + ", maxAttempts="
                + maxAttempts
                + "]";
    }
}
