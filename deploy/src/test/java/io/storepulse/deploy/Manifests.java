package io.storepulse.deploy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Reads the manifests under deploy/k8s/ as they are on disk (what a platform team applies). */
final class Manifests {

    static final Path K8S = Path.of("k8s");
    static final Path GENERATED = K8S.resolve("generated");
    static final YAMLMapper YAML = new YAMLMapper();

    /** One YAML document and the file it came from. */
    record Doc(Path file, JsonNode node) {
        String kind() {
            return node.path("kind").asText();
        }

        String apiVersion() {
            return node.path("apiVersion").asText();
        }

        String name() {
            return node.path("metadata").path("name").asText();
        }

        @Override
        public String toString() {
            return file + ": " + kind() + "/" + name();
        }
    }

    private Manifests() {}

    /** Every document of every .yaml file under deploy/k8s/ (generated and hand-written). */
    static List<Doc> all() {
        return under(K8S);
    }

    static List<Doc> generated() {
        return under(GENERATED);
    }

    static List<Doc> under(Path dir) {
        List<Doc> docs = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                docs.addAll(read(f));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    static List<Doc> read(Path file) {
        List<Doc> docs = new ArrayList<>();
        try (JsonParser parser = new YAMLFactory().createParser(file.toFile());
                MappingIterator<JsonNode> it = YAML.readValues(parser, JsonNode.class)) {
            while (it.hasNext()) {
                JsonNode node = it.next();
                if (node != null && !node.isNull() && !node.isEmpty()) {
                    docs.add(new Doc(file, node));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file.toString(), e);
        }
        return docs;
    }

    static List<Doc> ofKind(List<Doc> docs, String kind) {
        return docs.stream().filter(d -> d.kind().equals(kind)).toList();
    }

    static Optional<Doc> find(List<Doc> docs, String kind, String name) {
        return docs.stream()
                .filter(d -> d.kind().equals(kind) && d.name().equals(name))
                .findFirst();
    }
}
