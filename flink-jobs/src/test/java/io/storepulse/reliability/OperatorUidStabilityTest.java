package io.storepulse.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.storepulse.config.StorepulseSettings;
import io.storepulse.topics.StorepulseJob;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Savepoints map state to operators by uid. This test fails when a job's set of uids changes, so
 * that a change that would orphan state on upgrade is made on purpose: update {@code
 * src/test/resources/uids/<job>.txt} and write the migration in {@code docs/state-migrations.md}
 * (which the test checks names every uid that disappeared).
 */
class OperatorUidStabilityTest {

    @ParameterizedTest
    @EnumSource(StorepulseJob.class)
    void shouldKeepEveryOperatorUidStable(StorepulseJob job) throws Exception {
        assumeTrue(
                isPresent(job),
                () -> job + " is not on this branch yet (" + job.mainClass() + " is absent)");
        Set<String> actual = uidsOf(job);
        Path expectedFile = Path.of("src/test/resources/uids", job.id() + ".txt");
        Set<String> expected =
                Files.exists(expectedFile)
                        ? Files.readAllLines(expectedFile).stream()
                                .map(String::strip)
                                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                                .collect(Collectors.toCollection(TreeSet::new))
                        : Set.of();

        Set<String> removed = new TreeSet<>(expected);
        removed.removeAll(actual);
        Set<String> added = new TreeSet<>(actual);
        added.removeAll(expected);
        String notes = migrationNotes();
        Set<String> removedWithoutNote =
                removed.stream()
                        .filter(u -> !notes.contains(u))
                        .collect(Collectors.toCollection(TreeSet::new));

        assertThat(actual).as("every operator of %s has an explicit uid", job).doesNotContainNull();
        assertThat(removedWithoutNote)
                .as("uids of %s removed without a migration note in docs/state-migrations.md", job)
                .isEmpty();
        assertThat(actual)
                .as(
                        "uids of %s changed (added %s, removed %s): update %s",
                        job, added, removed, expectedFile)
                .isEqualTo(expected);
    }

    /** Jobs land one by one; a job whose main class is absent is skipped, not failed. */
    static boolean isPresent(StorepulseJob job) {
        try {
            Class.forName(job.mainClass(), false, OperatorUidStabilityTest.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    static Set<String> uidsOf(StorepulseJob job) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        StorepulseSettings settings = StorepulseSettings.fromArgs();
        Method wire =
                Class.forName(job.mainClass())
                        .getMethod(
                                "wireKafka",
                                StreamExecutionEnvironment.class,
                                StorepulseSettings.class);
        wire.invoke(null, env, settings);
        StreamGraph graph = env.getStreamGraph(false);
        Set<String> uids = new TreeSet<>();
        for (StreamNode node : graph.getStreamNodes()) {
            String uid = node.getTransformationUID();
            assertThat(uid)
                    .as("operator '%s' of %s has a uid", node.getOperatorName(), job)
                    .isNotNull();
            uids.add(uid);
        }
        return uids;
    }

    private static String migrationNotes() throws IOException {
        Path notes = Path.of("../docs/state-migrations.md");
        return Files.exists(notes) ? Files.readString(notes) : "";
    }

    /** Prints the current uid files (run by hand when a change is intended). */
    public static void main(String[] args) throws Exception {
        for (StorepulseJob job : StorepulseJob.values()) {
            if (!isPresent(job)) {
                System.out.println("skipped " + job + ": " + job.mainClass() + " is absent");
                continue;
            }
            Set<String> uids = uidsOf(job);
            Files.writeString(
                    Path.of("src/test/resources/uids", job.id() + ".txt"),
                    "# Operator uids of "
                            + job.id()
                            + "; see OperatorUidStabilityTest.\n"
                            + String.join("\n", uids)
                            + "\n");
        }
    }
}
