package io.storepulse.clearance;

import java.util.Objects;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.events.Product;

/**
 * One input of the clearance pricer, keyed by SKU: a sale (the units of one SKU in one order
 * event), a stock level of one warehouse, or a catalog record. A POJO so that Flink serializes it
 * without Kryo; exactly one of the payloads is set, as {@link #kind} says.
 */
public class SkuSignal {

    /** What the signal carries. */
    public enum Kind {
        SALE,
        LEVEL,
        PRODUCT
    }

    public Kind kind;
    public String sku;

    /** Event time in epoch millis. */
    public long eventTime;

    /** For a sale: the order event id, used for deduplication. */
    public String eventId;

    /** For a sale: signed units (PLACED positive, CANCELLED negative). */
    public long units;

    public InventoryLevel level;
    public Product product;

    public SkuSignal() {}

    public static SkuSignal sale(String sku, String eventId, long units, long eventTime) {
        SkuSignal s = new SkuSignal();
        s.kind = Kind.SALE;
        s.sku = sku;
        s.eventId = eventId;
        s.units = units;
        s.eventTime = eventTime;
        return s;
    }

    public static SkuSignal level(InventoryLevel level) {
        SkuSignal s = new SkuSignal();
        s.kind = Kind.LEVEL;
        s.sku = level.getSku();
        s.level = level;
        s.eventTime = level.getUpdatedAt().toEpochMilli();
        return s;
    }

    public static SkuSignal product(Product product) {
        SkuSignal s = new SkuSignal();
        s.kind = Kind.PRODUCT;
        s.sku = product.getSku();
        s.product = product;
        s.eventTime = product.getUpdatedAt().toEpochMilli();
        return s;
    }

    public String getSku() {
        return sku;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SkuSignal s)) {
            return false;
        }
        return eventTime == s.eventTime
                && units == s.units
                && kind == s.kind
                && Objects.equals(sku, s.sku)
                && Objects.equals(eventId, s.eventId)
                && Objects.equals(level, s.level)
                && Objects.equals(product, s.product);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, sku, eventTime, eventId, units);
    }

    @Override
    public String toString() {
        return kind + "(" + sku + "@" + eventTime + ")";
    }
}
