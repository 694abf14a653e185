package io.storepulse.metrics;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import storepulse.v1.events.Product;

/**
 * Keyed by SKU: gives each fact its SKU's category from the catalog (the catalog wins over a
 * category carried by a browse event). A fact whose SKU the catalog does not know yet waits, until
 * its catalog record arrives or the watermark passes its event time, whichever comes first; then it
 * goes on with whatever is known (the fan-out counts a SKU without category as {@code unknown}).
 * Waiting until the watermark costs no latency (the windows wait for it anyway) and makes the
 * category deterministic when the catalog and the events are read at the same time on start-up.
 *
 * <p>State: the SKU's category (kept as long as the SKU exists: bounded by the catalog) and the
 * waiting facts, emptied by the event-time timer at each waiting fact's event time.
 */
public class CategoryEnricher
        extends KeyedCoProcessFunction<String, FunnelFact, Product, FunnelFact> {

    private static final long serialVersionUID = 1L;

    static final ValueStateDescriptor<String> CATEGORY =
            new ValueStateDescriptor<>("sku-category", Types.STRING);

    static final ListStateDescriptor<FunnelFact> WAITING =
            new ListStateDescriptor<>(
                    "facts-waiting-for-catalog", TypeInformation.of(FunnelFact.class));

    private transient ValueState<String> category;
    private transient ListState<FunnelFact> waiting;

    @Override
    public void open(OpenContext openContext) {
        category = getRuntimeContext().getState(CATEGORY);
        waiting = getRuntimeContext().getListState(WAITING);
    }

    @Override
    public void processElement1(FunnelFact fact, Context ctx, Collector<FunnelFact> out)
            throws Exception {
        String known = category.value();
        if (known != null) {
            out.collect(withCategory(fact, known));
        } else if (fact.eventTime > ctx.timerService().currentWatermark()) {
            waiting.add(fact);
            ctx.timerService().registerEventTimeTimer(fact.eventTime);
        } else {
            out.collect(fact);
        }
    }

    @Override
    public void processElement2(Product product, Context ctx, Collector<FunnelFact> out)
            throws Exception {
        category.update(product.getCategory());
        Iterable<FunnelFact> pending = waiting.get();
        if (pending != null) {
            for (FunnelFact f : pending) {
                out.collect(withCategory(f, product.getCategory()));
            }
        }
        waiting.clear();
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<FunnelFact> out)
            throws Exception {
        Iterable<FunnelFact> pending = waiting.get();
        if (pending == null) {
            return;
        }
        List<FunnelFact> keep = new ArrayList<>();
        for (FunnelFact f : pending) {
            if (f.eventTime <= timestamp) {
                out.collect(f);
            } else {
                keep.add(f);
            }
        }
        if (keep.isEmpty()) {
            waiting.clear();
        } else {
            waiting.update(keep);
        }
    }

    private static FunnelFact withCategory(FunnelFact fact, String category) {
        FunnelFact f = fact.copy();
        f.category = category;
        return f;
    }
}
