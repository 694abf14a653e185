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

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import storepulse.v1.actions.InventoryAlertType;
import storepulse.v1.actions.PriceActionType;

class WallboardViewTest {

    private static final Instant TODAY = Instant.parse("2026-11-23T00:00:00Z");
    private static final Instant YESTERDAY = TODAY.minus(Duration.ofDays(1));
    private static final Instant NOW = TODAY.plus(Duration.ofHours(10)).plusSeconds(30);

    private MutableClock clock;
    private WallboardView view;

    @BeforeEach
    void setupView() {
        clock = new MutableClock(NOW);
        view = new WallboardView(clock, WallboardView.Limits.defaults());
    }

    @Test
    void shouldShowTodaysRunningDayForDimensionAll() {
        view.onMetrics(
                metrics(ALL, "all", DAY, YESTERDAY, 900, 45, "4500.00", 0, at(YESTERDAY, 600)));
        view.onMetrics(metrics(ALL, "all", DAY, TODAY, 1000, 50, "5000.00", 0, at(TODAY, 600)));
        view.onMetrics(
                metrics(ALL, "all", MINUTE, TODAY.plusSeconds(540), 10, 9, "999.00", 0, NOW));
        view.onMetrics(metrics(CHANNEL, "web", DAY, TODAY, 999, 99, "9999.00", 0, NOW));

        Snapshot.Kpis k = view.snapshot().kpis();

        assertThat(k.windowStart()).isEqualTo(TODAY.toEpochMilli());
        assertThat(k.gmv()).isEqualByComparingTo("5000.00");
        assertThat(k.orders()).isEqualTo(50);
        assertThat(k.visitors()).isEqualTo(1000);
        assertThat(k.conversion()).isEqualTo(0.05);
        assertThat(k.aov()).isEqualByComparingTo("100.00");
        assertThat(k.currency()).isEqualTo("EUR");
    }

    @Test
    void shouldKeepTheGmvIdentityOfTheRecordsShown() {
        view.onMetrics(metrics(ALL, "all", DAY, TODAY, 1000, 50, "5000.00", 0, at(TODAY, 600)));

        Snapshot.Kpis k = view.snapshot().kpis();

        assertThat(k.aov().doubleValue() * k.conversion() * k.visitors())
                .isCloseTo(k.gmv().doubleValue(), org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void shouldReplaceAWindowWhenALaterRevisionArrives() {
        Instant minute = TODAY.plusSeconds(600);
        view.onMetrics(
                metrics(ALL, "all", MINUTE, minute, 100, 5, "500.00", 0, minute.plusSeconds(70)));
        view.onMetrics(
                metrics(ALL, "all", MINUTE, minute, 102, 6, "620.00", 1, minute.plusSeconds(200)));

        List<Snapshot.FunnelPoint> points = view.snapshot().funnel().minutes();

        assertThat(points).hasSize(1);
        assertThat(points.get(0).orders()).isEqualTo(6);
        assertThat(points.get(0).gmv()).isEqualByComparingTo("620.00");
        assertThat(points.get(0).revision()).isEqualTo(1);
    }

    @Test
    void shouldIgnoreAnEarlierRevisionArrivingAfterItsCorrection() {
        Instant minute = TODAY.plusSeconds(600);
        view.onMetrics(
                metrics(ALL, "all", MINUTE, minute, 102, 6, "620.00", 1, minute.plusSeconds(200)));
        long version = view.version();
        view.onMetrics(
                metrics(ALL, "all", MINUTE, minute, 100, 5, "500.00", 0, minute.plusSeconds(70)));

        assertThat(view.snapshot().funnel().minutes().get(0).revision()).isEqualTo(1);
        assertThat(view.version()).isEqualTo(version);
    }

    @Test
    void shouldTakeTheRunningDaysNewerEmissionOfTheSameRevision() {
        view.onMetrics(metrics(ALL, "all", DAY, TODAY, 1000, 50, "5000.00", 0, at(TODAY, 600)));
        view.onMetrics(metrics(ALL, "all", DAY, TODAY, 1010, 52, "5200.00", 0, at(TODAY, 601)));

        assertThat(view.snapshot().kpis().gmv()).isEqualByComparingTo("5200.00");
    }

    @Test
    void shouldCompareWithTheSameTimeYesterday() {
        // Yesterday's running day as it stood at 10:00 and at 20:00; today it is 10:00.
        view.onMetrics(
                metrics(ALL, "all", DAY, YESTERDAY, 800, 40, "4000.00", 0, at(YESTERDAY, 600)));
        view.onMetrics(
                metrics(ALL, "all", DAY, YESTERDAY, 2000, 90, "9000.00", 0, at(YESTERDAY, 1200)));
        view.onMetrics(metrics(ALL, "all", DAY, TODAY, 1000, 50, "5000.00", 0, at(TODAY, 600)));

        Snapshot.Comparison y = view.snapshot().kpis().yesterday();

        assertThat(y).isNotNull();
        assertThat(y.gmv()).isEqualByComparingTo("4000.00");
        assertThat(y.orders()).isEqualTo(40);
        assertThat(y.visitors()).isEqualTo(800);
        assertThat(y.conversion()).isEqualTo(0.05);
        assertThat(y.asOf()).isEqualTo(at(YESTERDAY, 600).toEpochMilli());
    }

    @Test
    void shouldNotCompareWhenYesterdayAtThatTimeIsUnknown() {
        // Only yesterday's final figures (emitted at 23:59) are known: not the same time of day.
        view.onMetrics(
                metrics(ALL, "all", DAY, YESTERDAY, 2000, 90, "9000.00", 0, at(YESTERDAY, 1439)));
        view.onMetrics(metrics(ALL, "all", DAY, TODAY, 1000, 50, "5000.00", 0, at(TODAY, 600)));

        assertThat(view.snapshot().kpis().yesterday()).isNull();
    }

    @Test
    void shouldMarkATileStaleOnceItsDataIsOlderThanTheThreshold() {
        view.onMetrics(metrics(ALL, "all", DAY, TODAY, 1000, 50, "5000.00", 0, NOW));
        view.onAlert(alert("a-1", InventoryAlertType.LOW_STOCK, "sku-1", NOW, 3));

        assertThat(view.snapshot().kpis().stale()).isFalse();

        clock.set(NOW.plus(Duration.ofMinutes(3)).plusSeconds(1));
        Snapshot later = view.snapshot();

        assertThat(later.kpis().stale()).isTrue();
        assertThat(later.alerts().stale()).isFalse(); // actions tiles wait 30 minutes
        assertThat(later.staleAfterMs()).isEqualTo(Duration.ofMinutes(3).toMillis());
        assertThat(later.topSkus().stale()).isFalse(); // no data is not stale data
        assertThat(later.topSkus().asOf()).isNull();
    }

    @Test
    void shouldRankTheTopSkusOfTheNewestMinuteByGmv() {
        Instant older = TODAY.plusSeconds(540);
        Instant newest = TODAY.plusSeconds(600);
        view.onMetrics(metrics(SKU, "sku-old", MINUTE, older, 10, 9, "9999.00", 0, NOW));
        for (int i = 1; i <= 15; i++) {
            view.onMetrics(metrics(SKU, "sku-" + i, MINUTE, newest, 10, 1, i + "0.00", 0, NOW));
        }
        view.onProduct("sku-15", product("sku-15", "Trail shoe", "shoes"));

        Snapshot.TopSkus top = view.snapshot().topSkus();

        assertThat(top.minuteStart()).isEqualTo(newest.toEpochMilli());
        assertThat(top.rows()).hasSize(10);
        assertThat(top.rows())
                .extracting(Snapshot.SkuRow::sku)
                .startsWith("sku-15", "sku-14", "sku-13")
                .doesNotContain("sku-old", "sku-1");
        assertThat(top.rows().get(0).name()).isEqualTo("Trail shoe");
        assertThat(top.rows().get(0).category()).isEqualTo("shoes");
        assertThat(top.rows().get(0).rank()).isEqualTo(1);
    }

    @Test
    void shouldBreakTodayDownByChannelAndCategory() {
        Instant minute = TODAY.plusSeconds(600);
        view.onMetrics(metrics(ALL, "all", DAY, TODAY, 1000, 50, "5000.00", 0, NOW));
        view.onMetrics(metrics(CHANNEL, "web", DAY, TODAY, 600, 30, "3000.00", 0, NOW));
        view.onMetrics(metrics(CHANNEL, "app", DAY, TODAY, 400, 20, "2000.00", 0, NOW));
        view.onMetrics(metrics(CHANNEL, "app", MINUTE, minute, 4, 1, "77.00", 0, NOW));
        view.onMetrics(metrics(CATEGORY, "shoes", DAY, TODAY, 300, 10, "1200.00", 0, NOW));

        Snapshot s = view.snapshot();

        assertThat(s.channels().rows())
                .extracting(Snapshot.BreakdownRow::name)
                .containsExactly("web", "app");
        assertThat(s.channels().rows().get(0).share()).isEqualTo(0.6);
        assertThat(s.channels().rows().get(1).lastMinuteGmv()).isEqualByComparingTo("77.00");
        assertThat(s.channels().rows().get(0).lastMinuteGmv()).isNull();
        assertThat(s.categories().rows())
                .extracting(Snapshot.BreakdownRow::name)
                .containsExactly("shoes");
    }

    @Test
    void shouldKeepTheViewBounded() {
        Instant minute = TODAY;
        for (int i = 0; i < 500; i++) {
            view.onMetrics(
                    metrics(
                            ALL,
                            "all",
                            MINUTE,
                            minute.plusSeconds(60L * i),
                            10,
                            1,
                            "10.00",
                            0,
                            NOW));
        }
        WallboardView.Limits small =
                new WallboardView.Limits(
                        Duration.ofMinutes(3),
                        Duration.ofMinutes(30),
                        60,
                        10,
                        8,
                        12,
                        30,
                        100,
                        50,
                        1000);
        WallboardView bounded = new WallboardView(clock, small);
        for (int i = 0; i < 1_000; i++) {
            bounded.onMetrics(
                    metrics(SKU, "sku-" + i, MINUTE, minute, 10, 1, (i % 97) + ".00", 0, NOW));
            bounded.onProduct("sku-" + i, product("sku-" + i, "n" + i, "c"));
            bounded.onCoupon(coupon("c-" + i, NOW.minusSeconds(i)));
        }

        assertThat(view.minuteWindowCount()).isEqualTo(120);
        assertThat(view.snapshot().funnel().minutes()).hasSize(60);
        assertThat(bounded.skuValueCount()).isEqualTo(100);
        assertThat(bounded.snapshot().topSkus().rows().get(0).gmv()).isEqualByComparingTo("96.00");
        assertThat(bounded.productCount()).isEqualTo(50);
        assertThat(bounded.actionIdCount()).isLessThanOrEqualTo(1000);
    }

    @Test
    void shouldShowTheNewestAlertsFirstAndEachOnlyOnce() {
        for (int i = 0; i < 20; i++) {
            view.onAlert(
                    alert(
                            "a-" + i,
                            InventoryAlertType.LOW_STOCK,
                            "sku-" + i,
                            NOW.minusSeconds(100 - i),
                            i));
        }
        view.onAlert(
                alert("a-19", InventoryAlertType.LOW_STOCK, "sku-19", NOW.minusSeconds(81), 19));
        view.onProduct("sku-19", product("sku-19", "Oat milk", "dairy"));

        Snapshot.Alerts alerts = view.snapshot().alerts();

        assertThat(alerts.rows()).hasSize(12);
        assertThat(alerts.rows().get(0).actionId()).isEqualTo("a-19");
        assertThat(alerts.rows().get(0).name()).isEqualTo("Oat milk");
        assertThat(alerts.rows().get(1).actionId()).isEqualTo("a-18");
        assertThat(alerts.rows().get(0).text()).contains("reorder point");
        assertThat(alerts.asOf()).isEqualTo(NOW.minusSeconds(81).toEpochMilli());
    }

    @Test
    void shouldCountCouponsAndMarkdownsPerMinuteOnceEach() {
        Instant minute = TODAY.plusSeconds(600);
        view.onCoupon(coupon("c-1", minute.plusSeconds(1)));
        view.onCoupon(coupon("c-1", minute.plusSeconds(1))); // a replay: same action id
        view.onCoupon(coupon("c-2", minute.plusSeconds(59)));
        view.onPrice(price("p-1", PriceActionType.MARKDOWN, minute.plusSeconds(61)));
        view.onPrice(price("p-2", PriceActionType.RESTORE, minute.plusSeconds(62)));

        Snapshot.Actions a = view.snapshot().actions();

        assertThat(a.minutes()).hasSize(30);
        Snapshot.ActionMinute last = a.minutes().get(29);
        Snapshot.ActionMinute before = a.minutes().get(28);
        assertThat(before.start()).isEqualTo(minute.toEpochMilli());
        assertThat(before.coupons()).isEqualTo(2);
        assertThat(last.markdowns()).isEqualTo(1);
        assertThat(last.restores()).isEqualTo(1);
        assertThat(a.coupons()).isEqualTo(2);
        assertThat(a.asOf()).isEqualTo(minute.plusSeconds(62).toEpochMilli());
    }

    @Test
    void shouldCarryProductNamesVerbatimAndWriteThemAsHtmlSafeJson() throws IOException {
        view.onMetrics(metrics(SKU, "sku-x", MINUTE, TODAY, 10, 1, "10.00", 0, NOW));
        view.onProduct("sku-x", product("sku-x", Records.SCRIPT_NAME, "\"quoted\" & <b>bold</b>"));

        String json = SnapshotJson.write(view.snapshot());
        JsonNode row = SnapshotJson.mapper().readTree(json).path("topSkus").path("rows").get(0);

        assertThat(json).doesNotContain("<", ">", "\n");
        assertThat(json).contains("\\u003Cscript\\u003E");
        assertThat(row.path("name").asText()).isEqualTo("<script>alert(1)</script>");
        assertThat(row.path("category").asText()).isEqualTo("\"quoted\" & <b>bold</b>");
    }

    @Test
    void shouldForgetAProductOnATombstone() {
        view.onProduct("sku-1", product("sku-1", "Kettle", "kitchen"));
        view.onProduct("sku-1", null);

        assertThat(view.productCount()).isZero();
    }

    @Test
    void pageScriptShouldNeverInsertHtml() throws IOException {
        String script;
        try (InputStream in = getClass().getResourceAsStream("/wallboard/app.js")) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(script)
                .contains("textContent")
                .doesNotContain(
                        ".innerHTML",
                        ".outerHTML",
                        "insertAdjacentHTML",
                        "document.write",
                        "eval(",
                        "new Function");
    }

    @Test
    void pageShouldLoadChartJsFromThisServerOnly() throws IOException {
        String page;
        try (InputStream in = getClass().getResourceAsStream("/wallboard/index.html")) {
            page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(page)
                .contains("src=\"/vendor/chart.umd.js\"")
                .doesNotContain("http://", "https://");
        assertThat(getClass().getResource("/wallboard/vendor/chart.umd.js"))
                .as("Chart.js copied from node_modules at build")
                .isNotNull();
    }

    private static Instant at(Instant dayStart, int minuteOfDay) {
        return dayStart.plus(Duration.ofMinutes(minuteOfDay));
    }

    /** A clock the test moves. */
    static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant t) {
            now = t;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
