package io.storepulse.inventory;

import java.util.ArrayList;
import java.util.List;

/**
 * Where one order stands, as the order-lifecycle function remembers it between events. A Flink POJO
 * kept in keyed state under the order id and cleared when the order's life ends.
 */
public class OrderState {

    /** Lifecycle of the order's reservation. */
    public enum Status {
        /** Nothing reserved yet: no PLACED seen. */
        NEW,
        /** PLACED seen; its lines are reserved. */
        RESERVED,
        /** Cancelled by the shop or customer; reservation released. */
        CANCELLED,
        /** Cancelled by this job for lack of payment; reservation released. */
        AUTO_CANCELLED,
        /** Shipped: released and taken off hand. */
        SHIPPED,
        /** Returned after shipment; resellable units back on hand. */
        RETURNED
    }

    /** One order line as reserved. */
    public static class Line {
        public String sku;
        public String warehouseId;
        public int quantity;

        public Line() {}

        public Line(String sku, String warehouseId, int quantity) {
            this.sku = sku;
            this.warehouseId = warehouseId;
            this.quantity = quantity;
        }
    }

    public Status status = Status.NEW;
    public String userId;
    public String channel;
    public String currency;

    /** Order total as a plain decimal string (scale 2). */
    public String orderTotal;

    public long placedAt = -1L;
    public long paymentDeadline = -1L;
    public boolean paid;
    public boolean paymentAfterCancelReported;

    /** Event time at which this state is dropped; -1 while the order is open. */
    public long cleanupAt = -1L;

    public List<Line> lines = new ArrayList<>();

    public OrderState() {}

    /** Whether the order holds a reservation and may still be auto-cancelled. */
    public boolean awaitsPayment() {
        return status == Status.RESERVED && !paid && paymentDeadline >= 0;
    }
}
