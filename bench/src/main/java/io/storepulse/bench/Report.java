package io.storepulse.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/** The Markdown report and its PNG charts (XChart). */
public final class Report {

    /** One throughput row: a measured run, or why there is none. */
    public record Row(String name, String kind, FlinkRunner.RunResult run, String note) {}

    /** One point of a scaling curve. */
    public record ScalePoint(String target, int keys, FlinkRunner.RunResult run) {}

    /** One JMH result. */
    public record Micro(String benchmark, double score, double error, String unit) {}

    final StringBuilder md = new StringBuilder();
    final Path dir;

    public Report(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String f(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, v >= 100 ? "%,.0f" : "%,.2f", v);
    }

    static String pct(double ratio) {
        return Double.isNaN(ratio) ? "n/a" : String.format(Locale.ROOT, "%.0f %%", ratio * 100);
    }

    static String mb(long bytes) {
        return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%,.1f MB", bytes / 1e6);
    }

    public void line(String s) {
        md.append(s).append('\n');
    }

    public void throughputChart(String file, double ceiling, List<Row> rows) {
        CategoryChart c =
                new CategoryChartBuilder()
                        .width(900)
                        .height(480)
                        .title("Throughput (events/s), same run")
                        .xAxisTitle("pipeline")
                        .yAxisTitle("events/s")
                        .build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setXAxisLabelRotation(20);
        List<String> names = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        names.add("ceiling");
        values.add(ceiling);
        for (Row r : rows) {
            if (r.run() != null) {
                names.add(r.name());
                values.add(r.run().eventsPerSecond());
            }
        }
        c.addSeries("events/s", names, values);
        save(c, file);
    }

    public void latencyChart(String file, List<LatencyProbe.Result> results) {
        if (results.isEmpty()) {
            return;
        }
        CategoryChart c =
                new CategoryChartBuilder()
                        .width(900)
                        .height(480)
                        .title("End-to-end latency (ms) to a read_committed consumer")
                        .xAxisTitle("pipeline / delivery")
                        .yAxisTitle("ms")
                        .build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        List<String> names = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        List<Double> p999 = new ArrayList<>();
        for (LatencyProbe.Result r : results) {
            if (r.samples() == 0 || Double.isNaN(r.p999())) {
                continue;
            }
            names.add(r.name() + " " + r.delivery());
            p50.add(r.p50());
            p99.add(r.p99());
            p999.add(r.p999());
        }
        if (names.isEmpty()) {
            return;
        }
        c.addSeries("p50", names, p50);
        c.addSeries("p99", names, p99);
        c.addSeries("p99.9", names, p999);
        save(c, file);
    }

    /** One line per target of a scaling metric against distinct keys (log x). */
    public void scalingChart(
            String file,
            String title,
            String yTitle,
            List<ScalePoint> points,
            java.util.function.ToDoubleFunction<FlinkRunner.RunResult> metric) {
        if (points.isEmpty()) {
            return;
        }
        XYChart c =
                new XYChartBuilder()
                        .width(900)
                        .height(480)
                        .title(title)
                        .xAxisTitle("distinct keys (users)")
                        .yAxisTitle(yTitle)
                        .build();
        c.getStyler().setXAxisLogarithmic(true);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        Map<String, List<ScalePoint>> byTarget = new LinkedHashMap<>();
        points.forEach(p -> byTarget.computeIfAbsent(p.target(), t -> new ArrayList<>()).add(p));
        byTarget.forEach(
                (t, ps) ->
                        c.addSeries(
                                t,
                                ps.stream().mapToDouble(ScalePoint::keys).toArray(),
                                ps.stream()
                                        .mapToDouble(p -> metric.applyAsDouble(p.run()))
                                        .toArray()));
        save(c, file);
    }

    private void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, String file) {
        try {
            BitmapEncoder.saveBitmap(
                    chart, dir.resolve(file).toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path write(String name) {
        Path p = dir.resolve(name);
        try {
            Files.writeString(p, md.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
