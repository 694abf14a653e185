package io.storepulse.inventory;

import java.util.ArrayList;
import java.util.List;

/**
 * Stock of one SKU in one warehouse: on hand (split into lots, first expiry first), reserved,
 * demand statistics and the alert arming flags. A Flink POJO held in the stock function's keyed
 * state under the SKU.
 *
 * <p>Invariant: the lots hold {@code max(onHand, 0)} units in total; units without an expiry sit in
 * a lot whose expiry is {@link Long#MAX_VALUE}. Empty lots are removed.
 */
public class WarehouseStock {

    /** A lot of stock; perishable lots carry their expiry. */
    public static class Lot {
        public long expiresAt = Long.MAX_VALUE;
        public long quantity;
        public boolean expiryAlerted;

        public Lot() {}

        Lot(long expiresAt, long quantity) {
            this.expiresAt = expiresAt;
            this.quantity = quantity;
        }

        boolean perishable() {
            return expiresAt != Long.MAX_VALUE;
        }
    }

    public long onHand;
    public long reserved;

    /** Lots in ascending order of expiry. */
    public List<Lot> lots = new ArrayList<>();

    /** Day (epoch day, UTC) whose sales are being counted; -1 before the first change. */
    public long currentDay = -1L;

    public long currentDayUnits;
    public boolean demandSeen;

    /** Exponentially weighted mean and variance of units sold per day. */
    public double velocity;

    public double variance;

    public boolean outOfStock;
    public boolean oversold;
    public boolean lowStockArmed = true;
    public boolean transferArmed = true;

    /** Number of alerts emitted for this warehouse, part of each alert's deterministic id. */
    public long alertSeq;

    /** Figures of the last emitted level, to emit only on change. */
    public String lastLevelSignature;

    public WarehouseStock() {}

    public long available() {
        return onHand - reserved;
    }

    /** Adds units on hand; those above a deficit go to the lot with the given expiry. */
    void add(long units, long expiresAt) {
        long before = Math.max(onHand, 0);
        onHand += units;
        long toLots = Math.max(onHand, 0) - before;
        if (toLots <= 0) {
            return;
        }
        for (Lot lot : lots) {
            if (lot.expiresAt == expiresAt) {
                lot.quantity += toLots;
                return;
            }
        }
        int at = 0;
        while (at < lots.size() && lots.get(at).expiresAt < expiresAt) {
            at++;
        }
        lots.add(at, new Lot(expiresAt, toLots));
    }

    /** Takes units off hand, consuming lots first-expiry-first-out. */
    void remove(long units) {
        long before = Math.max(onHand, 0);
        onHand -= units;
        long fromLots = before - Math.max(onHand, 0);
        while (fromLots > 0 && !lots.isEmpty()) {
            Lot first = lots.get(0);
            long take = Math.min(first.quantity, fromLots);
            first.quantity -= take;
            fromLots -= take;
            if (first.quantity == 0) {
                lots.remove(0);
            }
        }
    }

    /** Sets on hand to an absolute count. */
    void count(long units) {
        if (units > onHand) {
            add(units - onHand, Long.MAX_VALUE);
        } else if (units < onHand) {
            remove(onHand - units);
        }
    }

    /** The perishable lot that expires next, or null. */
    Lot nextExpiring() {
        for (Lot lot : lots) {
            if (lot.perishable() && lot.quantity > 0) {
                return lot;
            }
        }
        return null;
    }

    /**
     * Moves the demand clock to {@code day}, folding each finished day's sales (zero for days
     * without any) into the weighted mean and variance.
     */
    void advanceTo(long day, double alpha) {
        if (currentDay < 0) {
            currentDay = day;
            return;
        }
        // Beyond a few hundred idle days the weights have long decayed; do not loop for ever.
        long steps = Math.min(day - currentDay, 400);
        for (long i = 0; i < steps; i++) {
            fold(currentDayUnits, alpha);
            currentDayUnits = 0;
        }
        if (day > currentDay) {
            currentDay = day;
        }
    }

    void recordSale(long units) {
        currentDayUnits += units;
    }

    private void fold(long units, double alpha) {
        if (!demandSeen) {
            velocity = units;
            variance = 0;
            demandSeen = true;
            return;
        }
        double diff = units - velocity;
        double increment = alpha * diff;
        velocity += increment;
        variance = (1 - alpha) * (variance + diff * increment);
    }
}
