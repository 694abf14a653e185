package io.storepulse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The files in k8s/generated/ are exactly what the generator makes now (no hand edits, no
 * leftovers).
 */
class GeneratedManifestsTest {

    private static ManifestGenerator generator() throws IOException {
        return new ManifestGenerator(DeployConfig.load(Path.of("environment.properties")));
    }

    @Test
    void shouldMatchTheGeneratorOutputByteForByte() throws IOException {
        Map<String, String> expected = generator().files();
        Set<String> onDisk;
        try (Stream<Path> files = Files.list(Manifests.GENERATED)) {
            onDisk =
                    files.map(p -> p.getFileName().toString())
                            .collect(Collectors.toCollection(TreeSet::new));
        }
        assertThat(onDisk).isEqualTo(expected.keySet());
        for (Map.Entry<String, String> f : expected.entrySet()) {
            assertThat(
                            Files.readString(
                                    Manifests.GENERATED.resolve(f.getKey()),
                                    StandardCharsets.UTF_8))
                    .as(f.getKey())
                    .isEqualTo(f.getValue());
        }
    }

    @Test
    void shouldGenerateTheSameBytesOnEveryRun() throws IOException {
        assertThat(generator().files()).isEqualTo(generator().files());
    }

    @Test
    void shouldRegisterEveryValueSubjectWithItsRecordSchema() throws IOException {
        var bodies = ManifestGenerator.registrationBodies();
        assertThat(bodies.keySet())
                .isEqualTo(
                        io.storepulse.topics.Topics.ALL.stream()
                                .map(t -> t.valueSubject() + ".json")
                                .collect(Collectors.toCollection(TreeSet::new)));
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (var t : io.storepulse.topics.Topics.ALL) {
            var body = json.readTree(bodies.get(t.valueSubject() + ".json"));
            assertThat(body.path("schemaType").asText()).isEqualTo("AVRO");
            var schema = new org.apache.avro.Schema.Parser().parse(body.path("schema").asText());
            assertThat(schema.getFullName()).isEqualTo(t.valueType().getName());
        }
    }
}
