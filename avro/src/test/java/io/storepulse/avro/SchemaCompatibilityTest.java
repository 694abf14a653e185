package io.storepulse.avro;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;

/**
 * Fails the build when a schema change is not BACKWARD_TRANSITIVE compatible: the current schema
 * must read data written with every released version kept under {@code avro/released/v*}. To
 * release a version, copy the current schemas into a new {@code released/vN} folder.
 */
class SchemaCompatibilityTest {

    private static final Path RELEASED = Path.of("released");

    @Test
    void shouldReadDataWrittenWithEveryReleasedVersion() throws IOException {
        Map<String, Schema> current = currentSchemas();
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (Path released : releasedSchemaFiles()) {
            Schema writer = new Schema.Parser().parse(released.toFile());
            Schema reader = current.get(writer.getFullName());
            if (reader == null) {
                problems.add(released + ": record " + writer.getFullName() + " was removed");
                continue;
            }
            SchemaCompatibility.SchemaPairCompatibility result =
                    SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
            if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
                problems.add(released + ": " + result.getResult().getIncompatibilities());
            }
            checked++;
        }
        assertThat(problems).as("backward-transitive incompatibilities").isEmpty();
        assertThat(checked)
                .as("released schemas checked")
                .isGreaterThanOrEqualTo(ContractSchemas.RECORDS.size());
    }

    @Test
    void shouldReleaseEveryCurrentRecord() throws IOException {
        List<String> released = new ArrayList<>();
        for (Path p : releasedSchemaFiles()) {
            released.add(new Schema.Parser().parse(p.toFile()).getFullName());
        }
        assertThat(released).containsAll(currentSchemas().keySet());
    }

    @Test
    void shouldRefuseAFieldAddedWithoutDefault() throws IOException {
        // The check itself must be able to fail: a new required field cannot read old data.
        Schema v1 = new Schema.Parser().parse(RELEASED.resolve("v1/CartEvent.avsc").toFile());
        String json =
                v1.toString()
                        .replaceFirst(
                                "\"fields\":\\[",
                                "\"fields\":[{\"name\":\"coupon_code\",\"type\":\"string\"},");
        Schema v2 = new Schema.Parser().parse(json);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(v2, v1).getType())
                .isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
    }

    @Test
    void shouldAcceptAnOptionalFieldWithDefault() throws IOException {
        Schema v1 = new Schema.Parser().parse(RELEASED.resolve("v1/CartEvent.avsc").toFile());
        String json =
                v1.toString()
                        .replaceFirst(
                                "\"fields\":\\[",
                                "\"fields\":[{\"name\":\"coupon_code\",\"type\":[\"null\",\"string\"],\"default\":null},");
        Schema v2 = new Schema.Parser().parse(json);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(v2, v1).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }

    private static Map<String, Schema> currentSchemas() {
        return ContractSchemas.RECORDS.stream()
                .map(ContractSchemas::schemaOf)
                .collect(Collectors.toMap(Schema::getFullName, Function.identity()));
    }

    private static List<Path> releasedSchemaFiles() throws IOException {
        try (Stream<Path> files = Files.walk(RELEASED)) {
            return files.filter(p -> p.toString().endsWith(".avsc")).sorted().toList();
        }
    }
}
