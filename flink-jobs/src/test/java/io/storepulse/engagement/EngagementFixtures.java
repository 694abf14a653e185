package io.storepulse.engagement;

import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.heap.HeapKeyedStateBackend;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import storepulse.v1.actions.CouponAction;
import storepulse.v1.actions.SegmentChange;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.CartEventType;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.PageType;
import storepulse.v1.events.RuleJob;
import storepulse.v1.events.RuleScope;
import storepulse.v1.events.RuleSet;

/** Small factories for engagement inputs, shared by the unit, replay and pipeline tests. */
final class EngagementFixtures {

    /** Monday 2026-03-02 10:00 UTC: daytime, outside the default quiet hours. */
    static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    static final Duration LATENESS = Duration.ofMinutes(2);

    private EngagementFixtures() {}

    static KeyedBroadcastOperatorTestHarness<String, UserEvent, Control, CouponAction>
            setupHarness() throws Exception {
        KeyedBroadcastOperatorTestHarness<String, UserEvent, Control, CouponAction> h =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new EngagementFunction(),
                        e -> e.userId,
                        Types.STRING,
                        RulesState.DESCRIPTOR,
                        EngagementFunction.CATALOG_FACTS);
        // As in the job: the rules side never holds back event time.
        h.processBroadcastWatermark(Long.MAX_VALUE);
        return h;
    }

    static void send(
            KeyedBroadcastOperatorTestHarness<String, UserEvent, Control, CouponAction> h,
            UserEvent... events)
            throws Exception {
        for (UserEvent e : events) {
            h.processElement(e, e.eventTime);
        }
    }

    static void watermark(KeyedBroadcastOperatorTestHarness<?, ?, ?, ?> h, Instant t)
            throws Exception {
        h.processWatermark(t.toEpochMilli());
    }

    /** A harness restored from a snapshot, as after a restart from a checkpoint. */
    static KeyedBroadcastOperatorTestHarness<String, UserEvent, Control, CouponAction>
            restoreHarness(OperatorSubtaskState snapshot) throws Exception {
        KeyedBroadcastOperatorTestHarness<String, UserEvent, Control, CouponAction> h =
                new KeyedBroadcastOperatorTestHarness<>(
                        new CoBroadcastWithKeyedOperator<>(
                                new EngagementFunction(),
                                List.of(RulesState.DESCRIPTOR, EngagementFunction.CATALOG_FACTS)),
                        e -> e.userId,
                        Types.STRING,
                        1,
                        1,
                        0);
        h.setup();
        h.initializeState(snapshot);
        h.open();
        h.processBroadcastWatermark(Long.MAX_VALUE);
        return h;
    }

    static int numKeyedStateEntries(KeyedBroadcastOperatorTestHarness<?, ?, ?, ?> h) {
        return ((HeapKeyedStateBackend<?>) h.getOperator().getKeyedStateBackend())
                .numKeyValueStateEntries();
    }

    static Instant at(Duration sinceT0) {
        return T0.plus(sinceT0);
    }

    static Duration min(long m) {
        return Duration.ofMinutes(m);
    }

    static Duration hours(long h) {
        return Duration.ofHours(h);
    }

    static Duration days(long d) {
        return Duration.ofDays(d);
    }

    static BigDecimal money(String v) {
        return new BigDecimal(v).setScale(2, RoundingMode.HALF_UP);
    }

    static CartEvent cartEvent(
            String id,
            String user,
            CartEventType type,
            String sku,
            int qty,
            String price,
            Instant t) {
        return CartEvent.newBuilder()
                .setEventId(id)
                .setUserId(user)
                .setSessionId("session-" + user)
                .setType(type)
                .setSku(sku)
                .setQuantity(qty)
                .setUnitPrice(price == null ? null : money(price))
                .setCurrency("EUR")
                .setChannel("web")
                .setEventTime(t)
                .build();
    }

    static UserEvent add(String id, String user, String sku, int qty, String price, Instant t) {
        return UserEvent.ofCart(cartEvent(id, user, CartEventType.ADD, sku, qty, price, t));
    }

    static UserEvent remove(String id, String user, String sku, int qty, Instant t) {
        return UserEvent.ofCart(cartEvent(id, user, CartEventType.REMOVE, sku, qty, null, t));
    }

    static UserEvent checkoutStarted(String id, String user, Instant t) {
        return UserEvent.ofCart(
                cartEvent(id, user, CartEventType.CHECKOUT_STARTED, null, 0, null, t));
    }

    static OrderEvent orderEvent(
            String id,
            String user,
            String orderId,
            OrderEventType type,
            String total,
            Instant t,
            String... skus) {
        List<OrderLine> lines = new ArrayList<>();
        for (String sku : skus) {
            lines.add(new OrderLine(sku, "wh-1", 1, money(total), money("1.00")));
        }
        return OrderEvent.newBuilder()
                .setEventId(id)
                .setOrderId(orderId)
                .setUserId(user)
                .setType(type)
                .setLines(lines)
                .setOrderTotal(money(total))
                .setCurrency("EUR")
                .setChannel("web")
                .setEventTime(t)
                .build();
    }

    static UserEvent order(
            String id,
            String user,
            String orderId,
            OrderEventType type,
            String total,
            Instant t,
            String... skus) {
        return UserEvent.ofOrder(orderEvent(id, user, orderId, type, total, t, skus));
    }

    static UserEvent placed(String user, String orderId, String total, Instant t, String... skus) {
        return order(
                "o-" + orderId + "-placed", user, orderId, OrderEventType.PLACED, total, t, skus);
    }

    static BrowseEvent browseEvent(String id, String visitor, String user, Instant t) {
        return BrowseEvent.newBuilder()
                .setEventId(id)
                .setVisitorId(visitor)
                .setUserId(user)
                .setSessionId("s-" + visitor)
                .setPageType(PageType.HOME)
                .setChannel("web")
                .setEventTime(t)
                .build();
    }

    static UserEvent browse(String id, String user, Instant t) {
        return UserEvent.ofBrowse(browseEvent(id, "v-" + user, user, t));
    }

    static RuleSet ruleSet(String id, long version, Map<String, String> params) {
        return RuleSet.newBuilder()
                .setRuleId(id)
                .setVersion(version)
                .setJob(RuleJob.ENGAGEMENT)
                .setScopeType(RuleScope.GLOBAL)
                .setScopeValue(null)
                .setParams(params)
                .setUpdatedAt(T0)
                .build();
    }

    static Control rule(String id, long version, Map<String, String> params) {
        return Control.ofRule(RuleUpdate.upsert(ruleSet(id, version, params)));
    }

    static List<CouponAction> coupons(KeyedBroadcastOperatorTestHarness<?, ?, ?, CouponAction> h) {
        return h.extractOutputValues();
    }

    static List<SegmentChange> segments(
            KeyedBroadcastOperatorTestHarness<?, ?, ?, CouponAction> h) {
        List<SegmentChange> out = new ArrayList<>();
        h.getSideOutput(EngagementFunction.SEGMENT_CHANGES).forEach(r -> out.add(r.getValue()));
        return out;
    }

    static List<String> list(String... s) {
        return Arrays.asList(s);
    }
}
