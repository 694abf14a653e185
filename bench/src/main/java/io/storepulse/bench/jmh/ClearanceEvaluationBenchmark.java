package io.storepulse.bench.jmh;

import io.storepulse.bench.ShopGenerator;
import io.storepulse.clearance.ClearanceJob;
import io.storepulse.clearance.ClearancePricer;
import io.storepulse.clearance.SkuSignal;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.serde.DeadLetters;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.actions.PriceAction;
import storepulse.v1.events.Product;

/**
 * The clearance job's hottest function, {@link ClearancePricer}, at its evaluation: one operation
 * is one SKU-hour, a sale of the SKU and the hourly evaluation (sell-through, cover, markdown
 * ladder) its timer fires when the watermark passes the hour plus the allowed lateness. 1,000 SKUs
 * with catalog records and a stock level in each of 3 warehouses; simulated time moves one hour per
 * invocation, so after 14 simulated days slow SKUs reach the markdown ladder and emit price
 * actions.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ClearanceEvaluationBenchmark {

    private static final int SKUS = 1_000;
    private static final long HOUR = 3_600_000;
    private static final long LATENESS = ClearanceJob.ALLOWED_LATENESS.toMillis();

    private KeyedBroadcastOperatorTestHarness<String, SkuSignal, RuleUpdate, PriceAction> h;
    private long now;
    private long seq;

    @Setup
    public void setUp() throws Exception {
        h =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new ClearancePricer(),
                        SkuSignal::getSku,
                        Types.STRING,
                        RulesState.DESCRIPTOR);
        h.processBroadcastWatermark(Long.MAX_VALUE);
        now = Math.floorDiv(FunctionBench.T0, HOUR) * HOUR;
        ShopGenerator gen = new ShopGenerator(20261123L, 10_000, SKUS, now, 1_000);
        for (ShopGenerator.Event e : gen.catalog()) {
            Product p = (Product) e.value();
            p.setUpdatedAt(Instant.ofEpochMilli(now));
            h.processElement(SkuSignal.product(p), now);
        }
        for (int i = 0; i < SKUS; i++) {
            for (String wh : new String[] {"wh-north", "wh-south", "wh-east"}) {
                h.processElement(SkuSignal.level(level(ShopGenerator.sku(i), wh, now)), now);
            }
        }
    }

    static InventoryLevel level(String sku, String warehouse, long t) {
        return InventoryLevel.newBuilder()
                .setSku(sku)
                .setWarehouseId(warehouse)
                .setOnHand(200)
                .setReserved(0)
                .setAvailable(200)
                .setSafetyStock(0)
                .setReorderPoint(0)
                .setSalesVelocity(0)
                .setDaysOfCover(null)
                .setNextExpiryAt(null)
                .setNextExpiryQuantity(null)
                .setUpdatedAt(Instant.ofEpochMilli(t))
                .build();
    }

    @TearDown
    public void tearDown() throws Exception {
        h.close();
    }

    @Benchmark
    @OperationsPerInvocation(SKUS)
    public void evaluateSkuHour() throws Exception {
        now += HOUR;
        for (int i = 0; i < SKUS; i++) {
            String sku = ShopGenerator.sku(i);
            h.processElement(SkuSignal.sale(sku, "o-" + (++seq), 1, now - 1_000), now - 1_000);
        }
        h.processWatermark(now + LATENESS);
        h.getOutput().clear();
        var dl = h.getSideOutput(DeadLetters.TAG);
        if (dl != null) {
            dl.clear();
        }
    }
}
