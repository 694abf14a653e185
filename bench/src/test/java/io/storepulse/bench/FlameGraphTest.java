package io.storepulse.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlameGraphTest {

    @TempDir Path dir;

    @Test
    void shouldDrawTheMethodThatTookTheCpuAndNameItInTheSummary() throws Exception {
        // Given a recording of a thread busy in one method
        var rec = FlameGraph.start();
        long deadline = System.nanoTime() + 1_500_000_000L;
        long sink = 0;
        while (System.nanoTime() < deadline) {
            sink += busy();
        }
        Path jfr = dir.resolve("busy.jfr");
        FlameGraph.stop(rec, jfr);

        // When it is drawn
        FlameGraph.Summary sum = FlameGraph.render(jfr, dir.resolve("flame.svg"), "busy " + sink);

        // Then the flame graph and the summary show where the time went
        assertThat(sum.samples()).isPositive();
        assertThat(Files.readString(dir.resolve("flame.svg")))
                .startsWith("<svg")
                .contains("io.storepulse.bench.FlameGraphTest.busy");
        assertThat(sum.total())
                .extracting(e -> e.getKey())
                .contains("io.storepulse.bench.FlameGraphTest.busy");
        assertThat(sum.areas()).extracting(e -> e.getKey()).contains("Storepulse code");
    }

    private static long busy() {
        long x = 0;
        for (int i = 0; i < 100_000; i++) {
            x += Long.rotateLeft(x ^ i, 7);
        }
        return x;
    }
}
