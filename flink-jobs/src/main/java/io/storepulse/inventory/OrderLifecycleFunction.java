package io.storepulse.inventory;

import io.storepulse.rules.ResolvedRules;
import io.storepulse.rules.RuleBook;
import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import storepulse.v1.actions.OrderAction;
import storepulse.v1.actions.OrderActionType;
import storepulse.v1.common.Explanation;
import storepulse.v1.common.ReturnReason;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderLine;

/**
 * The life of one order, keyed by order_id: turns order events into per-line stock changes
 * (reserve, release, ship, return) for the stock function, auto-cancels unpaid orders, and reports
 * payments that arrive after an auto-cancel.
 *
 * <p>Events are buffered and applied in event-time order when the watermark passes them (ties by
 * event type, then event_id), so that any arrival order within the watermark's out-of-orderness
 * gives the same result. An event already behind the watermark is applied at once.
 *
 * <p>Each order's lines count once: a second PLACED, a CANCELLED after SHIPPED and so on change
 * nothing, and duplicate event_ids are dropped on arrival. State is cleared by a cleanup timer
 * after the order's life ends: {@code ended_order_retention} after a cancel, auto-cancel or return
 * (so that late payments and stragglers are still recognised), {@code return_window} after a
 * shipment. A TTL on every state is the backstop for orders that never end (e.g. paid and never
 * shipped).
 */
public class OrderLifecycleFunction
        extends KeyedBroadcastProcessFunction<String, OrderEvent, RuleUpdate, StockChange> {

    private static final long serialVersionUID = 1L;

    /** Instructions for the order system. */
    public static final OutputTag<OrderAction> ORDER_ACTIONS =
            new OutputTag<>("order-actions", TypeInformation.of(OrderAction.class));

    /** Backstop for orders that never reach an end (paid, never shipped or cancelled). */
    static final StateTtlConfig STATE_TTL = StateTtlConfig.newBuilder(Duration.ofDays(90)).build();

    static final ValueStateDescriptor<OrderState> ORDER =
            withTtl(new ValueStateDescriptor<>("order", TypeInformation.of(OrderState.class)));

    /** Events waiting for the watermark, by event time. */
    static final MapStateDescriptor<Long, List<OrderEvent>> PENDING =
            withTtl(
                    new MapStateDescriptor<>(
                            "pending-order-events",
                            Types.LONG,
                            Types.LIST(TypeInformation.of(OrderEvent.class))));

    /** event_ids already seen for this order; dropped with the order. */
    static final MapStateDescriptor<String, Boolean> SEEN_EVENT_IDS =
            withTtl(new MapStateDescriptor<>("seen-order-event-ids", Types.STRING, Types.BOOLEAN));

    private static final Comparator<OrderEvent> APPLY_ORDER =
            Comparator.comparing((OrderEvent e) -> e.getEventTime())
                    .thenComparing(OrderEvent::getType)
                    .thenComparing(OrderEvent::getEventId);

    private transient ValueState<OrderState> order;
    private transient MapState<Long, List<OrderEvent>> pending;
    private transient MapState<String, Boolean> seen;
    private transient RuleBook book;

    private static <D extends StateDescriptor<?, ?>> D withTtl(D descriptor) {
        descriptor.enableTimeToLive(STATE_TTL);
        return descriptor;
    }

    @Override
    public void open(OpenContext openContext) {
        order = getRuntimeContext().getState(ORDER);
        pending = getRuntimeContext().getMapState(PENDING);
        seen = getRuntimeContext().getMapState(SEEN_EVENT_IDS);
    }

    @Override
    public void processBroadcastElement(RuleUpdate update, Context ctx, Collector<StockChange> out)
            throws Exception {
        if (RulesState.apply(ctx.getBroadcastState(RulesState.DESCRIPTOR), update)) {
            book =
                    RulesState.book(
                            InventoryJob.RULES, ctx.getBroadcastState(RulesState.DESCRIPTOR));
        }
    }

    @Override
    public void processElement(OrderEvent event, ReadOnlyContext ctx, Collector<StockChange> out)
            throws Exception {
        if (seen.contains(event.getEventId())) {
            return;
        }
        seen.put(event.getEventId(), Boolean.TRUE);
        long t = event.getEventTime().toEpochMilli();
        if (t <= ctx.timerService().currentWatermark()) {
            apply(event, ctx, out);
            return;
        }
        List<OrderEvent> atT = pending.get(t);
        List<OrderEvent> updated = atT == null ? new ArrayList<>() : new ArrayList<>(atT);
        updated.add(event);
        pending.put(t, updated);
        ctx.timerService().registerEventTimeTimer(t);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<StockChange> out)
            throws Exception {
        List<OrderEvent> due = pending.get(timestamp);
        if (due != null) {
            pending.remove(timestamp);
            List<OrderEvent> sorted = new ArrayList<>(due);
            sorted.sort(APPLY_ORDER);
            for (OrderEvent e : sorted) {
                apply(e, ctx, out);
            }
        }
        OrderState state = order.value();
        if (state == null) {
            return;
        }
        if (state.awaitsPayment() && state.paymentDeadline == timestamp) {
            autoCancel(state, timestamp, ctx, out);
            order.update(state);
        }
        if (state.cleanupAt == timestamp) {
            endOrder(state, timestamp, ctx);
        }
    }

    /** Applies one event to the order's state, emitting the stock changes it causes. */
    private void apply(OrderEvent e, ReadOnlyContext ctx, Collector<StockChange> out)
            throws Exception {
        OrderState state = order.value();
        if (state == null) {
            state = new OrderState();
        }
        long t = e.getEventTime().toEpochMilli();
        ResolvedRules rules = rules(ctx).resolve(e.getChannel(), null, null);
        switch (e.getType()) {
            case PLACED -> {
                if (state.status == OrderState.Status.NEW) {
                    remember(state, e);
                    state.placedAt = t;
                    emitLines(state, StockChange.Kind.RESERVE, e.getOrderId(), t, out);
                    state.status = OrderState.Status.RESERVED;
                    if (!state.paid) {
                        state.paymentDeadline =
                                t + rules.get(InventoryJob.PAYMENT_TIMEOUT).toMillis();
                        ctx.timerService().registerEventTimeTimer(state.paymentDeadline);
                    }
                    clearCleanup(state, ctx);
                }
            }
            case PAID -> {
                if (state.status == OrderState.Status.AUTO_CANCELLED) {
                    if (!state.paymentAfterCancelReported) {
                        state.paymentAfterCancelReported = true;
                        ctx.output(ORDER_ACTIONS, paymentAfterCancel(state, e, rules));
                    }
                } else if (!state.paid) {
                    state.paid = true;
                    if (state.status == OrderState.Status.RESERVED) {
                        deleteTimerUnlessPending(state.paymentDeadline, ctx);
                        state.paymentDeadline = -1L;
                    }
                }
            }
            case CANCELLED -> {
                if (state.status == OrderState.Status.RESERVED) {
                    emitLines(state, StockChange.Kind.RELEASE, e.getOrderId(), t, out);
                    deleteTimerUnlessPending(state.paymentDeadline, ctx);
                    state.paymentDeadline = -1L;
                    state.status = OrderState.Status.CANCELLED;
                    scheduleCleanup(
                            state,
                            t + rules.get(InventoryJob.ENDED_ORDER_RETENTION).toMillis(),
                            ctx);
                } else if (state.status == OrderState.Status.NEW) {
                    // Cancelled before it was placed: a PLACED that follows must not reserve.
                    state.status = OrderState.Status.CANCELLED;
                    scheduleCleanup(
                            state,
                            t + rules.get(InventoryJob.ENDED_ORDER_RETENTION).toMillis(),
                            ctx);
                }
            }
            case SHIPPED -> {
                if (state.status == OrderState.Status.RESERVED) {
                    emitLines(state, StockChange.Kind.SHIP, e.getOrderId(), t, out);
                    deleteTimerUnlessPending(state.paymentDeadline, ctx);
                    state.paymentDeadline = -1L;
                    state.status = OrderState.Status.SHIPPED;
                    scheduleCleanup(
                            state, t + rules.get(InventoryJob.RETURN_WINDOW).toMillis(), ctx);
                } else if (state.status == OrderState.Status.AUTO_CANCELLED) {
                    // The order system re-confirmed after a late payment and shipped: the units
                    // left the warehouse, so they come off hand. Their reservation was released by
                    // the auto-cancel, so it is taken again at the same instant and shipped.
                    emitLines(state, StockChange.Kind.RESERVE, e.getOrderId(), t, out);
                    emitLines(state, StockChange.Kind.SHIP, e.getOrderId(), t, out);
                    state.status = OrderState.Status.SHIPPED;
                    scheduleCleanup(
                            state, t + rules.get(InventoryJob.RETURN_WINDOW).toMillis(), ctx);
                }
            }
            case RETURNED -> {
                if (state.status == OrderState.Status.SHIPPED) {
                    if (isResellable(e.getReturnReason(), rules)) {
                        emitLines(state, StockChange.Kind.RETURN, e.getOrderId(), t, out);
                    }
                    state.status = OrderState.Status.RETURNED;
                    scheduleCleanup(
                            state,
                            t + rules.get(InventoryJob.ENDED_ORDER_RETENTION).toMillis(),
                            ctx);
                }
            }
            default -> {
                // DELIVERED changes no stock.
            }
        }
        if (state.status == OrderState.Status.NEW && state.cleanupAt < 0) {
            // Stragglers of an order we never saw placed: remember them only for a bounded time.
            scheduleCleanup(
                    state, t + rules.get(InventoryJob.ENDED_ORDER_RETENTION).toMillis(), ctx);
        }
        order.update(state);
    }

    private void autoCancel(
            OrderState state, long timestamp, ReadOnlyContext ctx, Collector<StockChange> out)
            throws Exception {
        ResolvedRules rules = rules(ctx).resolve(state.channel, null, null);
        String orderId = ctx.getCurrentKey();
        ctx.output(ORDER_ACTIONS, cancelUnpaid(orderId, state, timestamp, rules));
        emitLines(state, StockChange.Kind.RELEASE, orderId, timestamp, out);
        state.status = OrderState.Status.AUTO_CANCELLED;
        scheduleCleanup(
                state, timestamp + rules.get(InventoryJob.ENDED_ORDER_RETENTION).toMillis(), ctx);
    }

    /** The end of the order's life: every piece of state and every timer goes. */
    private void endOrder(OrderState state, long timestamp, ReadOnlyContext ctx) throws Exception {
        if (state.paymentDeadline > timestamp) {
            deleteTimerUnlessPending(state.paymentDeadline, ctx);
        }
        order.clear();
        seen.clear();
        // Pending events later than the cleanup keep their own timers and start afresh.
    }

    private static void remember(OrderState state, OrderEvent e) {
        state.userId = e.getUserId();
        state.channel = e.getChannel();
        state.currency = e.getCurrency();
        state.orderTotal = e.getOrderTotal().setScale(2, RoundingMode.HALF_UP).toPlainString();
        state.lines = new ArrayList<>();
        for (OrderLine l : e.getLines()) {
            state.lines.add(new OrderState.Line(l.getSku(), l.getWarehouseId(), l.getQuantity()));
        }
    }

    private static void emitLines(
            OrderState state,
            StockChange.Kind kind,
            String orderId,
            long t,
            Collector<StockChange> out) {
        for (int i = 0; i < state.lines.size(); i++) {
            OrderState.Line l = state.lines.get(i);
            out.collect(
                    StockChange.ofOrderLine(kind, orderId, i, l.sku, l.warehouseId, l.quantity, t));
        }
    }

    private void scheduleCleanup(OrderState state, long at, ReadOnlyContext ctx) throws Exception {
        clearCleanup(state, ctx);
        state.cleanupAt = at;
        ctx.timerService().registerEventTimeTimer(at);
    }

    private void clearCleanup(OrderState state, ReadOnlyContext ctx) throws Exception {
        if (state.cleanupAt >= 0 && state.cleanupAt != state.paymentDeadline) {
            deleteTimerUnlessPending(state.cleanupAt, ctx);
        }
        state.cleanupAt = -1L;
    }

    /** A timer at an instant where events wait must stay: it is also their release. */
    private void deleteTimerUnlessPending(long at, ReadOnlyContext ctx) throws Exception {
        if (at >= 0 && !pending.contains(at)) {
            ctx.timerService().deleteEventTimeTimer(at);
        }
    }

    private static boolean isResellable(ReturnReason reason, ResolvedRules rules) {
        return reason != null
                && rules.get(InventoryJob.RESELLABLE_RETURN_REASONS).contains(reason.name());
    }

    private RuleBook rules(ReadOnlyContext ctx) throws Exception {
        if (book == null) {
            book =
                    RulesState.book(
                            InventoryJob.RULES, ctx.getBroadcastState(RulesState.DESCRIPTOR));
        }
        return book;
    }

    private OrderAction cancelUnpaid(
            String orderId, OrderState state, long timestamp, ResolvedRules rules) {
        Map<String, String> figures = new HashMap<>();
        figures.put("placed_at", Instant.ofEpochMilli(state.placedAt).toString());
        figures.put("payment_timeout", rules.get(InventoryJob.PAYMENT_TIMEOUT).toString());
        figures.put("lines", Integer.toString(state.lines.size()));
        return action(
                OrderActionType.CANCEL_UNPAID,
                "cancel-unpaid:" + orderId,
                orderId,
                state,
                timestamp,
                rules,
                "Order unpaid "
                        + rules.get(InventoryJob.PAYMENT_TIMEOUT).toMinutes()
                        + " min after it was placed; cancelled and its reservation released.",
                figures);
    }

    private OrderAction paymentAfterCancel(OrderState state, OrderEvent paid, ResolvedRules rules) {
        Map<String, String> figures = new HashMap<>();
        figures.put("placed_at", Instant.ofEpochMilli(state.placedAt).toString());
        figures.put("paid_at", paid.getEventTime().toString());
        figures.put("payment_event_id", paid.getEventId());
        return action(
                OrderActionType.PAYMENT_AFTER_CANCEL,
                "payment-after-cancel:" + paid.getOrderId(),
                paid.getOrderId(),
                state,
                paid.getEventTime().toEpochMilli(),
                rules,
                "Payment arrived after the order was auto-cancelled; nothing was re-reserved:"
                        + " refund or re-confirm.",
                figures);
    }

    private static OrderAction action(
            OrderActionType type,
            String idSeed,
            String orderId,
            OrderState state,
            long eventTime,
            ResolvedRules rules,
            String text,
            Map<String, String> figures) {
        long deadline =
                state.paymentDeadline >= 0
                        ? state.paymentDeadline
                        : state.placedAt + rules.get(InventoryJob.PAYMENT_TIMEOUT).toMillis();
        return OrderAction.newBuilder()
                .setActionId(
                        UUID.nameUUIDFromBytes(idSeed.getBytes(StandardCharsets.UTF_8)).toString())
                .setType(type)
                .setOrderId(orderId)
                .setUserId(state.userId)
                .setPlacedAt(Instant.ofEpochMilli(state.placedAt))
                .setPaymentDeadline(Instant.ofEpochMilli(deadline))
                .setOrderTotal(new BigDecimal(state.orderTotal).setScale(2, RoundingMode.HALF_UP))
                .setCurrency(state.currency)
                .setEventTime(Instant.ofEpochMilli(eventTime))
                .setRuleId(rules.ruleId())
                .setRuleVersion(rules.ruleVersion())
                .setExplanation(new Explanation(text, figures))
                .build();
    }
}
