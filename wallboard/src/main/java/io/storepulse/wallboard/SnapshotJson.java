package io.storepulse.wallboard;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Writes snapshots as one-line JSON. Besides JSON's own escaping, {@code <}, {@code >}, {@code &}
 * and quotes are written as {@code \\u00XX} escapes, so a product name can never close a tag or
 * open one wherever the JSON ends up (defence in depth: the page renders text with {@code
 * textContent} anyway).
 */
final class SnapshotJson {

    private static final ObjectMapper MAPPER =
            JsonMapper.builder().disable(SerializationFeature.INDENT_OUTPUT).build();

    static {
        MAPPER.getFactory().setCharacterEscapes(new HtmlSafeEscapes());
        MAPPER.getFactory().configure(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN, true);
    }

    private SnapshotJson() {}

    static String write(Object snapshot) {
        try {
            return MAPPER.writeValueAsString(snapshot);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write snapshot as JSON", e);
        }
    }

    static ObjectMapper mapper() {
        return MAPPER;
    }

    private static final class HtmlSafeEscapes extends CharacterEscapes {
        private final int[] escapes;

        HtmlSafeEscapes() {
            escapes = CharacterEscapes.standardAsciiEscapesForJSON();
            escapes['<'] = CharacterEscapes.ESCAPE_STANDARD;
            escapes['>'] = CharacterEscapes.ESCAPE_STANDARD;
            escapes['&'] = CharacterEscapes.ESCAPE_STANDARD;
            escapes['\''] = CharacterEscapes.ESCAPE_STANDARD;
            // U+2028/2029 are line breaks in some JavaScript parsers.
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return escapes;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            if (ch == 0x2028 || ch == 0x2029) {
                return new com.fasterxml.jackson.core.io.SerializedString(
                        String.format("\\u%04x", ch));
            }
            return null;
        }
    }
}
