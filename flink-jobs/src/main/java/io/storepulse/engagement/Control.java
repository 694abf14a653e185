package io.storepulse.engagement;

import io.storepulse.rules.RuleUpdate;
import storepulse.v1.events.Product;

/**
 * One element of the broadcast side of the engagement function: either a rules update or the
 * catalogue facts about one SKU (list price and category), which price cart lines that carry no
 * unit price and scope rules by category.
 */
public class Control {

    /** Set for a rules update, null otherwise. */
    public RuleUpdate rule;

    /** Set for a catalogue entry, null otherwise. */
    public String sku;

    public String category;
    public long listPriceCents;

    public Control() {}

    public static Control ofRule(RuleUpdate update) {
        Control c = new Control();
        c.rule = update;
        return c;
    }

    public static Control ofProduct(Product p) {
        Control c = new Control();
        c.sku = p.getSku();
        c.category = p.getCategory();
        c.listPriceCents = UserEvent.cents(p.getListPrice());
        return c;
    }
}
