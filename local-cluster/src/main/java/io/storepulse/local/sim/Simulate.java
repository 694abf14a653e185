package io.storepulse.local.sim;

import io.storepulse.config.Durations;
import io.storepulse.local.SimSender;
import io.storepulse.topics.Topic;
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

    @Option(
            names = "--history",
            defaultValue = "0s",
            description =
                    "First replay this much shop history (e.g. 2d) as fast as Kafka takes it, ending"
                            + " at the start time, so that episodes that take hours or days of event"
                            + " time (payment timeouts, expiring lots, hourly and daily figures) have"
                            + " happened before live traffic begins (default: none).")
    String history;

    @Option(
            names = "--history-records",
            defaultValue = "40000",
            description =
                    "Simulator steps the history is compressed into, about one record each (default ${DEFAULT-VALUE}).")
    long historyRecords;

    @Option(
            names = "--history-sessions",
            defaultValue = "3",
            description =
                    "Concurrent sessions during the history: few, so that each session keeps a"
                            + " realistic pace while the clock runs fast (default ${DEFAULT-VALUE}).")
    int historySessions;

    @Override
    public Integer call() throws Exception {
        long actualSeed = seed != null ? seed : new java.util.Random().nextLong() & 0xffffffffL;
        Instant liveStart =
                start != null
                        ? start
                        : Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Duration historyLength = Durations.parse(history, "--history");
        if (historyLength.isNegative() || (!historyLength.isZero() && historyRecords < 1)) {
            throw new IllegalArgumentException("--history must be >= 0 and --history-records >= 1");
        }
        double liveSpacing = 1000.0 * speedup / rate;
        boolean withHistory = !historyLength.isZero();
        Instant firstClock = liveStart.minus(historyLength);
        SimConfig config =
                new SimConfig(
                        actualSeed,
                        firstClock,
                        withHistory
                                ? (double) historyLength.toMillis() / historyRecords
                                : liveSpacing,
                        skus,
                        warehouses,
                        badShare,
                        withHistory ? historySessions : sessions);
        System.out.printf(
                "simulate: seed %d, start %s, %.1f records/s, %s%s (repeat with --seed %d --start %s%s)%n",
                actualSeed,
                liveStart,
                rate,
                count != null
                        ? count + " records"
                        : durationSeconds == 0 ? "until interrupted" : durationSeconds + " s",
                withHistory
                        ? String.format(
                                ", after %s of history from %s in %d records",
                                history, firstClock, historyRecords)
                        : "",
                actualSeed,
                liveStart,
                withHistory ? " --history " + history : "");
        ShopSimulator simulator = new ShopSimulator(config);
        List<Topic<?>> sendsTo =
                ShopSimulator.TOPICS.stream()
                        .filter(t -> topics == null || topics.contains(t.name()))
                        .toList();
        try (SimSender sender = new SimSender(bootstrapServers, registryUrl, sendsTo)) {
            long began = System.nanoTime();
            long nextProgress = began + Duration.ofSeconds(progressSeconds).toNanos();
            if (withHistory) {
                // The history goes out as fast as the producer takes it; its event times are in
                // the past, so the jobs' event-time clocks run through it and fire what it holds.
                while (simulator.clock().isBefore(liveStart)) {
                    SimRecord record = simulator.next();
                    if (topics == null || topics.contains(record.topic())) {
                        sender.send(record);
                    }
                    if (System.nanoTime() >= nextProgress) {
                        System.out.println(
                                "simulate: history at "
                                        + simulator.clock()
                                        + ", "
                                        + sender.progress(System.nanoTime() - began));
                        nextProgress += Duration.ofSeconds(progressSeconds).toNanos();
                    }
                }
                sender.flush();
                System.out.println(
                        "simulate: history done, "
                                + sender.progress(System.nanoTime() - began)
                                + "; live traffic from "
                                + liveStart);
                simulator.pace(liveSpacing, sessions);
            }
            long total = count != null ? count : Long.MAX_VALUE;
            long deadline =
                    count == null && durationSeconds > 0
                            ? System.nanoTime() + Duration.ofSeconds(durationSeconds).toNanos()
                            : Long.MAX_VALUE;
            // Live records are paced by how many were sent, so that with --topics the records
            // sent keep the configured rate (the simulated clock then runs ahead of the wall
            // clock); after a history the live clock starts at --start, behind the wall clock by
            // the time the history took to send.
            long liveBegan = System.nanoTime();
            long sent = 0;
            while (sent < total && System.nanoTime() < deadline) {
                long wait = liveBegan + (long) (sent * 1e9 / rate) - System.nanoTime();
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
