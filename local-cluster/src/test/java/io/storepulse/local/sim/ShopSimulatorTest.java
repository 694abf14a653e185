package io.storepulse.local.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.topics.Topics;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.Product;
import storepulse.v1.events.StockMovement;

class ShopSimulatorTest {

    private static final Instant START = Instant.parse("2026-01-05T09:00:00Z");

    private static SimConfig config(long seed) {
        // 50 simulated seconds per record so that order follow-ups (payment, shipping, returns)
        // show up.
        return new SimConfig(seed, START, 2_000.0, 100, SimConfig.DEFAULT_WAREHOUSES, 0.05, 30);
    }

    @Test
    void shouldProduceTheSameRecordsForTheSameSeed() {
        List<SimRecord> first = new ShopSimulator(config(7)).next(5_000);
        List<SimRecord> second = new ShopSimulator(config(7)).next(5_000);

        assertThat(describe(first)).isEqualTo(describe(second));
    }

    @Test
    void shouldProduceDifferentRecordsForAnotherSeed() {
        List<SimRecord> first = new ShopSimulator(config(7)).next(2_000);
        List<SimRecord> other = new ShopSimulator(config(8)).next(2_000);

        assertThat(describe(first)).isNotEqualTo(describe(other));
    }

    @Test
    void shouldStartWithTheCatalogueAndOpeningStock() {
        ShopSimulator sim = new ShopSimulator(config(1));
        List<SimRecord> records = sim.next(100 + 300);

        assertThat(records.subList(0, 100))
                .allSatisfy(r -> assertThat(r.topic()).isEqualTo(Topics.CATALOG.name()))
                .allSatisfy(r -> assertThat(r.key()).isEqualTo(((Product) r.value()).getSku()));
        assertThat(records.subList(100, 400))
                .allSatisfy(r -> assertThat(r.topic()).isEqualTo(Topics.STOCK_MOVEMENTS.name()));
        assertThat(sim.products()).anyMatch(Product::getPerishable);
        assertThat(records.subList(100, 400))
                .map(r -> (StockMovement) r.value())
                .anyMatch(m -> m.getLotExpiresAt() != null);
    }

    @Test
    void shouldCoverEveryInputTopicEveryKindOfBadRecordAndTheOrderLifecycle() {
        List<SimRecord> records = new ShopSimulator(config(3)).next(30_000);

        assertThat(records.stream().map(SimRecord::topic).collect(Collectors.toSet()))
                .contains(
                        Topics.ORDERS.name(),
                        Topics.CARTS.name(),
                        Topics.BROWSE.name(),
                        Topics.STOCK_MOVEMENTS.name(),
                        Topics.CATALOG.name());
        assertThat(records.stream().map(SimRecord::kind).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder(SimRecord.Kind.values());
        Set<OrderEventType> orderTypes =
                records.stream()
                        .filter(r -> r.value() instanceof OrderEvent)
                        .map(r -> ((OrderEvent) r.value()).getType())
                        .collect(Collectors.toSet());
        assertThat(orderTypes)
                .contains(
                        OrderEventType.PLACED,
                        OrderEventType.PAID,
                        OrderEventType.CANCELLED,
                        OrderEventType.SHIPPED,
                        OrderEventType.DELIVERED,
                        OrderEventType.RETURNED);
        assertThat(records)
                .filteredOn(
                        r ->
                                r.value() instanceof OrderEvent o
                                        && o.getType() == OrderEventType.RETURNED)
                .allSatisfy(
                        r -> assertThat(((OrderEvent) r.value()).getReturnReason()).isNotNull());
    }

    @Test
    void shouldRunACompressedHistoryThenLiveTrafficAtTheNewPace() {
        // Given two days of history compressed into 40,000 records with 3 sessions at a time
        Instant liveStart = START.plus(java.time.Duration.ofDays(2));
        double historySpacing = 2 * 86_400_000.0 / 40_000;
        ShopSimulator sim =
                new ShopSimulator(
                        new SimConfig(
                                11,
                                START,
                                historySpacing,
                                100,
                                SimConfig.DEFAULT_WAREHOUSES,
                                0.02,
                                3));

        // When the history runs up to the live start, then the pace switches to 50 records/s
        List<SimRecord> history = new java.util.ArrayList<>();
        while (sim.clock().isBefore(liveStart)) {
            history.add(sim.next());
        }
        sim.pace(20.0, 40);
        Instant switched = sim.clock();
        List<SimRecord> live = sim.next(3_000);

        // Then the history spans the two days with the lifecycle of orders, returns included...
        // (one step per spacing; the catalogue, opening stock and some steps add records)
        assertThat(history.size()).isBetween(40_000, 50_000);
        assertThat(history)
                .filteredOn(r -> r.value() instanceof OrderEvent)
                .map(r -> ((OrderEvent) r.value()).getType())
                .contains(
                        OrderEventType.PLACED,
                        OrderEventType.PAID,
                        OrderEventType.SHIPPED,
                        OrderEventType.RETURNED);
        // ...sessions keep a shopper's pace: with 3 sessions at a time, a session's next step comes
        // minutes later, not hours
        assertThat(historySpacing * 3).isLessThan(java.time.Duration.ofMinutes(10).toMillis());
        // ...and live traffic advances the clock by the new spacing: 3,000 records ≈ 60 s (a few
        // steps emit two records)
        assertThat(java.time.Duration.between(switched, sim.clock()).toSeconds())
                .isBetween(45L, 65L);
        // ...deterministically for the same seed and switch point
        ShopSimulator again =
                new ShopSimulator(
                        new SimConfig(
                                11,
                                START,
                                historySpacing,
                                100,
                                SimConfig.DEFAULT_WAREHOUSES,
                                0.02,
                                3));
        List<SimRecord> replayed = again.next(history.size());
        again.pace(20.0, 40);
        assertThat(describe(replayed)).isEqualTo(describe(history));
        assertThat(describe(again.next(3_000))).isEqualTo(describe(live));
    }

    @Test
    void shouldKeepEventIdsUniqueExceptForDeliberateDuplicates() {
        List<SimRecord> records = new ShopSimulator(config(5)).next(20_000);
        Map<String, Integer> seen = new HashMap<>();
        for (SimRecord r : records) {
            String id = eventId(r);
            if (id != null && r.kind() != SimRecord.Kind.DUPLICATE) {
                seen.merge(id, 1, Integer::sum);
            }
        }
        assertThat(seen.values()).allMatch(n -> n == 1);
        assertThat(records)
                .filteredOn(r -> r.kind() == SimRecord.Kind.DUPLICATE)
                .allSatisfy(r -> assertThat(seen).containsKey(eventId(r)));
    }

    @Test
    void shouldMakeBadRecordsRecognisablyBad() {
        List<SimRecord> records = new ShopSimulator(config(11)).next(20_000);

        assertThat(records)
                .filteredOn(r -> r.kind() == SimRecord.Kind.GARBAGE)
                .allSatisfy(r -> assertThat(r.raw()[0]).isNotEqualTo((byte) 0));
        assertThat(records)
                .filteredOn(r -> r.kind() == SimRecord.Kind.UNKNOWN_SCHEMA_ID)
                .allSatisfy(r -> assertThat(r.raw()[0]).isEqualTo((byte) 0));
        assertThat(records)
                .filteredOn(r -> r.kind() == SimRecord.Kind.IMPOSSIBLE)
                .allSatisfy(
                        r -> {
                            if (r.value() instanceof OrderEvent o) {
                                assertThat(o.getLines())
                                        .anyMatch(
                                                l ->
                                                        l.getQuantity() <= 0
                                                                || l.getWarehouseId() == null);
                            } else {
                                assertThat(((StockMovement) r.value()).getQuantity()).isNegative();
                            }
                        });
        assertThat(records)
                .filteredOn(r -> r.kind() == SimRecord.Kind.LATE)
                .allSatisfy(
                        r ->
                                assertThat(((BrowseEvent) r.value()).getEventTime())
                                        .isBefore(START.plusSeconds(3600 * 24 * 365)));
    }

    @Test
    void shouldFavourPopularSkus() {
        List<SimRecord> records = new ShopSimulator(config(13)).next(20_000);
        Map<String, Long> views =
                records.stream()
                        .filter(r -> r.value() instanceof BrowseEvent b && b.getSku() != null)
                        .collect(
                                Collectors.groupingBy(
                                        r -> ((BrowseEvent) r.value()).getSku(),
                                        Collectors.counting()));
        long[] counts = views.values().stream().mapToLong(Long::longValue).sorted().toArray();
        long top = counts[counts.length - 1];
        long median = counts[counts.length / 2];
        assertThat(top).isGreaterThan(5 * median);
    }

    private static String eventId(SimRecord r) {
        if (r.value() instanceof OrderEvent o) {
            return o.getEventId();
        } else if (r.value() instanceof BrowseEvent b) {
            return b.getEventId();
        } else if (r.value() instanceof StockMovement m) {
            return m.getEventId();
        } else if (r.value() instanceof storepulse.v1.events.CartEvent c) {
            return c.getEventId();
        }
        return null;
    }

    private static List<String> describe(List<SimRecord> records) {
        return records.stream()
                .map(
                        r ->
                                r.topic()
                                        + "|"
                                        + r.key()
                                        + "|"
                                        + r.kind()
                                        + "|"
                                        + (r.value() != null
                                                ? r.value().toString()
                                                : Arrays.toString(r.raw())))
                .toList();
    }
}
