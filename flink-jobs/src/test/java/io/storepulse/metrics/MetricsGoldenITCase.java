package io.storepulse.metrics;

import static io.storepulse.metrics.MetricsFixtures.cart;
import static io.storepulse.metrics.MetricsFixtures.globalRule;
import static io.storepulse.metrics.MetricsFixtures.line;
import static io.storepulse.metrics.MetricsFixtures.order;
import static io.storepulse.metrics.MetricsFixtures.product;
import static io.storepulse.metrics.MetricsFixtures.returned;
import static io.storepulse.metrics.MetricsFixtures.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.rules.RuleUpdate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.ReturnInsight;
import storepulse.v1.actions.SkuQuadrant;
import storepulse.v1.common.ReturnReason;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.CartEventType;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.PageType;
import storepulse.v1.events.Product;

/**
 * Runs a fixed event log through the whole job on a MiniCluster (parallelism 2) and compares every
 * output with {@code golden/metrics-job.txt}. Periodic watermarks are off, so the only watermark is
 * the end of input: no event is late and the output is fully deterministic. Regenerate the file
 * with {@code -Dgolden.update=true} and review the diff.
 */
class MetricsGoldenITCase {

    static final Path GOLDEN = Path.of("src/test/resources/golden/metrics-job.txt");

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(loopback())
                            .build());

    @Test
    void shouldTurnAFixedEventLogIntoTheGoldenMetrics() throws Exception {
        // Given
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.getConfig().setAutoWatermarkInterval(0);
        CollectingSink<FunnelMetrics> metrics = new CollectingSink<>("golden-metrics");
        CollectingSink<SkuQuadrant> quadrants = new CollectingSink<>("golden-quadrants");
        CollectingSink<ReturnInsight> returns = new CollectingSink<>("golden-returns");
        CollectingSink<DeadLetter> deadLetters = new CollectingSink<>("golden-dead-letters");

        MetricsJob.build(
                new MetricsJob.Inputs(
                        env.fromData(browse(), TypeInformation.of(BrowseEvent.class))
                                .assignTimestampsAndWatermarks(MetricsJob.BROWSE_WATERMARKS),
                        env.fromData(carts(), TypeInformation.of(CartEvent.class))
                                .assignTimestampsAndWatermarks(MetricsJob.CART_WATERMARKS),
                        env.fromData(orders(), TypeInformation.of(OrderEvent.class))
                                .assignTimestampsAndWatermarks(MetricsJob.ORDER_WATERMARKS),
                        env.fromData(catalog(), TypeInformation.of(Product.class))
                                .assignTimestampsAndWatermarks(MetricsJob.CATALOG_WATERMARKS),
                        env.fromData(rules(), TypeInformation.of(RuleUpdate.class))
                                .assignTimestampsAndWatermarks(MetricsJob.RULE_WATERMARKS),
                        null),
                new MetricsJob.Outputs(metrics, quadrants, returns, deadLetters));

        // When
        env.execute("metrics-golden");

        // Then
        List<String> lines = new ArrayList<>();
        metrics.values().forEach(m -> lines.add(GoldenLines.of(m)));
        quadrants.values().forEach(q -> lines.add(GoldenLines.of(q)));
        returns.values().forEach(r -> lines.add(GoldenLines.of(r)));
        deadLetters.values().forEach(d -> lines.add(GoldenLines.of(d)));
        lines.sort(null);
        String actual = String.join("\n", lines) + "\n";
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(GOLDEN, actual, StandardCharsets.UTF_8);
        }
        assertThat(actual).isEqualTo(Files.readString(GOLDEN, StandardCharsets.UTF_8));
    }

    private static final long S = 1_000L;

    /** Minute 0: 10:00; minute 1: 10:01; minute 2: 10:02 (UTC). */
    static List<BrowseEvent> browse() {
        BrowseEvent signedIn = view("b4", "v3", "sku-c", "web", 40 * S);
        signedIn.setUserId("u3");
        BrowseEvent categoryPage = view("b6", "v4", null, "web", 90 * S);
        categoryPage.setPageType(PageType.CATEGORY);
        categoryPage.setCategory("hats");
        BrowseEvent home = view("b3", "v1", null, "web", 20 * S);
        return List.of(
                view("b1", "v1", "sku-a", "web", 5 * S),
                view("b2", "v2", "sku-a", "app", 10 * S),
                home,
                home, // a duplicate: ignored
                signedIn,
                view("b5", "v2", "sku-b", "app", 65 * S),
                categoryPage,
                view("b7", "v1", "sku-a", "web", 130 * S));
    }

    static List<CartEvent> carts() {
        CartEvent add = cart("c3", "u5", CartEventType.ADD, "sku-a", "app", 70 * S);
        return List.of(
                cart("c1", "u3", CartEventType.ADD, "sku-c", "web", 45 * S),
                cart("c2", "u3", CartEventType.CHECKOUT_STARTED, null, "web", 50 * S),
                add,
                add, // a duplicate: ignored
                cart("c4", "u5", CartEventType.REMOVE, "sku-a", "app", 80 * S));
    }

    static List<OrderEvent> orders() {
        OrderEvent o1 =
                order(
                        "o1-placed",
                        "o1",
                        "u3",
                        OrderEventType.PLACED,
                        "web",
                        55 * S,
                        line("sku-c", 1, "25.00", "10.00"),
                        line("sku-a", 2, "40.00", "30.00"));
        OrderEvent usd =
                order(
                        "o3-placed",
                        "o3",
                        "u6",
                        OrderEventType.PLACED,
                        "web",
                        150 * S,
                        line("sku-b", 1, "15.00", "5.00"));
        usd.setCurrency("USD");
        return List.of(
                o1,
                o1, // a duplicate event: ignored
                order(
                        "o1-placed-again",
                        "o1",
                        "u3",
                        OrderEventType.PLACED,
                        "web",
                        58 * S,
                        line("sku-c", 1, "25.00", "10.00"),
                        line("sku-a", 2, "40.00", "30.00")),
                order(
                        "o2-placed",
                        "o2",
                        "u5",
                        OrderEventType.PLACED,
                        "app",
                        100 * S,
                        line("sku-a", 1, "40.00", "30.00")),
                usd, // another currency than the shop's: a dead letter for the funnel
                order(
                        "o1-shipped",
                        "o1",
                        "u3",
                        OrderEventType.SHIPPED,
                        "web",
                        120 * S,
                        line("sku-c", 1, "25.00", "10.00"),
                        line("sku-a", 2, "40.00", "30.00")),
                returned(
                        "o1-returned",
                        "o1",
                        ReturnReason.WRONG_SIZE,
                        170 * S,
                        line("sku-c", 1, "25.00", "10.00"),
                        line("sku-a", 2, "40.00", "30.00")));
    }

    static List<Product> catalog() {
        return List.of(
                product("sku-a", "shoes"), product("sku-b", "shoes"), product("sku-c", "hats"));
    }

    static List<RuleUpdate> rules() {
        return List.of(globalRule("berlin-day", 1, Map.of("day_time_zone", "Europe/Berlin")));
    }

    static Configuration loopback() {
        Configuration c = new Configuration();
        c.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        c.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        c.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        c.set(RestOptions.ADDRESS, "127.0.0.1");
        return c;
    }
}
