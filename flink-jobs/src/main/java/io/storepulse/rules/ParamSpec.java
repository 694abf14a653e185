package io.storepulse.rules;

import io.storepulse.config.Durations;
import java.io.Serializable;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One documented rule parameter: its name in {@code RuleSet.params}, its built-in default, how its
 * string value is parsed, and which values are allowed. Jobs declare their parameters as constants
 * and read them through {@link ResolvedRules#get(ParamSpec)}.
 */
public final class ParamSpec<T extends Serializable> implements Serializable {

    private static final long serialVersionUID = 1L;

    /** A serializable parser; rules are parsed inside Flink operators. */
    @FunctionalInterface
    public interface Parser<T> extends Function<String, T>, Serializable {}

    /** A serializable check of a parsed value. */
    @FunctionalInterface
    public interface Check<T> extends Predicate<T>, Serializable {}

    private final String name;
    private final T defaultValue;
    private final Parser<T> parser;
    private final Check<T> check;
    private final String description;

    private ParamSpec(
            String name, T defaultValue, Parser<T> parser, Check<T> check, String description) {
        this.name = Objects.requireNonNull(name);
        this.defaultValue = Objects.requireNonNull(defaultValue);
        this.parser = parser;
        this.check = check;
        this.description = description;
        if (!check.test(defaultValue)) {
            throw new IllegalArgumentException("default of " + name + " fails its own check");
        }
    }

    public static ParamSpec<Integer> ofInt(String name, int dflt, int min, int max, String doc) {
        return new ParamSpec<>(name, dflt, Integer::valueOf, v -> v >= min && v <= max, doc);
    }

    public static ParamSpec<Long> ofLong(String name, long dflt, long min, long max, String doc) {
        return new ParamSpec<>(name, dflt, Long::valueOf, v -> v >= min && v <= max, doc);
    }

    public static ParamSpec<Double> ofDouble(
            String name, double dflt, double min, double max, String doc) {
        return new ParamSpec<>(
                name, dflt, Double::valueOf, v -> !v.isNaN() && v >= min && v <= max, doc);
    }

    public static ParamSpec<BigDecimal> ofDecimal(
            String name, String dflt, String min, String max, String doc) {
        BigDecimal lo = new BigDecimal(min);
        BigDecimal hi = new BigDecimal(max);
        return new ParamSpec<>(
                name,
                new BigDecimal(dflt),
                BigDecimal::new,
                v -> v.compareTo(lo) >= 0 && v.compareTo(hi) <= 0,
                doc);
    }

    public static ParamSpec<Boolean> ofBoolean(String name, boolean dflt, String doc) {
        return new ParamSpec<>(name, dflt, ParamSpec::parseBoolean, v -> true, doc);
    }

    /** A duration written as {@code 90s}, {@code 15m}, {@code 48h}, {@code 7d} or ISO-8601. */
    public static ParamSpec<Duration> ofDuration(
            String name, Duration dflt, Duration min, Duration max, String doc) {
        return new ParamSpec<>(
                name,
                dflt,
                raw -> Durations.parse(raw, name),
                v -> v.compareTo(min) >= 0 && v.compareTo(max) <= 0,
                doc);
    }

    public static ParamSpec<String> ofString(String name, String dflt, String doc) {
        return new ParamSpec<>(name, dflt, String::trim, v -> !v.isEmpty(), doc);
    }

    /** One of a fixed set of words, compared case-insensitively and stored upper case. */
    public static ParamSpec<String> ofChoice(
            String name, String dflt, List<String> choices, String doc) {
        List<String> upper = choices.stream().map(c -> c.toUpperCase(Locale.ROOT)).toList();
        return new ParamSpec<>(
                name,
                dflt.toUpperCase(Locale.ROOT),
                v -> v.trim().toUpperCase(Locale.ROOT),
                upper::contains,
                doc + " One of " + upper + ".");
    }

    /** An IANA time zone such as {@code Europe/Berlin}. */
    public static ParamSpec<String> ofZone(String name, String dflt, String doc) {
        return new ParamSpec<>(name, dflt, v -> ZoneId.of(v.trim()).getId(), v -> true, doc);
    }

    /** A comma-separated list of words, e.g. {@code QUALITY,DAMAGED_IN_TRANSIT}. */
    public static ParamSpec<StringList> ofList(String name, String dflt, String doc) {
        return new ParamSpec<>(name, StringList.parse(dflt), StringList::parse, v -> true, doc);
    }

    /** A comma-separated list of numbers in ascending order, e.g. tier thresholds. */
    public static ParamSpec<NumberList> ofNumbers(String name, String dflt, String doc) {
        return new ParamSpec<>(
                name, NumberList.parse(dflt), NumberList::parse, NumberList::isAscending, doc);
    }

    public String name() {
        return name;
    }

    public T defaultValue() {
        return defaultValue;
    }

    public String description() {
        return description;
    }

    /**
     * Parses and checks a value from a rule set.
     *
     * @throws IllegalArgumentException with a message naming the parameter when it is malformed
     */
    public T parse(String raw) {
        T value;
        try {
            value = parser.apply(Objects.requireNonNull(raw, "value"));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "parameter " + name + "='" + raw + "' is malformed: " + e.getMessage(), e);
        }
        if (!check.test(value)) {
            throw new IllegalArgumentException(
                    "parameter " + name + "='" + raw + "' is out of range");
        }
        return value;
    }

    static boolean parseBoolean(String raw) {
        String v = raw.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException("not a boolean");
        };
    }

    @Override
    public String toString() {
        return name + " (default " + defaultValue + ")";
    }

    /** An immutable list of words. */
    public record StringList(List<String> values) implements Serializable {
        static StringList parse(String raw) {
            return new StringList(
                    Arrays.stream(raw.split(","))
                            .map(String::trim)
                            .filter(s -> !s.isEmpty())
                            .toList());
        }

        public boolean contains(String value) {
            return values.contains(value);
        }
    }

    /** An immutable list of numbers. */
    public record NumberList(List<BigDecimal> values) implements Serializable {
        static NumberList parse(String raw) {
            return new NumberList(
                    Arrays.stream(raw.split(","))
                            .map(String::trim)
                            .filter(s -> !s.isEmpty())
                            .map(BigDecimal::new)
                            .toList());
        }

        boolean isAscending() {
            for (int i = 1; i < values.size(); i++) {
                if (values.get(i).compareTo(values.get(i - 1)) < 0) {
                    return false;
                }
            }
            return true;
        }
    }
}
