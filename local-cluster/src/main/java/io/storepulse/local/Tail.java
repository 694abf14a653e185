package io.storepulse.local;

import io.storepulse.config.ConnectionCheck;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.serde.ConfluentAvroDecoder;
import io.storepulse.serde.DecodeException;
import io.storepulse.serde.RegistryClient;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code storepulse tail <topic>}: the latest committed records of a topic, decoded through the
 * registry and printed one JSON object per line, so that an operator can see what the jobs emit
 * without a Kafka UI.
 */
@Command(
        name = "tail",
        mixinStandardHelpOptions = true,
        description = "Print the latest committed records of a topic as JSON, one per line.")
public final class Tail implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", required = true)
    String bootstrapServers;

    @Option(names = "--registry-url", required = true)
    String registryUrl;

    @Parameters(index = "0", description = "Topic name, e.g. price-actions.")
    String topicName;

    @Option(
            names = {"-n", "--max"},
            defaultValue = "10",
            description = "How many of the latest records (default ${DEFAULT-VALUE}).")
    int max;

    @Override
    public Integer call() {
        Topic<?> topic =
                Topics.byName(topicName)
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                "unknown topic "
                                                        + topicName
                                                        + "; the catalogue has "
                                                        + Topics.ALL.stream()
                                                                .map(Topic::name)
                                                                .toList()));
        // The same security settings as the other tools (STOREPULSE_* environment).
        StorepulseSettings connection = StorepulseAdmin.connection(bootstrapServers, registryUrl);
        ConnectionCheck.kafka(connection);
        ConfluentAvroDecoder<? extends SpecificRecord> decoder =
                new ConfluentAvroDecoder<>(
                        new RegistryClient(connection.registryConfig()), topic.valueType());
        Properties props = connection.kafkaSecurityProperties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "storepulse-tail");
        List<ConsumerRecord<String, byte[]>> latest = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition()))
                            .toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            for (TopicPartition tp : partitions) {
                consumer.seek(tp, Math.max(begin.get(tp), end.get(tp) - max));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))
                    && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(latest::add);
            }
        }
        latest.sort(Comparator.comparingLong(ConsumerRecord::timestamp));
        for (ConsumerRecord<String, byte[]> r :
                latest.subList(Math.max(0, latest.size() - max), latest.size())) {
            String value;
            try {
                value = r.value() == null ? "null" : decoder.decode(r.value()).toString();
            } catch (DecodeException e) {
                value = "\"undecodable: " + e.getMessage().replace("\"", "'") + "\"";
            }
            System.out.printf(
                    "{\"partition\": %d, \"offset\": %d, \"timestamp\": \"%s\", \"key\": %s,"
                            + " \"value\": %s}%n",
                    r.partition(),
                    r.offset(),
                    Instant.ofEpochMilli(r.timestamp()),
                    r.key() == null ? "null" : "\"" + r.key().replace("\"", "\\\"") + "\"",
                    value);
        }
        return 0;
    }
}
