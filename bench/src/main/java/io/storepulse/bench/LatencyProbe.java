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
            Duration drain,
            long seed,
            int users,
            int skus) {
        long[] samples = new long[4_000_000];
        int[] n = {0};
        AtomicBoolean stop = new AtomicBoolean();
        long measureFrom = System.currentTimeMillis() + warmup.toMillis();
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
                                        if (r.timestamp() >= measureFrom && n[0] < samples.length) {
                                            samples[n[0]++] = now - r.timestamp();
                                        }
                                    }
                                }
                            }
                        },
                        "latency-consumer");
        consumer.start();
        BenchStack.sleep(2_000); // consumer assigned at the end before the first send
        long start = System.currentTimeMillis();
        long sent = 0;
        ShopGenerator gen = new ShopGenerator(seed, users, skus, start, rate, 0);
        try (Loader loader = new Loader(bootstrapServers, registryUrl, true)) {
            long end = start + duration.toMillis();
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
                }
            }
            loader.flush();
        }
        double achieved = sent / (duration.toMillis() / 1000.0);
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
