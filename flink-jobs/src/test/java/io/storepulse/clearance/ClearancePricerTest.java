package io.storepulse.clearance;

import static io.storepulse.clearance.ClearanceFixtures.DAY;
import static io.storepulse.clearance.ClearanceFixtures.HOUR;
import static io.storepulse.clearance.ClearanceFixtures.T0;
import static io.storepulse.clearance.ClearanceFixtures.level;
import static io.storepulse.clearance.ClearanceFixtures.money;
import static io.storepulse.clearance.ClearanceFixtures.product;
import static io.storepulse.clearance.ClearanceFixtures.rule;
import static io.storepulse.clearance.ClearanceFixtures.ruleSet;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.rules.RuleUpdate;
import io.storepulse.rules.RulesState;
import io.storepulse.serde.DeadLetters;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.actions.InventoryLevel;
import storepulse.v1.actions.MarkdownReason;
import storepulse.v1.actions.PriceAction;
import storepulse.v1.actions.PriceActionType;
import storepulse.v1.events.Product;
import storepulse.v1.events.RuleScope;

class ClearancePricerTest {

    private static final String SKU = "sku-1";

    /** With the default 14 active days, a SKU first seen at T0 may be marked down from here. */
    private static final long ACTIVE = T0 + 14 * DAY;

    private KeyedBroadcastOperatorTestHarness<String, SkuSignal, RuleUpdate, PriceAction> harness;

    @BeforeEach
    void setupHarness() throws Exception {
        harness =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new ClearancePricer(),
                        SkuSignal::getSku,
                        Types.STRING,
                        RulesState.DESCRIPTOR);
        harness.processBroadcastWatermark(Long.MAX_VALUE);
    }

    @AfterEach
    void closeHarness() throws Exception {
        harness.close();
    }

    // ---- the ladder -------------------------------------------------------------------------

    @Test
    void shouldClimbOneTierPerCadenceUpToTheMaximumDepth() throws Exception {
        givenSlowSku("100.00", "40.00", "45.00");

        watermark(ACTIVE + 30 * DAY - HOUR);

        List<PriceAction> actions = actions();
        assertThat(actions).extracting(PriceAction::getTier).containsExactly(1, 2, 3, 4, 5);
        assertThat(actions)
                .extracting(PriceAction::getNewPrice)
                .containsExactly(
                        money("90.00"),
                        money("80.00"),
                        money("70.00"),
                        money("60.00"),
                        money("50.00"));
        assertThat(actions)
                .extracting(a -> a.getEventTime().toEpochMilli())
                .containsExactly(
                        ACTIVE,
                        ACTIVE + 2 * DAY,
                        ACTIVE + 4 * DAY,
                        ACTIVE + 6 * DAY,
                        ACTIVE + 8 * DAY);
        assertThat(actions).allMatch(a -> a.getReason() == MarkdownReason.SLOW_MOVING);
        assertThat(actions).allMatch(a -> a.getType() == PriceActionType.MARKDOWN);
        PriceAction first = actions.get(0);
        assertThat(first.getOldPrice()).isEqualTo(money("100.00"));
        assertThat(first.getFloorPrice()).isEqualTo(money("45.00"));
        assertThat(first.getActionId()).isEqualTo("sku-1/SLOW_MOVING/e" + ACTIVE + "/t1");
        assertThat(first.getValidUntil()).isEqualTo(Instant.ofEpochMilli(ACTIVE + 30 * DAY));
        assertThat(first.getRuleId()).isEqualTo("default");
        assertThat(first.getExplanation().getFigures())
                .containsEntry("sold_units_7d", "0")
                .containsEntry("on_hand", "1000")
                .containsEntry("sell_through", "0.000");
        assertThat(actions.get(1).getOldPrice()).isEqualTo(money("90.00"));
    }

    @Test
    void shouldPassOverATierThatRoundsToTheCurrentPrice() throws Exception {
        // Whole units on a 5.00 list: -10 % and -20 % both round to 4.00, -30 % and -40 % to 3.00.
        harness.processBroadcastElement(rule("r", 1, Map.of("rounding", "WHOLE")), T0);
        givenSlowSku("5.00", "1.00", "1.00");

        watermark(ACTIVE + 10 * DAY);

        List<PriceAction> actions = actions();
        assertThat(actions).extracting(PriceAction::getTier).containsExactly(1, 3, 5);
        assertThat(actions)
                .extracting(PriceAction::getNewPrice)
                .containsExactly(money("4.00"), money("3.00"), money("2.00"));
        assertThat(actions)
                .extracting(a -> a.getEventTime().toEpochMilli())
                .containsExactly(ACTIVE, ACTIVE + 2 * DAY, ACTIVE + 4 * DAY);
    }

    @Test
    void shouldNotMarkDownBeforeTheSkuHasBeenActiveLongEnough() throws Exception {
        givenSlowSku("100.00", "40.00", "45.00");

        watermark(ACTIVE - 1);

        assertThat(actions()).isEmpty();
    }

    @Test
    void shouldMarkDownOverstockWithItsOwnReason() throws Exception {
        givenOverstockSku();

        watermark(ACTIVE);

        List<PriceAction> actions = actions();
        assertThat(actions).hasSize(1);
        assertThat(actions.get(0).getReason()).isEqualTo(MarkdownReason.OVERSTOCK);
        assertThat(actions.get(0).getActionId()).isEqualTo("sku-1/OVERSTOCK/e" + ACTIVE + "/t1");
    }

    // ---- floors -----------------------------------------------------------------------------

    @Test
    void shouldStopAtTheFloorOfUnitCostAndMinPrice() throws Exception {
        givenSlowSku("100.00", "70.00", "65.00");

        watermark(ACTIVE + 20 * DAY);

        List<PriceAction> actions = actions();
        assertThat(actions)
                .extracting(PriceAction::getNewPrice)
                .containsExactly(money("90.00"), money("80.00"), money("70.00"));
        assertThat(actions).allMatch(a -> a.getFloorPrice().equals(money("70.00")));
    }

    @Test
    void shouldKeepExpiringStockAtTheRegularFloorWithoutTheLossRule() throws Exception {
        givenExpiringSku("10.00", "7.00", "6.00", T0 + 3 * DAY);

        watermark(T0 + 3 * DAY - HOUR);

        assertThat(actions())
                .extracting(PriceAction::getNewPrice)
                .containsExactly(money("8.00"), money("7.00"));
    }

    @Test
    void shouldGoBelowCostForExpiringStockWhenTheLossRuleAllowsIt() throws Exception {
        harness.processBroadcastElement(
                rule("loss", 1, Map.of("allow_loss_on_expiry", "true")), T0);
        givenExpiringSku("10.00", "7.00", "6.00", T0 + 3 * DAY);

        watermark(T0 + 3 * DAY - HOUR);

        List<PriceAction> actions = actions();
        assertThat(actions)
                .extracting(PriceAction::getNewPrice)
                .containsExactly(money("8.00"), money("6.00"), money("4.00"));
        assertThat(actions).allMatch(a -> a.getFloorPrice().equals(money("2.00")));
        assertThat(actions).allMatch(a -> a.getRuleId().equals("loss"));
    }

    @Test
    void shouldNeverGoBelowTheLossFloor() throws Exception {
        harness.processBroadcastElement(
                rule(
                        "loss",
                        1,
                        Map.of(
                                "allow_loss_on_expiry", "true",
                                "loss_floor_fraction", "0.50")),
                T0);
        givenExpiringSku("10.00", "7.00", "6.00", T0 + 3 * DAY);

        watermark(T0 + 3 * DAY - HOUR);

        assertThat(actions())
                .extracting(PriceAction::getNewPrice)
                .containsExactly(money("8.00"), money("6.00"), money("5.00"));
    }

    @Test
    void shouldRoundPricesAsTheRuleSays() throws Exception {
        harness.processBroadcastElement(rule("r", 1, Map.of("rounding", "ending_99")), T0);
        givenSlowSku("100.00", "40.00", "45.00");

        watermark(ACTIVE + 2 * DAY);

        assertThat(actions())
                .extracting(PriceAction::getNewPrice)
                .containsExactly(money("89.99"), money("79.99"));
    }

    // ---- near expiry ------------------------------------------------------------------------

    @Test
    void shouldClimbTheExpiryLadderOnTimeWithoutAnyOtherEvent() throws Exception {
        long expiry = T0 + 3 * DAY + 17 * 60_000; // not on the hourly grid
        givenExpiringSku("10.00", "2.00", "2.00", expiry);

        watermark(expiry - 1);

        List<PriceAction> actions = actions();
        assertThat(actions).extracting(PriceAction::getTier).containsExactly(1, 2, 3);
        assertThat(actions)
                .extracting(a -> a.getEventTime().toEpochMilli())
                .containsExactly(expiry - 24 * HOUR, expiry - 6 * HOUR, expiry - 2 * HOUR);
        assertThat(actions)
                .extracting(PriceAction::getNewPrice)
                .containsExactly(money("8.00"), money("6.00"), money("4.00"));
        assertThat(actions).allMatch(a -> a.getReason() == MarkdownReason.NEAR_EXPIRY);
        assertThat(actions).allMatch(a -> a.getValidUntil().equals(Instant.ofEpochMilli(expiry)));
    }

    @Test
    void shouldRestoreWhenTheLotExpires() throws Exception {
        long expiry = T0 + 3 * DAY;
        givenExpiringSku("10.00", "2.00", "2.00", expiry);

        watermark(expiry);

        PriceAction last = last();
        assertThat(last.getType()).isEqualTo(PriceActionType.RESTORE);
        assertThat(last.getReason()).isEqualTo(MarkdownReason.NEAR_EXPIRY);
        assertThat(last.getNewPrice()).isEqualTo(money("10.00"));
        assertThat(last.getOldPrice()).isEqualTo(money("4.00"));
        assertThat(last.getEventTime().toEpochMilli()).isEqualTo(expiry);
        assertThat(last.getExplanation().getText()).contains("expired");
    }

    @Test
    void shouldRestoreWhenTheExpiringLotSellsOut() throws Exception {
        long expiry = T0 + 3 * DAY;
        givenExpiringSku("10.00", "2.00", "2.00", expiry);
        watermark(expiry - 20 * HOUR);
        long soldOut = expiry - 19 * HOUR - 30 * 60_000;
        harness.processElement(
                SkuSignal.level(level(SKU, "w1", 20, 0, null, null, soldOut)), soldOut);

        watermark(expiry - 19 * HOUR);

        PriceAction last = last();
        assertThat(actions()).hasSize(2);
        assertThat(last.getType()).isEqualTo(PriceActionType.RESTORE);
        assertThat(last.getEventTime().toEpochMilli()).isEqualTo(expiry - 19 * HOUR);
        assertThat(last.getExplanation().getText()).contains("sold out");
        assertThat(last.getActionId())
                .isEqualTo("sku-1/NEAR_EXPIRY/e" + (expiry - DAY) + "/restore");
    }

    @Test
    void shouldRestoreWhenAFreshLotIsNext() throws Exception {
        long expiry = T0 + 3 * DAY;
        givenExpiringSku("10.00", "2.00", "2.00", expiry);
        watermark(expiry - 20 * HOUR);
        long fresh = expiry - 19 * HOUR - 30 * 60_000;
        harness.processElement(
                SkuSignal.level(level(SKU, "w1", 80, 0, expiry + 10 * DAY, 80L, fresh)), fresh);

        watermark(expiry - 19 * HOUR);

        PriceAction last = last();
        assertThat(last.getType()).isEqualTo(PriceActionType.RESTORE);
        assertThat(last.getExplanation().getText()).contains("fresh lot");
    }

    // ---- no flapping and restores -----------------------------------------------------------

    @Test
    void shouldWaitTheMinimumIntervalBeforeRestoringInTheReorderZone() throws Exception {
        givenSlowSku("100.00", "40.00", "45.00");
        watermark(ACTIVE);
        harness.processElement(
                SkuSignal.level(level(SKU, "w1", 5, 10, ACTIVE + 30 * 60_000)),
                ACTIVE + 30 * 60_000);

        watermark(ACTIVE + 6 * HOUR - 1);
        assertThat(actions()).hasSize(1);

        watermark(ACTIVE + 6 * HOUR);
        PriceAction restore = last();
        assertThat(restore.getType()).isEqualTo(PriceActionType.RESTORE);
        assertThat(restore.getEventTime().toEpochMilli()).isEqualTo(ACTIVE + 6 * HOUR);
        assertThat(restore.getNewPrice()).isEqualTo(money("100.00"));
        assertThat(restore.getOldPrice()).isEqualTo(money("90.00"));
        assertThat(restore.getTier()).isZero();
        assertThat(restore.getExplanation().getText()).contains("reorder zone");
    }

    @Test
    void shouldRestoreRecoveredSalesOnlyAfterHysteresis() throws Exception {
        givenSlowSku("100.00", "40.00", "45.00");
        watermark(ACTIVE);
        // 200 sold against 1000 on hand: sell-through 16.7 %, over the 10 % restore threshold.
        long surge = ACTIVE + 30 * 60_000;
        harness.processElement(SkuSignal.sale(SKU, "surge", 200, surge), surge);

        watermark(ACTIVE + HOUR + 24 * HOUR - 1);
        assertThat(actions()).hasSize(1);

        watermark(ACTIVE + HOUR + 24 * HOUR);
        PriceAction restore = last();
        assertThat(restore.getType()).isEqualTo(PriceActionType.RESTORE);
        assertThat(restore.getExplanation().getText()).contains("sales recovered");
        assertThat(restore.getExplanation().getFigures()).containsEntry("sold_units_7d", "200");
    }

    @Test
    void shouldRestoreOverstockOnlyAfterCoverStaysLowForTheHysteresis() throws Exception {
        givenOverstockSku();
        watermark(ACTIVE);
        assertThat(last().getReason()).isEqualTo(MarkdownReason.OVERSTOCK);
        // 400 more sold: 1100 a week against 13 000 on hand is 83 days of cover, under the 90
        // at which overstock counts as gone (still over 5 % sell-through, so not slow either).
        long surge = ACTIVE + 30 * 60_000;
        harness.processElement(SkuSignal.sale(SKU, "surge", 400, surge), surge);

        watermark(ACTIVE + HOUR + 24 * HOUR - 1);
        assertThat(actions()).hasSize(1);

        watermark(ACTIVE + HOUR + 24 * HOUR);
        PriceAction restore = last();
        assertThat(restore.getType()).isEqualTo(PriceActionType.RESTORE);
        assertThat(restore.getReason()).isEqualTo(MarkdownReason.OVERSTOCK);
        assertThat(restore.getNewPrice()).isEqualTo(money("100.00"));
        assertThat(restore.getExplanation().getText()).contains("sales recovered");
        assertThat(restore.getActionId()).isEqualTo("sku-1/OVERSTOCK/e" + ACTIVE + "/restore");
    }

    @Test
    void shouldRestartHysteresisWhenSalesFallBackInTheBand() throws Exception {
        givenSlowSku("100.00", "40.00", "45.00");
        watermark(ACTIVE);
        long surge = ACTIVE + 30 * 60_000;
        harness.processElement(SkuSignal.sale(SKU, "surge", 200, surge), surge);
        watermark(ACTIVE + 12 * HOUR);
        // A cancellation brings sell-through back to 7 %: between slow (5 %) and recovered (10 %).
        long cancel = ACTIVE + 12 * HOUR + 60_000;
        harness.processElement(SkuSignal.sale(SKU, "cancel", -125, cancel), cancel);

        watermark(ACTIVE + 3 * DAY);

        assertThat(actions()).hasSize(1);
    }

    @Test
    void shouldNotReactToADuplicateSale() throws Exception {
        givenSlowSku("100.00", "40.00", "45.00");
        watermark(ACTIVE);
        long at = ACTIVE + 30 * 60_000;
        // 60 units give 5.7 % sell-through (not recovered); counted twice they would be 10.7 %.
        harness.processElement(SkuSignal.sale(SKU, "dup", 60, at), at);
        harness.processElement(SkuSignal.sale(SKU, "dup", 60, at), at);

        watermark(ACTIVE + 2 * DAY - 1);

        assertThat(actions()).hasSize(1);
    }

    @Test
    void shouldRestoreWhenTheMarkdownReachesItsMaximumDuration() throws Exception {
        harness.processBroadcastElement(rule("r", 1, Map.of("markdown_max_duration", "3d")), T0);
        givenSlowSku("100.00", "40.00", "45.00");

        watermark(ACTIVE + 3 * DAY);

        PriceAction last = last();
        assertThat(last.getType()).isEqualTo(PriceActionType.RESTORE);
        assertThat(last.getEventTime().toEpochMilli()).isEqualTo(ACTIVE + 3 * DAY);
        assertThat(actions().get(0).getValidUntil())
                .isEqualTo(Instant.ofEpochMilli(ACTIVE + 3 * DAY));
    }

    @Test
    void shouldLetExpiryTakeOverASlowMarkdownWithoutWaiting() throws Exception {
        long expiry = ACTIVE + 2 * HOUR + 2 * DAY;
        harness.processElement(
                SkuSignal.product(product(SKU, "100.00", "10.00", "10.00", true, T0)), T0);
        harness.processElement(SkuSignal.level(level(SKU, "w1", 1000, 10, expiry, 1000L, T0)), T0);

        watermark(expiry - 24 * HOUR);

        List<PriceAction> actions = actions();
        assertThat(actions)
                .extracting(PriceAction::getReason)
                .containsExactly(MarkdownReason.SLOW_MOVING, MarkdownReason.NEAR_EXPIRY);
        assertThat(actions.get(1).getOldPrice()).isEqualTo(money("90.00"));
        assertThat(actions.get(1).getNewPrice()).isEqualTo(money("80.00"));
    }

    // ---- rules, bad inputs, cleanup ---------------------------------------------------------

    @Test
    void shouldApplyARulesChangeWithoutRestart() throws Exception {
        givenSlowSku("100.00", "40.00", "45.00");
        watermark(T0 + 8 * DAY);
        assertThat(actions()).isEmpty();

        harness.processBroadcastElement(
                RuleUpdate.upsert(
                        ruleSet(
                                "fast-clearance",
                                7,
                                RuleScope.SKU,
                                SKU,
                                Map.of("min_active_days", "7", "tier_step", "0.25"))),
                T0 + 8 * DAY);
        watermark(T0 + 8 * DAY + HOUR);

        List<PriceAction> actions = actions();
        assertThat(actions).hasSize(1);
        assertThat(actions.get(0).getNewPrice()).isEqualTo(money("75.00"));
        assertThat(actions.get(0).getRuleId()).isEqualTo("fast-clearance");
        assertThat(actions.get(0).getRuleVersion()).isEqualTo(7L);
    }

    @Test
    void shouldLeaveASkuWithAnImpossibleCatalogRecordUnpriced() throws Exception {
        harness.processElement(
                SkuSignal.product(product(SKU, "100.00", "40.00", "120.00", false, T0)), T0);
        harness.processElement(SkuSignal.level(level(SKU, "w1", 1000, 10, T0)), T0);

        watermark(ACTIVE + 5 * DAY);

        assertThat(actions()).isEmpty();
        assertThat(harness.getSideOutput(DeadLetters.TAG))
                .extracting(StreamRecord::getValue)
                .singleElement()
                .satisfies(
                        d -> {
                            assertThat(d.getErrorKind()).isEqualTo(DeadLetterKind.IMPOSSIBLE_VALUE);
                            assertThat(d.getErrorMessage()).contains("min_price");
                        });
    }

    @Test
    void shouldReportSalesBeyondTheAllowedLateness() throws Exception {
        givenSlowSku("100.00", "40.00", "45.00");
        watermark(T0 + DAY);
        harness.processElement(SkuSignal.sale(SKU, "late", 5, T0 + 2 * HOUR), T0 + 2 * HOUR);

        assertThat(harness.getSideOutput(DeadLetters.TAG))
                .extracting(r -> r.getValue().getErrorKind())
                .containsExactly(DeadLetterKind.TOO_LATE);
    }

    @Test
    void shouldStopTimersOnceStockIsGoneAndRestored() throws Exception {
        givenSlowSku("100.00", "40.00", "45.00");
        watermark(ACTIVE);
        harness.processElement(
                SkuSignal.level(level(SKU, "w1", 0, 10, ACTIVE + HOUR)), ACTIVE + HOUR);

        watermark(ACTIVE + 10 * DAY);

        assertThat(last().getType()).isEqualTo(PriceActionType.RESTORE);
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldKeepOnlyTheCurrentLevelOfASkuMissingFromTheCatalog() throws Exception {
        // Stock keeps arriving for a SKU that has no catalog record: it is never priced, and
        // its old levels must not pile up in state.
        for (int h = 0; h < 48; h++) {
            long at = T0 + h * HOUR;
            harness.processElement(SkuSignal.level(level(SKU, "w1", 1000 - h, 10, at)), at);
            watermark(at);
        }
        watermark(T0 + 3 * DAY);

        assertThat(actions()).isEmpty();
        harness.getOperator().setCurrentKey(SKU);
        List<InventoryLevel> kept =
                harness.getOperator()
                        .getKeyedStateStore()
                        .getMapState(ClearancePricer.LEVELS)
                        .get("w1");
        assertThat(kept).extracting(InventoryLevel::getOnHand).containsExactly(1000L - 47);
    }

    @Test
    void shouldKeepTheCatalogAndStockOfASkuThatHoldsStockBeyondTheTtl() throws Exception {
        // The catalog record and the stock are written once; the job then runs for 200 days of
        // processing time while the SKU, holding stock, is evaluated every hour.
        harness.setStateTtlProcessingTime(0);
        givenSlowSku("100.00", "40.00", "45.00");
        harness.setStateTtlProcessingTime(Duration.ofDays(100).toMillis());
        watermark(T0 + 7 * DAY);
        harness.setStateTtlProcessingTime(Duration.ofDays(200).toMillis());

        watermark(ACTIVE);

        assertThat(actions())
                .singleElement()
                .satisfies(
                        a -> {
                            assertThat(a.getReason()).isEqualTo(MarkdownReason.SLOW_MOVING);
                            assertThat(a.getOldPrice()).isEqualTo(money("100.00"));
                            assertThat(a.getExplanation().getFigures())
                                    .containsEntry("on_hand", "1000");
                        });
    }

    // ---- helpers ----------------------------------------------------------------------------

    private void givenSlowSku(String list, String cost, String min) throws Exception {
        harness.processElement(SkuSignal.product(product(SKU, list, cost, min, false, T0)), T0);
        harness.processElement(SkuSignal.level(level(SKU, "w1", 1000, 10, T0)), T0);
    }

    /**
     * It sells too well to be slow (sell-through over 5 %) but holds far over 120 days of cover:
     * 700 a week against 13 000 on hand is 5.1 % and 130 days.
     */
    private void givenOverstockSku() throws Exception {
        harness.processElement(
                SkuSignal.product(product(SKU, "100.00", "40.00", "45.00", false, T0)), T0);
        harness.processElement(SkuSignal.level(level(SKU, "w1", 10_000, 10, T0)), T0);
        for (int d = 0; d < 20; d++) {
            long at = T0 + d * DAY + HOUR;
            harness.processElement(SkuSignal.sale(SKU, "e" + d, 100, at), at);
        }
        harness.processElement(SkuSignal.level(level(SKU, "w1", 13_000, 10, T0 + HOUR)), T0 + HOUR);
    }

    private void givenExpiringSku(String list, String cost, String min, long expiry)
            throws Exception {
        Product p = product(SKU, list, cost, min, true, T0);
        InventoryLevel l = level(SKU, "w1", 50, 0, expiry, 50L, T0);
        harness.processElement(SkuSignal.product(p), T0);
        harness.processElement(SkuSignal.level(l), T0);
    }

    /** Moves event time to {@code t}: evaluations up to t run once the lateness has passed. */
    private void watermark(long t) throws Exception {
        harness.processWatermark(t + ClearanceJob.ALLOWED_LATENESS.toMillis());
    }

    private List<PriceAction> actions() {
        return harness.extractOutputValues();
    }

    private PriceAction last() {
        List<PriceAction> a = actions();
        assertThat(a).isNotEmpty();
        return a.get(a.size() - 1);
    }
}
