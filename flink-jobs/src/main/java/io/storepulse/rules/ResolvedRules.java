package io.storepulse.rules;

import java.io.Serializable;
import java.util.Map;

/**
 * The parameter values that apply to one decision, with the rule set to credit for it.
 *
 * @param ruleId the most specific rule set that matched, or {@link RuleBook#DEFAULT_RULE_ID}
 * @param ruleVersion its version, 0 for defaults
 */
public record ResolvedRules(
        RuleCatalog catalog, Map<String, String> values, String ruleId, long ruleVersion)
        implements Serializable {

    /**
     * The value of a parameter. Values were validated when the rule set was accepted, so parsing
     * cannot fail here; the default applies when no rule set sets it.
     */
    public <T extends Serializable> T get(ParamSpec<T> spec) {
        String raw = values.get(spec.name());
        return raw == null ? spec.defaultValue() : spec.parse(raw);
    }
}
