package io.storepulse.config;

import io.storepulse.serde.RegistryClient;
import io.storepulse.serde.RegistryConfig;
import io.storepulse.serde.RegistryException;
import io.storepulse.serde.RegistryUnavailableException;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

/**
 * Proves, before a job or a tool starts work, that Kafka and the schema registry accept its
 * connection settings, and turns a refusal into one line that names the cause and what to check.
 *
 * <p>Without it a wrong password surfaces late and far away: a Flink job would be accepted, then
 * restart forever on its task managers with the refusal buried in their logs. Messages never
 * contain a secret: only the user name, the mechanism and the address.
 */
public final class ConnectionCheck {

    private static final long KAFKA_TIMEOUT_SECONDS = 30;

    private ConnectionCheck() {}

    /** Fails with a one-line {@link IllegalStateException} unless Kafka accepts a connection. */
    public static void kafka(StorepulseSettings settings) {
        Properties props = settings.kafkaSecurityProperties();
        props.setProperty("bootstrap.servers", settings.bootstrapServers());
        props.setProperty("request.timeout.ms", "15000");
        props.setProperty("default.api.timeout.ms", "30000");
        props.setProperty("client.id", "storepulse-connection-check");
        try (Admin admin = Admin.create(props)) {
            admin.describeCluster().nodes().get(KAFKA_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting to Kafka", e);
        } catch (ExecutionException e) {
            throw kafkaRefusal(settings, e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(
                    "Kafka at "
                            + settings.bootstrapServers()
                            + " did not answer within "
                            + KAFKA_TIMEOUT_SECONDS
                            + " s over "
                            + props.getProperty("security.protocol")
                            + ": is it running, and does its listener speak that protocol?",
                    e);
        }
    }

    /** The refusal of a Kafka connection as one line; public for the tools' own clients. */
    public static IllegalStateException kafkaRefusal(StorepulseSettings settings, Throwable cause) {
        String where = "Kafka at " + settings.bootstrapServers();
        if (cause instanceof SslAuthenticationException) {
            return new IllegalStateException(
                    "TLS handshake with "
                            + where
                            + " failed ("
                            + firstLine(cause)
                            + "): check the trust store (STOREPULSE_KAFKA_TRUSTSTORE) and, for mutual TLS, the key store",
                    cause);
        }
        if (cause instanceof AuthenticationException) {
            return new IllegalStateException(
                    "authentication failed: "
                            + where
                            + " refused user '"
                            + settings.kafkaUser()
                            + "' ("
                            + settings.kafkaSaslMechanism()
                            + "): check STOREPULSE_KAFKA_USER and the password (STOREPULSE_KAFKA_PASSWORD or STOREPULSE_KAFKA_PASSWORD_FILE)",
                    cause);
        }
        return new IllegalStateException("cannot reach " + where + ": " + firstLine(cause), cause);
    }

    /** Fails with a one-line {@link IllegalStateException} unless the registry answers. */
    public static void registry(StorepulseSettings settings) {
        registry(settings.registryConfig(), true);
    }

    /**
     * Checks the registry connection settings. A refused user (HTTP 401/403) and a failed TLS
     * handshake always fail, in one line; an unreachable registry fails only when {@code
     * requireReachable}, else this returns false: a job may start while the registry is briefly
     * away, since its operators retry every call.
     */
    public static boolean registry(RegistryConfig config, boolean requireReachable) {
        try {
            new RegistryClient(config.withRetries(2, java.time.Duration.ofMillis(500))).subjects();
            return true;
        } catch (RegistryUnavailableException e) {
            if (e.getCause() instanceof javax.net.ssl.SSLException) {
                throw new IllegalStateException(
                        "TLS handshake with the schema registry at "
                                + config.url()
                                + " failed ("
                                + firstLine(e.getCause())
                                + "): check the trust store (STOREPULSE_REGISTRY_TRUSTSTORE)",
                        e);
            }
            if (requireReachable) {
                throw new IllegalStateException(firstLine(e), e);
            }
            return false;
        } catch (RegistryException e) {
            if (e.httpStatus() == 401 || e.httpStatus() == 403) {
                throw new IllegalStateException(
                        "authentication failed: the schema registry at "
                                + config.url()
                                + " refused user '"
                                + (config.username() == null ? "(none)" : config.username())
                                + "' (HTTP "
                                + e.httpStatus()
                                + "): check STOREPULSE_REGISTRY_USER and the password (STOREPULSE_REGISTRY_PASSWORD or STOREPULSE_REGISTRY_PASSWORD_FILE)",
                        e);
            }
            throw new IllegalStateException(firstLine(e), e);
        }
    }

    private static String firstLine(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getName() : t.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
