package io.storepulse.engagement;

import static io.storepulse.engagement.EngagementFixtures.browseEvent;
import static io.storepulse.engagement.EngagementFixtures.cartEvent;
import static io.storepulse.engagement.EngagementFixtures.orderEvent;
import static org.assertj.core.api.Assertions.assertThat;

import io.storepulse.metrics.MetricsJob;
import io.storepulse.serde.FutureEventTime;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;
import storepulse.v1.events.BrowseEvent;
import storepulse.v1.events.CartEvent;
import storepulse.v1.events.CartEventType;
import storepulse.v1.events.OrderEvent;
import storepulse.v1.events.OrderEventType;

/** The engagement job's decode-time validators: impossible values go to dead-letters. */
class EngagementValidatorsTest {

    private static CartEvent cartAt(Instant t) {
        return cartEvent("c1", "u1", CartEventType.ADD, "sku-a", 1, "10.00", t);
    }

    private static OrderEvent orderAt(Instant t) {
        return orderEvent("o1", "u1", "order-1", OrderEventType.PLACED, "10.00", t, "sku-a");
    }

    private static BrowseEvent viewAt(Instant t) {
        return browseEvent("b1", "v1", "u1", t);
    }

    @Test
    void shouldRejectCartsOrdersAndPageViewsStampedFarAheadOfTheClock() {
        // event_time is timestamp-millis
        Instant tomorrow = Instant.now().plus(Duration.ofDays(1)).truncatedTo(ChronoUnit.MILLIS);

        assertThat(EngagementJob.CART_VALIDATOR.problem(cartAt(tomorrow)))
                .startsWith("event_time " + tomorrow)
                .contains("more than PT15M ahead of the clock");
        assertThat(EngagementJob.ORDER_VALIDATOR.problem(orderAt(tomorrow)))
                .contains("ahead of the clock");
        assertThat(EngagementJob.BROWSE_VALIDATOR.problem(viewAt(tomorrow)))
                .contains("ahead of the clock");
    }

    @Test
    void shouldAcceptEventsWithinTheSkewAndEventsFromThePast() {
        Instant soon = Instant.now().plus(Duration.ofMinutes(5));
        Instant lastYear = Instant.now().minus(Duration.ofDays(365));

        for (Instant t : new Instant[] {soon, lastYear}) {
            assertThat(EngagementJob.CART_VALIDATOR.problem(cartAt(t))).as("cart %s", t).isNull();
            assertThat(EngagementJob.ORDER_VALIDATOR.problem(orderAt(t)))
                    .as("order %s", t)
                    .isNull();
            assertThat(EngagementJob.BROWSE_VALIDATOR.problem(viewAt(t))).as("view %s", t).isNull();
        }
    }

    @Test
    void shouldDrawTheLineAtTheSameSkewAsTheMetricsJob() {
        Instant now = Instant.parse("2026-11-23T08:00:00Z");
        Instant edge = now.plus(FutureEventTime.MAX_FUTURE_SKEW);

        assertThat(FutureEventTime.MAX_FUTURE_SKEW).isEqualTo(Duration.ofMinutes(15));
        assertThat(FutureEventTime.problem(edge, now)).as("exactly at the limit").isNull();
        assertThat(FutureEventTime.problem(edge.plusMillis(1), now))
                .isEqualTo(
                        "event_time 2026-11-23T08:15:00.001Z is more than PT15M ahead of the"
                                + " clock (2026-11-23T08:00:00Z)");

        // Both jobs dead-letter the same far-future cart event.
        CartEvent future = cartAt(Instant.now().plus(Duration.ofHours(2)));
        assertThat(EngagementJob.CART_VALIDATOR.problem(future)).contains("ahead of the clock");
        assertThat(MetricsJob.CART_VALIDATOR.problem(future)).contains("ahead of the clock");
    }

    @Test
    void shouldStillReportOtherImpossibleValuesFirst() {
        CartEvent negative =
                cartEvent(
                        "c1",
                        "u1",
                        CartEventType.ADD,
                        "sku-a",
                        -1,
                        "10.00",
                        Instant.now().plus(Duration.ofDays(1)));

        assertThat(EngagementJob.CART_VALIDATOR.problem(negative)).contains("quantity -1");
    }
}
