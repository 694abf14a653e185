package io.storepulse.topics;

import static io.storepulse.topics.Topics.BROWSE;
import static io.storepulse.topics.Topics.CARTS;
import static io.storepulse.topics.Topics.CATALOG;
import static io.storepulse.topics.Topics.CONVERSION_METRICS;
import static io.storepulse.topics.Topics.COUPON_ACTIONS;
import static io.storepulse.topics.Topics.DEAD_LETTERS;
import static io.storepulse.topics.Topics.INVENTORY_ALERTS;
import static io.storepulse.topics.Topics.INVENTORY_LEVELS;
import static io.storepulse.topics.Topics.ORDERS;
import static io.storepulse.topics.Topics.ORDER_ACTIONS;
import static io.storepulse.topics.Topics.PRICE_ACTIONS;
import static io.storepulse.topics.Topics.RETURN_INSIGHTS;
import static io.storepulse.topics.Topics.RULES;
import static io.storepulse.topics.Topics.SKU_QUADRANTS;
import static io.storepulse.topics.Topics.STOCK_MOVEMENTS;
import static io.storepulse.topics.Topics.USER_SEGMENTS;

import java.util.List;
import java.util.Locale;

/**
 * Every Storepulse Flink job: its entry point and exactly the topics it reads and writes. The local
 * cluster submits jobs from this list, and the deploy manifests (FlinkDeployments, Kafka ACLs) are
 * generated from it, so that a job's permissions cannot drift from what it does.
 */
public enum StorepulseJob {
    INVENTORY(
            "io.storepulse.inventory.InventoryJob",
            List.of(ORDERS, STOCK_MOVEMENTS, CATALOG, RULES),
            List.of(INVENTORY_LEVELS, INVENTORY_ALERTS, ORDER_ACTIONS, DEAD_LETTERS)),
    ENGAGEMENT(
            "io.storepulse.engagement.EngagementJob",
            List.of(CARTS, ORDERS, BROWSE, CATALOG, RULES),
            List.of(COUPON_ACTIONS, USER_SEGMENTS, DEAD_LETTERS)),
    CLEARANCE(
            "io.storepulse.clearance.ClearanceJob",
            List.of(ORDERS, INVENTORY_LEVELS, CATALOG, RULES),
            List.of(PRICE_ACTIONS, DEAD_LETTERS)),
    METRICS(
            "io.storepulse.metrics.MetricsJob",
            List.of(BROWSE, CARTS, ORDERS, CATALOG, RULES),
            List.of(CONVERSION_METRICS, SKU_QUADRANTS, RETURN_INSIGHTS, DEAD_LETTERS));

    private final String mainClass;
    private final List<Topic<?>> inputs;
    private final List<Topic<?>> outputs;

    StorepulseJob(String mainClass, List<Topic<?>> inputs, List<Topic<?>> outputs) {
        this.mainClass = mainClass;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    /** Fully qualified class with the job's {@code main}. */
    public String mainClass() {
        return mainClass;
    }

    public List<Topic<?>> inputs() {
        return inputs;
    }

    public List<Topic<?>> outputs() {
        return outputs;
    }

    /**
     * Kebab-case id used for the Flink job name, the Kafka consumer group, the transactional id
     * prefix and Kubernetes resource names: {@code storepulse-inventory}.
     */
    public String id() {
        return "storepulse-" + name().toLowerCase(Locale.ROOT);
    }
}
