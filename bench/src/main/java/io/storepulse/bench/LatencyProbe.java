package io.storepulse.bench;

import io.storepulse.topics.Topic;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * End-to-end latency at a fixed rate: events are produced on a fixed schedule with event time and
 * record timestamp set to their intended send time; a {@code read_committed} consumer of the output
 * topic measures, for each output record, the wall time it became visible minus its timestamp (the
 * sinks write the stream record's timestamp: the input's produce time for the pass-through, the
 * event time of the change for jobs).
 *
 * <p>Only outputs whose timestamp falls in the measured window (after the warm-up, before the end
 * of the fixed-rate run) are samples. Sending goes on for a tail after the window at the same rate,
 * so that a job which holds changes back until event time has passed them (the inventory job waits
 * for its out-of-orderness bound) emits the window's last outputs as it would in a live stream.
 */
public final class LatencyProbe {

    /** Latency percentiles in milliseconds over the measured records. */
    public record Result(
            String name,
            String delivery,
            double targetRate,
            double achievedRate,
            long samples,
            double p50,
            double p99,
            double p999,
            double max) {}

    private LatencyProbe() {}

    /**
     * @param inputs topics the generator's events are sent to when the target reads them
     * @param warmup leading part of the run that is not measured
     * @param tail sending at the same rate after the measured window, not measured
     * @param drain waiting after the last send for outputs to become visible
     */
    public static Result measure(
            String name,
            String delivery,
            String bootstrapServers,
            String registryUrl,
            Set<Topic<?>> inputs,
            Topic<?> output,
            double rate,
            Duration duration,
            Duration warmup,
            Duration tail,
            Duration drain,
            long seed,
            int users,
            int skus) {
        long[] samples = new long[4_000_000];
        int[] n = {0};
        AtomicBoolean stop = new AtomicBoolean();
        // The consumer is assigned at the end of the output before the first send, 2 s from now.
        long start = System.currentTimeMillis() + 2_000;
        long from = start + warmup.toMillis();
        long until = from + duration.toMillis();
        Thread consumer =
                new Thread(
                        () -> {
                            try (KafkaConsumer<byte[], byte[]> c =
                                    new KafkaConsumer<>(
                                            TopicReader.consumerProps(bootstrapServers))) {
                                List<TopicPartition> parts =
                                        c.partitionsFor(output.name()).stream()
                                                .map(
                                                        p ->
                                                                new TopicPartition(
                                                                        p.topic(), p.partition()))
                                                .toList();
                                c.assign(parts);
                                c.seekToEnd(parts);
                                parts.forEach(c::position);
                                while (!stop.get()) {
                                    for (ConsumerRecord<byte[], byte[]> r :
                                            c.poll(Duration.ofMillis(50))) {
                                        long now = System.currentTimeMillis();
                                        if (r.timestamp() >= from
                                                && r.timestamp() < until
                                                && n[0] < samples.length) {
                                            samples[n[0]++] = now - r.timestamp();
                                        }
                                    }
                                }
                            }
                        },
                        "latency-consumer");
        consumer.start();
        long sent = 0;
        long sentInWindow = 0;
        ShopGenerator gen = new ShopGenerator(seed, users, skus, start, rate, 0);
        try (Loader loader = new Loader(bootstrapServers, registryUrl, true)) {
            long end = until + tail.toMillis();
            while (true) {
                ShopGenerator.Event e = gen.next();
                if (e.eventTimeMs() >= end) {
                    break;
                }
                long wait = e.eventTimeMs() - System.currentTimeMillis();
                if (wait > 1) {
                    BenchStack.sleep(wait);
                }
                if (inputs.contains(e.topic())) {
                    loader.send(e.topic(), e.key(), e.value(), e.eventTimeMs());
                    sent++;
                    if (e.eventTimeMs() >= from && e.eventTimeMs() < until) {
                        sentInWindow++;
                    }
                }
            }
            loader.flush();
        }
        double achieved = sentInWindow / (duration.toMillis() / 1000.0);
        BenchStack.sleep(drain.toMillis());
        stop.set(true);
        try {
            consumer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long[] s = Arrays.copyOf(samples, n[0]);
        Arrays.sort(s);
        return new Result(
                name,
                delivery,
                rate,
                achieved,
                s.length,
                pct(s, 0.50),
                pct(s, 0.99),
                pct(s, 0.999),
                s.length == 0 ? Double.NaN : s[s.length - 1]);
    }

    static double pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, i)];
    }
}
