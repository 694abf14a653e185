package io.storepulse.inventory;

import static io.storepulse.inventory.InventoryFixtures.T0;
import static io.storepulse.inventory.InventoryFixtures.product;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.inventory.InventoryHistories.Arrival;
import io.storepulse.inventory.InventoryHistories.Expected;
import io.storepulse.inventory.InventoryHistories.History;
import io.storepulse.inventory.InventoryHistories.Outcome;
import io.storepulse.rules.RuleUpdate;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.actions.InventoryAlert;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.actions.OrderAction;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.Product;
import storepulse.v1.events.StockMovement;

/**
 * The whole job ({@link InventoryJob#build}) on a MiniCluster at parallelism 2: two thousand random
 * logs, all in one job execution and keyed apart, against the plain oracle.
 */
class InventoryPipelineITCase {

    static final int HISTORIES = 2000;
    static final long SEED = 77L;

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(loopback())
                            .build());

    private static Configuration loopback() {
        Configuration c = new Configuration();
        c.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        c.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        c.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        c.set(RestOptions.ADDRESS, "127.0.0.1");
        return c;
    }

    @Test
    void shouldMatchTheOracleWhenRunAsAJob() throws Exception {
        // Given random logs; catalog lead times of 0 days make every reorder point 0
        Random rnd = new Random(SEED);
        List<History> histories = new ArrayList<>();
        for (int i = 0; i < HISTORIES; i++) {
            histories.add(InventoryHistories.generate("p" + i, rnd, true));
        }
        List<Arrival> arrivals = new ArrayList<>();
        histories.forEach(h -> arrivals.addAll(h.arrivals()));
        arrivals.sort(java.util.Comparator.comparingDouble(Arrival::arrivalKey));
        List<OrderEvent> orders = new ArrayList<>();
        List<StockMovement> movements = new ArrayList<>();
        for (Arrival a : arrivals) {
            if (a.event() instanceof OrderEvent o) {
                orders.add(o);
            } else {
                movements.add((StockMovement) a.event());
            }
        }
        List<Product> catalog = new ArrayList<>();
        for (History h : histories) {
            for (String sku : h.skus()) {
                catalog.add(product(sku, "cat", 0, T0.minus(Duration.ofHours(1)).toEpochMilli()));
            }
        }
        DeadLetter decodeFailure =
                DeadLetter.newBuilder()
                        .setSourceTopic("orders")
                        .setSourcePartition(0)
                        .setSourceOffset(7)
                        .setRawValue(ByteBuffer.wrap(new byte[] {1}))
                        .setErrorKind(DeadLetterKind.UNDECODABLE)
                        .setErrorMessage("not avro")
                        .setJob("storepulse-inventory")
                        .setFailedAt(Instant.EPOCH)
                        .build();

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        CollectingSink<InventoryLevel> levels = new CollectingSink<>("it-levels");
        CollectingSink<InventoryAlert> alerts = new CollectingSink<>("it-alerts");
        CollectingSink<OrderAction> actions = new CollectingSink<>("it-actions");
        CollectingSink<DeadLetter> dead = new CollectingSink<>("it-dead");

        // When the job runs once over all of them
        InventoryJob.build(
                new InventoryJob.Inputs(
                        env.fromData(orders, TypeInformation.of(OrderEvent.class))
                                .assignTimestampsAndWatermarks(InventoryJob.ORDER_WATERMARKS),
                        env.fromData(movements, TypeInformation.of(StockMovement.class))
                                .assignTimestampsAndWatermarks(InventoryJob.MOVEMENT_WATERMARKS),
                        env.fromData(catalog, TypeInformation.of(Product.class))
                                .assignTimestampsAndWatermarks(InventoryJob.CATALOG_WATERMARKS),
                        env.fromData(
                                        List.of(RuleUpdate.tombstone("no-such-rule")),
                                        TypeInformation.of(RuleUpdate.class))
                                .assignTimestampsAndWatermarks(InventoryJob.RULE_WATERMARKS),
                        env.fromData(List.of(decodeFailure), TypeInformation.of(DeadLetter.class))),
                new InventoryJob.Outputs(levels, alerts, actions, dead));
        env.execute("inventory-pipeline-it");

        // Then final levels, every alert crossing and every order action match the oracle
        Outcome actual = Outcome.of(levels.values(), alerts.values(), actions.values());
        Expected expected = InventoryHistories.expect(histories, 0);
        assertThat(actual.levels()).isEqualTo(expected.levels());
        assertThat(actual.alerts()).isEqualTo(expected.alerts());
        assertThat(actual.orderActions()).isEqualTo(expected.orderActions());
        assertThat(expected.alerts()).isNotEmpty();
        assertThat(expected.orderActions()).isNotEmpty();
        assertThat(dead.values()).containsExactly(decodeFailure);
    }
}
