package io.storepulse.wallboard;

import static io.storepulse.wallboard.Records.alert;
import static io.storepulse.wallboard.Records.product;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.storepulse.topics.Topics;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.UnexpectedAlertBehaviour;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import storepulse.v1.actions.InventoryAlertType;

/**
 * Headless Chromium (Debian's {@code chromium} and {@code chromium-driver}) looking at the
 * wallboard, with what a person checks on it. Test support, published in the wallboard's test-jar:
 * {@code WallboardBrowserITCase} uses it against its own stack, and the local cluster's end-to-end
 * test uses {@link #checkRunningWallboard} against the wallboard that {@code storepulse up} serves.
 */
public final class WallboardBrowser implements AutoCloseable {

    /** The product name that must show as text: rendered as HTML, it would open a dialog. */
    public static final String SCRIPT_NAME = Records.SCRIPT_NAME;

    /** How long a product name may take to replace its SKU on the page. */
    private static final Duration NAME_WAIT = Duration.ofSeconds(60);

    /** The probe product's SKU that {@link #checkRunningWallboard} writes to the catalogue. */
    public static final String PROBE_SKU = "sku-xss";

    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";

    private final WebDriver driver;
    private final Path profile;

    private WallboardBrowser(WebDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    /**
     * Starts headless Chromium. Fails, never skips, when the binaries are missing: the browser test
     * is part of the suite, and a machine without them must not pass it silently.
     */
    public static WallboardBrowser start() throws IOException {
        for (String program : List.of(CHROMIUM, CHROMEDRIVER)) {
            if (!Files.isExecutable(Path.of(program))) {
                throw new IllegalStateException(
                        program
                                + " is missing: the browser test needs Debian's chromium and chromium-driver"
                                + " (apt-get install -y chromium chromium-driver)");
            }
        }
        Path profile = Files.createTempDirectory("wallboard-chromium-");
        ChromeDriverService service =
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(new File(CHROMEDRIVER))
                        .usingAnyFreePort()
                        .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--user-data-dir=" + profile,
                "--window-size=1600,1300",
                "--lang=en-US");
        // A dialog must not be dismissed silently: the checks look for one.
        options.setUnhandledPromptBehaviour(UnexpectedAlertBehaviour.IGNORE);
        try {
            return new WallboardBrowser(new ChromeDriver(service, options), profile);
        } catch (RuntimeException e) {
            deleteProfile(profile);
            throw e;
        }
    }

    /** Where to write the probe (the cluster the wallboard reads), in plain-text mode. */
    public record Cluster(String bootstrapServers, String registryUrl) {}

    /**
     * Checks a wallboard that already runs against a live stack whose jobs are fed by the
     * simulator: the headline tiles and the funnel chart show the metrics job's figures; then
     * {@code whileWatching} runs (e.g. starts the simulator, so that the figures move while the
     * page is open); with a {@code probe} cluster, a product named {@link #SCRIPT_NAME} and an
     * inventory alert for it are written there, and the alert appears with the name as text; the
     * headline tiles update by themselves (the metrics job re-emits the running day every minute of
     * event time); no dialog opened. Then it saves a screenshot.
     *
     * @param probe where to write the probe product and alert; null to only look
     * @param timeout bounded wait for each step
     */
    public void checkRunningWallboard(
            String url, Cluster probe, Duration timeout, Runnable whileWatching, Path screenshot)
            throws IOException {
        String probeAlert = "wallboard-browser-test-" + System.currentTimeMillis();
        driver.get(url);
        waitFor("today's GMV", timeout, d -> !text("kpi-gmv").equals("–"));
        waitFor("the funnel chart", timeout, d -> chartPoints("funnelChart") > 0);
        assertThat(drawnPixels("funnel-chart")).as("pixels drawn on the funnel chart").isPositive();
        Object firstAsOf = js("return window.wallboard.snapshot.kpis.asOf");
        whileWatching.run();
        if (probe != null) {
            try (TopicWriter topics =
                    new TopicWriter(probe.bootstrapServers(), probe.registryUrl())) {
                topics.write(Topics.CATALOG, PROBE_SKU, product(PROBE_SKU, SCRIPT_NAME, "test"));
                topics.write(
                        Topics.INVENTORY_ALERTS,
                        PROBE_SKU + "@wallboard-test",
                        alert(
                                probeAlert,
                                InventoryAlertType.LOW_STOCK,
                                PROBE_SKU,
                                Instant.now(),
                                1));
            }
            waitFor(
                    "the probe alert",
                    timeout,
                    d ->
                            !driver.findElements(
                                            By.cssSelector(
                                                    "li[data-action-id='" + probeAlert + "']"))
                                    .isEmpty());
            assertNameShownAsText("li[data-action-id='" + probeAlert + "'] .product-name");
        }
        waitFor(
                "today's figures to update",
                timeout,
                d -> !Objects.equals(firstAsOf, js("return window.wallboard.snapshot.kpis.asOf")));
        assertThat(text("connection")).isEqualTo("live");
        assertNoDialogAndNoInjectedScript();
        screenshot(screenshot);
    }

    // ------------------------------------------------------------------ what a person sees

    public WebDriver driver() {
        return driver;
    }

    /** The visible text of the element with this id. */
    public String text(String id) {
        return driver.findElement(By.id(id)).getText();
    }

    public boolean hasClass(String id, String cls) {
        return List.of(driver.findElement(By.id(id)).getAttribute("class").split("\\s+"))
                .contains(cls);
    }

    public Object js(String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    /** Data points above zero in one of the page's Chart.js charts. */
    public long chartPoints(String chart) {
        Object n =
                js(
                        "const c = window.wallboard && window.wallboard."
                                + chart
                                + ";"
                                + " return c ? c.data.datasets.reduce((s, d) => s + d.data.filter(v => v > 0).length, 0) : 0;");
        return ((Number) n).longValue();
    }

    /** Pixels that are not transparent on a canvas: the chart was really drawn. */
    public long drawnPixels(String canvasId) {
        Object n =
                js(
                        "const c = document.getElementById('"
                                + canvasId
                                + "');"
                                + " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                                + " let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) n++; } return n;");
        return ((Number) n).longValue();
    }

    /**
     * Waits until an element matching {@code selector} shows {@link #SCRIPT_NAME} literally, as
     * text. It waits because the catalog and the other topics are separate partitions: the page may
     * draw a row by its SKU before the wallboard has read that SKU's product record, and puts the
     * name in with the next snapshot.
     */
    public void assertNameShownAsText(String selector) {
        waitFor(
                "the product name shown literally, as text, in " + selector,
                NAME_WAIT,
                d ->
                        driver.findElements(By.cssSelector(selector)).stream()
                                .map(WebElement::getText)
                                .anyMatch(SCRIPT_NAME::equals));
    }

    public void assertNoDialogAndNoInjectedScript() {
        assertThatThrownBy(() -> driver.switchTo().alert())
                .as("no alert() dialog opened")
                .isInstanceOf(NoAlertPresentException.class);
        assertThat(
                        ((Number)
                                        js(
                                                "return document.querySelectorAll('main script, main img, main iframe').length"))
                                .intValue())
                .isZero();
    }

    /** Polls the page (bounded); on timeout the message carries what the page showed. */
    public void waitFor(String what, Duration timeout, Function<WebDriver, Boolean> condition) {
        new WebDriverWait(driver, timeout, Duration.ofMillis(250))
                .withMessage(() -> "waiting for " + what + "; the page shows:\n" + pageState())
                .until(condition);
    }

    public void screenshot(Path target) throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        Files.write(target, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    private String pageState() {
        try {
            return js("return document.body.innerText + '\\nsnapshots: ' + window.wallboard.snapshots"
                            + " + '\\nsnapshot: ' + JSON.stringify(window.wallboard.snapshot)")
                    .toString();
        } catch (RuntimeException e) {
            return "(cannot read the page: " + e + ")";
        }
    }

    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } finally {
            deleteProfile(profile);
        }
    }

    private static void deleteProfile(Path profile) throws IOException {
        try (Stream<Path> files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
