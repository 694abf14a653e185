package io.storepulse.wallboard;

import io.javalin.Javalin;
import io.javalin.http.staticfiles.Location;
import io.storepulse.config.ConnectionCheck;
import io.storepulse.config.Durations;
import io.storepulse.config.StorepulseSettings;
import io.storepulse.serde.RegistryClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * The live ops wallboard: reads {@code conversion-metrics}, {@code inventory-alerts}, {@code
 * coupon-actions}, {@code price-actions} and {@code catalog} read-only, keeps a bounded view, and
 * serves one page that receives it over server-sent events ({@code /events}).
 *
 * <p>Bound to 127.0.0.1 unless told otherwise. Only GET routes exist: the page, its static files
 * (Chart.js is served from the jar, never from a CDN), {@code /events}, {@code /api/snapshot} and
 * {@code /healthz}. Connection options ({@code --bootstrap-servers}, {@code --registry-url}, Kafka
 * and registry security) are the same as every Storepulse job's, with the same {@code STOREPULSE_*}
 * environment fallbacks.
 */
public final class WallboardServer implements AutoCloseable {

    /** Command-line options of the wallboard; all others go to {@link StorepulseSettings}. */
    @Command(
            name = "storepulse-wallboard",
            mixinStandardHelpOptions = true,
            description =
                    "Serves the Storepulse live ops wallboard. Also takes the jobs' connection options:"
                            + " --bootstrap-servers, --registry-url, --kafka-security-protocol, ... (see a job's --help).")
    public static final class Options implements Callable<Integer> {

        @Option(
                names = "--host",
                defaultValue = "${env:STOREPULSE_WALLBOARD_HOST:-127.0.0.1}",
                description = "Address to listen on (default ${DEFAULT-VALUE}: this machine only).")
        String host;

        @Option(
                names = "--port",
                defaultValue = "${env:STOREPULSE_WALLBOARD_PORT:-8088}",
                description = "Port to listen on (default ${DEFAULT-VALUE}; 0 picks a free one).")
        int port;

        @Option(
                names = "--stale-after",
                defaultValue = "3m",
                description =
                        "A metrics tile whose newest data is older than this shows it is stale (default ${DEFAULT-VALUE}).")
        String staleAfter;

        @Option(
                names = "--actions-stale-after",
                defaultValue = "30m",
                description =
                        "The same for the alerts and coupons/markdowns tiles (default ${DEFAULT-VALUE}).")
        String actionsStaleAfter;

        @Option(
                names = "--lookback",
                defaultValue = "26h",
                description =
                        "How far back to read the metric and action topics on start (default ${DEFAULT-VALUE}: today and the same time yesterday).")
        String lookback;

        @Unmatched List<String> connectionArgs = new ArrayList<>();

        public String host() {
            return host;
        }

        public int port() {
            return port;
        }

        public Duration staleAfterDuration() {
            return Durations.parse(staleAfter, "--stale-after");
        }

        public Duration actionsStaleAfterDuration() {
            return Durations.parse(actionsStaleAfter, "--actions-stale-after");
        }

        public Duration lookbackDuration() {
            return Durations.parse(lookback, "--lookback");
        }

        public StorepulseSettings connection() {
            return StorepulseSettings.fromArgs(connectionArgs.toArray(String[]::new));
        }

        @Override
        public Integer call() throws Exception {
            WallboardServer server = WallboardServer.start(this);
            // Stop cleanly on SIGTERM / Ctrl-C: the hook itself closes the server.
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "wallboard-shutdown"));
            System.out.println("Storepulse wallboard: " + server.url());
            Thread.currentThread().join();
            return 0;
        }

        public static Options parse(String... args) {
            Options o = new Options();
            new CommandLine(o).parseArgs(args);
            return o;
        }
    }

    private final WallboardView view;
    private final KafkaFeed feed;
    private final SseHub hub;
    private final Javalin app;
    private final String host;

    private WallboardServer(
            WallboardView view, KafkaFeed feed, SseHub hub, Javalin app, String host) {
        this.view = view;
        this.feed = feed;
        this.hub = hub;
        this.app = app;
        this.host = host;
    }

    public static void main(String[] args) {
        // A failure to start (a refused password, say) is one line, not a stack trace.
        int code =
                new CommandLine(new Options())
                        .setExecutionExceptionHandler(
                                (e, cmd, parsed) -> {
                                    cmd.getErr()
                                            .println(
                                                    "storepulse-wallboard: ERROR: "
                                                            + e.getMessage());
                                    cmd.getErr().flush();
                                    return 1;
                                })
                        .execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Starts the feed and the HTTP server; {@link #close()} stops both. */
    public static WallboardServer start(Options options) {
        StorepulseSettings connection = options.connection();
        // A refused password ends the start here, in one line, instead of an empty page and a log
        // full of refusals; an unreachable registry is waited for by the feed, as before.
        ConnectionCheck.kafka(connection);
        ConnectionCheck.registry(connection.registryConfig(), false);
        Clock clock = Clock.systemUTC();
        WallboardView view =
                new WallboardView(
                        clock,
                        WallboardView.Limits.defaults()
                                .withStaleness(
                                        options.staleAfterDuration(),
                                        options.actionsStaleAfterDuration()));
        Properties kafka = new Properties();
        kafka.putAll(connection.kafkaSecurityProperties());
        kafka.put("bootstrap.servers", connection.bootstrapServers());
        KafkaFeed feed =
                new KafkaFeed(
                        kafka,
                        new RegistryClient(connection.registryConfig()),
                        view,
                        options.lookbackDuration(),
                        clock);
        SseHub hub = new SseHub(view, 500, 10_000);
        Javalin app = createApp(view, hub);
        try {
            app.start(options.host(), options.port());
        } catch (RuntimeException e) {
            hub.close();
            feed.close();
            throw e;
        }
        feed.start();
        return new WallboardServer(view, feed, hub, app, options.host());
    }

    static Javalin createApp(WallboardView view, SseHub hub) {
        return Javalin.create(
                config -> {
                    config.startup.showJavalinBanner = false;
                    config.startup.showOldJavalinVersionWarning = false;
                    config.staticFiles.add(
                            files -> {
                                files.hostedPath = "/";
                                files.directory = "/wallboard";
                                files.location = Location.CLASSPATH;
                                files.headers = java.util.Map.of("Cache-Control", "no-cache");
                            });
                    config.routes.before(
                            ctx -> {
                                // Scripts only from this server; no inline script, no framing.
                                ctx.header(
                                        "Content-Security-Policy",
                                        "default-src 'self'; script-src 'self'; style-src 'self';"
                                                + " img-src 'self' data:; connect-src 'self';"
                                                + " object-src 'none'; base-uri 'none';"
                                                + " frame-ancestors 'none'; form-action 'none'");
                                ctx.header("X-Content-Type-Options", "nosniff");
                                ctx.header("Referrer-Policy", "no-referrer");
                                ctx.header("X-Frame-Options", "DENY");
                            });
                    config.routes.get(
                            "/api/snapshot",
                            ctx ->
                                    ctx.contentType("application/json; charset=utf-8")
                                            .header("Cache-Control", "no-store")
                                            .result(SnapshotJson.write(view.snapshot())));
                    config.routes.get(
                            "/healthz",
                            ctx ->
                                    ctx.contentType("text/plain; charset=utf-8")
                                            .result("ok " + hub.clientCount() + " clients"));
                    config.routes.sse("/events", hub::connect);
                });
    }

    public int port() {
        return app.port();
    }

    public String url() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        if (h.equals("0.0.0.0")) {
            h = "127.0.0.1";
        }
        return "http://" + h + ":" + port() + "/";
    }

    public WallboardView view() {
        return view;
    }

    @Override
    public void close() {
        hub.close();
        app.stop();
        feed.close();
    }
}
