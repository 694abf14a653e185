package io.storepulse.deploy;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Properties;

/**
 * One target environment, read from {@code deploy/environment.properties}. Everything that differs
 * between a shop's clusters (namespace, image, bucket, registry) is here; everything that must not
 * differ (topic names, ACLs, job entry points) comes from the catalogue.
 */
public record DeployConfig(
        String namespace,
        String kafkaCluster,
        String image,
        String flinkVersion,
        String s3Bucket,
        String s3Endpoint,
        boolean s3PathStyleAccess,
        String registryUrl,
        String registrationImage) {

    public DeployConfig {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(kafkaCluster, "kafka.cluster");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(flinkVersion, "flink.version");
        Objects.requireNonNull(s3Bucket, "s3.bucket");
        Objects.requireNonNull(s3Endpoint, "s3.endpoint");
        Objects.requireNonNull(registryUrl, "registry.url");
        Objects.requireNonNull(registrationImage, "registration.image");
    }

    /** Reads the properties file; every key is required so that nothing silently defaults. */
    public static DeployConfig load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return new DeployConfig(
                required(p, "namespace"),
                required(p, "kafka.cluster"),
                required(p, "image"),
                required(p, "flink.version"),
                required(p, "s3.bucket"),
                required(p, "s3.endpoint"),
                Boolean.parseBoolean(required(p, "s3.path-style-access")),
                required(p, "registry.url"),
                required(p, "registration.image"));
    }

    private static String required(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("environment.properties: missing " + key);
        }
        return v.trim();
    }

    /** The in-cluster bootstrap address of the Strimzi TLS + SCRAM listener. */
    public String bootstrapServers() {
        return kafkaCluster + "-kafka-bootstrap." + namespace + ".svc:9093";
    }

    /** Secret that Strimzi's cluster operator fills with the cluster CA certificate. */
    public String clusterCaSecret() {
        return kafkaCluster + "-cluster-ca-cert";
    }
}
