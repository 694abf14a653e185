package io.storepulse.avro;

import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import storepulse.v1.actions.CouponAction;
import storepulse.v1.actions.DeadLetter;
import storepulse.v1.actions.FunnelMetrics;
import storepulse.v1.actions.InventoryAlert;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.actions.OrderAction;
import storepulse.v1.actions.PriceAction;
import storepulse.v1.actions.ReturnInsight;
import storepulse.v1.actions.SegmentChange;
import storepulse.v1.actions.SkuQuadrant;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.Product;
import storepulse.v1.events.RuleSet;
import storepulse.v1.events.StockMovement;

/** Every top-level record of the contract, as the tests see it. */
final class ContractSchemas {

    static final List<Class<? extends SpecificRecord>> RECORDS =
            List.of(
                    OrderEvent.class,
                    CartEvent.class,
                    BrowseEvent.class,
                    StockMovement.class,
                    Product.class,
                    RuleSet.class,
                    InventoryLevel.class,
                    InventoryAlert.class,
                    OrderAction.class,
                    CouponAction.class,
                    PriceAction.class,
                    FunnelMetrics.class,
                    SkuQuadrant.class,
                    ReturnInsight.class,
                    SegmentChange.class,
                    DeadLetter.class);

    static Schema schemaOf(Class<? extends SpecificRecord> type) {
        return SpecificData.getForClass(type).getSchema(type);
    }

    private ContractSchemas() {}
}
