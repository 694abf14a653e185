package io.storepulse.clearance;

import static io.storepulse.clearance.ClearanceFixtures.money;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The price arithmetic on its own: discounts, rounding and floors, including small prices. */
class ClearancePricingTest {

    @ParameterizedTest(name = "{0} less {1} with floor {2}, {3}: {4}")
    @CsvSource({
        // ordinary prices: rounded down as the rule says
        "100.00, 0.10, 45.00, CENTS,     90.00",
        "100.00, 0.10, 45.00, ENDING_99, 89.99",
        "100.00, 0.15, 45.00, WHOLE,     85.00",
        "19.95,  0.10, 5.00,  WHOLE,     17.00",
        // the floor, rounded up as the rule says, when the discount would cut below it
        "100.00, 0.50, 70.00, CENTS,     70.00",
        "100.00, 0.50, 70.00, ENDING_99, 70.99",
        "100.00, 0.50, 70.10, WHOLE,     71.00",
        // no x.99 or whole price fits between the floor and list: the floor to the cent
        "10.50,  0.10, 10.10, WHOLE,     10.10",
        // a list price under one unit: no x.99 or whole price is below it, so the tier's
        // discount to the cent, neither a cut to the floor nor a price of nothing
        "0.79,   0.20, 0.30,  ENDING_99, 0.63",
        "0.79,   0.20, 0.00,  ENDING_99, 0.63",
        "0.80,   0.10, 0.00,  WHOLE,     0.72",
        "0.80,   0.10, 0.75,  WHOLE,     0.75",
        // nothing above zero is left: no markdown
        "0.01,   0.95, 0.00,  CENTS,     0.01",
    })
    void shouldPriceWithinTheFloorAndListAsTheRoundingRuleSays(
            String list, String discount, String floor, String rounding, String expected) {
        BigDecimal price =
                Pricing.markdownPrice(
                        money(list), new BigDecimal(discount), money(floor), rounding);

        assertThat(price).isEqualTo(money(expected));
        assertThat(price).isGreaterThanOrEqualTo(money(floor)).isPositive();
        assertThat(price).isLessThanOrEqualTo(money(list));
    }
}
