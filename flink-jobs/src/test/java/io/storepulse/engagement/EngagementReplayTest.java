package io.storepulse.engagement;

import static io.storepulse.engagement.EngagementFixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;
import storepulse.v1.actions.CouponAction;
import storepulse.v1.actions.CouponTrigger;
import storepulse.v1.actions.SegmentChange;
import storepulse.v1.events.CartEventType;
import storepulse.v1.events.OrderEventType;

/**
 * Replays thousands of random user histories (carts, orders around the deadline, page views, long
 * silences, duplicates, arrival out of order within the allowed lateness) and checks the properties
 * that cost money when broken.
 */
class EngagementReplayTest {

    private static final int USERS = 2500;
    private static final long SEED = 20261123L;

    /** Events arrive up to this long after they happened; the watermark trails arrival by 30 s. */
    private static final long MAX_DELAY = Duration.ofSeconds(90).toMillis();

    private static final long WATERMARK_LAG = Duration.ofSeconds(30).toMillis();

    record Arrival(UserEvent event, long at) {}

    record Run(List<CouponAction> coupons, List<SegmentChange> segments) {}

    @Test
    void shouldNeverCouponACartWhoseOwnerOrderedBeforeTheDeadlineNorRepeatAnActionId()
            throws Exception {
        List<UserEvent> history = generate(new Random(SEED));
        List<Arrival> shuffled = arrivals(history, new Random(SEED + 1), MAX_DELAY);

        // A run that restarts from a snapshot taken in the middle of the history.
        KeyedBroadcastOperatorTestHarness<String, UserEvent, Control, CouponAction> first =
                setupHarness();
        int half = shuffled.size() / 2;
        long watermark = replay(first, shuffled.subList(0, half), Long.MIN_VALUE);
        OperatorSubtaskState snapshot = first.snapshot(1L, 1L);
        Run beforeSnapshot = outputs(first);
        // The first run goes on, unaware: what it emits after the snapshot is what a failed attempt
        // would have emitted and never committed.
        replay(first, shuffled.subList(half, shuffled.size()), watermark);
        finish(first, history);
        Run uninterrupted = outputs(first);
        first.close();

        KeyedBroadcastOperatorTestHarness<String, UserEvent, Control, CouponAction> restored =
                restoreHarness(snapshot);
        replay(restored, shuffled.subList(half, shuffled.size()), watermark);
        finish(restored, history);
        Run afterRestore = outputs(restored);
        restored.close();

        List<CouponAction> committed = new ArrayList<>(beforeSnapshot.coupons());
        committed.addAll(afterRestore.coupons());
        List<SegmentChange> committedSegments = new ArrayList<>(beforeSnapshot.segments());
        committedSegments.addAll(afterRestore.segments());

        assertThat(committed.stream().map(CouponAction::getActionId)).doesNotHaveDuplicates();
        assertThat(committedSegments.stream().map(SegmentChange::getActionId))
                .doesNotHaveDuplicates();
        assertThat(strings(committed)).isEqualTo(strings(uninterrupted.coupons()));
        assertThat(committed.stream().map(CouponAction::getTrigger).distinct())
                .as("the histories exercise every trigger")
                .contains(
                        CouponTrigger.CART_ABANDONED,
                        CouponTrigger.REPEATED_ADD_TO_CART,
                        CouponTrigger.WIN_BACK);

        Map<String, List<Long>> ordersByUser = new HashMap<>();
        Map<String, TreeSet<Long>> cartChangesByUser = new HashMap<>();
        for (UserEvent e : history) {
            if (e.kind == UserEvent.Kind.ORDER) {
                ordersByUser.computeIfAbsent(e.userId, u -> new ArrayList<>()).add(e.eventTime);
            } else if (e.kind == UserEvent.Kind.CART) {
                cartChangesByUser.computeIfAbsent(e.userId, u -> new TreeSet<>()).add(e.eventTime);
            }
        }
        int cartCoupons = 0;
        for (CouponAction c : committed) {
            if (c.getTrigger() != CouponTrigger.CART_ABANDONED) {
                continue;
            }
            cartCoupons++;
            String id = c.getActionId();
            long lastChange = Long.parseLong(id.substring(id.lastIndexOf(':') + 1));
            long delivered = c.getEventTime().toEpochMilli();
            // Judged from the history, not from the job's own bookkeeping: the cart's last change
            // is the user's last cart event up to the delivery (one at the delivery instant
            // counts, as events come before deadlines at the same instant).
            assertThat(cartChangesByUser.get(c.getUserId()).floor(delivered))
                    .as("last cart change of %s before coupon %s", c.getUserId(), c.getEventTime())
                    .isEqualTo(lastChange);
            assertThat(delivered)
                    .isGreaterThanOrEqualTo(lastChange + Duration.ofMinutes(30).toMillis());
            assertThat(ordersByUser.getOrDefault(c.getUserId(), List.of()))
                    .as(
                            "orders of %s between cart change %s and coupon %s",
                            c.getUserId(), Instant.ofEpochMilli(lastChange), c.getEventTime())
                    .noneMatch(t -> t >= lastChange && t <= delivered);
        }
        System.out.printf(
                "replay: %d events, %d coupons (%d cart), %d segment changes%n",
                history.size(), committed.size(), cartCoupons, committedSegments.size());
        assertThat(cartCoupons).isGreaterThan(1000);
    }

    @Test
    void shouldGiveTheSameActionsWhateverTheArrivalOrderWithinLateness() throws Exception {
        List<UserEvent> history = generate(new Random(SEED + 7)).subList(0, 5_000);
        Run inOrder = runAll(arrivals(history, new Random(1), 0));
        Run shuffled = runAll(arrivals(history, new Random(2), MAX_DELAY));

        assertThat(strings(shuffled.coupons())).isEqualTo(strings(inOrder.coupons())).isNotEmpty();
        assertThat(strings(shuffled.segments()))
                .isEqualTo(strings(inOrder.segments()))
                .isNotEmpty();
    }

    private Run runAll(List<Arrival> arrivals) throws Exception {
        KeyedBroadcastOperatorTestHarness<String, UserEvent, Control, CouponAction> h =
                setupHarness();
        replay(h, arrivals, Long.MIN_VALUE);
        h.processWatermark(
                arrivals.get(arrivals.size() - 1).at() + Duration.ofDays(400).toMillis());
        Run run = outputs(h);
        h.close();
        return run;
    }

    private static void finish(
            KeyedBroadcastOperatorTestHarness<String, UserEvent, Control, CouponAction> h,
            List<UserEvent> history)
            throws Exception {
        long last = history.stream().mapToLong(e -> e.eventTime).max().orElseThrow();
        h.processWatermark(last + Duration.ofDays(400).toMillis());
        assertThat(h.numEventTimeTimers()).as("no timer outlives the episodes").isZero();
    }

    private static long replay(
            KeyedBroadcastOperatorTestHarness<String, UserEvent, Control, CouponAction> h,
            List<Arrival> arrivals,
            long watermark)
            throws Exception {
        for (Arrival a : arrivals) {
            h.processElement(a.event(), a.event().eventTime);
            long next = a.at() - WATERMARK_LAG;
            if (next > watermark) {
                watermark = next;
                h.processWatermark(watermark);
            }
        }
        return watermark;
    }

    private static Run outputs(
            KeyedBroadcastOperatorTestHarness<String, UserEvent, Control, CouponAction> h) {
        return new Run(new ArrayList<>(coupons(h)), new ArrayList<>(segments(h)));
    }

    private static Set<String> strings(List<?> records) {
        Set<String> out = new TreeSet<>();
        records.forEach(r -> out.add(r.toString()));
        return out;
    }

    /** Each event arrives after a random delay up to maxDelay; some arrive twice. */
    private static List<Arrival> arrivals(List<UserEvent> history, Random r, long maxDelay) {
        List<Arrival> out = new ArrayList<>();
        for (UserEvent e : history) {
            long delay = maxDelay == 0 ? 0 : (long) (r.nextDouble() * maxDelay);
            out.add(new Arrival(e, e.eventTime + delay));
            if (r.nextInt(20) == 0) {
                out.add(
                        new Arrival(
                                e, e.eventTime + delay + (maxDelay == 0 ? 0 : r.nextInt(20_000))));
            }
        }
        out.sort(Comparator.comparingLong(Arrival::at));
        return out;
    }

    /** Random histories: shopping sessions, orders before and after the cart deadline, silences. */
    static List<UserEvent> generate(Random r) {
        List<UserEvent> all = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int u = 0; u < USERS; u++) {
            String user = "user-" + u;
            long t = T0.toEpochMilli() + r.nextInt((int) Duration.ofHours(12).toMillis());
            int sessions = 1 + r.nextInt(8);
            int n = 0;
            int orderNo = 0;
            for (int s = 0; s < sessions; s++) {
                t +=
                        r.nextInt(8) == 0
                                ? Duration.ofDays(92 + r.nextInt(30)).toMillis()
                                : Duration.ofMinutes(20 + r.nextInt(3000)).toMillis();
                if (r.nextInt(3) == 0) {
                    all.add(browse(user + "-e" + n++, user, Instant.ofEpochMilli(t)));
                }
                int adds = r.nextInt(5);
                for (int a = 0; a < adds; a++) {
                    t += r.nextInt(600_000);
                    String sku = "sku-" + r.nextInt(3);
                    all.add(
                            add(
                                    user + "-e" + n++,
                                    user,
                                    sku,
                                    1 + r.nextInt(3),
                                    (5 + r.nextInt(60)) + ".00",
                                    Instant.ofEpochMilli(t)));
                    if (r.nextInt(4) == 0) {
                        t += r.nextInt(60_000);
                        all.add(
                                UserEvent.ofCart(
                                        cartEvent(
                                                user + "-e" + n++,
                                                user,
                                                r.nextInt(3) == 0
                                                        ? CartEventType.CLEAR
                                                        : CartEventType.REMOVE,
                                                sku,
                                                1,
                                                null,
                                                Instant.ofEpochMilli(t))));
                    }
                }
                if (adds > 0 && r.nextInt(3) == 0) {
                    t += r.nextInt(300_000);
                    all.add(checkoutStarted(user + "-e" + n++, user, Instant.ofEpochMilli(t)));
                }
                int orderKind = r.nextInt(3);
                if (orderKind > 0) {
                    // Either well before the 30 min deadline, or right around it.
                    long at =
                            t
                                    + (orderKind == 1
                                            ? r.nextInt((int) Duration.ofMinutes(29).toMillis())
                                            : Duration.ofMinutes(27).toMillis()
                                                    + r.nextInt(
                                                            (int)
                                                                    Duration.ofMinutes(6)
                                                                            .toMillis()));
                    String orderId = user + "-o" + orderNo++;
                    String total = (10 + r.nextInt(300)) + ".00";
                    boolean paidOnly = r.nextInt(5) == 0;
                    all.add(
                            order(
                                    user + "-e" + n++,
                                    user,
                                    orderId,
                                    paidOnly ? OrderEventType.PAID : OrderEventType.PLACED,
                                    total,
                                    Instant.ofEpochMilli(at),
                                    "sku-" + r.nextInt(3)));
                    if (!paidOnly && r.nextBoolean()) {
                        all.add(
                                order(
                                        user + "-e" + n++,
                                        user,
                                        orderId,
                                        OrderEventType.PAID,
                                        total,
                                        Instant.ofEpochMilli(at + r.nextInt(600_000)),
                                        "sku-" + r.nextInt(3)));
                    }
                    t = Math.max(t, at);
                }
            }
        }
        for (UserEvent e : all) {
            assertThat(ids.add(e.eventId)).isTrue();
        }
        return all;
    }
}
