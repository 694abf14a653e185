package io.storepulse.wallboard;

import io.storepulse.serde.ConfluentAvroDecoder;
import io.storepulse.serde.DecodeException;
import io.storepulse.serde.RegistryClient;
import io.storepulse.serde.RegistryUnavailableException;
import io.storepulse.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import storepulse.v1.actions.CouponAction;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.InventoryAlert;
import storepulse.v1.actions.PriceAction;
import storepulse.v1.events.Product;

/**
 * Reads the wallboard's topics into the {@link WallboardView}, read-only: partitions are assigned
 * (no consumer group, nothing committed), {@code read_committed} (only what the exactly-once jobs
 * committed), values decoded with Storepulse's Confluent-framed Avro decoder.
 *
 * <p>On start the catalog is read from the beginning (it is compacted: the product master), every
 * other topic from {@code lookback} ago (by record timestamp), enough to show today and the same
 * time yesterday. Topics that do not exist yet are picked up when they appear. A record that does
 * not decode is counted and skipped; an unreachable registry is waited for.
 */
final class KafkaFeed implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaFeed.class);
    private static final Duration TOPIC_RECHECK = Duration.ofSeconds(5);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final WallboardView view;
    private final Duration lookback;
    private final Clock clock;
    private final Map<String, Handler> handlers = new HashMap<>();
    private final Set<TopicPartition> assigned = new HashSet<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean started;
    private long lastTopicCheck;
    private long skippedLogged;

    @FunctionalInterface
    private interface Handler {
        void handle(ConsumerRecord<byte[], byte[]> record) throws DecodeException;
    }

    KafkaFeed(
            Properties kafka,
            RegistryClient registry,
            WallboardView view,
            Duration lookback,
            Clock clock) {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put("isolation.level", "read_committed");
        p.put("enable.auto.commit", "false");
        p.putIfAbsent("client.id", "storepulse-wallboard");
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.putIfAbsent("max.poll.records", "2000");
        this.consumer = new KafkaConsumer<>(p);
        this.view = view;
        this.lookback = lookback;
        this.clock = clock;

        var metrics = new ConfluentAvroDecoder<>(registry, FunnelMetrics.class);
        var alerts = new ConfluentAvroDecoder<>(registry, InventoryAlert.class);
        var coupons = new ConfluentAvroDecoder<>(registry, CouponAction.class);
        var prices = new ConfluentAvroDecoder<>(registry, PriceAction.class);
        var products = new ConfluentAvroDecoder<>(registry, Product.class);
        handlers.put(
                Topics.CONVERSION_METRICS.name(),
                r -> {
                    if (r.value() != null) {
                        view.onMetrics(metrics.decode(r.value()));
                    }
                });
        handlers.put(
                Topics.INVENTORY_ALERTS.name(),
                r -> {
                    if (r.value() != null) {
                        view.onAlert(alerts.decode(r.value()));
                    }
                });
        handlers.put(
                Topics.COUPON_ACTIONS.name(),
                r -> {
                    if (r.value() != null) {
                        view.onCoupon(coupons.decode(r.value()));
                    }
                });
        handlers.put(
                Topics.PRICE_ACTIONS.name(),
                r -> {
                    if (r.value() != null) {
                        view.onPrice(prices.decode(r.value()));
                    }
                });
        handlers.put(
                Topics.CATALOG.name(),
                r ->
                        view.onProduct(
                                r.key() == null
                                        ? null
                                        : new String(r.key(), StandardCharsets.UTF_8),
                                r.value() == null ? null : products.decode(r.value())));
        this.thread = new Thread(this::run, "wallboard-kafka-feed");
        this.thread.setDaemon(true);
    }

    void start() {
        started = true;
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                assignNewPartitions();
                if (assigned.isEmpty()) {
                    sleep(Duration.ofMillis(500));
                    continue;
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                for (TopicPartition tp : records.partitions()) {
                    for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                        if (!apply(r)) {
                            // Registry unreachable: read this record again after a pause.
                            consumer.seek(tp, r.offset());
                            sleep(Duration.ofSeconds(2));
                            break;
                        }
                    }
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (RuntimeException e) {
            LOG.error("wallboard feed stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Applies a record; false when the registry is unreachable and the record must be retried. */
    private boolean apply(ConsumerRecord<byte[], byte[]> r) {
        try {
            handlers.get(r.topic()).handle(r);
        } catch (DecodeException e) {
            view.onSkipped();
            if (skippedLogged++ < 20) {
                LOG.warn(
                        "skipping {}:{}:{} ({}): {}",
                        r.topic(),
                        r.partition(),
                        r.offset(),
                        e.kind(),
                        e.getMessage());
            }
        } catch (RegistryUnavailableException e) {
            LOG.warn("schema registry unavailable, retrying: {}", e.getMessage());
            return false;
        } catch (RuntimeException e) {
            // A record that decodes but cannot be used (e.g. a null where a value is needed).
            view.onSkipped();
            if (skippedLogged++ < 20) {
                LOG.warn(
                        "skipping {}:{}:{}: {}",
                        r.topic(),
                        r.partition(),
                        r.offset(),
                        e.toString());
            }
        }
        return true;
    }

    private void assignNewPartitions() {
        long now = clock.millis();
        if (assigned.size() > 0 && now - lastTopicCheck < TOPIC_RECHECK.toMillis()) {
            return;
        }
        if (assigned.isEmpty() && now - lastTopicCheck < 500) {
            return;
        }
        lastTopicCheck = now;
        Map<String, List<PartitionInfo>> topics;
        try {
            topics = consumer.listTopics(Duration.ofSeconds(5));
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            LOG.warn("Kafka not reachable yet: {}", e.getMessage());
            return;
        }
        List<TopicPartition> fresh = new ArrayList<>();
        for (String topic : handlers.keySet()) {
            for (PartitionInfo info : topics.getOrDefault(topic, List.of())) {
                TopicPartition tp = new TopicPartition(topic, info.partition());
                if (!assigned.contains(tp)) {
                    fresh.add(tp);
                }
            }
        }
        if (fresh.isEmpty()) {
            return;
        }
        assigned.addAll(fresh);
        consumer.assign(new ArrayList<>(assigned));
        List<TopicPartition> fromStart = new ArrayList<>();
        Map<TopicPartition, Long> fromTime = new HashMap<>();
        long since = now - lookback.toMillis();
        for (TopicPartition tp : fresh) {
            if (tp.topic().equals(Topics.CATALOG.name())) {
                fromStart.add(tp);
            } else {
                fromTime.put(tp, since);
            }
        }
        consumer.seekToBeginning(fromStart);
        if (!fromTime.isEmpty()) {
            Map<TopicPartition, OffsetAndTimestamp> offsets =
                    consumer.offsetsForTimes(fromTime, Duration.ofSeconds(30));
            List<TopicPartition> nothingSince = new ArrayList<>();
            for (Map.Entry<TopicPartition, OffsetAndTimestamp> e : offsets.entrySet()) {
                if (e.getValue() == null) {
                    nothingSince.add(e.getKey());
                } else {
                    consumer.seek(e.getKey(), e.getValue().offset());
                }
            }
            consumer.seekToEnd(nothingSince);
        }
        LOG.info("reading {} new partitions (now {} in all)", fresh.size(), assigned.size());
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        if (!started) {
            consumer.close(Duration.ofSeconds(5));
            return;
        }
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
