package io.storepulse.bench.jmh;

import io.storepulse.bench.ShopGenerator;
import io.storepulse.serde.ConfluentAvroDecoder;
import io.storepulse.serde.ConfluentAvroEncoder;
import io.storepulse.serde.DecodeException;
import io.storepulse.serde.RegistryClient;
import io.storepulse.serde.RegistryConfig;
import io.storepulse.topics.Topics;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.OrderEvent;

/**
 * Storepulse's serde on the hot path: Confluent-framed Avro decode and encode of the most common
 * (browse) and the largest (order) input records. The registry is contacted once in setup (schema
 * ids are cached), so this measures framing and Avro work only. The registry URL comes from the
 * system property {@code storepulse.bench.registry}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SerdeBenchmark {

    private ConfluentAvroDecoder<BrowseEvent> browseDecoder;
    private ConfluentAvroDecoder<OrderEvent> orderDecoder;
    private ConfluentAvroEncoder<BrowseEvent> browseEncoder;
    private ConfluentAvroEncoder<OrderEvent> orderEncoder;
    private BrowseEvent browse;
    private OrderEvent order;
    private byte[] browseBytes;
    private byte[] orderBytes;

    @Setup
    public void setUp() {
        RegistryClient registry =
                new RegistryClient(
                        RegistryConfig.of(System.getProperty("storepulse.bench.registry")));
        browseDecoder = new ConfluentAvroDecoder<>(registry, BrowseEvent.class);
        orderDecoder = new ConfluentAvroDecoder<>(registry, OrderEvent.class);
        browseEncoder =
                new ConfluentAvroEncoder<>(
                        registry, Topics.BROWSE.valueSubject(), BrowseEvent.class);
        orderEncoder =
                new ConfluentAvroEncoder<>(
                        registry, Topics.ORDERS.valueSubject(), OrderEvent.class);
        ShopGenerator gen = new ShopGenerator(42, 10_000, 1_000, 1_700_000_000_000L, 1000);
        while (browse == null || order == null) {
            ShopGenerator.Event e = gen.next();
            if (browse == null && e.value() instanceof BrowseEvent b && b.getSku() != null) {
                browse = b;
            } else if (order == null
                    && e.value() instanceof OrderEvent o
                    && o.getLines().size() > 1) {
                order = o;
            }
        }
        browseBytes = browseEncoder.encode(browse);
        orderBytes = orderEncoder.encode(order);
        try {
            browseDecoder.decode(browseBytes);
            orderDecoder.decode(orderBytes);
        } catch (DecodeException e) {
            throw new IllegalStateException(e);
        }
    }

    @Benchmark
    public BrowseEvent decodeBrowse() throws DecodeException {
        return browseDecoder.decode(browseBytes);
    }

    @Benchmark
    public OrderEvent decodeOrder() throws DecodeException {
        return orderDecoder.decode(orderBytes);
    }

    @Benchmark
    public byte[] encodeBrowse() {
        return browseEncoder.encode(browse);
    }

    @Benchmark
    public byte[] encodeOrder() {
        return orderEncoder.encode(order);
    }
}
