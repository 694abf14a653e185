package io.storepulse.rules;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import storepulse.v1.events.RuleJob;
import storepulse.v1.events.RuleScope;
import storepulse.v1.events.RuleSet;

/**
 * The documented parameters of one job. It decides whether a {@link RuleSet} from the {@code rules}
 * topic may be applied: unknown or malformed parameters reject the whole rule set, so that the
 * previous version stays in force.
 */
public final class RuleCatalog implements Serializable {

    private static final long serialVersionUID = 1L;

    private final RuleJob job;
    private final Map<String, ParamSpec<?>> specs = new LinkedHashMap<>();

    public RuleCatalog(RuleJob job, List<ParamSpec<?>> params) {
        this.job = job;
        for (ParamSpec<?> p : params) {
            if (specs.put(p.name(), p) != null) {
                throw new IllegalArgumentException("duplicate parameter " + p.name());
            }
        }
    }

    public RuleJob job() {
        return job;
    }

    public List<ParamSpec<?>> params() {
        return List.copyOf(specs.values());
    }

    /** Whether the rule set is addressed to this catalogue's job at all. */
    public boolean isFor(RuleSet rule) {
        return rule.getJob() == job;
    }

    /**
     * Every reason why this rule set cannot be applied; empty when it can. A rule set for another
     * job is not this catalogue's business and yields no problems.
     */
    public List<String> problems(RuleSet rule) {
        List<String> problems = new ArrayList<>();
        if (rule.getRuleId() == null || rule.getRuleId().isBlank()) {
            problems.add("rule_id is empty");
        }
        if (rule.getVersion() < 0) {
            problems.add("version " + rule.getVersion() + " is negative");
        }
        if (rule.getJob() == RuleJob.UNKNOWN) {
            problems.add("job is unknown");
            return problems;
        }
        if (!isFor(rule)) {
            return problems;
        }
        if (rule.getScopeType() == RuleScope.UNKNOWN) {
            problems.add("scope_type is unknown");
        } else if (rule.getScopeType() != RuleScope.GLOBAL
                && (rule.getScopeValue() == null || rule.getScopeValue().isBlank())) {
            problems.add("scope_type " + rule.getScopeType() + " needs a scope_value");
        }
        for (Map.Entry<String, String> e : rule.getParams().entrySet()) {
            ParamSpec<?> spec = specs.get(e.getKey());
            if (spec == null) {
                problems.add("unknown parameter " + e.getKey() + " for job " + job);
                continue;
            }
            try {
                spec.parse(e.getValue());
            } catch (IllegalArgumentException ex) {
                problems.add(ex.getMessage());
            }
        }
        return problems;
    }
}
