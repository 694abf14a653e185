package io.storepulse.rules;

import java.io.Serializable;
import storepulse.v1.events.RuleSet;

/**
 * One record of the compacted {@code rules} topic: a new version of a rule set, or a tombstone
 * (null value) that removes it.
 */
public record RuleUpdate(String ruleId, RuleSet ruleSet) implements Serializable {

    public static RuleUpdate upsert(RuleSet ruleSet) {
        return new RuleUpdate(ruleSet.getRuleId(), ruleSet);
    }

    public static RuleUpdate tombstone(String ruleId) {
        return new RuleUpdate(ruleId, null);
    }

    public boolean isTombstone() {
        return ruleSet == null;
    }
}
