package io.storepulse.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import storepulse.v1.actions.DeadLetterKind;

class ConfluentWireFormatTest {

    @Test
    void shouldFrameAndReadTheSchemaIdBigEndian() throws DecodeException {
        byte[] framed = ConfluentWireFormat.frame(0x01020304, new byte[] {9});
        assertThat(framed).containsExactly(0, 1, 2, 3, 4, 9);
        assertThat(ConfluentWireFormat.schemaId(framed)).isEqualTo(0x01020304);
    }

    @Test
    void shouldExplainBytesThatAreNotFramed() {
        assertThatThrownBy(() -> ConfluentWireFormat.schemaId(new byte[] {0, 1}))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.kind()).isEqualTo(DeadLetterKind.UNDECODABLE))
                .hasMessageContaining("shorter than the 5-byte Confluent header");
        assertThatThrownBy(() -> ConfluentWireFormat.schemaId(new byte[] {1, 0, 0, 0, 1}))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.kind()).isEqualTo(DeadLetterKind.BAD_MAGIC_BYTE))
                .hasMessageContaining("magic byte is 0x01");
        assertThatThrownBy(() -> ConfluentWireFormat.schemaId(null))
                .hasMessageContaining("value is null");
    }
}
