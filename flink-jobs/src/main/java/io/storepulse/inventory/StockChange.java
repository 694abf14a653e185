package io.storepulse.inventory;

import java.util.Comparator;
import java.util.Objects;
import storepulse.v1.events.Product;
import storepulse.v1.events.StockMovement;

/**
 * One change to the stock of a SKU, keyed by SKU: a reservation delta derived from an order line, a
 * warehouse stock movement, or a catalog update (lead time, category). The stock function applies
 * changes of one SKU in event-time order, ties broken by {@link #ORDER}.
 *
 * <p>A Flink POJO: public fields and a no-argument constructor.
 */
public class StockChange {

    /** What the change does. The declaration order breaks ties between changes at one instant. */
    public enum Kind {
        CATALOG,
        RESTOCK,
        TRANSFER_IN,
        ADJUSTMENT,
        COUNT,
        RETURN,
        RELEASE,
        RESERVE,
        SHIP,
        TRANSFER_OUT
    }

    /** Deterministic processing order of changes at the same event time. */
    public static final Comparator<StockChange> ORDER =
            Comparator.comparingLong((StockChange c) -> c.eventTime)
                    .thenComparing(c -> c.kind)
                    .thenComparing(c -> c.id);

    /** Unique id: the movement's event_id, or order_id:kind:line index for order deltas. */
    public String id;

    public Kind kind;
    public String sku;
    public String warehouseId;

    /** Units; signed only for ADJUSTMENT, the absolute figure for COUNT. */
    public long quantity;

    /** RESTOCK of a perishable lot: its expiry in epoch millis; null otherwise. */
    public Long lotExpiresAt;

    /** Event time in epoch millis. */
    public long eventTime;

    /** CATALOG only. */
    public String category;

    /** CATALOG only; supplier lead time in days. */
    public int leadTimeDays;

    public StockChange() {}

    /** A reservation delta for one order line. */
    public static StockChange ofOrderLine(
            Kind kind,
            String orderId,
            int lineIndex,
            String sku,
            String warehouseId,
            long quantity,
            long eventTime) {
        StockChange c = new StockChange();
        c.id = orderId + ":" + kind + ":" + lineIndex;
        c.kind = kind;
        c.sku = sku;
        c.warehouseId = warehouseId;
        c.quantity = quantity;
        c.eventTime = eventTime;
        return c;
    }

    /** A warehouse movement; its event_id is what duplicates are recognised by. */
    public static StockChange ofMovement(StockMovement m) {
        StockChange c = new StockChange();
        c.id = m.getEventId();
        c.kind =
                switch (m.getType()) {
                    case RESTOCK -> Kind.RESTOCK;
                    case ADJUSTMENT -> Kind.ADJUSTMENT;
                    case TRANSFER_IN -> Kind.TRANSFER_IN;
                    case TRANSFER_OUT -> Kind.TRANSFER_OUT;
                    case COUNT -> Kind.COUNT;
                    default ->
                            throw new IllegalArgumentException(
                                    "movement type " + m.getType() + " passed validation");
                };
        c.sku = m.getSku();
        c.warehouseId = m.getWarehouseId();
        c.quantity = m.getQuantity();
        c.lotExpiresAt = m.getLotExpiresAt() == null ? null : m.getLotExpiresAt().toEpochMilli();
        c.eventTime = m.getEventTime().toEpochMilli();
        return c;
    }

    /** A catalog update: lead time and category of the SKU. */
    public static StockChange ofProduct(Product p) {
        StockChange c = new StockChange();
        c.id = "catalog:" + p.getSku() + ":" + p.getUpdatedAt().toEpochMilli();
        c.kind = Kind.CATALOG;
        c.sku = p.getSku();
        c.category = p.getCategory();
        c.leadTimeDays = p.getSupplierLeadTimeDays();
        c.eventTime = p.getUpdatedAt().toEpochMilli();
        return c;
    }

    /** Whether duplicates of this change must be recognised by id (movements only). */
    public boolean isMovement() {
        return switch (kind) {
            case RESTOCK, ADJUSTMENT, TRANSFER_IN, TRANSFER_OUT, COUNT -> true;
            default -> false;
        };
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof StockChange c)) {
            return false;
        }
        return quantity == c.quantity
                && eventTime == c.eventTime
                && leadTimeDays == c.leadTimeDays
                && Objects.equals(id, c.id)
                && kind == c.kind
                && Objects.equals(sku, c.sku)
                && Objects.equals(warehouseId, c.warehouseId)
                && Objects.equals(lotExpiresAt, c.lotExpiresAt)
                && Objects.equals(category, c.category);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, kind, sku, warehouseId, quantity, eventTime);
    }

    @Override
    public String toString() {
        return kind
                + "("
                + id
                + " "
                + sku
                + "@"
                + warehouseId
                + " q="
                + quantity
                + " t="
                + eventTime
                + ")";
    }
}
