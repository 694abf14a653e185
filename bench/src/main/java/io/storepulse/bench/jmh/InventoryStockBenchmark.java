package io.storepulse.bench.jmh;

import io.storepulse.bench.ShopGenerator;
import io.storepulse.inventory.InventoryJob;
import io.storepulse.inventory.StockChange;
import io.storepulse.inventory.StockFunction;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.topics.Topics;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.OutputTag;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.Product;
import storepulse.v1.events.StockMovement;

/**
 * The inventory job's hottest function, {@link StockFunction} (stock by SKU: levels, reservations,
 * velocity, alerts), per input event: a stock movement, or the reservation, shipment or release of
 * each line of an order event (what the order lifecycle sends it).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class InventoryStockBenchmark extends FunctionBench {

    private KeyedBroadcastOperatorTestHarness<String, StockChange, RuleUpdate, InventoryLevel> h;

    @Setup
    public void setUp() throws Exception {
        h =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new StockFunction(), c -> c.sku, Types.STRING, RulesState.DESCRIPTOR);
        h.processBroadcastWatermark(Long.MAX_VALUE);
        ShopGenerator gen = generator();
        for (ShopGenerator.Event e : gen.catalog()) {
            StockChange c = StockChange.ofProduct((Product) e.value());
            h.processElement(c, c.eventTime);
        }
        fillRing(gen, e -> e.topic() == Topics.STOCK_MOVEMENTS || e.topic() == Topics.ORDERS);
    }

    @TearDown
    public void tearDown() throws Exception {
        h.close();
    }

    @Override
    KeyedBroadcastOperatorTestHarness<String, ?, ?, ?> harness() {
        return h;
    }

    @Override
    long outOfOrdernessMs() {
        return InventoryJob.MAX_OUT_OF_ORDERNESS.toMillis();
    }

    @Override
    List<OutputTag<?>> sideOutputs() {
        return List.of(StockFunction.ALERTS);
    }

    @Override
    void process(ShopGenerator.Event e, long shift) throws Exception {
        long t = e.eventTimeMs() + shift;
        if (e.value() instanceof StockMovement m) {
            StockChange c = StockChange.ofMovement(m);
            c.id = c.id + "@" + shift;
            c.eventTime = t;
            h.processElement(c, t);
        } else if (e.value() instanceof OrderEvent o) {
            StockChange.Kind kind =
                    switch (o.getType()) {
                        case PLACED -> StockChange.Kind.RESERVE;
                        case SHIPPED -> StockChange.Kind.SHIP;
                        case CANCELLED -> StockChange.Kind.RELEASE;
                        default -> null;
                    };
            if (kind == null) {
                return;
            }
            String orderId = o.getOrderId() + "@" + shift;
            List<OrderLine> lines = o.getLines();
            for (int i = 0; i < lines.size(); i++) {
                OrderLine l = lines.get(i);
                h.processElement(
                        StockChange.ofOrderLine(
                                kind,
                                orderId,
                                i,
                                l.getSku(),
                                l.getWarehouseId(),
                                l.getQuantity(),
                                t),
                        t);
            }
        }
    }

    @Benchmark
    public void stockByInputEvent() throws Exception {
        step();
    }
}
