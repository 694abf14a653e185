package io.storepulse.bench;

import io.storepulse.serde.ConfluentAvroDecoder;
import io.storepulse.serde.DecodeException;
import io.storepulse.serde.RegistryClient;
import io.storepulse.serde.RegistryConfig;
import io.storepulse.topics.Topic;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * End-to-end latency at a fixed rate: events are produced on a fixed schedule with event time and
 * record timestamp set to their intended send time; a {@code read_committed} consumer of the output
 * topic decodes each output record and measures the wall time it became visible minus the event
 * time it carries: {@code event_time} of the pass-through (the input's), {@code updated_at} of an
 * inventory level (the event time of the last change applied). Not the output's Kafka timestamp:
 * the sinks leave that to the producer (append time), which would leave out all the time the event
 * spent in the job.
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
        ConfluentAvroDecoder<? extends SpecificRecord> decoder =
                new ConfluentAvroDecoder<>(
                        new RegistryClient(RegistryConfig.of(registryUrl)), output.valueType());
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
                                        long produced = producedAt(decoder, r.value());
                                        if (produced >= from
                                                && produced < until
                                                && n[0] < samples.length) {
                                            samples[n[0]++] = now - produced;
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

    /** The event time an output carries, or -1 when it carries none (not measured). */
    static long producedAt(ConfluentAvroDecoder<? extends SpecificRecord> decoder, byte[] value) {
        if (value == null) {
            return -1;
        }
        SpecificRecord v;
        try {
            v = decoder.decode(value);
        } catch (DecodeException e) {
            return -1;
        }
        for (String field : new String[] {"event_time", "updated_at"}) {
            Schema.Field f = v.getSchema().getField(field);
            if (f != null) {
                Object t = v.get(f.pos());
                return t instanceof Instant i ? i.toEpochMilli() : t instanceof Long l ? l : -1;
            }
        }
        return -1;
    }

    static double pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, i)];
    }
}
