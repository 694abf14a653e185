package io.storepulse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The runbook's capacity section (deploy/README.md, "How capacity grows") against the benchmark
 * report it cites (docs/benchmarks/README.md): every figure must be the report's, and every step of
 * the worked 1M events/s example must follow from them. When the report is regenerated, this test
 * fails and its message lists what the runbook should say instead.
 */
class RunbookSizingTest {

    private static final Path RUNBOOK = Path.of("README.md");
    private static final Path REPORT = Path.of("../docs/benchmarks/README.md");

    /** The keyspace of the report's scaling rows the runbook cites. */
    private static final String CITED_KEYSPACE = "10,000";

    private static final long TARGET_EVENTS_PER_SECOND = 1_000_000L;

    /** The autoscaler's target utilization, in tenths (0.6). */
    private static final long TARGET_UTILIZATION_TENTHS = 6;

    private static final List<String> JOBS =
            List.of("inventory", "engagement", "clearance", "metrics");

    /** One markdown table: its header cells and its rows' cells, in order. */
    record Table(List<String> header, List<List<String>> rows) {
        int column(String name) {
            int i = header.indexOf(name);
            assertThat(i).as("column '%s' in %s", name, header).isNotNegative();
            return i;
        }

        List<String> row(int column, String value) {
            return rows.stream()
                    .filter(r -> r.get(column).equals(value))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no row '" + value + "' in " + header));
        }
    }

    /** What the report says, read from its text. */
    record Measured(
            int parallelism,
            Map<String, Long> eventsPerSecond,
            Map<String, String> checkpointSize,
            Map<String, Integer> mixPercent) {

        long perSlot(String job) {
            return eventsPerSecond.get(job) / parallelism;
        }
    }

    @Test
    void shouldCiteTheBenchmarkReportsFiguresExactly() throws IOException {
        Measured m = measured();
        Table cited = tableAfter(read(RUNBOOK), "## How capacity grows", "| job |");
        List<String> differences = new ArrayList<>();
        for (String job : JOBS) {
            List<String> row = cited.row(0, job);
            expect(
                    differences,
                    job + " events/s",
                    row.get(cited.column("events/s (p = " + m.parallelism() + ")")),
                    number(m.eventsPerSecond().get(job)));
            expect(
                    differences,
                    job + " r_j",
                    row.get(cited.column("events/s per slot `r_j`")),
                    number(m.perSlot(job)));
            expect(
                    differences,
                    job + " checkpoint size",
                    row.get(cited.column("checkpoint full size at " + CITED_KEYSPACE + " users")),
                    m.checkpointSize().get(job));
        }
        assertThat(differences)
                .as(
                        "deploy/README.md, 'How capacity grows', differs from %s ('Scaling with"
                                + " distinct keys', users %s); expected rows:%n%s",
                        REPORT, CITED_KEYSPACE, expectedFigureRows(m))
                .isEmpty();
    }

    @Test
    void shouldDeriveTheWorkedExampleFromTheCitedFigures() throws IOException {
        Measured m = measured();
        String runbook = read(RUNBOOK);
        Map<String, Integer> mix = m.mixPercent();
        assertThat(runbook)
                .as("the worked example names the report's traffic mix")
                .contains(
                        String.format(
                                Locale.ROOT,
                                "browse %d %%, carts %d %%, orders %d %%, stock-movements %d %%",
                                mix.get("browse"),
                                mix.get("carts"),
                                mix.get("orders"),
                                mix.get("stock-movements")));

        Map<String, Long> load = new LinkedHashMap<>();
        load.put("inventory", share(mix, "orders", "stock-movements"));
        load.put("engagement", share(mix, "carts", "orders", "browse"));
        // Clearance reads orders and, at most, every inventory-levels update inventory makes.
        load.put("clearance", share(mix, "orders") + share(mix, "orders", "stock-movements"));
        load.put("metrics", share(mix, "browse", "carts", "orders"));

        Map<String, Long> needed = new LinkedHashMap<>();
        Map<String, Long> slots = new LinkedHashMap<>();
        for (String job : JOBS) {
            long r = m.perSlot(job);
            long n = ceilDiv(load.get(job) * 10, TARGET_UTILIZATION_TENTHS * r);
            needed.put(job, n);
            slots.put(job, divisorOf720AtLeast(n));
        }

        Table example = tableAfter(runbook, "Worked example for 1,000,000 events/s", "| step |");
        List<String> differences = new ArrayList<>();
        for (int i = 0; i < JOBS.size(); i++) {
            String job = JOBS.get(i);
            int col = example.column(job);
            expect(
                    differences,
                    job + " load",
                    lastNumber(example.row(0, "load `L_j` at 1M events/s").get(col)),
                    number(load.get(job)));
            expect(
                    differences,
                    job + " r_j",
                    example.row(0, "`r_j` events/s per slot (measured)").get(col),
                    number(m.perSlot(job)));
            expect(
                    differences,
                    job + " ceil",
                    example.row(0, "`ceil(L_j / (0.6 r_j))`").get(col),
                    number(needed.get(job)));
            expect(
                    differences,
                    job + " P_j",
                    example.row(0, "slots `P_j`, rounded up to a divisor of 720").get(col),
                    number(slots.get(job)));
            expect(
                    differences,
                    job + " pods",
                    example.row(0, "TaskManager pods (1 slot, 1 CPU / 4 GiB each)").get(col),
                    number(slots.get(job)));
        }

        Table partitions = tableAfter(runbook, "Partitions (step 3)", "| topic |");
        for (Topic<?> topic :
                List.of(Topics.BROWSE, Topics.CARTS, Topics.ORDERS, Topics.STOCK_MOVEMENTS)) {
            List<String> readers = readersOf(topic);
            List<String> row = partitions.row(0, "`" + topic.name() + "`");
            expect(
                    differences,
                    topic.name() + " readers",
                    row.get(partitions.column("read by")),
                    String.join(", ", readers));
            expect(
                    differences,
                    topic.name() + " partitions",
                    row.get(partitions.column("partitions")),
                    number(readers.stream().mapToLong(slots::get).max().orElseThrow()));
        }

        List<String> atMax =
                JOBS.stream()
                        .filter(j -> slots.get(j) == JobSizing.MAX_PARALLELISM)
                        .map(j -> "**" + j + "**")
                        .toList();
        Matcher maxLine =
                Pattern.compile(
                                "Jobs that reach the maximum parallelism \\(720\\) at 1M events/s"
                                        + " with these figures: ([^.]*)\\.")
                        .matcher(runbook);
        assertThat(maxLine.find()).as("the sentence naming jobs at max parallelism").isTrue();
        expect(
                differences,
                "jobs at max parallelism",
                maxLine.group(1),
                atMax.isEmpty() ? "none" : String.join(", ", atMax));

        long total = slots.values().stream().mapToLong(Long::longValue).sum();
        Matcher totalLine = Pattern.compile("Total: about \\*\\*([0-9,]+)\\*\\*").matcher(runbook);
        assertThat(totalLine.find()).as("the total of TaskManagers").isTrue();
        expect(differences, "total TaskManagers", totalLine.group(1), number(total));

        assertThat(differences)
                .as("worked example in deploy/README.md does not follow from the cited figures")
                .isEmpty();
    }

    private static Measured measured() throws IOException {
        String report = read(REPORT);
        Matcher p = Pattern.compile("MiniCluster[^\\n]*?parallelism (\\d+)").matcher(report);
        assertThat(p.find()).as("the report's Setup states the parallelism").isTrue();
        int parallelism = Integer.parseInt(p.group(1));

        Matcher mix =
                Pattern.compile(
                                "(\\d+) % page views, (\\d+) % cart changes, (\\d+) % order"
                                        + " changes, (\\d+) % stock movements")
                        .matcher(report);
        assertThat(mix.find()).as("the report's Setup states the traffic mix").isTrue();
        Map<String, Integer> mixPercent = new LinkedHashMap<>();
        mixPercent.put("browse", Integer.parseInt(mix.group(1)));
        mixPercent.put("carts", Integer.parseInt(mix.group(2)));
        mixPercent.put("orders", Integer.parseInt(mix.group(3)));
        mixPercent.put("stock-movements", Integer.parseInt(mix.group(4)));

        Table scaling = tableAfter(report, "## Scaling with distinct keys", "| Pipeline |");
        int pipeline = scaling.column("Pipeline");
        int keyspace = scaling.column("Users (keyspace)");
        int events = scaling.column("Events/s");
        int size = scaling.column("Checkpoint full size");
        Map<String, Long> eventsPerSecond = new LinkedHashMap<>();
        Map<String, String> checkpointSize = new LinkedHashMap<>();
        for (List<String> row : scaling.rows()) {
            if (JOBS.contains(row.get(pipeline)) && row.get(keyspace).equals(CITED_KEYSPACE)) {
                eventsPerSecond.put(row.get(pipeline), parse(row.get(events)));
                checkpointSize.put(row.get(pipeline), row.get(size));
            }
        }
        assertThat(eventsPerSecond.keySet())
                .as("the report has a %s-user scaling row for every job", CITED_KEYSPACE)
                .containsExactlyInAnyOrderElementsOf(JOBS);
        return new Measured(parallelism, eventsPerSecond, checkpointSize, mixPercent);
    }

    /** The first markdown table after {@code anchor} whose header line starts with {@code head}. */
    private static Table tableAfter(String text, String anchor, String head) {
        int at = text.indexOf(anchor);
        assertThat(at).as("'%s' in the text", anchor).isNotNegative();
        int start = text.indexOf("\n" + head, at);
        assertThat(start).as("a table '%s' after '%s'", head, anchor).isNotNegative();
        List<String> lines = new ArrayList<>();
        for (String line : text.substring(start + 1).split("\n")) {
            if (!line.startsWith("|")) {
                break;
            }
            lines.add(line);
        }
        List<String> header = cells(lines.get(0));
        List<List<String>> rows =
                lines.stream().skip(2).map(RunbookSizingTest::cells).collect(Collectors.toList());
        return new Table(header, rows);
    }

    private static List<String> cells(String line) {
        String inner = line.substring(1, line.lastIndexOf('|'));
        List<String> cells = new ArrayList<>();
        for (String c : inner.split("\\|", -1)) {
            cells.add(c.trim());
        }
        return cells;
    }

    private static String expectedFigureRows(Measured m) {
        StringBuilder sb = new StringBuilder();
        for (String job : JOBS) {
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "  %s: events/s %s, r_j %s, checkpoint %s%n",
                            job,
                            number(m.eventsPerSecond().get(job)),
                            number(m.perSlot(job)),
                            m.checkpointSize().get(job)));
        }
        return sb.toString();
    }

    private static void expect(List<String> differences, String what, String actual, String want) {
        if (!actual.equals(want)) {
            differences.add(what + ": runbook says '" + actual + "', should be '" + want + "'");
        }
    }

    /** The jobs that read a topic, in the order of {@link #JOBS}. */
    private static List<String> readersOf(Topic<?> topic) {
        List<String> readers = new ArrayList<>();
        for (StorepulseJob job : StorepulseJob.values()) {
            if (job.inputs().contains(topic)) {
                readers.add(job.name().toLowerCase(Locale.ROOT));
            }
        }
        return readers;
    }

    private static long share(Map<String, Integer> mix, String... topics) {
        long percent = 0;
        for (String t : topics) {
            percent += mix.get(t);
        }
        return TARGET_EVENTS_PER_SECOND * percent / 100;
    }

    private static long divisorOf720AtLeast(long n) {
        for (long d = Math.max(1, n); d <= JobSizing.MAX_PARALLELISM; d++) {
            if (JobSizing.MAX_PARALLELISM % d == 0) {
                return d;
            }
        }
        return JobSizing.MAX_PARALLELISM;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static String lastNumber(String cell) {
        Matcher m = Pattern.compile("[0-9][0-9,]*").matcher(cell);
        String last = "";
        while (m.find()) {
            last = m.group();
        }
        return last;
    }

    private static long parse(String n) {
        return Long.parseLong(n.replace(",", ""));
    }

    private static String number(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
