package io.storepulse.metrics;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import storepulse.v1.common.ReturnReason;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderLine;
import storepulse.v1.events.Product;

/**
 * What the per-SKU merchandising functions (quadrants, returns) learn about a SKU: its catalog
 * category, or one line of a placed, shipped or returned order. Keyed by SKU. A Flink POJO.
 */
public class SkuSignal {

    /** Kind of signal. */
    public enum Kind {
        CATALOG,
        PLACED,
        SHIPPED,
        RETURNED
    }

    public Kind kind;
    public String sku;
    public String category;
    public String orderId;
    public long eventTime;
    public long units;

    /** quantity x unit_price, scale 2. */
    public BigDecimal revenue = BigDecimal.ZERO.setScale(2);

    /** quantity x unit_cost, scale 2. */
    public BigDecimal cost = BigDecimal.ZERO.setScale(2);

    /** RETURNED only; UNKNOWN when the event had none. */
    public ReturnReason reason;

    public SkuSignal() {}

    public static SkuSignal catalog(Product p) {
        SkuSignal s = new SkuSignal();
        s.kind = Kind.CATALOG;
        s.sku = p.getSku();
        s.category = p.getCategory();
        s.eventTime = p.getUpdatedAt().toEpochMilli();
        return s;
    }

    /** One signal per line of a PLACED, SHIPPED or RETURNED event; none for other types. */
    public static List<SkuSignal> lines(OrderEvent e) {
        Kind kind =
                switch (e.getType()) {
                    case PLACED -> Kind.PLACED;
                    case SHIPPED -> Kind.SHIPPED;
                    case RETURNED -> Kind.RETURNED;
                    default -> null;
                };
        List<SkuSignal> out = new ArrayList<>();
        if (kind == null) {
            return out;
        }
        for (OrderLine line : e.getLines()) {
            SkuSignal s = new SkuSignal();
            s.kind = kind;
            s.sku = line.getSku();
            s.orderId = e.getOrderId();
            s.eventTime = e.getEventTime().toEpochMilli();
            s.units = line.getQuantity();
            s.revenue = FunnelFacts.lineValue(line);
            s.cost =
                    line.getUnitCost()
                            .multiply(BigDecimal.valueOf(line.getQuantity()))
                            .setScale(2, RoundingMode.HALF_UP);
            if (kind == Kind.RETURNED) {
                s.reason = e.getReturnReason() == null ? ReturnReason.UNKNOWN : e.getReturnReason();
            }
            out.add(s);
        }
        return out;
    }
}
