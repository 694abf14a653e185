package io.storepulse.metrics;

import static io.storepulse.metrics.MetricsFixtures.cart;
import static io.storepulse.metrics.MetricsFixtures.line;
import static io.storepulse.metrics.MetricsFixtures.order;
import static io.storepulse.metrics.MetricsFixtures.product;
import static io.storepulse.metrics.MetricsFixtures.view;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEventType;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.Product;
import storepulse.v1.events.RuleJob;
import storepulse.v1.events.RuleScope;
import storepulse.v1.events.RuleSet;

/** The job's validators and rule catalogue. */
class MetricsJobTest {

    @Test
    void shouldAcceptPlausibleEvents() {
        assertThat(MetricsJob.BROWSE_VALIDATOR.problem(view("b1", "v1", "sku-1", "web", 0)))
                .isNull();
        assertThat(
                        MetricsJob.CART_VALIDATOR.problem(
                                cart("c1", "u1", CartEventType.ADD, "sku-1", "web", 0)))
                .isNull();
        assertThat(
                        MetricsJob.ORDER_VALIDATOR.problem(
                                order(
                                        "e1",
                                        "o1",
                                        "u1",
                                        OrderEventType.PLACED,
                                        "web",
                                        0,
                                        line("sku-1", 1, "1.00", "0.50"))))
                .isNull();
        assertThat(MetricsJob.PRODUCT_VALIDATOR.problem(product("sku-1", "shoes"))).isNull();
    }

    @Test
    void shouldRejectImpossibleValues() {
        BrowseEvent productWithoutSku = view("b1", "v1", "sku-1", "web", 0);
        productWithoutSku.setSku(null);
        assertThat(MetricsJob.BROWSE_VALIDATOR.problem(productWithoutSku)).contains("sku");
        assertThat(
                        MetricsJob.CART_VALIDATOR.problem(
                                cart("c1", "u1", CartEventType.ADD, null, "web", 0)))
                .contains("sku");
        assertThat(
                        MetricsJob.ORDER_VALIDATOR.problem(
                                order(
                                        "e1",
                                        "o1",
                                        "u1",
                                        OrderEventType.PLACED,
                                        "web",
                                        0,
                                        line("sku-1", 0, "1.00", "0.50"))))
                .contains("quantity");
        assertThat(
                        MetricsJob.ORDER_VALIDATOR.problem(
                                order(
                                        "e1",
                                        "o1",
                                        "u1",
                                        OrderEventType.PLACED,
                                        "web",
                                        0,
                                        line("sku-1", 1, "-1.00", "0.50"))))
                .contains("unit_price");
        OrderEvent noLines = order("e1", "o1", "u1", OrderEventType.PLACED, "web", 0);
        assertThat(MetricsJob.ORDER_VALIDATOR.problem(noLines)).contains("line");
        Product noCategory = product("sku-1", " ");
        assertThat(MetricsJob.PRODUCT_VALIDATOR.problem(noCategory)).contains("category");
    }

    @Test
    void shouldRejectEventsStampedFarInTheFuture() {
        BrowseEvent future = view("b1", "v1", null, "web", 0);
        future.setEventTime(Instant.now().plus(Duration.ofHours(2)));
        BrowseEvent soon = view("b2", "v1", null, "web", 0);
        soon.setEventTime(Instant.now().plus(Duration.ofMinutes(5)));

        assertThat(MetricsJob.BROWSE_VALIDATOR.problem(future)).contains("ahead of the clock");
        assertThat(MetricsJob.BROWSE_VALIDATOR.problem(soon)).isNull();
    }

    @Test
    void shouldAcceptDocumentedRulesAndRejectUnknownOrMalformedOnes() {
        assertThat(
                        MetricsJob.RULES.problems(
                                rule(
                                        Map.of(
                                                "allowed_lateness", "2m",
                                                "day_time_zone", "Europe/Berlin",
                                                "return_alert_share_wrong_size", "0.25",
                                                "quadrant_high_sales_units_7d", "80"))))
                .isEmpty();
        assertThat(MetricsJob.RULES.problems(rule(Map.of("allowed_lateness", "2h")))).hasSize(1);
        assertThat(MetricsJob.RULES.problems(rule(Map.of("day_time_zone", "Mars/Olympus"))))
                .hasSize(1);
        assertThat(MetricsJob.RULES.problems(rule(Map.of("lateness", "1m")))).hasSize(1);
    }

    private static RuleSet rule(Map<String, String> params) {
        return RuleSet.newBuilder()
                .setRuleId("r")
                .setVersion(1)
                .setJob(RuleJob.METRICS)
                .setScopeType(RuleScope.GLOBAL)
                .setScopeValue(null)
                .setParams(params)
                .setUpdatedAt(MetricsFixtures.T0)
                .build();
    }
}
