package io.storepulse.topics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void shouldNameEveryContractTopicOnce() {
        Set<String> names = new HashSet<>();
        Topics.ALL.forEach(t -> assertThat(names.add(t.name())).as(t.name()).isTrue());
        assertThat(names)
                .containsExactlyInAnyOrder(
                        "orders",
                        "carts",
                        "browse",
                        "stock-movements",
                        "catalog",
                        "rules",
                        "inventory-levels",
                        "inventory-alerts",
                        "order-actions",
                        "coupon-actions",
                        "price-actions",
                        "conversion-metrics",
                        "sku-quadrants",
                        "return-insights",
                        "user-segments",
                        "dead-letters");
    }

    @Test
    void shouldCompactTheTopicsTheContractCallsCompacted() {
        assertThat(Topics.CATALOG.cleanupPolicy()).isEqualTo("compact");
        assertThat(Topics.RULES.cleanupPolicy()).isEqualTo("compact");
        assertThat(Topics.INVENTORY_LEVELS.cleanupPolicy()).isEqualTo("compact");
        assertThat(Topics.ORDERS.cleanupPolicy()).isEqualTo("delete");
    }

    @Test
    void shouldGiveEveryJobTheDeadLetterTopicAndOnlyCatalogueTopics() {
        for (StorepulseJob job : StorepulseJob.values()) {
            assertThat(job.outputs()).contains(Topics.DEAD_LETTERS);
            assertThat(Topics.ALL).containsAll(job.inputs()).containsAll(job.outputs());
            assertThat(job.inputs())
                    .allMatch(
                            t ->
                                    t.direction() == Topic.Direction.INPUT
                                            || t == Topics.INVENTORY_LEVELS);
        }
    }
}
