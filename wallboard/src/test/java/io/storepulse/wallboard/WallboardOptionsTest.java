package io.storepulse.wallboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WallboardOptionsTest {

    @Test
    void shouldListenOnLoopbackByDefault() {
        WallboardServer.Options o = WallboardServer.Options.parse();

        assertThat(o.host()).isEqualTo("127.0.0.1");
        assertThat(o.port()).isEqualTo(8088);
        assertThat(o.staleAfterDuration()).isEqualTo(Duration.ofMinutes(3));
        assertThat(o.lookbackDuration()).isEqualTo(Duration.ofHours(26));
    }

    @Test
    void shouldPassConnectionOptionsToTheSharedSettings() {
        WallboardServer.Options o =
                WallboardServer.Options.parse(
                        "--port",
                        "9099",
                        "--bootstrap-servers",
                        "127.0.0.1:19092",
                        "--registry-url",
                        "http://127.0.0.1:18081/apis/ccompat/v7",
                        "--stale-after",
                        "90s");

        assertThat(o.port()).isEqualTo(9099);
        assertThat(o.staleAfterDuration()).isEqualTo(Duration.ofSeconds(90));
        assertThat(o.connection().bootstrapServers()).isEqualTo("127.0.0.1:19092");
        assertThat(o.connection().registryConfig().url())
                .isEqualTo("http://127.0.0.1:18081/apis/ccompat/v7");
    }

    @Test
    void shouldRefuseAMalformedDuration() {
        WallboardServer.Options o = WallboardServer.Options.parse("--stale-after", "soon");

        assertThatThrownBy(o::staleAfterDuration).hasMessageContaining("--stale-after");
    }
}
