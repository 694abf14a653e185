package io.storepulse.rules;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import storepulse.v1.events.RuleScope;
import storepulse.v1.events.RuleSet;

/**
 * An immutable view of the rule sets in force for one job, answering "which value applies here".
 *
 * <p>Resolution is per parameter: a parameter takes its value from the most specific rule set that
 * sets it (SKU over CATEGORY over CHANNEL over GLOBAL), and falls back to its built-in default. The
 * rule id and version reported for an action are those of the most specific matching rule set, or
 * {@code default}/0 when only defaults applied.
 *
 * <p>A book never changes: a rule change builds a new one (see {@link RulesState#book}), so what it
 * resolves may be kept for the book's lifetime.
 */
public final class RuleBook implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final String DEFAULT_RULE_ID = "default";

    private final RuleCatalog catalog;

    /** Applicable rule sets, least specific first. */
    private final List<RuleSet> rules;

    /**
     * The global rules, resolved on first use: operators ask for them on every event and timer, and
     * resolving copies the parameter map. Transient so the serialized form stays {@code catalog}
     * and {@code rules}; a deserialized book resolves again. Not volatile: {@link ResolvedRules} is
     * immutable, so a racing reader at worst resolves the same rules a second time.
     */
    private transient ResolvedRules global;

    private RuleBook(RuleCatalog catalog, List<RuleSet> rules) {
        this.catalog = catalog;
        this.rules = rules;
    }

    /** A book with only the built-in defaults. */
    public static RuleBook defaults(RuleCatalog catalog) {
        return new RuleBook(catalog, List.of());
    }

    /**
     * Builds the book from every rule set currently held (any job); those for other jobs and those
     * with problems are ignored.
     */
    public static RuleBook of(RuleCatalog catalog, Iterable<RuleSet> held) {
        List<RuleSet> mine = new ArrayList<>();
        for (RuleSet r : held) {
            if (catalog.isFor(r) && catalog.problems(r).isEmpty()) {
                mine.add(r);
            }
        }
        mine.sort(
                Comparator.comparingInt((RuleSet r) -> specificity(r.getScopeType()))
                        .thenComparing(RuleSet::getRuleId));
        return new RuleBook(catalog, List.copyOf(mine));
    }

    public RuleCatalog catalog() {
        return catalog;
    }

    /** The rules for a global decision (no channel, category or SKU in play). */
    public ResolvedRules global() {
        ResolvedRules resolved = global;
        if (resolved == null) {
            resolved = resolve(null, null, null);
            global = resolved;
        }
        return resolved;
    }

    /** The rules for a decision about this channel, category and SKU; any may be null. */
    public ResolvedRules resolve(String channel, String category, String sku) {
        Map<String, String> values = new HashMap<>();
        RuleSet winner = null;
        for (RuleSet r : rules) {
            if (matches(r, channel, category, sku)) {
                values.putAll(r.getParams());
                winner = r;
            }
        }
        return new ResolvedRules(
                catalog,
                Map.copyOf(values),
                winner == null ? DEFAULT_RULE_ID : winner.getRuleId(),
                winner == null ? 0L : winner.getVersion());
    }

    private static boolean matches(RuleSet r, String channel, String category, String sku) {
        return switch (r.getScopeType()) {
            case GLOBAL -> true;
            case CHANNEL -> r.getScopeValue().equals(channel);
            case CATEGORY -> r.getScopeValue().equals(category);
            case SKU -> r.getScopeValue().equals(sku);
            default -> false;
        };
    }

    private static int specificity(RuleScope scope) {
        return switch (scope) {
            case GLOBAL -> 0;
            case CHANNEL -> 1;
            case CATEGORY -> 2;
            case SKU -> 3;
            default -> -1;
        };
    }
}
