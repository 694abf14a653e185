package io.storepulse.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import storepulse.v1.events.RuleSet;

/**
 * The broadcast state that carries rule sets to every parallel instance of a job, and the one way
 * to update it. Each job connects its keyed stream to the broadcast {@code rules} stream and reads
 * a {@link RuleBook} from this state.
 */
public final class RulesState {

    /** Rule sets in force, by rule_id. */
    public static final MapStateDescriptor<String, RuleSet> DESCRIPTOR =
            new MapStateDescriptor<>(
                    "rules-in-force", Types.STRING, TypeInformation.of(RuleSet.class));

    private RulesState() {}

    /**
     * Applies one update: a newer version replaces an older one, a tombstone removes the rule.
     * Versions are increasing, so an older or equal version (a replay or a duplicate) is ignored.
     *
     * @return whether the rules in force changed
     */
    public static boolean apply(BroadcastState<String, RuleSet> state, RuleUpdate update)
            throws Exception {
        RuleSet current = state.get(update.ruleId());
        if (update.isTombstone()) {
            if (current == null) {
                return false;
            }
            state.remove(update.ruleId());
            return true;
        }
        if (current != null && current.getVersion() >= update.ruleSet().getVersion()) {
            return false;
        }
        state.put(update.ruleId(), update.ruleSet());
        return true;
    }

    /** A book over the rule sets held in the broadcast state. */
    public static RuleBook book(RuleCatalog catalog, ReadOnlyBroadcastState<String, RuleSet> state)
            throws Exception {
        List<RuleSet> held = new ArrayList<>();
        for (Map.Entry<String, RuleSet> e : state.immutableEntries()) {
            held.add(e.getValue());
        }
        return RuleBook.of(catalog, held);
    }
}
