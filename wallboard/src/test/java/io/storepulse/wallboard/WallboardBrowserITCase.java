package io.storepulse.wallboard;

import static io.storepulse.wallboard.Records.alert;
import static io.storepulse.wallboard.Records.coupon;
import static io.storepulse.wallboard.Records.metrics;
import static io.storepulse.wallboard.Records.price;
import static io.storepulse.wallboard.Records.product;
import static org.assertj.core.api.Assertions.assertThat;
import static storepulse.v1.actions.DimensionType.ALL;
import static storepulse.v1.actions.DimensionType.CATEGORY;
import static storepulse.v1.actions.DimensionType.CHANNEL;
import static storepulse.v1.actions.DimensionType.SKU;
import static storepulse.v1.actions.WindowType.DAY;
import static storepulse.v1.actions.WindowType.MINUTE;

import io.storepulse.testing.SharedStack;
import io.storepulse.topics.Topics;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import storepulse.v1.actions.InventoryAlertType;
import storepulse.v1.actions.PriceActionType;

/**
 * Drives the wallboard in headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}).
 *
 * <p>By default it starts the real stack ({@link SharedStack}: a KRaft broker and Apicurio), writes
 * metrics, alerts, coupons, price actions and products (one named {@code
 * <script>alert(1)</script>}) to the topics, starts the wallboard server and checks what a person
 * would see: tiles that update when new records arrive, the funnel chart drawn, an alert appearing,
 * the product name shown as literal text with no dialog, a stale tile marked, and the page coming
 * back by itself after the server restarts. It saves a screenshot ({@code wallboard.screenshot}).
 *
 * <p>Against a running wallboard (a local cluster with the simulator running), pass {@code
 * -Dwallboard.url=http://127.0.0.1:18080/}; with {@code -Dwallboard.it.bootstrap-servers=...} and
 * {@code -Dwallboard.it.registry-url=...} too, it also writes a probe product with the script name
 * and an alert for it into that cluster (no metrics: those come from the real jobs). That check is
 * {@link WallboardBrowser#checkRunningWallboard}, which {@code LocalClusterITCase} runs on every
 * build against the stack it brings up.
 */
class WallboardBrowserITCase {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration WAIT_EXTERNAL = Duration.ofMinutes(4);
    private static final String XSS_SKU = WallboardBrowser.PROBE_SKU;

    private WallboardBrowser browser;
    private WebDriver driver;

    @BeforeEach
    void setupBrowser() throws IOException {
        browser = WallboardBrowser.start();
        driver = browser.driver();
    }

    @AfterEach
    void closeBrowser() throws IOException {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void shouldShowLiveTilesChartAlertsAndProductNamesAsText() throws Exception {
        String external = System.getProperty("wallboard.url");
        if (external != null && !external.isBlank()) {
            String bootstrap = System.getProperty("wallboard.it.bootstrap-servers");
            String registry = System.getProperty("wallboard.it.registry-url");
            browser.checkRunningWallboard(
                    external,
                    bootstrap != null && registry != null
                            ? new WallboardBrowser.Cluster(bootstrap, registry)
                            : null,
                    WAIT_EXTERNAL,
                    () -> {},
                    screenshotPath());
        } else {
            checkAgainstTheRealStack();
        }
    }

    // ------------------------------------------------------------------ against the test stack

    private void checkAgainstTheRealStack() throws Exception {
        SharedStack stack = SharedStack.get();
        stack.createTopics(
                Topics.CONVERSION_METRICS,
                Topics.INVENTORY_ALERTS,
                Topics.COUPON_ACTIONS,
                Topics.PRICE_ACTIONS,
                Topics.CATALOG);
        Instant now = Instant.now();
        Instant minute = now.truncatedTo(ChronoUnit.MINUTES);
        Instant today = now.truncatedTo(ChronoUnit.DAYS);
        Instant yesterday = today.minus(Duration.ofDays(1));
        Duration elapsed = Duration.between(today, minute);

        try (TopicWriter topics = new TopicWriter(stack.bootstrapServers(), stack.registryUrl())) {
            writeCatalog(topics);
            // Today's running day, and yesterday's as it stood a minute before the same time.
            topics.write(
                    Topics.CONVERSION_METRICS,
                    "ALL:all@" + yesterday,
                    metrics(
                            ALL,
                            "all",
                            DAY,
                            yesterday,
                            9_000,
                            360,
                            "37450.00",
                            0,
                            yesterday.plus(elapsed).minus(Duration.ofMinutes(1))));
            topics.write(
                    Topics.CONVERSION_METRICS,
                    "ALL:all@" + today,
                    metrics(ALL, "all", DAY, today, 10_000, 420, "41234.50", 0, minute));
            // The last 30 minutes of the funnel.
            for (int i = 30; i >= 1; i--) {
                Instant start = minute.minus(Duration.ofMinutes(i));
                long visitors = 140 + (i * 37L) % 60;
                long orders = 4 + (i * 7L) % 6;
                topics.write(
                        Topics.CONVERSION_METRICS,
                        "ALL:all@" + start,
                        metrics(
                                ALL,
                                "all",
                                MINUTE,
                                start,
                                visitors,
                                orders,
                                (orders * 98) + ".40",
                                0,
                                start.plusSeconds(65)));
            }
            Instant lastMinute = minute.minus(Duration.ofMinutes(1));
            String[][] skus = {
                {XSS_SKU, "999.00"}, {"sku-2", "640.00"}, {"sku-3", "212.50"},
                {"sku-4", "180.00"}, {"sku-5", "99.90"}, {"sku-6", "45.00"}
            };
            for (String[] s : skus) {
                topics.write(
                        Topics.CONVERSION_METRICS,
                        "SKU:" + s[0] + "@" + lastMinute,
                        metrics(SKU, s[0], MINUTE, lastMinute, 20, 3, s[1], 0, minute));
            }
            String[][] channels = {
                {"web", "19050.00", "4800", "190"}, {"app", "14200.00", "3200", "150"},
                {"mini_program", "5100.00", "1300", "55"}, {"live_stream", "2884.50", "700", "25"}
            };
            for (String[] c : channels) {
                topics.write(
                        Topics.CONVERSION_METRICS,
                        "CHANNEL:" + c[0] + "@" + today,
                        metrics(
                                CHANNEL,
                                c[0],
                                DAY,
                                today,
                                Long.parseLong(c[2]),
                                Long.parseLong(c[3]),
                                c[1],
                                0,
                                minute));
                topics.write(
                        Topics.CONVERSION_METRICS,
                        "CHANNEL:" + c[0] + "@" + lastMinute,
                        metrics(
                                CHANNEL,
                                c[0],
                                MINUTE,
                                lastMinute,
                                30,
                                2,
                                new java.math.BigDecimal(c[1]).movePointLeft(2).toPlainString(),
                                0,
                                minute));
            }
            // Categories last heard of ten minutes ago: that tile must show it is stale.
            String[][] categories = {
                {"shoes", "16200.00"},
                {"dairy", "9800.00"},
                {"toys", "8400.00"},
                {"kitchen", "6834.50"}
            };
            for (String[] c : categories) {
                topics.write(
                        Topics.CONVERSION_METRICS,
                        "CATEGORY:" + c[0] + "@" + today,
                        metrics(
                                CATEGORY,
                                c[0],
                                DAY,
                                today,
                                2_000,
                                80,
                                c[1],
                                0,
                                minute.minus(Duration.ofMinutes(10))));
            }
            topics.write(
                    Topics.INVENTORY_ALERTS,
                    XSS_SKU + "@wh-berlin",
                    alert(
                            "it-alert-1",
                            InventoryAlertType.LOW_STOCK,
                            XSS_SKU,
                            now.minusSeconds(400),
                            4));
            topics.write(
                    Topics.INVENTORY_ALERTS,
                    "sku-3@wh-berlin",
                    alert(
                            "it-alert-2",
                            InventoryAlertType.EXPIRING_SOON,
                            "sku-3",
                            now.minusSeconds(200),
                            12));
            for (int i = 0; i < 30; i++) {
                Instant t = minute.minus(Duration.ofMinutes(i)).plusSeconds(5);
                for (int j = 0; j < 1 + (i * 5) % 4; j++) {
                    topics.write(
                            Topics.COUPON_ACTIONS,
                            "user-" + i + "-" + j,
                            coupon("it-coupon-" + i + "-" + j, t.plusSeconds(j)));
                }
                if (i % 4 == 0) {
                    topics.write(
                            Topics.PRICE_ACTIONS,
                            "sku-5",
                            price(
                                    "it-price-" + i,
                                    i % 8 == 0 ? PriceActionType.MARKDOWN : PriceActionType.RESTORE,
                                    t));
                }
            }

            WallboardServer server = startServer(stack, 0);
            int port = server.port();
            try {
                driver.get(server.url());
                browser.waitFor(
                        "today's GMV", WAIT, d -> browser.text("kpi-gmv").contains("41,234.50"));
                assertThat(browser.text("kpi-gmv-compare"))
                        .contains("yesterday")
                        .contains("37,450.00");

                browser.waitFor(
                        "the funnel chart", WAIT, d -> browser.chartPoints("funnelChart") >= 30);
                assertThat(browser.drawnPixels("funnel-chart")).isPositive();
                browser.waitFor(
                        "the actions chart", WAIT, d -> browser.chartPoints("actionsChart") > 0);

                browser.waitFor(
                        "the top SKUs",
                        WAIT,
                        d -> driver.findElements(By.cssSelector("#top-skus-rows tr")).size() == 6);
                browser.assertNameShownAsText("#top-skus-rows .product-name");
                browser.waitFor(
                        "two alerts",
                        WAIT,
                        d ->
                                driver.findElements(By.cssSelector("#alerts-list li.alert")).size()
                                        == 2);
                browser.assertNameShownAsText("#alerts-list .product-name");
                browser.assertNoDialogAndNoInjectedScript();

                browser.waitFor(
                        "the stale categories tile",
                        WAIT,
                        d -> browser.hasClass("tile-categories", "stale"));
                assertThat(browser.hasClass("tile-gmv", "stale")).isFalse();
                assertThat(browser.text("channels-rows")).contains("mini_program");

                // New records: the tiles follow.
                topics.write(
                        Topics.CONVERSION_METRICS,
                        "ALL:all@" + today,
                        metrics(
                                ALL,
                                "all",
                                DAY,
                                today,
                                10_100,
                                433,
                                "42468.90",
                                0,
                                minute.plusSeconds(1)));
                topics.write(
                        Topics.INVENTORY_ALERTS,
                        "sku-2@wh-hamburg",
                        alert(
                                "it-alert-new",
                                InventoryAlertType.OUT_OF_STOCK,
                                "sku-2",
                                "wh-hamburg",
                                now,
                                0));
                browser.waitFor(
                        "the updated GMV",
                        WAIT,
                        d -> browser.text("kpi-gmv").contains("42,468.90"));
                assertThat(browser.text("kpi-orders")).isEqualTo("433");
                browser.waitFor(
                        "the new alert",
                        WAIT,
                        d ->
                                !driver.findElements(
                                                By.cssSelector("li[data-action-id='it-alert-new']"))
                                        .isEmpty());
                assertThat(driver.findElement(By.cssSelector("#alerts-list li.alert")).getText())
                        .contains("OUT OF STOCK");
            } finally {
                server.close();
            }

            // The backend restarts: the page notices, reconnects by itself and is complete again.
            browser.waitFor(
                    "the page to notice the restart",
                    WAIT,
                    d -> !Boolean.TRUE.equals(browser.js("return window.wallboard.connected")));
            long before = ((Number) browser.js("return window.wallboard.snapshots")).longValue();
            WallboardServer restarted = startServer(stack, port);
            try {
                browser.waitFor(
                        "the page to reconnect",
                        WAIT,
                        d ->
                                Boolean.TRUE.equals(browser.js("return window.wallboard.connected"))
                                        && ((Number)
                                                                browser.js(
                                                                        "return window.wallboard.snapshots"))
                                                        .longValue()
                                                > before
                                        && browser.text("kpi-gmv").contains("42,468.90"));
                assertThat(browser.text("connection")).isEqualTo("live");
                browser.waitFor(
                        "the chart after the restart",
                        WAIT,
                        d -> browser.chartPoints("funnelChart") >= 30);
                browser.waitFor(
                        "the alerts after the restart",
                        WAIT,
                        d ->
                                driver.findElements(By.cssSelector("#alerts-list li.alert")).size()
                                        == 3);
                browser.assertNameShownAsText("#top-skus-rows .product-name");
                browser.assertNoDialogAndNoInjectedScript();
                browser.screenshot(screenshotPath());
            } finally {
                restarted.close();
            }
        }
    }

    private static void writeCatalog(TopicWriter topics) {
        topics.write(
                Topics.CATALOG, XSS_SKU, product(XSS_SKU, WallboardBrowser.SCRIPT_NAME, "toys"));
        topics.write(Topics.CATALOG, "sku-2", product("sku-2", "Trail running shoe", "shoes"));
        topics.write(Topics.CATALOG, "sku-3", product("sku-3", "Oat milk 1 l", "dairy"));
        topics.write(Topics.CATALOG, "sku-4", product("sku-4", "Cast-iron pan 28 cm", "kitchen"));
        topics.write(Topics.CATALOG, "sku-5", product("sku-5", "Wool socks (3 pairs)", "shoes"));
        topics.write(Topics.CATALOG, "sku-6", product("sku-6", "Greek yoghurt & honey", "dairy"));
    }

    private static WallboardServer startServer(SharedStack stack, int port) {
        return WallboardServer.start(
                WallboardServer.Options.parse(
                        "--port",
                        Integer.toString(port),
                        "--bootstrap-servers",
                        stack.bootstrapServers(),
                        "--registry-url",
                        stack.registryUrl()));
    }

    private static Path screenshotPath() {
        return Path.of(System.getProperty("wallboard.screenshot", "target/wallboard.png"));
    }
}
