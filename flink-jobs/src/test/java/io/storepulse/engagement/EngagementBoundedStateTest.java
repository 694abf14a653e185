package io.storepulse.engagement;

import static io.storepulse.engagement.EngagementFixtures.T0;
import static io.storepulse.engagement.EngagementFixtures.add;
import static io.storepulse.engagement.EngagementFixtures.browse;
import static io.storepulse.engagement.EngagementFixtures.numKeyedStateEntries;
import static io.storepulse.engagement.EngagementFixtures.placed;
import static io.storepulse.engagement.EngagementFixtures.remove;
import static io.storepulse.engagement.EngagementFixtures.setupHarness;

import io.storepulse.testing.StateSamples;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;
import storepulse.v1.actions.CouponAction;

/**
 * Bounded state of the engagement function under high key churn: every two minutes of event time a
 * new shopper browses and fills a cart, then empties it or walks away (an abandoned-cart coupon
 * follows), while a fixed base of customers keeps ordering. What the function keeps per churned
 * shopper must go once cart retention and the coupon caps' window have passed, so keyed state and
 * timers stay flat however many shoppers came; customers stay, as RFM needs a year of them.
 *
 * <p>Size: {@code -Dstorepulse.reliability.soak.days=N} (default 40 days of event time; 30 here at
 * least).
 */
class EngagementBoundedStateTest {

    static final int DAYS =
            Math.max(30, Integer.getInteger("storepulse.reliability.soak.days", 30));
    static final int CUSTOMERS = 500;

    @Test
    void shouldKeepUserStateFlatWhileShoppersComeAndGo() throws Exception {
        try (KeyedBroadcastOperatorTestHarness<String, UserEvent, Control, CouponAction> h =
                setupHarness()) {
            Random rnd = new Random(3);
            long step = Duration.ofMinutes(2).toMillis();
            // Carts are remembered 7 days and coupon caps look back 7 days: warm up past both.
            long warmUp = Duration.ofDays(10).toMillis();
            long day = Duration.ofDays(1).toMillis();
            PriorityQueue<UserEvent> queue =
                    new PriorityQueue<>(
                            Comparator.comparingLong((UserEvent e) -> e.eventTime)
                                    .thenComparing(e -> e.eventId));
            StateSamples samples = new StateSamples(T0);
            long nextSample = T0.toEpochMilli() + warmUp;
            long end = T0.toEpochMilli() + DAYS * day;
            int shoppers = 0;
            int coupons = 0;
            for (long t = T0.toEpochMilli(); t < end; t += step) {
                queue.addAll(visitOfANewShopper("shopper-" + shoppers++, t, rnd));
                if (rnd.nextInt(4) == 0) {
                    String customer = "customer-" + rnd.nextInt(CUSTOMERS);
                    queue.add(
                            placed(
                                    customer,
                                    "order-" + t,
                                    "25.00",
                                    Instant.ofEpochMilli(t),
                                    "sku-1"));
                }
                while (!queue.isEmpty() && queue.peek().eventTime <= t) {
                    UserEvent e = queue.poll();
                    h.processElement(e, e.eventTime);
                }
                h.processWatermark(t);
                coupons += h.getOutput().size();
                h.getOutput().clear();
                if (t >= nextSample) {
                    samples.add(t, numKeyedStateEntries(h), h.numEventTimeTimers());
                    nextSample += day / 2;
                }
            }
            samples.report(
                    "engagement-by-user",
                    shoppers
                            + " churned shoppers, "
                            + CUSTOMERS
                            + " returning customers, "
                            + coupons
                            + " outputs");
            samples.assertFlat();
        }
    }

    /** One visit: browse, add one to three items, then empty the cart (half) or abandon it. */
    private static List<UserEvent> visitOfANewShopper(String user, long t, Random rnd) {
        List<UserEvent> out = new ArrayList<>();
        out.add(browse(user + "-b", user, Instant.ofEpochMilli(t)));
        int items = 1 + rnd.nextInt(3);
        boolean empties = rnd.nextBoolean();
        for (int i = 0; i < items; i++) {
            Instant at = Instant.ofEpochMilli(t + (i + 1) * 30_000L);
            String sku = "sku-" + (10 * i + rnd.nextInt(10));
            out.add(add(user + "-a" + i, user, sku, 1, "20.00", at));
            if (empties) {
                Instant later = at.plus(Duration.ofMinutes(5));
                out.add(remove(user + "-r" + i, user, sku, 1, later));
            }
        }
        return out;
    }
}
