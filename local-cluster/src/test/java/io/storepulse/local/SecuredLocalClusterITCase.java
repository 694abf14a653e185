package io.storepulse.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.storepulse.serde.ConfluentAvroDecoder;
import io.storepulse.serde.ConfluentAvroEncoder;
import io.storepulse.serde.RegistryClient;
import io.storepulse.serde.RegistryConfig;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.events.StockMovement;
import storepulse.v1.events.StockMovementType;

/**
 * The local cluster secured: {@code STOREPULSE_SECURITY=scram-tls storepulse up} with Kafka on
 * SASL_SSL (SCRAM-SHA-512) and the registry on HTTPS with basic auth, only the inventory job and no
 * wallboard or background traffic, on its own home and free ports.
 *
 * <p>It runs movements through the job and reads the levels back over SCRAM and TLS; it shows that
 * a wrong Kafka or registry password stops the simulator and a job submission at once with one line
 * naming the refusal; and it looks for every generated secret in what Flink's REST API shows, in
 * the command lines of the stack's processes and in every log under the state directory.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecuredLocalClusterITCase {

    private static final Duration UP_TIMEOUT = Duration.ofMinutes(8);
    private static final Duration OUTPUT_DEADLINE = Duration.ofMinutes(2);
    private static final Duration REFUSAL_TIMEOUT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A warehouse no other record touches, so the expected levels are exact. */
    private static final String WAREHOUSE = "wh-secured-it";

    private static LocalStack stack;
    private static LocalStack.Result up;
    private static Path security;

    @BeforeAll
    static void bringTheSecuredStackUp() throws Exception {
        stack =
                new LocalStack(
                        "secured",
                        Map.of(
                                "STOREPULSE_SECURITY", "scram-tls",
                                "STOREPULSE_JOBS", StorepulseJob.INVENTORY.name(),
                                "STOREPULSE_WALLBOARD", "off"));
        security = stack.home.resolve("security");
        up = stack.run(UP_TIMEOUT, "up");
    }

    @AfterAll
    static void stopWhateverIsLeft() throws Exception {
        if (stack != null && !stack.processesOfThisStack().isEmpty()) {
            stack.run(Duration.ofMinutes(3), "stop");
        }
    }

    @Test
    @Order(1)
    void shouldServeKafkaOverScramAndTlsAndTheRegistryOverHttpsWithBasicAuth() throws Exception {
        // Given: the secured stack is up with the inventory job
        assertThat(up.exitCode()).as("up failed, %s", up.ending()).isZero();
        assertThat(up.output())
                .contains("kafka ready", "registry ready", registryUrl())
                .containsPattern("job " + StorepulseJob.INVENTORY.id() + " +submitted as");

        // Then: an authenticated TLS client sees every topic of the catalogue
        try (Admin admin = Admin.create(kafkaProperties(kafkaPassword()))) {
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
                    .containsAll(Topics.ALL.stream().map(Topic::name).toList());
        }
        // And: the registry refuses anonymous and wrong users, and speaks no plain HTTP
        HttpClient https =
                HttpClient.newBuilder()
                        .sslContext(trustingOurCertificate())
                        .connectTimeout(Duration.ofSeconds(5))
                        .build();
        assertThat(get(https, registryUrl() + "/subjects", null).statusCode()).isEqualTo(401);
        assertThat(get(https, registryUrl() + "/subjects", "storepulse:wrong").statusCode())
                .isEqualTo(401);
        assertThat(
                        get(https, registryUrl() + "/subjects", "storepulse:" + registryPassword())
                                .statusCode())
                .isEqualTo(200);
        assertThatThrownBy(
                        () ->
                                get(
                                        HttpClient.newHttpClient(),
                                        registryUrl().replace("https:", "http:") + "/subjects",
                                        null))
                .isInstanceOf(IOException.class);
    }

    @Test
    @Order(2)
    void shouldRunMovementsThroughTheJobAndReadTheLevelsBackOverScramAndTls() throws Exception {
        // Given: restocks and transfers of three SKUs in a warehouse of their own
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        List<StockMovement> movements = new ArrayList<>();
        Map<String, Integer> expected = new TreeMap<>();
        for (int i = 1; i <= 3; i++) {
            String sku = "SKU-SEC-" + i;
            movements.add(movement("sec-" + i + "-a", sku, StockMovementType.RESTOCK, 10 * i, t0));
            movements.add(
                    movement(
                            "sec-" + i + "-b",
                            sku,
                            StockMovementType.TRANSFER_OUT,
                            i,
                            t0.plusSeconds(1)));
            expected.put(sku + "@" + WAREHOUSE, 10 * i - i);
        }

        // When: they are written over SASL_SSL, Avro-framed with a schema id from the registry
        // over HTTPS with basic auth, followed by a far-future fence that moves the watermark
        RegistryClient registry = new RegistryClient(registryConfig());
        ConfluentAvroEncoder<StockMovement> encoder =
                new ConfluentAvroEncoder<>(
                        registry, Topics.STOCK_MOVEMENTS.valueSubject(), StockMovement.class);
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(
                        kafkaProperties(kafkaPassword()),
                        new StringSerializer(),
                        new ByteArraySerializer())) {
            for (StockMovement m : movements) {
                producer.send(
                        new ProducerRecord<>(
                                Topics.STOCK_MOVEMENTS.name(), m.getSku(), encoder.encode(m)));
            }
            Instant fence = t0.plus(Duration.ofDays(1));
            for (int p = 0; p < Topics.STOCK_MOVEMENTS.partitions(); p++) {
                StockMovement m =
                        movement("sec-fence-" + p, "SKU-FENCE", StockMovementType.COUNT, 0, fence);
                producer.send(
                        new ProducerRecord<>(
                                Topics.STOCK_MOVEMENTS.name(), p, "SKU-FENCE", encoder.encode(m)));
            }
            producer.flush();
        }

        // Then: the job's committed levels, read back over SCRAM and TLS, are exactly these
        ConfluentAvroDecoder<InventoryLevel> decoder =
                new ConfluentAvroDecoder<>(registry, InventoryLevel.class);
        Map<String, Integer> actual = Map.of();
        long deadline = System.nanoTime() + OUTPUT_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            actual = new TreeMap<>();
            for (ConsumerRecord<String, byte[]> r : readAll(Topics.INVENTORY_LEVELS.name())) {
                if (r.value() != null && expected.containsKey(r.key())) {
                    actual.put(r.key(), (int) decoder.decode(r.value()).getOnHand());
                }
            }
            if (actual.equals(expected)) {
                break;
            }
            Thread.sleep(2_000);
        }
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    @Order(3)
    void shouldStopTheSimulatorAtOnceWithOneLineWhenKafkaRefusesThePassword() throws Exception {
        // Given: a wrong Kafka password
        Path wrong = wrongPasswordFile();

        // When
        long started = System.nanoTime();
        LocalStack.Result sim =
                stack.run(
                        REFUSAL_TIMEOUT,
                        Map.of("STOREPULSE_KAFKA_PASSWORD_FILE", wrong.toString()),
                        "simulate",
                        "--count",
                        "10");
        report("wrong Kafka password, simulate", started, sim);

        // Then: it exits non-zero with one line that names the refusal, no stack trace
        assertThat(sim.exitCode()).as("see %s", sim.log()).isNotZero();
        assertThat(sim.output())
                .contains(
                        "storepulse-admin simulate: ERROR: authentication failed: Kafka at "
                                + stack.bootstrapServers()
                                + " refused user 'storepulse' (SCRAM-SHA-512)")
                .doesNotContain("\tat ");
    }

    @Test
    @Order(4)
    void shouldStopTheSimulatorAtOnceWithOneLineWhenTheRegistryRefusesThePassword()
            throws Exception {
        // Given: a wrong registry password
        Path wrong = wrongPasswordFile();

        // When
        long started = System.nanoTime();
        LocalStack.Result sim =
                stack.run(
                        REFUSAL_TIMEOUT,
                        Map.of("STOREPULSE_REGISTRY_PASSWORD_FILE", wrong.toString()),
                        "simulate",
                        "--count",
                        "10");
        report("wrong registry password, simulate", started, sim);

        // Then
        assertThat(sim.exitCode()).as("see %s", sim.log()).isNotZero();
        assertThat(sim.output())
                .contains(
                        "storepulse-admin simulate: ERROR: authentication failed: the schema registry at "
                                + registryUrl()
                                + " refused user 'storepulse' (HTTP 401)")
                .doesNotContain("\tat ");
    }

    @Test
    @Order(5)
    void shouldRefuseAJobSubmissionAtOnceWhenKafkaRefusesThePassword() throws Exception {
        // Given: a job submitted with a wrong password file (a path is not a secret)
        Path wrong = wrongPasswordFile();
        String args =
                "--bootstrap-servers "
                        + stack.bootstrapServers()
                        + " --registry-url "
                        + registryUrl()
                        + " --kafka-password-file "
                        + wrong;

        // When: the admin tool submits it, as `up` does; main() runs in the JobManager
        long started = System.nanoTime();
        LocalStack.Result submit =
                tool(
                        "submit",
                        "--flink-url",
                        stack.flinkUrl(),
                        "--jar",
                        stack.jobJar().toString(),
                        "--state-dir",
                        stack.home.toString(),
                        "--only",
                        StorepulseJob.ENGAGEMENT.name(),
                        "--job-args",
                        args);
        report("wrong Kafka password, job submission", started, submit);

        // Then: the submission fails with the job's own one-line reason, and no job is left
        assertThat(submit.exitCode()).as("see %s", submit.log()).isNotZero();
        assertThat(submit.output())
                .containsPattern(
                        "job "
                                + StorepulseJob.ENGAGEMENT.id()
                                + " +FAILED to submit: authentication failed: Kafka at "
                                + stack.bootstrapServers()
                                + " refused user 'storepulse' \\(SCRAM-SHA-512\\)");
        JsonNode jobs = flink("/jobs/overview").path("jobs");
        for (JsonNode job : jobs) {
            assertThat(job.path("name").asText()).isNotEqualTo(StorepulseJob.ENGAGEMENT.id());
        }
    }

    @Test
    @Order(6)
    void shouldKeepEverySecretOutOfFlinkTheCommandLinesAndTheLogs() throws Exception {
        // Given: every secret the secured stack generated, each in a file only its owner reads
        Map<String, String> secrets = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(security)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".password")).toList()) {
                secrets.put(f.getFileName().toString(), Files.readString(f).strip());
                assertThat(Files.getPosixFilePermissions(f))
                        .as("permissions of %s", f)
                        .isEqualTo(
                                Set.of(
                                        PosixFilePermission.OWNER_READ,
                                        PosixFilePermission.OWNER_WRITE));
            }
        }
        assertThat(secrets)
                .hasSize(6)
                .allSatisfy((name, s) -> assertThat(s).hasSizeGreaterThan(20));

        // When: Flink shows the job, its configuration and the cluster's
        String jid = runningJobId(StorepulseJob.INVENTORY);
        Map<String, String> shown = new LinkedHashMap<>();
        for (String path :
                List.of(
                        "/jobs/" + jid,
                        "/jobs/" + jid + "/config",
                        "/jobs/" + jid + "/jobmanager/config",
                        "/jobs/" + jid + "/plan",
                        "/jobs/" + jid + "/exceptions",
                        "/jobmanager/config",
                        "/jobmanager/environment",
                        "/taskmanagers")) {
            shown.put(path, flink(path).toString());
        }
        // The program arguments the job was submitted with, as the tool printed them
        String jobArgs =
                up.output().lines().filter(l -> l.contains("job args:")).findFirst().orElseThrow();
        shown.put("submitted program arguments", jobArgs);
        assertThat(jobArgs).contains("--registry-url " + registryUrl());

        // Then: no secret in any of it
        for (var s : secrets.entrySet()) {
            shown.forEach(
                    (where, text) ->
                            assertThat(text)
                                    .as("%s in %s", s.getKey(), where)
                                    .doesNotContain(s.getValue()));
        }
        // nor on the command line of any process of the stack
        List<Long> pids = stack.processesOfThisStack();
        assertThat(pids).hasSizeGreaterThanOrEqualTo(4);
        for (long pid : pids) {
            String cmd = Files.readString(Path.of("/proc/" + pid + "/cmdline"));
            for (var s : secrets.entrySet()) {
                assertThat(cmd)
                        .as("%s on the command line of %d", s.getKey(), pid)
                        .doesNotContain(s.getValue());
            }
        }
        // nor in any log under the state directory or of the test's own commands
        List<Path> logs = new ArrayList<>();
        for (Path dir : List.of(stack.home.resolve("logs"), stack.outputs)) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.filter(Files::isRegularFile).forEach(logs::add);
            }
        }
        assertThat(logs).isNotEmpty();
        for (Path log : logs) {
            String text = new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1);
            for (var s : secrets.entrySet()) {
                assertThat(text).as("%s in %s", s.getKey(), log).doesNotContain(s.getValue());
            }
        }
        System.out.printf(
                "secrets: %d checked against %d Flink REST answers, %d command lines, %d log files%n",
                secrets.size(), shown.size(), pids.size(), logs.size());
    }

    @Test
    @Order(7)
    void shouldStopEverythingItStarted() throws Exception {
        LocalStack.Result stop = stack.run(Duration.ofMinutes(4), "stop");
        assertThat(stop.exitCode()).as("stop failed, %s", stop.ending()).isZero();
        assertThat(stack.processesOfThisStack()).as("processes left running").isEmpty();
        assertThat(stack.portsStillBound()).as("ports left bound").isEmpty();
    }

    // ---------------------------------------------------------------------------------------------

    private static String registryUrl() {
        return "https://127.0.0.1:" + stack.ports.get("REGISTRY_PORT") + "/apis/ccompat/v7";
    }

    private static String secret(String file) throws IOException {
        return Files.readString(security.resolve(file)).strip();
    }

    private static String kafkaPassword() throws IOException {
        return secret("kafka-storepulse.password");
    }

    private static String registryPassword() throws IOException {
        return secret("registry-storepulse.password");
    }

    /** Client properties built from the secured stack's files, independently of the code. */
    private static Properties kafkaProperties(String password) throws IOException {
        Properties p = new Properties();
        p.put("bootstrap.servers", stack.bootstrapServers());
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", "SCRAM-SHA-512");
        p.put(
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"storepulse\" password=\""
                        + password
                        + "\";");
        p.put("ssl.truststore.type", "PKCS12");
        p.put("ssl.truststore.location", security.resolve("truststore.p12").toString());
        p.put("ssl.truststore.password", secret("truststore.password"));
        return p;
    }

    private static RegistryConfig registryConfig() throws IOException {
        return RegistryConfig.of(registryUrl())
                .withBasicAuth("storepulse", registryPassword())
                .withTls(
                        security.resolve("truststore.p12").toString(),
                        secret("truststore.password"),
                        null,
                        null);
    }

    private static javax.net.ssl.SSLContext trustingOurCertificate() throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(security.resolve("truststore.p12"))) {
            trust.load(in, secret("truststore.password").toCharArray());
        }
        javax.net.ssl.TrustManagerFactory tmf =
                javax.net.ssl.TrustManagerFactory.getInstance(
                        javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static HttpResponse<String> get(HttpClient http, String url, String userPassword)
            throws IOException, InterruptedException {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
        if (userPassword != null) {
            b.header(
                    "Authorization",
                    "Basic "
                            + java.util.Base64.getEncoder()
                                    .encodeToString(userPassword.getBytes(StandardCharsets.UTF_8)));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode flink(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = get(HttpClient.newHttpClient(), stack.flinkUrl() + path, null);
        assertThat(r.statusCode()).as("GET %s", path).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static String runningJobId(StorepulseJob job) throws Exception {
        for (JsonNode j : flink("/jobs/overview").path("jobs")) {
            if (j.path("name").asText().equals(job.id())
                    && j.path("state").asText().equals("RUNNING")) {
                return j.path("jid").asText();
            }
        }
        throw new AssertionError(job.id() + " is not running");
    }

    private static Path wrongPasswordFile() throws IOException {
        return Files.writeString(stack.outputs.resolve("wrong.password"), "not-the-password\n");
    }

    /** Runs the admin tool as `up` does, from the module's jar and its lib directory. */
    private static LocalStack.Result tool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(
                stack.moduleDir.resolve("target/storepulse-local-cluster.jar")
                        + ":"
                        + stack.moduleDir.resolve("target/lib/*"));
        command.add("io.storepulse.local.StorepulseAdmin");
        command.addAll(List.of(args));
        Path log = stack.outputs.resolve("tool-" + args[0] + ".log");
        Process p =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        if (!p.waitFor(REFUSAL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the tool did not finish in " + REFUSAL_TIMEOUT + ": " + log);
        }
        return new LocalStack.Result(p.exitValue(), Files.readString(log), log);
    }

    private static void report(String what, long startedNanos, LocalStack.Result result) {
        System.out.printf(
                "%s: exit %d after %.1f s: %s%n",
                what,
                result.exitCode(),
                (System.nanoTime() - startedNanos) / 1e9,
                result.output()
                        .lines()
                        .filter(l -> l.contains("ERROR") || l.contains("FAILED"))
                        .reduce((a, b) -> b)
                        .orElse("(no error line)"));
    }

    private static StockMovement movement(
            String id, String sku, StockMovementType type, int quantity, Instant at) {
        return StockMovement.newBuilder()
                .setEventId(id)
                .setSku(sku)
                .setWarehouseId(sku.equals("SKU-FENCE") ? "wh-fence" : WAREHOUSE)
                .setType(type)
                .setQuantity(quantity)
                .setLotExpiresAt(null)
                .setEventTime(at)
                .build();
    }

    /** Every committed record of a topic, read over SCRAM and TLS to the current end. */
    private static List<ConsumerRecord<String, byte[]>> readAll(String topic) throws IOException {
        Properties props = kafkaProperties(kafkaPassword());
        props.put("isolation.level", "read_committed");
        props.put("enable.auto.commit", false);
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))
                    && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        return records;
    }
}
