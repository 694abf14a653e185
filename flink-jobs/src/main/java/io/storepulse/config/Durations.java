package io.storepulse.config;

import java.time.Duration;

/**
 * Durations written {@code 500ms}, {@code 90s}, {@code 3m}, {@code 26h}, {@code 7d} or ISO-8601:
 * the one parser for command-line options, rule parameters and the wallboard's settings.
 */
public final class Durations {

    private Durations() {}

    /**
     * @param option what is being parsed, named in the error message
     * @throws IllegalArgumentException naming the option and the accepted forms
     */
    public static Duration parse(String raw, String option) {
        try {
            String v = raw.trim();
            if (v.startsWith("P") || v.startsWith("p")) {
                return Duration.parse(v);
            }
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            long amount = Long.parseLong(v.substring(0, v.length() - 1));
            return switch (Character.toLowerCase(v.charAt(v.length() - 1))) {
                case 's' -> Duration.ofSeconds(amount);
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                case 'd' -> Duration.ofDays(amount);
                default -> throw new IllegalArgumentException("unit");
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    option + " '" + raw + "' is not a duration like 500ms, 90s, 3m, 26h or 7d");
        }
    }
}
