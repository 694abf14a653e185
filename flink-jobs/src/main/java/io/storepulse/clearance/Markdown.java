package io.storepulse.clearance;

import java.math.BigDecimal;
import storepulse.v1.actions.MarkdownReason;

/**
 * The markdown episode a SKU is in (keyed state; absent when the SKU sells at list). An episode
 * begins with tier 1 (or the first expiry tier), climbs its ladder and ends with one RESTORE.
 */
public class Markdown {

    public MarkdownReason reason;

    /** Event time the episode began; names the episode in action ids. */
    public long episodeStart;

    public int tier;

    /** The price now in force. */
    public BigDecimal price;

    /** Event time of the last price change of this episode. */
    public long lastChange;

    /** NEAR_EXPIRY: expiry of the lot being cleared. */
    public Long lotExpiry;

    /** Ladder: since when sales count as recovered (hysteresis), or null. */
    public Long recoveredSince;

    public Markdown() {}

    public Markdown copy() {
        Markdown m = new Markdown();
        m.reason = reason;
        m.episodeStart = episodeStart;
        m.tier = tier;
        m.price = price;
        m.lastChange = lastChange;
        m.lotExpiry = lotExpiry;
        m.recoveredSince = recoveredSince;
        return m;
    }
}
