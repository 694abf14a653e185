package io.storepulse.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * CPU profile of a run with the JDK's own Flight Recorder (execution samples every 10 ms of every
 * Java thread of the benchmark JVM, which holds the MiniCluster), drawn as an SVG flame graph: each
 * box is a method, its width the share of samples in which it was on the stack, callers below
 * callees. Also lists the methods with the most samples on top of the stack (self time) and the
 * Storepulse methods with the most samples anywhere on the stack (total time).
 */
public final class FlameGraph {

    /** What the profile shows, for the report. */
    public record Summary(
            long samples,
            List<Map.Entry<String, Long>> self,
            List<Map.Entry<String, Long>> total,
            List<Map.Entry<String, Long>> areas) {}

    /**
     * Where a sample's time goes: the first of these packages found from the top of the stack (the
     * callee) down. Order matters: a Storepulse function calling RocksDB counts as RocksDB.
     */
    private static final List<String[]> AREAS =
            List.of(
                    new String[] {"org.rocksdb.", "RocksDB (state reads and writes, JNI)"},
                    new String[] {
                        "org.apache.flink.state.rocksdb.", "RocksDB state backend (Flink side)"
                    },
                    new String[] {"org.apache.avro.", "Avro encode/decode"},
                    new String[] {"com.esotericsoftware.kryo.", "Kryo serialization"},
                    new String[] {"org.apache.flink.api.common.typeutils.", "Flink serializers"},
                    new String[] {"org.apache.flink.api.java.typeutils.", "Flink serializers"},
                    new String[] {"org.apache.kafka.", "Kafka clients (fetch, produce)"},
                    new String[] {"io.storepulse.", "Storepulse code"},
                    new String[] {"org.apache.flink.", "Flink runtime (network, mailbox, timers)"});

    private static final int WIDTH = 1600;
    private static final int ROW = 16;
    private static final int MAX_DEPTH = 160;

    private FlameGraph() {}

    /** Starts a recording of execution samples; stop it with {@link #stop}. */
    public static Recording start() {
        Recording r = new Recording();
        r.enable("jdk.ExecutionSample").withPeriod(java.time.Duration.ofMillis(10));
        // Threads inside RocksDB are in native code, which execution samples do not see.
        r.enable("jdk.NativeMethodSample").withPeriod(java.time.Duration.ofMillis(10));
        r.start();
        return r;
    }

    public static void stop(Recording r, Path jfr) throws IOException {
        r.stop();
        r.dump(jfr);
        r.close();
    }

    private static final class Node {
        final String name;
        long samples;
        final Map<String, Node> children = new LinkedHashMap<>();

        Node(String name) {
            this.name = name;
        }
    }

    /** Reads a recording and writes the flame graph; returns what it shows. */
    public static Summary render(Path jfr, Path svg, String title) throws IOException {
        Node root = new Node("all");
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> total = new HashMap<>();
        Map<String, Long> areas = new HashMap<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            String type = e.getEventType().getName();
            RecordedStackTrace st = e.getStackTrace();
            if (st == null || st.getFrames().isEmpty()) {
                continue;
            }
            List<RecordedFrame> frames = st.getFrames(); // top (callee) first
            // Native samples only where the native code is RocksDB working, not threads waiting
            // in a socket or a lock.
            boolean take =
                    type.equals("jdk.ExecutionSample")
                            || (type.equals("jdk.NativeMethodSample")
                                    && name(frames.get(0)).startsWith("org.rocksdb."));
            if (!take) {
                continue;
            }
            root.samples++;
            areas.merge(area(frames), 1L, Long::sum);
            self.merge(name(frames.get(0)), 1L, Long::sum);
            Set<String> seen = new HashSet<>();
            for (RecordedFrame f : frames) {
                String n = name(f);
                if (n.startsWith("io.storepulse.") && seen.add(n)) {
                    total.merge(n, 1L, Long::sum);
                }
            }
            Node node = root;
            int depth = 0;
            for (int i = frames.size() - 1; i >= 0 && depth < MAX_DEPTH; i--, depth++) {
                String n = name(frames.get(i));
                node = node.children.computeIfAbsent(n, Node::new);
                node.samples++;
            }
        }
        int depth = depth(root);
        int height = (depth + 3) * ROW;
        StringBuilder out = new StringBuilder();
        out.append(
                String.format(
                        Locale.ROOT,
                        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                                + " font-family=\"monospace\" font-size=\"11\">\n",
                        WIDTH,
                        height));
        out.append("<rect width=\"100%\" height=\"100%\" fill=\"#fdfdf5\"/>\n");
        out.append(
                String.format(
                        Locale.ROOT,
                        "<text x=\"8\" y=\"13\" font-size=\"13\">%s (%,d samples; hover a box for"
                                + " its share)</text>\n",
                        escape(title),
                        root.samples));
        draw(out, root, 0, WIDTH, height - ROW, root.samples);
        out.append("</svg>\n");
        Files.createDirectories(svg.toAbsolutePath().getParent());
        Files.writeString(svg, out);
        return new Summary(root.samples, top(self, 12), top(total, 12), top(areas, 20));
    }

    private static List<Map.Entry<String, Long>> top(Map<String, Long> m, int n) {
        List<Map.Entry<String, Long>> l = new ArrayList<>(m.entrySet());
        l.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()));
        return l.subList(0, Math.min(n, l.size()));
    }

    private static String area(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            String n = name(f);
            for (String[] a : AREAS) {
                if (n.startsWith(a[0])) {
                    return a[1];
                }
            }
        }
        return "JDK and other (threads, I/O, GC support)";
    }

    private static int depth(Node n) {
        int d = 0;
        for (Node c : n.children.values()) {
            d = Math.max(d, depth(c));
        }
        return d + 1;
    }

    private static void draw(StringBuilder out, Node n, double x, double w, int y, long all) {
        if (w < 0.3) {
            return;
        }
        double pct = 100.0 * n.samples / Math.max(1, all);
        out.append(
                String.format(
                        Locale.ROOT,
                        "<g><title>%s (%,d samples, %.2f %%)</title><rect x=\"%.1f\" y=\"%d\""
                                + " width=\"%.1f\" height=\"%d\" fill=\"%s\" stroke=\"#fff\""
                                + " stroke-width=\"0.5\"/>",
                        escape(n.name),
                        n.samples,
                        pct,
                        x,
                        y,
                        w,
                        ROW - 1,
                        color(n.name)));
        int chars = (int) ((w - 4) / 6.6);
        if (chars >= 3) {
            String label =
                    n.name.length() <= chars ? n.name : n.name.substring(0, chars - 2) + "..";
            out.append(
                    String.format(
                            Locale.ROOT,
                            "<text x=\"%.1f\" y=\"%d\">%s</text>",
                            x + 2,
                            y + ROW - 4,
                            escape(label)));
        }
        out.append("</g>\n");
        double cx = x;
        for (Node c : n.children.values()) {
            double cw = w * c.samples / Math.max(1, n.samples);
            draw(out, c, cx, cw, y - ROW, all);
            cx += cw;
        }
    }

    private static String color(String name) {
        if (name.startsWith("io.storepulse.")) {
            return "#6fb36f"; // Storepulse code in green
        }
        int h = Math.floorMod(name.hashCode(), 60);
        boolean jdk =
                name.startsWith("java.") || name.startsWith("jdk.") || name.startsWith("sun.");
        return jdk
                ? String.format(Locale.ROOT, "hsl(%d,55%%,70%%)", 20 + h / 3)
                : String.format(Locale.ROOT, "hsl(%d,75%%,62%%)", h / 2);
    }

    private static String name(RecordedFrame f) {
        if (f.getMethod() == null) {
            return "?";
        }
        String type = f.getMethod().getType() == null ? "?" : f.getMethod().getType().getName();
        return type + "." + f.getMethod().getName();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
