package io.storepulse.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The CI variant of the benchmark suite: the whole harness (broker, registry, pre-load, ceiling,
 * available jobs, SQL peers, latency, scaling, JMH) at tiny sizes. It asserts only that the harness
 * works and writes its report, never any speed.
 */
class BenchHarnessITCase {

    @Test
    void shouldRunTheWholeSuiteAndWriteTheReport() throws Exception {
        Path out = Path.of("target", "bench-ci", "report");
        int code =
                BenchMain.run(
                        "--variant", "ci",
                        "--events", "6000",
                        "--users", "500",
                        "--scaling-keys", "500",
                        "--scaling-events", "4000",
                        "--checkpoint-interval", "1s",
                        "--latency-seconds", "3",
                        "--latency-settle-seconds", "0",
                        "--profile", "off",
                        "--jmh", "quick",
                        "--out", out.toString(),
                        "--work", Path.of("target", "bench-ci", "work").toString());

        assertThat(code).isZero();
        String report = Files.readString(out.resolve("README.md"));
        assertThat(report)
                .contains("## Machine", "## Throughput", "## Flink SQL peers", "## Latency")
                .contains("## Scaling with distinct keys", "## Micro-benchmarks (JMH)")
                .contains("| Cores |", "| JDK |");
        assertThat(report).containsPattern("Ceiling: .*\\*\\*[0-9,.]+ events/s\\*\\*");
        assertThat(out.resolve("throughput.png")).isNotEmptyFile();
        assertThat(out.resolve("scaling-throughput.png")).isNotEmptyFile();
    }
}
