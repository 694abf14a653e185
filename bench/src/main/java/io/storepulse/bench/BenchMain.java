package io.storepulse.bench;

import io.storepulse.bench.Report.Micro;
import io.storepulse.bench.Report.Row;
import io.storepulse.bench.Report.ScalePoint;
import io.storepulse.config.KafkaIO;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.inventory.InventoryJob;
import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The benchmark suite: ceiling, each job's throughput as a ratio to it, Flink SQL peers, latency,
 * scaling with distinct keys and JMH micro-benchmarks, all in one run against a real broker and
 * registry; writes {@code docs/benchmarks/README.md} and PNG charts. Goals are reported, never
 * asserted.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Storepulse benchmark suite.")
public final class BenchMain implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(BenchMain.class);
    private static final long SEED = 20261123L;

    /**
     * The metrics job and its SQL peer hold event time back until the catalog has been quiet for
     * {@link io.storepulse.metrics.ReleaseWhenQuiet#QUIET}; their windows are read after that.
     */
    private static final Duration METRICS_SETTLE =
            io.storepulse.metrics.ReleaseWhenQuiet.QUIET.plusSeconds(3);

    @Option(names = "--events", description = "Events pre-loaded for the throughput runs.")
    long events = 1_000_000;

    @Option(names = "--users", description = "Distinct users/visitors in the throughput runs.")
    int users = 100_000;

    @Option(
            names = "--scaling-keys",
            split = ",",
            description = "Distinct users per scaling point.")
    List<Integer> scalingKeys = List.of(10_000, 1_000_000, 10_000_000);

    @Option(
            names = "--scaling-events",
            description = "Events per scaling point (default: --events).")
    long scalingEvents = -1;

    @Option(names = "--checkpoint-interval", description = "Checkpoint interval.")
    String checkpointInterval = "10s";

    @Option(names = "--latency-seconds", description = "Length of each latency run.")
    int latencySeconds = 60;

    @Option(
            names = "--latency-settle-seconds",
            description =
                    "Unmeasured warm-up and tail of each job latency run; default: long enough for the"
                            + " inventory job's idle catalog input (1 min) and its 30 s out-of-orderness.")
    int latencySettleSeconds = -1;

    @Option(
            names = "--profile",
            description =
                    "on: re-run the job furthest below its throughput goal under JFR and draw a flame graph; off.")
    String profile = "on";

    @Option(
            names = "--deadline",
            description =
                    "Instant (e.g. 2026-11-23T06:20:00Z) by which the run must end: later steps"
                            + " (latency, JMH, scaling points) that would not fit are skipped and noted.")
    Instant deadline;

    @Option(names = "--jmh", description = "full, quick or off.")
    String jmh = "full";

    @Option(names = "--out", description = "Report directory.")
    Path out = Path.of("docs/benchmarks");

    @Option(names = "--work", description = "Working directory (broker data, logs, checkpoints).")
    Path work = Path.of("bench/target/bench-work");

    @Option(
            names = "--bootstrap-servers",
            description = "Use a running broker instead of starting one.")
    String bootstrapServers;

    @Option(names = "--registry-url", description = "Use a running registry (ccompat API URL).")
    String registryUrl;

    @Option(names = "--variant", description = "Label of this run in the report (full, ci).")
    String variant = "full";

    @Option(
            names = "--pipelines",
            split = ",",
            description =
                    "Only these pipelines (default: all): inventory, engagement, clearance, metrics,"
                            + " sql-metrics-peer, sql-inventory-peer, keyed-baseline. The ceiling always"
                            + " runs; latency and scaling runs are limited to the selection.")
    java.util.Set<String> pipelines;

    /** Whether the named pipeline is selected by {@code --pipelines} (all when not given). */
    private boolean selected(String pipeline) {
        return pipelines == null || pipelines.contains(pipeline);
    }

    /** The names {@code --pipelines} accepts. */
    private static final java.util.Set<String> PIPELINE_NAMES =
            java.util.Set.of(
                    "ceiling",
                    "inventory",
                    "engagement",
                    "clearance",
                    "metrics",
                    "sql-metrics-peer",
                    "sql-inventory-peer",
                    "keyed-baseline");

    /** Distinct users (and visitors) the events of each pre-load actually touched, by keyspace. */
    private final Map<Integer, Long> touchedUsers = new LinkedHashMap<>();

    private BenchStack stack;
    private FlinkRunner runner;
    private final List<String> notes = new ArrayList<>();

    public static void main(String[] args) {
        int code = new CommandLine(new BenchMain()).execute(args);
        System.exit(code);
    }

    /** For tests: runs the suite without exiting the JVM. */
    public static int run(String... args) {
        return new CommandLine(new BenchMain()).execute(args);
    }

    private int skus(int users) {
        return Math.max(100, users / 10);
    }

    @Override
    public Integer call() throws Exception {
        Instant started = Instant.now();
        double loadBefore = loadAverage();
        if (scalingEvents < 0) {
            scalingEvents = events;
        }
        if (pipelines != null && !PIPELINE_NAMES.containsAll(pipelines)) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "--pipelines: unknown "
                            + pipelines.stream().filter(n -> !PIPELINE_NAMES.contains(n)).toList()
                            + "; known: "
                            + new java.util.TreeSet<>(PIPELINE_NAMES));
        }
        Files.createDirectories(work);
        stack =
                bootstrapServers != null && registryUrl != null
                        ? BenchStack.external(bootstrapServers, registryUrl)
                        : BenchStack.start(work.resolve("stack-" + System.currentTimeMillis()));
        try (BenchStack s = stack;
                FlinkRunner r = new FlinkRunner(4)) {
            runner = r;
            return suite(started, loadBefore);
        }
    }

    private int suite(Instant started, double loadBefore) throws Exception {
        Report report = new Report(out);
        List<Topic<?>> catalogTopics = new ArrayList<>(Topics.ALL);
        catalogTopics.addAll(
                List.of(Pipelines.PASS_THROUGH, Pipelines.SQL_METRICS, Pipelines.SQL_LEVELS));
        createTopics(catalogTopics);

        // 1. Pre-load the realistic mix.
        FunnelCheck oracle = new FunnelCheck();
        Map<String, Long> counts = preload(users, events, oracle);
        List<JobTarget> jobs = new ArrayList<>();
        for (StorepulseJob j : StorepulseJob.values()) {
            jobs.add(JobTarget.of(j));
        }

        // 2. Ceiling, jobs and peers on the same input. A first, unreported pass warms the JVM up
        // (class loading, JIT); the ceiling runs again after the jobs and peers, and the higher of
        // the two is the ceiling, so that ratios are not flattered by a cold or unlucky baseline.
        runTopics(
                "warm-up",
                Pipelines.EVENT_TOPICS,
                counts,
                "",
                (env, io) -> Pipelines.ceiling(env, io, Pipelines.EVENT_TOPICS, "warm-up/"),
                StorepulseJob.METRICS,
                "exactly-once");
        FlinkRunner.RunResult ceilingFirst =
                runTopics(
                        "ceiling",
                        Pipelines.EVENT_TOPICS,
                        counts,
                        "",
                        (env, io) -> Pipelines.ceiling(env, io, Pipelines.EVENT_TOPICS, "ceiling/"),
                        StorepulseJob.METRICS,
                        "exactly-once");
        List<Row> rows = new ArrayList<>();
        Map<String, FlinkRunner.RunResult> byName = new LinkedHashMap<>();
        for (JobTarget j : jobs) {
            if (!selected(j.name())) {
                continue;
            }
            if (!j.available()) {
                rows.add(new Row(j.name(), "job", null, j.problem().orElse("")));
                continue;
            }
            createTopics(j.job().outputs());
            try {
                FlinkRunner.RunResult res =
                        runTopics(
                                j.name(),
                                j.meteredTopics(),
                                counts,
                                (env, io) -> j.build(env, io, j.name() + "/"),
                                j.job(),
                                "exactly-once",
                                j.job() == StorepulseJob.METRICS ? METRICS_SETTLE : Duration.ZERO);
                rows.add(new Row(j.name(), "job", res, "reads " + names(j.meteredTopics())));
                byName.put(j.name(), res);
            } catch (RuntimeException e) {
                LOG.error("job {} failed", j.name(), e);
                rows.add(new Row(j.name(), "job", null, "failed: " + firstLine(e)));
            }
        }
        List<Topic<?>> metricsTopics = List.of(Topics.BROWSE, Topics.CARTS, Topics.ORDERS);
        FlinkRunner.RunResult sqlMetrics =
                !selected("sql-metrics-peer")
                        ? null
                        : orNote(
                                "sql-metrics-peer",
                                () ->
                                        runTopics(
                                                "sql-metrics-peer",
                                                metricsTopics,
                                                counts,
                                                (env, io) ->
                                                        Pipelines.sqlMetricsPeer(
                                                                env, io, "sql-metrics-peer/"),
                                                StorepulseJob.METRICS,
                                                "exactly-once",
                                                METRICS_SETTLE));
        if (selected("sql-metrics-peer")) {
            rows.add(
                    new Row(
                            "sql-metrics-peer",
                            "Flink SQL peer",
                            sqlMetrics,
                            "reads browse, carts, orders (+ catalog)"));
        }
        List<Topic<?>> invTopics = List.of(Topics.STOCK_MOVEMENTS, Topics.ORDERS);
        FlinkRunner.RunResult sqlInventory =
                !selected("sql-inventory-peer")
                        ? null
                        : orNote(
                                "sql-inventory-peer",
                                () ->
                                        runTopics(
                                                "sql-inventory-peer",
                                                invTopics,
                                                counts,
                                                "",
                                                (env, io) ->
                                                        Pipelines.sqlInventoryPeer(
                                                                env, io, "sql-inventory-peer/"),
                                                StorepulseJob.INVENTORY,
                                                "exactly-once"));
        if (selected("sql-inventory-peer")) {
            rows.add(
                    new Row(
                            "sql-inventory-peer",
                            "Flink SQL peer",
                            sqlInventory,
                            "reads stock-movements, orders"));
        }
        FlinkRunner.RunResult ceilingAgain =
                runTopics(
                        "ceiling-again",
                        Pipelines.EVENT_TOPICS,
                        counts,
                        "",
                        (env, io) ->
                                Pipelines.ceiling(
                                        env, io, Pipelines.EVENT_TOPICS, "ceiling-again/"),
                        StorepulseJob.METRICS,
                        "exactly-once");
        FlinkRunner.RunResult ceiling =
                ceilingAgain.eventsPerSecond() > ceilingFirst.eventsPerSecond()
                        ? ceilingAgain
                        : ceilingFirst;
        notes.add(
                "Ceiling measured twice in this run: "
                        + Report.f(ceilingFirst.eventsPerSecond())
                        + " events/s before the jobs and peers, "
                        + Report.f(ceilingAgain.eventsPerSecond())
                        + " events/s after them; the higher is used. A warm-up pass ran before both.");

        // 3. Figures check: the SQL peer and the metrics job against the oracle, and each other.
        Map<String, FunnelCheck.Figures> oracleFigures = oracle.figures();
        Map<String, FunnelCheck.Figures> sqlFigures = new java.util.HashMap<>();
        Map<String, FunnelCheck.Figures> jobFigures = null;
        try {
            if (sqlMetrics != null) {
                sqlFigures =
                        FunnelCheck.ofMetrics(
                                TopicReader.readAll(
                                        stack.bootstrapServers(),
                                        stack.registryUrl(),
                                        Pipelines.SQL_METRICS,
                                        Duration.ofSeconds(60)));
            }
            if (byName.containsKey("metrics")) {
                jobFigures =
                        FunnelCheck.ofMetrics(
                                TopicReader.readAll(
                                        stack.bootstrapServers(),
                                        stack.registryUrl(),
                                        Topics.CONVERSION_METRICS,
                                        Duration.ofSeconds(60)));
            }
        } catch (RuntimeException e) {
            LOG.error("reading the conversion metrics failed", e);
            notes.add("Reading the conversion metrics failed: " + firstLine(e));
        }
        List<String> figureChecks = figureChecks(oracleFigures, sqlFigures, jobFigures);

        // 3b. Profile of the job furthest below its goal (the lowest ratio to the ceiling): the
        // same run again under JFR, drawn as a flame graph.
        Profile prof = null;
        if ("on".equals(profile) && !byName.isEmpty()) {
            String worst =
                    byName.entrySet().stream()
                            .min(
                                    java.util.Comparator.comparingDouble(
                                            e -> e.getValue().eventsPerSecond()))
                            .map(Map.Entry::getKey)
                            .orElseThrow();
            JobTarget j = jobs.stream().filter(t -> t.name().equals(worst)).findFirst().get();
            try {
                Files.createDirectories(out);
                Path jfr = work.resolve("profile-" + worst + ".jfr");
                var rec = FlameGraph.start();
                FlinkRunner.RunResult res;
                try {
                    res =
                            runTopics(
                                    "profile-" + worst,
                                    j.meteredTopics(),
                                    counts,
                                    (env, io) -> j.build(env, io, "profile-" + worst + "/"),
                                    j.job(),
                                    "exactly-once",
                                    Duration.ZERO);
                } finally {
                    FlameGraph.stop(rec, jfr);
                }
                String svg = "flame-" + worst + ".svg";
                FlameGraph.Summary sum =
                        FlameGraph.render(
                                jfr,
                                out.resolve(svg),
                                "CPU flame graph: " + worst + " job, throughput run (JFR)");
                prof = new Profile(worst, res, svg, sum);
            } catch (Exception e) {
                LOG.error("profile of {} failed", worst, e);
                notes.add("Profile of " + worst + " failed: " + firstLine(e));
            }
        }

        // From here on the report is rewritten after every step, so that a run stopped at its
        // deadline still leaves a report of what it measured.
        List<LatencyProbe.Result> latency = new ArrayList<>();
        List<ScalePoint> scaling = new ArrayList<>();
        List<Micro> micro = new ArrayList<>();
        Profile profile = prof;
        java.util.function.Consumer<String> write =
                progress ->
                        writeReport(
                                new Report(out),
                                started,
                                loadBefore,
                                counts,
                                ceiling,
                                rows,
                                byName,
                                sqlMetrics,
                                sqlInventory,
                                figureChecks,
                                profile,
                                latency,
                                scaling,
                                micro,
                                jobs,
                                progress);
        write.accept("after the throughput runs, peers and profile");

        // 4. Latency at about half the sustainable rate.
        Duration perLatencyRun =
                Duration.ofSeconds(latencySeconds + 30)
                        .plus(
                                StorepulseSettings.fromArgs(
                                                "--checkpoint-interval", checkpointInterval)
                                        .checkpointIntervalDuration()
                                        .multipliedBy(2));
        if (latencySeconds > 0
                && timeLeft(perLatencyRun.multipliedBy(2), "Latency of the ceiling")) {
            try {
                latency.addAll(
                        latencyOf(
                                "ceiling",
                                Pipelines.EVENT_TOPICS,
                                Pipelines.PASS_THROUGH,
                                ceiling.eventsPerSecond(),
                                counts,
                                null));
            } catch (RuntimeException e) {
                LOG.error("latency of the ceiling failed", e);
                notes.add("Latency of the ceiling failed: " + firstLine(e));
            }
        }
        for (JobTarget j : jobs) {
            if (latencySeconds > 0
                    && j.available()
                    && j.job() == StorepulseJob.INVENTORY
                    && byName.containsKey(j.name())
                    && timeLeft(
                            perLatencyRun
                                    .plusSeconds(latencySettleSeconds < 0 ? 130 : 0)
                                    .multipliedBy(2),
                            "Latency of " + j.name())) {
                try {
                    latency.addAll(
                            latencyOf(
                                    j.name(),
                                    j.meteredTopics(),
                                    Topics.INVENTORY_LEVELS,
                                    byName.get(j.name()).eventsPerSecond(),
                                    counts,
                                    j));
                } catch (RuntimeException e) {
                    LOG.error("latency of {} failed", j.name(), e);
                    notes.add("Latency of " + j.name() + " failed: " + firstLine(e));
                }
            }
        }

        // 5. Micro-benchmarks (before scaling, whose largest points take longest).
        write.accept("after the latency runs");
        if (!"off".equals(jmh) && timeLeft(Duration.ofMinutes(4), "JMH")) {
            micro.addAll(micro());
        }
        write.accept("after the micro-benchmarks");

        // 6. Scaling with distinct keys, as far as the deadline allows: each point needs at least
        // as long as the one before it took.
        Duration lastPoint = Duration.ofMinutes(3);
        for (int keys : scalingKeys) {
            if (keys <= 0) {
                continue;
            }
            if (!timeLeft(
                    lastPoint,
                    "Scaling at " + String.format(Locale.ROOT, "%,d", keys) + " users")) {
                break;
            }
            long pointStart = System.nanoTime();
            try {
                scalingPoint(keys, jobs, byName, invTopics, scaling);
            } catch (RuntimeException e) {
                LOG.error("scaling at {} failed", keys, e);
                notes.add(
                        "Scaling at "
                                + String.format(Locale.ROOT, "%,d", keys)
                                + " users failed: "
                                + firstLine(e));
            }
            lastPoint = Duration.ofNanos(System.nanoTime() - pointStart);
            LOG.info("scaling point {} took {}", keys, lastPoint);
            write.accept("after the scaling point at " + keys + " users");
        }

        write.accept(null);
        return 0;
    }

    /** The run's result, or null with a note when it failed. */
    private FlinkRunner.RunResult orNote(
            String name, java.util.function.Supplier<FlinkRunner.RunResult> run) {
        try {
            return run.get();
        } catch (RuntimeException e) {
            LOG.error("{} failed", name, e);
            notes.add(name + " failed: " + firstLine(e));
            return null;
        }
    }

    /**
     * Whether {@code needed} still fits before {@code --deadline}; if not, notes that the step was
     * skipped, so that a run on a busy machine still ends, and reports what it measured, in time.
     */
    private boolean timeLeft(Duration needed, String what) {
        if (deadline == null || Instant.now().plus(needed).isBefore(deadline)) {
            return true;
        }
        notes.add(
                what
                        + ": not run, it would not have ended before the run's deadline ("
                        + deadline
                        + "; it needs about "
                        + needed.toMinutes()
                        + " min).");
        LOG.warn("skipping {}: deadline {}", what, deadline);
        return false;
    }

    private void scalingPoint(
            int keys,
            List<JobTarget> jobs,
            Map<String, FlinkRunner.RunResult> byName,
            List<Topic<?>> invTopics,
            List<ScalePoint> scaling) {
        createTopics(Pipelines.EVENT_TOPICS);
        createTopics(List.of(Topics.CATALOG));
        Map<String, Long> c = preload(keys, scalingEvents, null);
        if (selected("keyed-baseline")) {
            scaling.add(
                    new ScalePoint(
                            "keyed-baseline",
                            keys,
                            runTopics(
                                    "keyed-baseline-" + keys,
                                    Pipelines.EVENT_TOPICS,
                                    c,
                                    "",
                                    (env, io) ->
                                            Pipelines.keyedBaseline(
                                                    env,
                                                    io,
                                                    Pipelines.EVENT_TOPICS,
                                                    "keyed-baseline-" + keys + "/"),
                                    StorepulseJob.ENGAGEMENT,
                                    "exactly-once")));
        }
        if (selected("sql-inventory-peer")) {
            scaling.add(
                    new ScalePoint(
                            "sql-inventory-peer",
                            keys,
                            runTopics(
                                    "sql-inventory-peer-" + keys,
                                    invTopics,
                                    c,
                                    "",
                                    (env, io) ->
                                            Pipelines.sqlInventoryPeer(
                                                    env, io, "sql-inventory-peer-" + keys + "/"),
                                    StorepulseJob.INVENTORY,
                                    "exactly-once")));
        }
        for (JobTarget j : jobs) {
            if (j.available() && byName.containsKey(j.name())) {
                createTopics(j.job().outputs());
                try {
                    scaling.add(
                            new ScalePoint(
                                    j.name(),
                                    keys,
                                    runTopics(
                                            j.name() + "-" + keys,
                                            j.meteredTopics(),
                                            c,
                                            "",
                                            (env, io) ->
                                                    j.build(env, io, j.name() + "-" + keys + "/"),
                                            j.job(),
                                            "exactly-once")));
                } catch (RuntimeException e) {
                    notes.add(
                            "Scaling of "
                                    + j.name()
                                    + " at "
                                    + keys
                                    + " keys failed: "
                                    + firstLine(e));
                }
            }
        }
    }

    private Map<String, Long> preload(int users, long n, FunnelCheck oracle) {
        long start =
                Instant.now()
                        .truncatedTo(ChronoUnit.HOURS)
                        .minus(Duration.ofDays(1))
                        .toEpochMilli();
        // Simulated time spans about 30 minutes whatever the size: about 30 one-minute windows.
        double rate = Math.max(5, n / 1800.0);
        ShopGenerator gen = new ShopGenerator(SEED + users, users, skus(users), start, rate);
        long t0 = System.nanoTime();
        java.util.BitSet touched = new java.util.BitSet();
        try (Loader loader = new Loader(stack.bootstrapServers(), stack.registryUrl(), false)) {
            gen.catalog(
                    e -> {
                        if (oracle != null) {
                            oracle.accept(e);
                        }
                        loader.send(e);
                    });
            for (long i = 0; i < n; i++) {
                ShopGenerator.Event e = gen.next();
                if (oracle != null) {
                    oracle.accept(e);
                }
                markUser(touched, e);
                loader.send(e);
            }
            loader.flush();
            touchedUsers.put(users, (long) touched.cardinality());
            LOG.info(
                    "pre-loaded {} events for {} users in {} s: {}",
                    n,
                    users,
                    (System.nanoTime() - t0) / 1e9,
                    loader.counts());
            return new LinkedHashMap<>(loader.counts());
        }
    }

    /** Users are {@code u-<n>}, visitors {@code v-<n>}: the same n is the same person. */
    private static void markUser(java.util.BitSet touched, ShopGenerator.Event e) {
        String id =
                e.value() instanceof storepulse.v1.events.BrowseEvent b
                        ? b.getVisitorId()
                        : e.value() instanceof storepulse.v1.events.CartEvent c
                                ? c.getUserId()
                                : e.value() instanceof storepulse.v1.events.OrderEvent o
                                        ? o.getUserId()
                                        : null;
        if (id != null) {
            touched.set(Integer.parseInt(id.substring(2)));
        }
    }

    private FlinkRunner.RunResult runTopics(
            String name,
            List<Topic<?>> topics,
            Map<String, Long> counts,
            String unused,
            BiConsumer<StreamExecutionEnvironment, KafkaIO> pipeline,
            StorepulseJob as,
            String delivery) {
        return runTopics(name, topics, counts, pipeline, as, delivery, Duration.ZERO);
    }

    private FlinkRunner.RunResult runTopics(
            String name,
            List<Topic<?>> topics,
            Map<String, Long> counts,
            BiConsumer<StreamExecutionEnvironment, KafkaIO> pipeline,
            StorepulseJob as,
            String delivery,
            Duration settle) {
        StorepulseSettings settings = settings(delivery, "earliest");
        String prefix = pipelinePrefix(name);
        List<String> meters = new ArrayList<>();
        List<Long> expected = new ArrayList<>();
        for (Topic<?> t : topics) {
            meters.add(prefix + t.name());
            expected.add(counts.getOrDefault(t.name(), 0L));
        }
        long total = expected.stream().mapToLong(Long::longValue).sum();
        Duration timeout = Duration.ofSeconds(120 + total / 2_000);
        LOG.info("running {} over {} records", name, total);
        return runner.run(
                name,
                env -> {
                    KafkaIO.configure(env, settings);
                    pipeline.accept(env, new KafkaIO(settings, as));
                },
                meters,
                expected,
                timeout,
                settle);
    }

    /** When the sources had read everything, and whether the drain checkpoint was delayed. */
    static String drainNote(FlinkRunner.RunResult run) {
        if (run.drainTriggerDelayMillis() < 0) {
            return "; drain not measured: time to the last record read";
        }
        String note = "; read in " + Report.f(run.readSeconds()) + " s";
        if (run.drainTriggerDelayMillis() > 1000) {
            note +=
                    ", drain checkpoint started "
                            + Report.f(run.drainTriggerDelayMillis() / 1000.0)
                            + " s late (a periodic one was running): an upper bound";
        }
        return note;
    }

    /** Meter prefixes are the pipeline name plus '/'; runs pass the same prefix to pipelines. */
    private static String pipelinePrefix(String name) {
        return name + "/";
    }

    private StorepulseSettings settings(String delivery, String startingOffsets) {
        return StorepulseSettings.fromArgs(
                "--bootstrap-servers",
                stack.bootstrapServers(),
                "--registry-url",
                stack.registryUrl(),
                "--checkpoint-interval",
                checkpointInterval,
                "--checkpoint-dir",
                work.toAbsolutePath().resolve("checkpoints").toUri().toString(),
                "--parallelism",
                "2",
                "--delivery",
                delivery,
                "--starting-offsets",
                startingOffsets,
                "--transaction-timeout",
                "5m",
                "--group-suffix",
                "-bench-" + UUID.randomUUID().toString().substring(0, 8));
    }

    private List<LatencyProbe.Result> latencyOf(
            String name,
            List<Topic<?>> inputs,
            Topic<?> output,
            double sustainable,
            Map<String, Long> counts,
            JobTarget job) {
        List<LatencyProbe.Result> results = new ArrayList<>();
        long inputShare = inputs.stream().mapToLong(t -> counts.getOrDefault(t.name(), 0L)).sum();
        long all =
                Pipelines.EVENT_TOPICS.stream()
                        .mapToLong(t -> counts.getOrDefault(t.name(), 0L))
                        .sum();
        double share = all == 0 ? 1 : (double) inputShare / all;
        double halfSustainable = Math.max(50, Math.min(sustainable / 2, 20_000));
        for (String delivery : List.of("exactly-once", "at-least-once")) {
            // A job that falls behind at half its backlog throughput shows no output of the
            // measured window before the run ends (no samples). A job's steady, real-time load can
            // cost more than a backlog (in the inventory job, every event waits in state for the
            // watermark), so the run is repeated once at half that rate; both rows are reported.
            double rate = halfSustainable;
            boolean retryWhenBehind = job != null && latencySettleSeconds < 0;
            for (int attempt = 0; attempt < (retryWhenBehind ? 2 : 1); attempt++) {
                LatencyProbe.Result r =
                        latencyRun(name, inputs, output, rate, share, job, delivery);
                results.add(r);
                if (r.samples() > 0) {
                    break;
                }
                rate = rate / 2;
            }
        }
        return results;
    }

    private LatencyProbe.Result latencyRun(
            String name,
            List<Topic<?>> inputs,
            Topic<?> output,
            double rate,
            double share,
            JobTarget job,
            String delivery) {
        StorepulseSettings settings = settings(delivery, "latest");
        String prefix = "latency-" + name + "-" + delivery + "/";
        JobID id =
                runner.start(
                        env -> {
                            KafkaIO.configure(env, settings);
                            KafkaIO io =
                                    new KafkaIO(
                                            settings,
                                            job == null ? StorepulseJob.METRICS : job.job());
                            if (job == null) {
                                Pipelines.ceiling(env, io, inputs, prefix);
                            } else {
                                job.build(env, io, prefix);
                            }
                        });
        try {
            runner.awaitRunning(id, Duration.ofSeconds(120));
            BenchStack.sleep(3_000); // sources assigned and at the end of their partitions
            Duration interval =
                    StorepulseSettings.fromArgs("--checkpoint-interval", checkpointInterval)
                            .checkpointIntervalDuration();
            // A job's warm-up covers its inputs' idleness timeout (the catalog is quiet during
            // the run, and holds the watermark back until it is declared idle) and its
            // out-of-orderness; the tail lets event time pass the end of the measured window.
            Duration settle =
                    latencySettleSeconds >= 0
                            ? Duration.ofSeconds(latencySettleSeconds)
                            : job == null
                                    ? Duration.ZERO
                                    : io.storepulse.inventory.InventoryJob.MAX_OUT_OF_ORDERNESS
                                            .plusSeconds(5);
            Duration warmup =
                    Duration.ofSeconds(Math.max(2, latencySeconds / 5))
                            .plus(
                                    job == null || latencySettleSeconds >= 0
                                            ? Duration.ZERO
                                            : io.storepulse.inventory.InventoryJob.SOURCE_IDLENESS
                                                    .plus(settle));
            LatencyProbe.Result r =
                    LatencyProbe.measure(
                            name,
                            delivery,
                            stack.bootstrapServers(),
                            stack.registryUrl(),
                            new HashSet<>(inputs),
                            output,
                            rate / share,
                            Duration.ofSeconds(latencySeconds),
                            warmup,
                            settle,
                            interval.multipliedBy(2).plusSeconds(3),
                            SEED,
                            users,
                            skus(users));
            LOG.info("latency {}", r);
            return new LatencyProbe.Result(
                    r.name(),
                    r.delivery(),
                    rate,
                    r.achievedRate(),
                    r.samples(),
                    r.p50(),
                    r.p99(),
                    r.p999(),
                    r.max());
        } finally {
            runner.cancel(id);
        }
    }

    private List<Micro> micro() {
        boolean quick = "quick".equals(jmh);
        OptionsBuilder opts = new OptionsBuilder();
        for (Class<?> b :
                List.of(
                        io.storepulse.bench.jmh.SerdeBenchmark.class,
                        io.storepulse.bench.jmh.InventoryStockBenchmark.class,
                        io.storepulse.bench.jmh.EngagementUserBenchmark.class,
                        io.storepulse.bench.jmh.ClearanceEvaluationBenchmark.class,
                        io.storepulse.bench.jmh.MetricsFunnelBenchmark.class)) {
            opts.include("^" + java.util.regex.Pattern.quote(b.getName()) + "\\.");
        }
        // Quick (CI) runs in this JVM, which saves a JVM start per benchmark; full runs fork.
        System.setProperty("storepulse.bench.registry", stack.registryUrl());
        opts.forks(quick ? 0 : 1)
                .warmupIterations(quick ? 0 : 2)
                .warmupTime(TimeValue.seconds(quick ? 1 : 2))
                .measurementIterations(quick ? 1 : 3)
                .measurementTime(TimeValue.seconds(quick ? 1 : 2))
                .threads(1)
                .jvmArgs(
                        "-Xms256m",
                        "-Xmx512m",
                        "-Dstorepulse.bench.registry=" + stack.registryUrl())
                .shouldFailOnError(true);
        try {
            List<Micro> out = new ArrayList<>();
            for (RunResult r : new Runner(opts.build()).run()) {
                out.add(
                        new Micro(
                                r.getParams()
                                        .getBenchmark()
                                        .replaceAll(".*\\.(\\w+\\.\\w+)$", "$1"),
                                r.getPrimaryResult().getScore(),
                                r.getPrimaryResult().getScoreError(),
                                r.getPrimaryResult().getScoreUnit()));
            }
            return out;
        } catch (Exception e) {
            notes.add("JMH failed: " + firstLine(e));
            LOG.error("JMH failed", e);
            return List.of();
        }
    }

    /** The profiled re-run of the job furthest below its goal. */
    record Profile(String job, FlinkRunner.RunResult run, String svg, FlameGraph.Summary summary) {}

    /** The figure checks of the report, one line each. */
    private static List<String> figureChecks(
            Map<String, FunnelCheck.Figures> oracle,
            Map<String, FunnelCheck.Figures> sql,
            Map<String, FunnelCheck.Figures> job) {
        List<String> out = new ArrayList<>();
        for (storepulse.v1.actions.DimensionType d :
                List.of(
                        storepulse.v1.actions.DimensionType.CHANNEL,
                        storepulse.v1.actions.DimensionType.CATEGORY)) {
            Map<String, FunnelCheck.Figures> o = FunnelCheck.only(oracle, d);
            Map<String, FunnelCheck.Figures> q = FunnelCheck.only(sql, d);
            out.add(comparison(d + ": SQL peer vs oracle", "peer", q, o));
            if (job != null) {
                Map<String, FunnelCheck.Figures> j = FunnelCheck.only(job, d);
                out.add(comparison(d + ": metrics job vs oracle", "job", j, o));
                out.add(comparison(d + ": metrics job vs SQL peer", "job", j, q));
            }
        }
        return out;
    }

    private static String comparison(
            String what,
            String left,
            Map<String, FunnelCheck.Figures> l,
            Map<String, FunnelCheck.Figures> r) {
        FunnelCheck.Comparison c = FunnelCheck.compare(l, r);
        return what
                + ": **"
                + c.equal()
                + " of "
                + c.compared()
                + "** common windows equal"
                + "; only in the "
                + left
                + ": "
                + c.onlyLeft()
                + ", only in the other: "
                + c.onlyRight()
                + (c.examples().isEmpty()
                        ? ""
                        : "; differences (left vs right): " + String.join("; ", c.examples()))
                + ".";
    }

    private void createTopics(List<Topic<?>> topics) {
        Map<Integer, List<String>> byPartitions =
                topics.stream()
                        .collect(
                                Collectors.groupingBy(
                                        Topic::partitions,
                                        Collectors.mapping(Topic::name, Collectors.toList())));
        byPartitions.forEach((p, names) -> stack.recreateTopics(names, p));
    }

    private static String names(List<Topic<?>> topics) {
        return topics.stream().map(Topic::name).collect(Collectors.joining(", "));
    }

    static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return (nl > 0 ? m.substring(0, nl) : m).replace('|', '/');
    }

    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (Exception e) {
            return Double.NaN;
        }
    }

    static String memTotal() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(l.replaceAll("[^0-9]", ""));
                    return String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
                }
            }
        } catch (Exception e) {
            // fall through
        }
        return "unknown";
    }

    static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    return l.substring(l.indexOf(':') + 1).trim();
                }
            }
        } catch (Exception e) {
            // fall through
        }
        return "unknown";
    }

    private void writeReport(
            Report rep,
            Instant started,
            double loadBefore,
            Map<String, Long> counts,
            FlinkRunner.RunResult ceiling,
            List<Row> rows,
            Map<String, FlinkRunner.RunResult> jobs,
            FlinkRunner.RunResult sqlMetrics,
            FlinkRunner.RunResult sqlInventory,
            List<String> figureChecks,
            Profile prof,
            List<LatencyProbe.Result> latency,
            List<ScalePoint> scaling,
            List<Micro> micro,
            List<JobTarget> targets,
            String progress) {
        double c = ceiling.eventsPerSecond();
        long total =
                counts.entrySet().stream()
                        .filter(
                                e ->
                                        Pipelines.EVENT_TOPICS.stream()
                                                .anyMatch(t -> t.name().equals(e.getKey())))
                        .mapToLong(Map.Entry::getValue)
                        .sum();
        rep.line("# Storepulse benchmarks");
        rep.line("");
        rep.line(
                "Variant **"
                        + variant
                        + "**, run "
                        + started.truncatedTo(ChronoUnit.SECONDS)
                        + " to "
                        + Instant.now().truncatedTo(ChronoUnit.SECONDS)
                        + ". Reproduce with `./bench/run` (see `bench/README.md`).");
        rep.line(
                "Every figure below comes from this one run; ratios are to baselines measured in the same run.");
        rep.line("Goals are reported, never asserted.");
        rep.line("");
        rep.line("## Machine");
        rep.line("");
        rep.line("| | |");
        rep.line("|---|---|");
        rep.line(
                "| Cores | "
                        + Runtime.getRuntime().availableProcessors()
                        + " ("
                        + cpuModel()
                        + ") |");
        rep.line("| Memory | " + memTotal() + " |");
        rep.line("| JDK | " + System.getProperty("java.vm.name") + " " + Runtime.version() + " |");
        rep.line(
                "| OS | "
                        + System.getProperty("os.name")
                        + " "
                        + System.getProperty("os.version")
                        + " |");
        rep.line(
                "| Load average (1 min) at start / end | "
                        + Report.f(loadBefore)
                        + " / "
                        + Report.f(loadAverage())
                        + " |");
        rep.line("");
        rep.line(
                "The machine has "
                        + Runtime.getRuntime().availableProcessors()
                        + " cores and is shared with other builds. Benchmark runs take a shared lock"
                        + " (`flock /work/wt/heavy.lock ./bench/run ...`) so that no other heavy run (integration tests,"
                        + " local clusters, other benchmarks) overlaps them, but compiles and unit tests of others may still"
                        + " run: a load average above the core count means other processes took CPU. The broker, the"
                        + " registry, the load generator and Flink share the same 2 cores, so absolute figures are low; the"
                        + " ratios, measured minutes apart on the same input, are the figures to read.");
        rep.line("");
        rep.line("## Setup");
        rep.line("");
        rep.line(
                "- Kafka 4.2.0 broker (KRaft, one node, child JVM) and Apicurio Registry 3.3.3 (ccompat API),"
                        + " both on loopback"
                        + (bootstrapServers != null
                                ? " (external cluster given on the command line)"
                                : "")
                        + ".");
        rep.line(
                "- Flink 2.2.1 MiniCluster in the benchmark JVM (one TaskManager, 4 slots), parallelism 2,"
                        + " RocksDB state with incremental checkpoints every "
                        + checkpointInterval
                        + ", exactly-once Kafka sinks unless stated otherwise.");
        rep.line(
                "- Input: "
                        + String.format(Locale.ROOT, "%,d", total)
                        + " events of the simulated shop mix pre-loaded"
                        + " in Confluent-framed Avro ("
                        + counts.entrySet().stream()
                                .map(
                                        e ->
                                                e.getKey()
                                                        + " "
                                                        + String.format(
                                                                Locale.ROOT, "%,d", e.getValue()))
                                .collect(Collectors.joining(", "))
                        + "), "
                        + String.format(Locale.ROOT, "%,d", users)
                        + " users, "
                        + String.format(Locale.ROOT, "%,d", skus(users))
                        + " SKUs, 3 warehouses,"
                        + " generated by `ShopGenerator` (seeded): 70 % page views, 15 % cart changes, 8 % order changes, 7 % stock movements,"
                        + " skewed SKU popularity, up to 1 s out-of-order event times, event times spread over about 30 minutes.");
        rep.line(
                "- Every pipeline reads through `KafkaIO` (a Kafka source that decodes inside the reader and generates each job's watermarks per partition) and writes through `KafkaIO.sink`."
                        + " Throughput is decoded input records / time from the first input record read to the moment the pipeline had"
                        + " processed the last: a checkpoint is triggered as soon as the sources have read every record, and its"
                        + " aligned barrier passes a subtask only after every record before it (the table's 'read in' note gives when"
                        + " the sources had read everything; the sources run ahead of the job by what the network buffers hold)."
                        + " Runs of a few seconds (the peers read only a fraction of the input) carry start-up skew: read them as rough.");
        rep.line("");
        rep.line("## Throughput");
        rep.line("");
        rep.line(
                "Ceiling: a pass-through of all four event topics (decode, no state, one small record per input to an"
                        + " exactly-once sink): **"
                        + Report.f(c)
                        + " events/s** ("
                        + String.format(Locale.ROOT, "%,d", ceiling.records())
                        + " records in "
                        + Report.f(ceiling.seconds())
                        + " s).");
        rep.line("");
        rep.line(
                "| Pipeline | Kind | Events | Seconds | Events/s | Ratio to ceiling | Goal ≥ 50 % | Checkpoints | Note |");
        rep.line("|---|---|---:|---:|---:|---:|---|---:|---|");
        for (Row r : rows) {
            if (r.run() == null) {
                rep.line("| " + r.name() + " | " + r.kind() + " | | | | | | | " + r.note() + " |");
                continue;
            }
            double ratio = r.run().eventsPerSecond() / c;
            String goal =
                    r.kind().equals("job")
                            ? (ratio >= 0.5
                                    ? "met"
                                    : "missed by " + Report.pct(0.5 - ratio) + " of the ceiling")
                            : "";
            rep.line(
                    "| "
                            + r.name()
                            + " | "
                            + r.kind()
                            + " | "
                            + String.format(Locale.ROOT, "%,d", r.run().records())
                            + " | "
                            + Report.f(r.run().seconds())
                            + " | "
                            + Report.f(r.run().eventsPerSecond())
                            + " | "
                            + Report.pct(ratio)
                            + " | "
                            + goal
                            + " | "
                            + r.run().completedCheckpoints()
                            + " | "
                            + r.note()
                            + drainNote(r.run())
                            + (r.run().complete() ? "" : "; INCOMPLETE (timed out)")
                            + " |");
        }
        rep.line("");
        rep.line("![throughput](throughput.png)");
        rep.line("");
        rep.throughputChart("throughput.png", c, rows);

        rep.line("## Flink SQL peers");
        rep.line("");
        rep.line(
                "**Conversion metrics.** `sql-metrics-peer` computes the metrics job's 1-minute windows by CHANNEL and by CATEGORY"
                        + " (visitors = distinct persons with a browse, cart or order-line fact; orders = distinct PLACED order ids;"
                        + " GMV = quantity × unit price of the order lines) in Flink SQL: the same decoded browse, carts and orders"
                        + " streams to rows, `fromDataStream` with an event-time column, the SKU's category from an event-time temporal"
                        + " join (`FOR SYSTEM_TIME AS OF`) with a versioned view of the catalog, and `TABLE(TUMBLE(...))` aggregations,"
                        + " written through the same exactly-once sink. Its watermark delay is the job's 10 s out-of-orderness plus its"
                        + " 5-minute allowed lateness: the job corrects a closed minute with a later revision, a SQL window cannot, so it"
                        + " waits as long instead and both count the same events.");
        rep.line("");
        if (jobsContains(jobs, "metrics") && sqlMetrics != null) {
            double ratio = jobs.get("metrics").eventsPerSecond() / sqlMetrics.eventsPerSecond();
            rep.line(
                    "- Storepulse metrics job / SQL peer (events/s on the same input): **"
                            + Report.f(ratio)
                            + "×** (goal ≥ 1.5×: "
                            + (ratio >= 1.5 ? "met" : "missed by " + Report.f(1.5 - ratio) + "×")
                            + ").");
        } else {
            rep.line("- Storepulse metrics job / SQL peer: not available (the job did not run).");
        }
        rep.line(
                "- Figures check (MINUTE windows, latest revision of each; visitors, orders and GMV must all be equal):");
        figureChecks.forEach(l -> rep.line("  - " + l));
        rep.line("");
        rep.line(
                "**Inventory levels.** `sql-inventory-peer` is a `GROUP BY sku, warehouse_id` upsert of on-hand and reserved deltas"
                        + " (stock movements and order lines) emitted as `InventoryLevel` updates. It does less than the job (no COUNT resets,"
                        + " no velocity, cover or lots), so it is an optimistic baseline.");
        if (jobsContains(jobs, "inventory") && sqlInventory != null) {
            double ratio = jobs.get("inventory").eventsPerSecond() / sqlInventory.eventsPerSecond();
            rep.line("- Storepulse inventory job / SQL peer: **" + Report.f(ratio) + "×**.");
        } else {
            rep.line("- Storepulse inventory job / SQL peer: not yet available.");
        }
        rep.line("");

        rep.line("## Profile of the job furthest below its goal");
        rep.line("");
        if (prof == null) {
            rep.line(
                    "Not profiled in this variant (`--profile off`) or the profile failed; see notes.");
        } else {
            FlameGraph.Summary sum = prof.summary();
            rep.line(
                    "`"
                            + prof.job()
                            + "` has the lowest ratio to the ceiling, so it was run again on the same input under JFR"
                            + " (execution samples every 10 ms of every thread of the benchmark JVM, which runs the MiniCluster;"
                            + " the broker and registry are other processes): "
                            + String.format(Locale.ROOT, "%,d", sum.samples())
                            + " samples, "
                            + Report.f(prof.run().eventsPerSecond())
                            + " events/s in the profiled run."
                            + " Flame graph (open the SVG to hover boxes; Storepulse code in green): ["
                            + prof.svg()
                            + "]("
                            + prof.svg()
                            + ").");
            rep.line("");
            rep.line(
                    "Where the time goes (each sample counted once, under the first of these found from the top of its stack"
                            + " down, so Storepulse code calling RocksDB counts as RocksDB):");
            rep.line("");
            rep.line("| Area | Samples | Share |");
            rep.line("|---|---:|---:|");
            for (Map.Entry<String, Long> e : sum.areas()) {
                rep.line(
                        "| "
                                + e.getKey()
                                + " | "
                                + String.format(Locale.ROOT, "%,d", e.getValue())
                                + " | "
                                + Report.pct((double) e.getValue() / sum.samples())
                                + " |");
            }
            rep.line("");
            rep.line("Methods with the most samples on top of the stack (self time):");
            rep.line("");
            rep.line("| Method | Samples | Share |");
            rep.line("|---|---:|---:|");
            for (Map.Entry<String, Long> e : sum.self()) {
                rep.line(
                        "| `"
                                + e.getKey()
                                + "` | "
                                + String.format(Locale.ROOT, "%,d", e.getValue())
                                + " | "
                                + Report.pct((double) e.getValue() / sum.samples())
                                + " |");
            }
            rep.line("");
            rep.line(
                    "Storepulse methods with the most samples anywhere on the stack (total time):");
            rep.line("");
            rep.line("| Method | Samples | Share |");
            rep.line("|---|---:|---:|");
            for (Map.Entry<String, Long> e : sum.total()) {
                rep.line(
                        "| `"
                                + e.getKey()
                                + "` | "
                                + String.format(Locale.ROOT, "%,d", e.getValue())
                                + " | "
                                + Report.pct((double) e.getValue() / sum.samples())
                                + " |");
            }
        }
        rep.line("");

        rep.line("## Latency");
        rep.line("");
        rep.line(
                "At a fixed rate of about half the sustainable rate of each pipeline (capped at 20,000 events/s),"
                        + " from the event's produce time (= its event time in these runs, read back from the output's `event_time` or `updated_at`) to the output being visible to a `read_committed` consumer."
                        + " Exactly-once outputs become visible when the checkpoint that covers them completes, so their latency"
                        + " is bounded by the checkpoint interval ("
                        + checkpointInterval
                        + ") plus the checkpoint's own duration;"
                        + " at-least-once (`--delivery at-least-once`) writes are visible at once.");
        rep.line("");
        rep.line(
                "| Pipeline | Delivery | Target rate/s | Achieved rate/s | Samples | p50 ms | p99 ms | p99.9 ms | max ms | Goal |");
        rep.line("|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
        Duration interval =
                StorepulseSettings.fromArgs("--checkpoint-interval", checkpointInterval)
                        .checkpointIntervalDuration();
        for (LatencyProbe.Result r : latency) {
            double limit = r.delivery().equals("exactly-once") ? interval.toMillis() + 1000 : 500;
            String goal =
                    r.samples() == 0
                            ? "no samples: no output of the measured window became visible before"
                                    + " the run ended (the pipeline fell behind this rate)"
                            : r.p99() <= limit
                                    ? "met (p99 ≤ " + Report.f(limit) + " ms)"
                                    : "missed by "
                                            + Report.f(r.p99() - limit)
                                            + " ms (p99 ≤ "
                                            + Report.f(limit)
                                            + " ms)";
            rep.line(
                    "| "
                            + r.name()
                            + " | "
                            + r.delivery()
                            + " | "
                            + Report.f(r.targetRate())
                            + " | "
                            + Report.f(r.achievedRate())
                            + " | "
                            + r.samples()
                            + " | "
                            + Report.f(r.p50())
                            + " | "
                            + Report.f(r.p99())
                            + " | "
                            + Report.f(r.p999())
                            + " | "
                            + Report.f(r.max())
                            + " | "
                            + goal
                            + " |");
        }
        for (JobTarget j : targets) {
            if (j.job() == StorepulseJob.INVENTORY && !j.available()) {
                rep.line("| inventory | both | | | | | | | | not yet available |");
            }
        }
        if (latency.stream().anyMatch(r -> r.name().equals("inventory") && r.samples() > 0)) {
            rep.line("");
            rep.line(
                    "The inventory job holds each change until its watermark, "
                            + InventoryJob.MAX_OUT_OF_ORDERNESS.toSeconds()
                            + " s behind the latest event time (`InventoryJob.MAX_OUT_OF_ORDERNESS`), has passed it, so that"
                            + " any arrival order within that bound gives the same levels and the same alerts. Its latency is"
                            + " that wait plus the time to apply the backlog the wait builds up, and in exactly-once mode the"
                            + " checkpoint: it misses the latency goals by design, by about the out-of-orderness bound.");
        }
        rep.line("");
        rep.line("![latency](latency.png)");
        rep.line("");
        rep.latencyChart("latency.png", latency);

        rep.line("## Scaling with distinct keys");
        rep.line("");
        rep.line(
                "Each point pre-loads "
                        + String.format(Locale.ROOT, "%,d", scalingEvents)
                        + " events with the given number of users"
                        + " (SKUs = users / 10). `keyed-baseline` keeps one RocksDB value per record key (visitor, user, order, SKU);"
                        + " the SQL inventory peer and each available job keep their own state. Resident memory is that of the"
                        + " benchmark JVM, which holds the MiniCluster's JobManager and TaskManager (the broker and registry are separate processes).");
        rep.line("");
        rep.line(
                "| Pipeline | Users (keyspace) | Users touched | Events/s | Checkpoint full size | Last incremental size | Checkpoint avg / max ms | Peak RSS |");
        rep.line("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (ScalePoint p : scaling) {
            FlinkRunner.RunResult r = p.run();
            rep.line(
                    "| "
                            + p.target()
                            + " | "
                            + String.format(Locale.ROOT, "%,d", p.keys())
                            + " | "
                            + String.format(
                                    Locale.ROOT, "%,d", touchedUsers.getOrDefault(p.keys(), 0L))
                            + " | "
                            + Report.f(r.eventsPerSecond())
                            + " | "
                            + Report.mb(r.checkpointFullSizeBytes())
                            + " | "
                            + Report.mb(r.checkpointIncrementalBytes())
                            + " | "
                            + r.checkpointAvgDurationMs()
                            + " / "
                            + r.checkpointMaxDurationMs()
                            + " | "
                            + Report.mb(r.peakRssBytes())
                            + " |");
        }
        rep.line("");
        Map<String, List<ScalePoint>> byTarget = new LinkedHashMap<>();
        scaling.forEach(p -> byTarget.computeIfAbsent(p.target(), t -> new ArrayList<>()).add(p));
        byTarget.values()
                .forEach(ps -> ps.sort(java.util.Comparator.comparingInt(ScalePoint::keys)));
        byTarget.forEach(
                (t, ps) -> {
                    if (ps.size() >= 2) {
                        double first = ps.get(0).run().eventsPerSecond();
                        double last = ps.get(ps.size() - 1).run().eventsPerSecond();
                        double drop = 1 - last / first;
                        rep.line(
                                "- "
                                        + t
                                        + ": throughput "
                                        + (drop >= 0 ? "falls " : "rises ")
                                        + Report.pct(Math.abs(drop))
                                        + " from "
                                        + String.format(Locale.ROOT, "%,d", ps.get(0).keys())
                                        + " to "
                                        + String.format(
                                                Locale.ROOT, "%,d", ps.get(ps.size() - 1).keys())
                                        + " users (goal: no more than 30 % from 10 thousand to 10 million: "
                                        + (ps.get(0).keys() > 10_000
                                                        || ps.get(ps.size() - 1).keys() < 10_000_000
                                                ? "not measured in this variant, which did not run both ends"
                                                : drop <= 0.30
                                                        ? "met"
                                                        : "missed by " + Report.pct(drop - 0.30))
                                        + ").");
                    }
                });
        for (JobTarget j : targets) {
            if (!j.available()) {
                rep.line("- " + j.name() + ": not yet available.");
            }
        }
        rep.line("");
        rep.line("![scaling throughput](scaling-throughput.png)");
        rep.line("![scaling checkpoint size](scaling-checkpoint-size.png)");
        rep.line("![scaling checkpoint duration](scaling-checkpoint-duration.png)");
        rep.line("![scaling memory](scaling-memory.png)");
        rep.line("");
        rep.scalingChart(
                "scaling-throughput.png",
                "Throughput vs distinct keys",
                "events/s",
                scaling,
                FlinkRunner.RunResult::eventsPerSecond);
        rep.scalingChart(
                "scaling-checkpoint-size.png",
                "Checkpoint full size vs distinct keys",
                "MB",
                scaling,
                r -> r.checkpointFullSizeBytes() / 1e6);
        rep.scalingChart(
                "scaling-checkpoint-duration.png",
                "Checkpoint duration (max) vs distinct keys",
                "ms",
                scaling,
                r -> (double) r.checkpointMaxDurationMs());
        rep.scalingChart(
                "scaling-memory.png",
                "Peak resident memory (JobManager + TaskManager JVM)",
                "MB",
                scaling,
                r -> r.peakRssBytes() / 1e6);

        rep.line("## Micro-benchmarks (JMH)");
        rep.line("");
        if (micro.isEmpty()) {
            rep.line(
                    "Not run in this variant (`--jmh off`), skipped for the deadline or failed; see notes.");
        } else {
            rep.line(
                    "The serde (`SerdeBenchmark`: Confluent-framed Avro decode and encode of a browse and an order record)"
                            + " and the hottest function of each job in Flink's operator test harness (heap state, no network;"
                            + " `bench/src/main/java/io/storepulse/bench/jmh/`), "
                            + ("quick".equals(jmh)
                                    ? "quick: no warm-up, 1 measurement iteration of 1 s, in the suite's JVM"
                                    : "2 warm-up and 3 measurement iterations of 2 s")
                            + ", 1 fork, 1 thread. Function benchmarks: one operation is one input event of the simulated mix"
                            + " (10,000 users, 1,000 SKUs) including the timers it fires as the watermark follows the input;"
                            + " the clearance benchmark's operation is one SKU-hour (a sale and the hourly evaluation).");
            rep.line("");
            rep.line("| Benchmark | Score | Error (99.9 %) | Unit |");
            rep.line("|---|---:|---:|---|");
            for (Micro m : micro) {
                rep.line(
                        "| "
                                + m.benchmark()
                                + " | "
                                + Report.f(m.score())
                                + " | "
                                + Report.f(m.error())
                                + " | "
                                + m.unit()
                                + " |");
            }
        }
        rep.line("");
        if (!notes.isEmpty() || progress != null) {
            rep.line("## Notes");
            rep.line("");
            if (progress != null) {
                rep.line(
                        "- **Written part-way through the run, "
                                + progress
                                + "**: the run had not reached its end when this was written (it was stopped"
                                + " or failed after this point); the later steps are missing.");
            }
            notes.forEach(n -> rep.line("- " + n));
            rep.line("");
        }
        Path p = rep.write("README.md");
        LOG.info("report written to {}", p.toAbsolutePath());
    }

    private static boolean jobsContains(Map<String, FlinkRunner.RunResult> jobs, String name) {
        return jobs.containsKey(name);
    }
}
