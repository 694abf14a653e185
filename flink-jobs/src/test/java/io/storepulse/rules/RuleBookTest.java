package io.storepulse.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import storepulse.v1.events.RuleJob;
import storepulse.v1.events.RuleScope;
import storepulse.v1.events.RuleSet;

class RuleBookTest {

    static final ParamSpec<Duration> TIMEOUT =
            ParamSpec.ofDuration(
                    "payment_timeout",
                    Duration.ofMinutes(15),
                    Duration.ofMinutes(1),
                    Duration.ofDays(2),
                    "Unpaid orders are cancelled after this.");
    static final ParamSpec<Double> SERVICE_LEVEL =
            ParamSpec.ofDouble("service_level", 0.95, 0.5, 0.9999, "Target service level.");
    static final RuleCatalog CATALOG =
            new RuleCatalog(RuleJob.INVENTORY, List.of(TIMEOUT, SERVICE_LEVEL));

    @Test
    void shouldUseDefaultsWhenNoRuleIsHeld() {
        ResolvedRules rules = RuleBook.defaults(CATALOG).resolve("web", "shoes", "sku-1");
        assertThat(rules.get(TIMEOUT)).isEqualTo(Duration.ofMinutes(15));
        assertThat(rules.ruleId()).isEqualTo("default");
        assertThat(rules.ruleVersion()).isZero();
    }

    @Test
    void shouldLetTheMostSpecificScopeWinPerParameter() {
        RuleBook book =
                RuleBook.of(
                        CATALOG,
                        List.of(
                                rule(
                                        "global",
                                        3,
                                        RuleScope.GLOBAL,
                                        null,
                                        Map.of("payment_timeout", "20m", "service_level", "0.9")),
                                rule(
                                        "shoes",
                                        7,
                                        RuleScope.CATEGORY,
                                        "shoes",
                                        Map.of("payment_timeout", "45m")),
                                rule(
                                        "sku-1",
                                        2,
                                        RuleScope.SKU,
                                        "sku-1",
                                        Map.of("service_level", "0.99"))));

        ResolvedRules sku1 = book.resolve("web", "shoes", "sku-1");
        assertThat(sku1.get(TIMEOUT)).isEqualTo(Duration.ofMinutes(45));
        assertThat(sku1.get(SERVICE_LEVEL)).isEqualTo(0.99);
        assertThat(sku1.ruleId()).isEqualTo("sku-1");
        assertThat(sku1.ruleVersion()).isEqualTo(2);

        ResolvedRules other = book.resolve("web", "hats", "sku-9");
        assertThat(other.get(TIMEOUT)).isEqualTo(Duration.ofMinutes(20));
        assertThat(other.ruleId()).isEqualTo("global");
    }

    @Test
    void shouldReportUnknownAndMalformedParameters() {
        RuleSet bad =
                rule(
                        "g",
                        1,
                        RuleScope.GLOBAL,
                        null,
                        Map.of("payment_timeout", "soon", "colour", "red", "service_level", "1.5"));
        assertThat(CATALOG.problems(bad))
                .anySatisfy(p -> assertThat(p).contains("payment_timeout='soon' is malformed"))
                .anySatisfy(p -> assertThat(p).contains("unknown parameter colour"))
                .anySatisfy(p -> assertThat(p).contains("service_level='1.5' is out of range"));
        // A bad rule set never enters the book: the defaults (or previous version) stay in force.
        assertThat(RuleBook.of(CATALOG, List.of(bad)).global().get(TIMEOUT))
                .isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void shouldIgnoreRulesOfOtherJobs() {
        RuleSet forEngagement = rule("e", 1, RuleScope.GLOBAL, null, Map.of("cooldown", "24h"));
        forEngagement.setJob(RuleJob.ENGAGEMENT);
        assertThat(CATALOG.problems(forEngagement)).isEmpty();
        assertThat(RuleBook.of(CATALOG, List.of(forEngagement)).global().ruleId())
                .isEqualTo("default");
    }

    @Test
    void shouldKeepTheGlobalRulesOfOneBookAndGiveANewBookTheChangedRules() {
        RuleSet v1 = rule("g", 1, RuleScope.GLOBAL, null, Map.of("payment_timeout", "20m"));
        RuleBook before = RuleBook.of(CATALOG, List.of(v1));
        ResolvedRules first = before.global();
        assertThat(first.get(TIMEOUT)).isEqualTo(Duration.ofMinutes(20));
        assertThat(before.global()).isSameAs(first);

        // A rule change builds a new book from the held rule sets; the old book's memo must not
        // leak.
        RuleSet v2 = rule("g", 2, RuleScope.GLOBAL, null, Map.of("payment_timeout", "40m"));
        ResolvedRules changed = RuleBook.of(CATALOG, List.of(v2)).global();
        assertThat(changed.get(TIMEOUT)).isEqualTo(Duration.ofMinutes(40));
        assertThat(changed.ruleVersion()).isEqualTo(2);
        // A tombstone leaves only the defaults.
        assertThat(RuleBook.of(CATALOG, List.of()).global().get(TIMEOUT))
                .isEqualTo(Duration.ofMinutes(15));
        // The old book still answers with the rules it was built from.
        assertThat(before.global().get(TIMEOUT)).isEqualTo(Duration.ofMinutes(20));
    }

    @Test
    void shouldSerializeTheSameWhetherOrNotTheGlobalRulesWereResolved() throws Exception {
        RuleBook book =
                RuleBook.of(
                        CATALOG,
                        List.of(
                                rule(
                                        "g",
                                        1,
                                        RuleScope.GLOBAL,
                                        null,
                                        Map.of("payment_timeout", "20m"))));
        byte[] unresolved = serialize(book);
        ResolvedRules global = book.global();
        byte[] resolved = serialize(book);
        assertThat(resolved).isEqualTo(unresolved);

        ResolvedRules copy = deserialize(resolved).global();
        assertThat(copy.get(TIMEOUT)).isEqualTo(Duration.ofMinutes(20));
        assertThat(copy.values()).isEqualTo(global.values());
        assertThat(copy.ruleId()).isEqualTo(global.ruleId());
    }

    @Test
    void shouldRequireAScopeValueForNarrowScopes() {
        assertThat(CATALOG.problems(rule("c", 1, RuleScope.CATEGORY, null, Map.of())))
                .containsExactly("scope_type CATEGORY needs a scope_value");
    }

    @Test
    void shouldParseDurationsInShortAndIsoForm() {
        assertThat(TIMEOUT.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(TIMEOUT.parse("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(TIMEOUT.parse("PT30M")).isEqualTo(Duration.ofMinutes(30));
        assertThatThrownBy(() -> TIMEOUT.parse("3d")).hasMessageContaining("out of range");
    }

    private static byte[] serialize(RuleBook book) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(book);
        }
        return bytes.toByteArray();
    }

    private static RuleBook deserialize(byte[] bytes) throws Exception {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return (RuleBook) in.readObject();
        }
    }

    static RuleSet rule(
            String id, long version, RuleScope scope, String value, Map<String, String> params) {
        return RuleSet.newBuilder()
                .setRuleId(id)
                .setVersion(version)
                .setJob(RuleJob.INVENTORY)
                .setScopeType(scope)
                .setScopeValue(value)
                .setParams(params)
                .setUpdatedAt(Instant.parse("2026-11-01T00:00:00Z"))
                .build();
    }
}
