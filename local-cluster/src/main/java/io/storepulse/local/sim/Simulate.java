package io.storepulse.local.sim;

import io.storepulse.local.SimSender;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code storepulse simulate}: runs the shop against a running stack. */
@Command(
        name = "simulate",
        mixinStandardHelpOptions = true,
        description = "Send simulated shop traffic (Confluent-framed Avro) to the local stack.")
public final class Simulate implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", required = true)
    String bootstrapServers;

    @Option(
            names = "--registry-url",
            required = true,
            description = "Confluent-compatible API base URL.")
    String registryUrl;

    @Option(
            names = "--rate",
            defaultValue = "50",
            description = "Records per second (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(
            names = "--duration",
            defaultValue = "60",
            description = "Seconds to run; 0 runs until interrupted (default ${DEFAULT-VALUE}).")
    long durationSeconds;

    @Option(
            names = "--count",
            description = "Stop after this many records instead (overrides --duration).")
    Long count;

    @Option(names = "--seed", description = "Random seed (default: random, printed).")
    Long seed;

    @Option(
            names = "--start",
            description = "Simulated clock at the first record, ISO-8601 (default: now, printed).")
    Instant start;

    @Option(
            names = "--speedup",
            defaultValue = "1",
            description = "Simulated seconds per wall-clock second (default ${DEFAULT-VALUE}).")
    double speedup;

    @Option(names = "--skus", defaultValue = "200")
    int skus;

    @Option(names = "--warehouses", split = ",", defaultValue = "wh-north,wh-south,wh-east")
    List<String> warehouses;

    @Option(
            names = "--bad-share",
            defaultValue = "0.02",
            description = "Share of bad records, 0..1.")
    double badShare;

    @Option(names = "--sessions", defaultValue = "40", description = "Concurrent shopper sessions.")
    int sessions;

    @Option(
            names = "--topics",
            split = ",",
            description = "Only send records of these topics (the rest is generated, not sent).")
    List<String> topics;

    @Option(names = "--progress-seconds", defaultValue = "5")
    long progressSeconds;

    @Override
    public Integer call() throws Exception {
        long actualSeed = seed != null ? seed : new java.util.Random().nextLong() & 0xffffffffL;
        Instant actualStart =
                start != null
                        ? start
                        : Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        SimConfig config =
                new SimConfig(
                        actualSeed,
                        actualStart,
                        1000.0 * speedup / rate,
                        skus,
                        warehouses,
                        badShare,
                        sessions);
        System.out.printf(
                "simulate: seed %d, start %s, %.1f records/s, %s (repeat with --seed %d --start %s)%n",
                actualSeed,
                actualStart,
                rate,
                count != null
                        ? count + " records"
                        : durationSeconds == 0 ? "until interrupted" : durationSeconds + " s",
                actualSeed,
                actualStart);
        ShopSimulator simulator = new ShopSimulator(config);
        try (SimSender sender = new SimSender(bootstrapServers, registryUrl)) {
            long total =
                    count != null ? count : durationSeconds == 0 ? Long.MAX_VALUE : Long.MAX_VALUE;
            long deadline =
                    count == null && durationSeconds > 0
                            ? System.nanoTime() + Duration.ofSeconds(durationSeconds).toNanos()
                            : Long.MAX_VALUE;
            long began = System.nanoTime();
            long nextProgress = began + Duration.ofSeconds(progressSeconds).toNanos();
            long sent = 0;
            while (sent < total && System.nanoTime() < deadline) {
                long wait = began + (long) (sent * 1e9 / rate) - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                SimRecord record = simulator.next();
                if (topics != null && !topics.contains(record.topic())) {
                    continue;
                }
                sender.send(record);
                sent++;
                if (System.nanoTime() >= nextProgress) {
                    System.out.println("simulate: " + sender.progress(System.nanoTime() - began));
                    nextProgress += Duration.ofSeconds(progressSeconds).toNanos();
                }
            }
            sender.flush();
            System.out.println("simulate: done, " + sender.progress(System.nanoTime() - began));
        }
        return 0;
    }
}
