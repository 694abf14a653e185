package io.storepulse.metrics;

import static io.storepulse.metrics.MetricsFixtures.T0;
import static io.storepulse.metrics.MetricsFixtures.line;
import static io.storepulse.metrics.MetricsFixtures.order;
import static io.storepulse.metrics.MetricsFixtures.product;
import static io.storepulse.metrics.MetricsFixtures.view;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.Product;

class DedupAndTransitionsTest {

    @Test
    void shouldIgnoreDuplicateEventIdsAndForgetThemAfterTheHorizon() throws Exception {
        var harness =
                new KeyedOneInputStreamOperatorTestHarness<String, BrowseEvent, BrowseEvent>(
                        new KeyedProcessOperator<>(
                                new DedupByEventId<BrowseEvent>(
                                        e -> e.getEventTime().toEpochMilli())),
                        BrowseEvent::getEventId,
                        Types.STRING);
        harness.open();
        BrowseEvent e = view("b1", "v1", null, "web", 0);

        harness.processElement(e, T0.toEpochMilli());
        harness.processElement(e, T0.toEpochMilli());

        assertThat(harness.extractOutputValues()).hasSize(1);
        harness.processWatermark(T0.plus(Duration.ofHours(24)).toEpochMilli());
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        harness.close();
    }

    @Test
    void shouldLetOnlyTheFirstEventOfEachOrderTransitionThrough() throws Exception {
        var harness =
                new KeyedOneInputStreamOperatorTestHarness<String, OrderEvent, OrderEvent>(
                        new KeyedProcessOperator<>(new OrderTransitions()),
                        OrderEvent::getOrderId,
                        Types.STRING);
        harness.open();
        OrderEvent placed =
                order(
                        "e1",
                        "o1",
                        "u1",
                        OrderEventType.PLACED,
                        "web",
                        0,
                        line("s", 1, "1.00", "0.50"));
        OrderEvent placedAgain =
                order(
                        "e2",
                        "o1",
                        "u1",
                        OrderEventType.PLACED,
                        "web",
                        10,
                        line("s", 1, "1.00", "0.50"));
        OrderEvent paid =
                order(
                        "e3",
                        "o1",
                        "u1",
                        OrderEventType.PAID,
                        "web",
                        20,
                        line("s", 1, "1.00", "0.50"));

        for (OrderEvent e : new OrderEvent[] {placed, placed, placedAgain, paid, paid}) {
            harness.processElement(e, e.getEventTime().toEpochMilli());
        }

        assertThat(harness.extractOutputValues()).containsExactly(placed, paid);
        harness.processWatermark(T0.plus(OrderTransitions.HORIZON).toEpochMilli() + 20);
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        harness.close();
    }

    @Test
    void shouldHoldAFactOfAnUnknownSkuUntilItsCatalogRecordArrives() throws Exception {
        var harness =
                new KeyedTwoInputStreamOperatorTestHarness<String, FunnelFact, Product, FunnelFact>(
                        new KeyedCoProcessOperator<>(new CategoryEnricher()),
                        f -> f.sku,
                        Product::getSku,
                        Types.STRING);
        harness.open();
        FunnelFact viewed = FunnelFacts.fromBrowse(view("b1", "v1", "sku-1", "web", 1_000));

        harness.processElement1(viewed, viewed.eventTime);
        assertThat(harness.extractOutputValues()).isEmpty();
        harness.processElement2(product("sku-1", "shoes"), 0);

        assertThat(harness.extractOutputValues())
                .singleElement()
                .satisfies(f -> assertThat(f.category).isEqualTo("shoes"));
        harness.close();
    }

    @Test
    void shouldReleaseAFactWithoutCategoryWhenTheWatermarkPassesIt() throws Exception {
        var harness =
                new KeyedTwoInputStreamOperatorTestHarness<String, FunnelFact, Product, FunnelFact>(
                        new KeyedCoProcessOperator<>(new CategoryEnricher()),
                        f -> f.sku,
                        Product::getSku,
                        Types.STRING);
        harness.open();
        FunnelFact viewed = FunnelFacts.fromBrowse(view("b1", "v1", "sku-9", "web", 1_000));
        harness.processElement1(viewed, viewed.eventTime);

        harness.processWatermark1(
                new org.apache.flink.streaming.api.watermark.Watermark(viewed.eventTime));
        harness.processWatermark2(
                new org.apache.flink.streaming.api.watermark.Watermark(Long.MAX_VALUE));

        assertThat(harness.extractOutputValues())
                .singleElement()
                .satisfies(f -> assertThat(f.category).isNull());
        assertThat(harness.numKeyedStateEntries()).isZero();
        harness.close();
    }
}
