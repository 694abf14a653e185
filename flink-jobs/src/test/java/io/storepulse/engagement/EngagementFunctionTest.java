package io.storepulse.engagement;

import static io.storepulse.engagement.EngagementFixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.storepulse.rules.RuleUpdate;
import io.storepulse.serde.DeadLetters;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import storepulse.v1.actions.CouponAction;
import storepulse.v1.actions.CouponTrigger;
import storepulse.v1.actions.CouponType;
import storepulse.v1.actions.DeadLetterKind;
import storepulse.v1.actions.Segment;
import storepulse.v1.actions.SegmentChange;
import storepulse.v1.events.OrderEventType;
import storepulse.v1.events.RuleScope;
import storepulse.v1.events.RuleSet;

class EngagementFunctionTest {

    private KeyedBroadcastOperatorTestHarness<String, UserEvent, Control, CouponAction> h;

    @BeforeEach
    void setUp() throws Exception {
        h = setupHarness();
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    // ---- abandoned cart ----

    @Test
    void shouldSendAbandonedCartCouponWhenCartIdlesPastTimeout() throws Exception {
        send(h, add("c1", "u1", "sku-a", 2, "10.00", T0));

        watermark(h, at(min(31)));
        assertThat(coupons(h)).as("not before deadline + lateness").isEmpty();

        watermark(h, at(min(32)));
        assertThat(coupons(h)).hasSize(1);
        CouponAction c = coupons(h).get(0);
        assertThat(c.getTrigger()).isEqualTo(CouponTrigger.CART_ABANDONED);
        assertThat(c.getActionId()).isEqualTo("cpn:u1:CART_ABANDONED:" + T0.toEpochMilli());
        assertThat(c.getCartValue()).isEqualByComparingTo("20.00");
        assertThat(c.getCouponValue()).isEqualByComparingTo("5.00");
        assertThat(c.getMinSpend()).isEqualByComparingTo("20.00");
        assertThat(c.getSkus()).containsExactly("sku-a");
        assertThat(c.getEventTime()).isEqualTo(at(min(30)));
        assertThat(c.getValidUntil()).isEqualTo(at(min(30)).plus(hours(48)));
        assertThat(c.getRuleId()).isEqualTo("default");
        assertThat(c.getExplanation().getFigures())
                .containsEntry("cart_value", "20.00")
                .containsEntry("cart_items", "sku-a x2 @ 10.00")
                .containsKeys("cooldown_check", "cap_check", "quiet_hours", "due_at");
    }

    @Test
    void shouldResetIdleTimerOnEveryCartChange() throws Exception {
        send(
                h,
                add("c1", "u1", "sku-a", 1, "10.00", T0),
                add("c2", "u1", "sku-b", 1, "60.00", at(min(20))));

        watermark(h, at(min(40)));
        assertThat(coupons(h)).isEmpty();

        watermark(h, at(min(52)));
        assertThat(coupons(h))
                .singleElement()
                .satisfies(
                        c -> {
                            assertThat(c.getCartValue()).isEqualByComparingTo("70.00");
                            assertThat(c.getCouponValue())
                                    .as("tier 50..100")
                                    .isEqualByComparingTo("10.00");
                            assertThat(c.getSkus()).containsExactly("sku-a", "sku-b");
                        });
    }

    @Test
    void shouldNotSendCouponWhenOrderPlacedBeforeDeadline() throws Exception {
        send(
                h,
                add("c1", "u1", "sku-a", 1, "10.00", T0),
                placed("u1", "o1", "10.00", at(min(10)), "sku-a"));

        watermark(h, at(hours(2)));
        assertThat(coupons(h)).isEmpty();
    }

    @Test
    void shouldSuppressCouponWhenOrderBeforeDeadlineArrivesLate() throws Exception {
        send(h, add("c1", "u1", "sku-a", 1, "10.00", T0));
        watermark(h, at(min(31))); // past the deadline of 10:30, within the 2 min lateness

        send(h, placed("u1", "o1", "10.00", at(min(29)).plusSeconds(30), "sku-a"));
        watermark(h, at(hours(3)));

        assertThat(coupons(h)).isEmpty();
        assertThat(segments(h)).extracting(SegmentChange::getSegment).containsExactly(Segment.NEW);
    }

    @Test
    void shouldDeadLetterOrderLaterThanAllowedLateness() throws Exception {
        send(h, add("c1", "u1", "sku-a", 1, "10.00", T0));
        watermark(h, at(min(33)));
        assertThat(coupons(h)).hasSize(1);

        send(h, placed("u1", "o1", "10.00", at(min(29)), "sku-a"));

        assertThat(h.getSideOutput(DeadLetters.TAG))
                .singleElement()
                .satisfies(
                        r ->
                                assertThat(r.getValue().getErrorKind())
                                        .isEqualTo(DeadLetterKind.TOO_LATE));
    }

    @Test
    void shouldNotSendCouponWhenCheckoutStartedThenPaid() throws Exception {
        send(
                h,
                add("c1", "u1", "sku-a", 1, "10.00", T0),
                checkoutStarted("c2", "u1", at(min(5))),
                order("p1", "u1", "o1", OrderEventType.PAID, "10.00", at(min(34)), "sku-a"));

        watermark(h, at(hours(2)));

        assertThat(coupons(h)).isEmpty();
        assertThat(h.numEventTimeTimers()).as("only the RFM timers remain").isEqualTo(1);
    }

    @Test
    void shouldStartNewEpisodeOnReAddAfterCouponBehindCooldown() throws Exception {
        send(h, add("c1", "u1", "sku-a", 1, "10.00", T0));
        watermark(h, at(min(40)));
        assertThat(coupons(h)).hasSize(1);

        send(h, add("c2", "u1", "sku-b", 1, "10.00", at(hours(2))));
        watermark(h, at(hours(4)));
        assertThat(coupons(h)).as("cooldown of 24 h").hasSize(1);

        send(h, add("c3", "u1", "sku-c", 1, "10.00", at(hours(25))));
        watermark(h, at(hours(26)));
        assertThat(coupons(h)).hasSize(2);
        CouponAction second = coupons(h).get(1);
        assertThat(second.getActionId())
                .isEqualTo("cpn:u1:CART_ABANDONED:" + at(hours(25)).toEpochMilli());
        assertThat(second.getSkus()).containsExactly("sku-a", "sku-b", "sku-c");
        assertThat(second.getExplanation().getFigures().get("cap_check")).startsWith("1 of 2");
    }

    @Test
    void shouldCapAbandonedCartCouponsAtTwoPerWeek() throws Exception {
        for (int i = 0; i < 4; i++) {
            send(h, add("c" + i, "u1", "sku-" + i, 1, "10.00", at(days(i).plus(hours(1)))));
            watermark(h, at(days(i).plus(hours(3))));
        }
        assertThat(coupons(h)).as("days 0 and 1 only").hasSize(2);

        send(h, add("c8", "u1", "sku-8", 1, "10.00", at(days(8))));
        watermark(h, at(days(8).plus(hours(1))));
        assertThat(coupons(h)).as("the week has passed").hasSize(3);
    }

    @Test
    void shouldDelayCouponDueInQuietHoursToTheirEnd() throws Exception {
        Instant evening = Instant.parse("2026-03-02T21:45:00Z");
        send(h, add("c1", "u1", "sku-a", 1, "10.00", evening));

        watermark(h, Instant.parse("2026-03-03T07:59:00Z"));
        assertThat(coupons(h)).isEmpty();

        watermark(h, Instant.parse("2026-03-03T08:02:00Z"));
        assertThat(coupons(h))
                .singleElement()
                .satisfies(
                        c -> {
                            assertThat(c.getEventTime())
                                    .isEqualTo(Instant.parse("2026-03-03T08:00:00Z"));
                            assertThat(c.getExplanation().getFigures().get("due_at"))
                                    .isEqualTo("2026-03-02T22:15:00Z");
                        });
    }

    @Test
    void shouldVoidQuietHoursCouponWhenCustomerOrdersBeforeTheyEnd() throws Exception {
        send(
                h,
                add("c1", "u1", "sku-a", 1, "10.00", Instant.parse("2026-03-02T21:45:00Z")),
                placed("u1", "o1", "10.00", Instant.parse("2026-03-03T06:00:00Z"), "sku-a"));

        watermark(h, Instant.parse("2026-03-03T12:00:00Z"));
        assertThat(coupons(h)).isEmpty();
    }

    @Test
    void shouldKeepQuietHoursOnTheLocalClockOfTheConfiguredZone() throws Exception {
        h.processBroadcastElement(
                rule("eng-ny", 2, Map.of("quiet-hours-zone", "America/New_York")), 0);
        // 21:45 EST: due 22:15 local, inside the quiet hours of New York (not of UTC, 03:15).
        send(h, add("c1", "u1", "sku-a", 1, "10.00", Instant.parse("2026-03-03T02:45:00Z")));

        watermark(h, Instant.parse("2026-03-03T12:59:00Z"));
        assertThat(coupons(h)).as("07:59 in New York").isEmpty();

        watermark(h, Instant.parse("2026-03-03T13:05:00Z"));
        assertThat(coupons(h))
                .singleElement()
                .satisfies(
                        c ->
                                assertThat(c.getEventTime())
                                        .as("08:00 EST")
                                        .isEqualTo(Instant.parse("2026-03-03T13:00:00Z")));
    }

    @Test
    void shouldKeepQuietHoursOnTheLocalClockOnDaylightSavingDays() throws Exception {
        h.processBroadcastElement(
                rule("eng-de", 2, Map.of("quiet-hours-zone", "Europe/Berlin")), 0);
        send(
                h,
                // Due 22:30 CET on Saturday 28 March; the clocks go forward that night.
                add("c1", "u1", "sku-a", 1, "10.00", Instant.parse("2026-03-28T21:00:00Z")),
                // Due 22:30 CEST on Sunday 29 March, the day the clocks went forward.
                add("c2", "u2", "sku-a", 1, "10.00", Instant.parse("2026-03-29T20:00:00Z")),
                // Due 21:30 CET on Sunday 25 October, the day the clocks went back: not quiet yet.
                add("c3", "u3", "sku-a", 1, "10.00", Instant.parse("2026-10-25T20:00:00Z")));

        watermark(h, Instant.parse("2026-10-26T12:00:00Z"));

        assertThat(coupons(h))
                .extracting(CouponAction::getUserId, CouponAction::getEventTime)
                .containsExactlyInAnyOrder(
                        tuple("u1", Instant.parse("2026-03-29T06:00:00Z")), // 08:00 CEST
                        tuple("u2", Instant.parse("2026-03-30T06:00:00Z")), // 08:00 CEST
                        tuple("u3", Instant.parse("2026-10-25T20:30:00Z"))); // at once
    }

    @Test
    void shouldApplyRuleChangesWithoutRestart() throws Exception {
        h.processBroadcastElement(
                rule(
                        "eng-fast",
                        3,
                        Map.of(
                                "cart-idle-timeout",
                                "10m",
                                "quiet-hours-start",
                                "0h",
                                "quiet-hours-end",
                                "0h")),
                0);
        send(h, add("c1", "u1", "sku-a", 1, "10.00", T0));
        watermark(h, at(min(13)));
        assertThat(coupons(h))
                .singleElement()
                .satisfies(
                        c -> {
                            assertThat(c.getRuleId()).isEqualTo("eng-fast");
                            assertThat(c.getRuleVersion()).isEqualTo(3);
                        });
    }

    @Test
    void shouldTakeCouponValuesFromTheMostSpecificChannelRule() throws Exception {
        RuleSet appRule = ruleSet("eng-app", 4, Map.of("cart-percent-tiers", "15,20,25,30"));
        appRule.setScopeType(RuleScope.CHANNEL);
        appRule.setScopeValue("app");
        h.processBroadcastElement(Control.ofRule(RuleUpdate.upsert(appRule)), 0);
        UserEvent fromApp = add("c1", "u1", "sku-a", 1, "10.00", T0);
        fromApp.channel = "app";
        send(h, fromApp, add("c2", "u2", "sku-a", 1, "10.00", T0));

        watermark(h, at(hours(1)));

        assertThat(coupons(h))
                .extracting(
                        CouponAction::getUserId,
                        c -> c.getCouponValue().intValue(),
                        CouponAction::getRuleId)
                .containsExactlyInAnyOrder(tuple("u1", 15, "eng-app"), tuple("u2", 5, "default"));
    }

    // ---- coupon types ----

    @Test
    void shouldSendAmountOffCartCouponsTieredByCartValueAndNeverAboveIt() throws Exception {
        h.processBroadcastElement(
                rule("eng-amount", 5, Map.of("cart-coupon-type", "AMOUNT_OFF", "max-amount", "25")),
                0);
        send(
                h,
                add("c1", "u1", "sku-a", 7, "10.00", T0), // 70.00: tier 50..100
                add("c2", "u2", "sku-a", 1, "3.00", T0), // 3.00: tier 0, 5 off > the cart
                add("c3", "u3", "sku-a", 25, "10.00", T0)); // 250.00: top tier 30, max 25

        watermark(h, at(hours(1)));

        assertThat(coupons(h))
                .extracting(
                        CouponAction::getUserId,
                        CouponAction::getCouponType,
                        CouponAction::getCouponValue,
                        CouponAction::getCurrency,
                        CouponAction::getRuleId)
                .containsExactlyInAnyOrder(
                        tuple("u1", CouponType.AMOUNT_OFF, money("10"), "EUR", "eng-amount"),
                        tuple("u2", CouponType.AMOUNT_OFF, money("3"), "EUR", "eng-amount"),
                        tuple("u3", CouponType.AMOUNT_OFF, money("25"), "EUR", "eng-amount"));
        CouponAction small =
                coupons(h).stream().filter(c -> c.getUserId().equals("u2")).findFirst().get();
        assertThat(small.getMinSpend()).isEqualByComparingTo("3.00");
        assertThat(small.getExplanation().getFigures())
                .containsEntry("coupon_type", "AMOUNT_OFF")
                .containsEntry("amount_capped_at_cart_value", "3.00");
    }

    @Test
    void shouldAddTheSegmentExtraToAmountOffCartCoupons() throws Exception {
        h.processBroadcastElement(
                rule("eng-amount", 5, Map.of("cart-coupon-type", "AMOUNT_OFF")), 0);
        // One order makes u1 NEW, a segment with the extra; the cart comes a day later.
        send(
                h,
                placed("u1", "o1", "10.00", T0, "sku-z"),
                add("c1", "u1", "sku-a", 7, "10.00", at(days(1))));

        watermark(h, at(days(1).plus(hours(1))));

        assertThat(coupons(h))
                .singleElement()
                .satisfies(
                        c -> {
                            assertThat(c.getCouponType()).isEqualTo(CouponType.AMOUNT_OFF);
                            assertThat(c.getCouponValue())
                                    .as("10 + 5 extra")
                                    .isEqualTo(money("15"));
                            assertThat(c.getSegment()).isEqualTo("NEW");
                            assertThat(c.getExplanation().getFigures())
                                    .containsEntry("segment_extra", "5");
                        });
    }

    @Test
    void shouldTakeEachTriggersCouponTypeFromItsOwnRule() throws Exception {
        h.processBroadcastElement(
                rule(
                        "eng-types",
                        6,
                        Map.of(
                                "cart-coupon-type", "FREE_SHIPPING",
                                "repeat-add-coupon-type", "AMOUNT_OFF",
                                "repeat-add-amount", "8",
                                "win-back-coupon-type", "AMOUNT_OFF",
                                "win-back-amount", "15")),
                0);
        // u1 leaves a cart; u2 adds sku-r a third time and keeps it (cart 3.00); u3 goes dormant
        send(h, add("c1", "u1", "sku-a", 1, "10.00", T0), placed("u3", "o3", "40.00", T0));
        for (int i = 0; i < 3; i++) {
            Instant t = at(days(i * 2L));
            send(h, add("a" + i, "u2", "sku-r", 1, "3.00", t));
            if (i < 2) {
                send(h, remove("r" + i, "u2", "sku-r", 1, t.plusSeconds(60)));
            }
        }
        watermark(h, at(days(91)));
        send(h, browse("b1", "u3", at(days(100))));
        watermark(h, at(days(101)));

        assertThat(coupons(h))
                .extracting(
                        CouponAction::getUserId,
                        CouponAction::getTrigger,
                        CouponAction::getCouponType,
                        CouponAction::getCouponValue)
                .containsExactlyInAnyOrder(
                        tuple(
                                "u1",
                                CouponTrigger.CART_ABANDONED,
                                CouponType.FREE_SHIPPING,
                                money("0")),
                        tuple(
                                "u2",
                                CouponTrigger.REPEATED_ADD_TO_CART,
                                CouponType.AMOUNT_OFF,
                                money("3")), // 8 off, but the cart holds 3.00
                        tuple("u3", CouponTrigger.WIN_BACK, CouponType.AMOUNT_OFF, money("15")));
    }

    @Test
    void shouldSwitchCouponTypeWhenTheRuleChangesAtRuntime() throws Exception {
        send(h, add("c1", "u1", "sku-a", 7, "10.00", T0));
        watermark(h, at(min(32)));
        assertThat(coupons(h))
                .extracting(CouponAction::getCouponType, CouponAction::getCouponValue)
                .as("the default: PERCENT_OFF, 10 % for 70.00")
                .containsExactly(tuple(CouponType.PERCENT_OFF, money("10")));

        h.processBroadcastElement(
                rule("eng-types", 2, Map.of("cart-coupon-type", "amount_off")), 0);
        send(h, add("c2", "u2", "sku-a", 7, "10.00", at(min(40))));
        watermark(h, at(hours(2)));

        h.processBroadcastElement(rule("eng-types", 3, Map.of()), 0);
        send(h, add("c3", "u3", "sku-a", 7, "10.00", at(hours(3))));
        watermark(h, at(hours(4)));

        assertThat(coupons(h))
                .extracting(
                        CouponAction::getUserId,
                        CouponAction::getCouponType,
                        CouponAction::getCouponValue,
                        CouponAction::getRuleVersion)
                .containsExactly(
                        tuple("u1", CouponType.PERCENT_OFF, money("10"), 0L),
                        tuple("u2", CouponType.AMOUNT_OFF, money("10"), 2L),
                        tuple("u3", CouponType.PERCENT_OFF, money("10"), 3L));
    }

    @Test
    void shouldRejectMalformedCouponTypeRulesSoThatTheyGoToDeadLetters() {
        assertThat(
                        EngagementRules.CATALOG.problems(
                                ruleSet(
                                        "eng-types",
                                        1,
                                        Map.of(
                                                "cart-coupon-type", "AMOUNT_OFF",
                                                "repeat-add-coupon-type", "FREE_SHIPPING",
                                                "win-back-coupon-type", "percent_off",
                                                "cart-amount-tiers", "5,10,20,30",
                                                "repeat-add-amount", "8.50"))))
                .isEmpty();
        assertThat(
                        EngagementRules.CATALOG.problems(
                                ruleSet(
                                        "eng-bad",
                                        1,
                                        Map.of(
                                                "cart-coupon-type", "BOGO",
                                                "win-back-coupon-type", "UNKNOWN",
                                                "cart-amount-tiers", "30,20",
                                                "max-amount", "-1"))))
                .hasSize(4)
                .anyMatch(p -> p.contains("cart-coupon-type='BOGO'"))
                .anyMatch(p -> p.contains("win-back-coupon-type='UNKNOWN'"))
                .anyMatch(p -> p.contains("cart-amount-tiers='30,20'"))
                .anyMatch(p -> p.contains("max-amount='-1'"));
    }

    // ---- repeated add-to-cart ----

    @Test
    void shouldSendRepeatedAddCouponOnThirdAddWithinWindow() throws Exception {
        for (int i = 0; i < 3; i++) {
            Instant t = at(days(i * 2L));
            send(
                    h,
                    add("a" + i, "u1", "sku-r", 1, "10.00", t),
                    remove("r" + i, "u1", "sku-r", 1, t.plusSeconds(60)));
        }
        watermark(h, at(days(4).plus(min(5))));

        assertThat(coupons(h))
                .singleElement()
                .satisfies(
                        c -> {
                            assertThat(c.getTrigger())
                                    .isEqualTo(CouponTrigger.REPEATED_ADD_TO_CART);
                            assertThat(c.getSkus()).containsExactly("sku-r");
                            assertThat(c.getCouponValue()).isEqualByComparingTo("10.00");
                            assertThat(c.getValidUntil()).isEqualTo(at(days(4)).plus(hours(3)));
                            assertThat(c.getActionId())
                                    .isEqualTo(
                                            "cpn:u1:REPEATED_ADD_TO_CART:sku-r:"
                                                    + at(days(4)).toEpochMilli());
                        });
    }

    @Test
    void shouldNotCountAddsBeforeThePurchaseOrOutsideTheWindow() throws Exception {
        send(
                h,
                add("a0", "u1", "sku-r", 1, "10.00", T0),
                remove("r0", "u1", "sku-r", 1, at(min(1))),
                add("a1", "u1", "sku-r", 1, "10.00", at(days(1))),
                placed("u1", "o1", "10.00", at(days(1).plus(min(5))), "sku-r"),
                add("a2", "u1", "sku-r", 1, "10.00", at(days(2))),
                remove("r2", "u1", "sku-r", 1, at(days(2).plus(min(1)))),
                add("a3", "u1", "sku-r", 1, "10.00", at(days(10))),
                remove("r3", "u1", "sku-r", 1, at(days(10).plus(min(1)))),
                add("a4", "u1", "sku-r", 1, "10.00", at(days(18))),
                remove("r4", "u1", "sku-r", 1, at(days(18).plus(min(1)))));
        watermark(h, at(days(20)));

        assertThat(coupons(h)).isEmpty();
    }

    // ---- RFM ----

    @Test
    void shouldScoreRfmAndEmitSegmentChangesUpToDormancyByTimer() throws Exception {
        send(
                h,
                placed("u1", "o1", "100.00", T0),
                placed("u1", "o2", "100.00", at(days(2))),
                placed("u1", "o3", "100.00", at(days(4))),
                placed("u1", "o4", "100.00", at(days(6))),
                placed("u1", "o5", "600.00", at(days(8))));
        watermark(h, at(days(9)));
        assertThat(segments(h))
                .extracting(SegmentChange::getSegment)
                .containsExactly(Segment.NEW, Segment.POTENTIAL, Segment.LOYAL, Segment.CHAMPION);
        SegmentChange champion = segments(h).get(3);
        assertThat(champion.getFrequency()).isEqualTo(5);
        assertThat(champion.getMonetary()).isEqualByComparingTo("1000.00");
        assertThat(List.of(champion.getRScore(), champion.getFScore(), champion.getMScore()))
                .containsExactly(5, 4, 5);
        assertThat(champion.getPreviousSegment()).isEqualTo(Segment.LOYAL);

        // No further event: only the watermark moves.
        watermark(h, at(days(8 + 45)));
        watermark(h, at(days(8 + 91)));
        List<SegmentChange> all = segments(h);
        assertThat(all)
                .extracting(SegmentChange::getSegment)
                .endsWith(Segment.AT_RISK, Segment.DORMANT);
        SegmentChange dormant = all.get(all.size() - 1);
        assertThat(dormant.getEventTime()).isEqualTo(at(days(8 + 90)));
        assertThat(dormant.getRecencyDays()).isEqualTo(90);
        assertThat(dormant.getRScore()).as("up to 90 days scores 2").isEqualTo(2);
    }

    // ---- win-back ----

    @Test
    void shouldSendWinBackOncePerDormancyEpisode() throws Exception {
        send(h, placed("u1", "o1", "40.00", T0));
        watermark(h, at(days(91)));
        assertThat(segments(h)).extracting(SegmentChange::getSegment).endsWith(Segment.DORMANT);

        send(h, browse("b1", "u1", at(days(100))), browse("b2", "u1", at(days(101))));
        watermark(h, at(days(102)));
        assertThat(coupons(h))
                .singleElement()
                .satisfies(
                        c -> {
                            assertThat(c.getTrigger()).isEqualTo(CouponTrigger.WIN_BACK);
                            assertThat(c.getActionId())
                                    .isEqualTo("cpn:u1:WIN_BACK:" + at(days(90)).toEpochMilli());
                            assertThat(c.getCouponValue()).isEqualByComparingTo("20.00");
                        });

        send(h, placed("u1", "o2", "40.00", at(days(103))));
        watermark(h, at(days(103 + 91)));
        send(h, browse("b3", "u1", at(days(200))));
        watermark(h, at(days(201)));

        assertThat(coupons(h))
                .extracting(CouponAction::getTrigger)
                .containsExactly(CouponTrigger.WIN_BACK, CouponTrigger.WIN_BACK);
        assertThat(coupons(h).get(1).getActionId())
                .isEqualTo("cpn:u1:WIN_BACK:" + at(days(193)).toEpochMilli());
    }

    // ---- messy input ----

    @Test
    void shouldIgnoreDuplicatesAndOrderWithinLateness() throws Exception {
        UserEvent a = add("c1", "u1", "sku-a", 1, "10.00", T0);
        UserEvent b = add("c2", "u1", "sku-b", 1, "30.00", at(min(1)));
        send(h, b, a, a, b);
        watermark(h, at(hours(1)));

        assertThat(coupons(h))
                .singleElement()
                .satisfies(c -> assertThat(c.getCartValue()).isEqualByComparingTo("40.00"));
    }

    // ---- cleanup and bounded timers ----

    @Test
    void shouldLeaveNoTimersOrStateAfterEachEpisode() throws Exception {
        send(
                h,
                add("c1", "u1", "sku-a", 1, "10.00", T0),
                add("c2", "u1", "sku-a", 1, "10.00", at(min(5))));
        watermark(h, at(hours(1)));
        assertThat(coupons(h)).hasSize(1);
        assertThat(h.numEventTimeTimers()).isEqualTo(1);

        watermark(h, at(days(8)));
        assertThat(h.numEventTimeTimers()).isZero();
        assertThat(numKeyedStateEntries(h)).isZero();

        send(
                h,
                add("c3", "u2", "sku-a", 1, "10.00", at(days(9))),
                remove("c4", "u2", "sku-a", 1, at(days(9).plus(min(1)))));
        watermark(h, at(days(17)));
        assertThat(h.numEventTimeTimers()).isZero();
        assertThat(numKeyedStateEntries(h)).isZero();
    }

    @Test
    void shouldLeaveNoTimersOrStateAfterARepeatedAddEpisode() throws Exception {
        for (int i = 0; i < 3; i++) {
            Instant t = at(days(i * 2L));
            send(
                    h,
                    add("a" + i, "u1", "sku-r", 1, "10.00", t),
                    remove("r" + i, "u1", "sku-r", 1, t.plusSeconds(60)));
        }
        watermark(h, at(days(5)));
        assertThat(coupons(h))
                .extracting(CouponAction::getTrigger)
                .containsExactly(CouponTrigger.REPEATED_ADD_TO_CART);
        assertThat(h.numEventTimeTimers()).as("the sent coupon, for cooldown and cap").isOne();

        // The coupon at day 4 is remembered for the 7-day cap window, then nothing is left.
        watermark(h, at(days(11).plus(min(3))));
        assertThat(h.numEventTimeTimers()).isZero();
        assertThat(numKeyedStateEntries(h)).isZero();
    }

    @Test
    void shouldKeepOnlyTheDormancyMarkerAfterAWinBackEpisode() throws Exception {
        send(h, placed("u1", "o1", "40.00", T0));
        watermark(h, at(days(91)));
        send(h, browse("b1", "u1", at(days(100))));
        watermark(h, at(days(101)));
        assertThat(coupons(h))
                .extracting(CouponAction::getTrigger)
                .containsExactly(CouponTrigger.WIN_BACK);

        // After the cap window (the coupon) and the RFM window (the order) nothing is pending:
        // no timer, and one value left, the segment that recognises the next return
        // (docs/jobs/engagement.md, known limits; the TTL is its backstop).
        watermark(h, at(days(366)));
        assertThat(h.numEventTimeTimers()).isZero();
        assertThat(numKeyedStateEntries(h)).isOne();

        send(h, browse("b2", "u1", at(days(370))));
        watermark(h, at(days(371)));
        assertThat(coupons(h)).as("still once per dormancy episode").hasSize(1);
        assertThat(h.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldKeepAtMostOneTimerPerUser() throws Exception {
        for (int i = 0; i < 200; i++) {
            Instant t = at(min(i * 7L));
            send(h, add("c" + i, "u1", "sku-" + (i % 5), 1, "10.00", t));
            if (i % 3 == 0) {
                send(h, placed("u1", "o" + i, "10.00", t.plusSeconds(30), "sku-" + (i % 5)));
            }
            if (i % 2 == 0) {
                send(h, browse("b" + i, "u1", t.plusSeconds(10)));
            }
            assertThat(h.numEventTimeTimers()).isLessThanOrEqualTo(1);
            watermark(h, t.minus(min(1)));
            assertThat(h.numEventTimeTimers()).isLessThanOrEqualTo(1);
        }
    }
}
