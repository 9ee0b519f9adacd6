package dev.linuximage.core.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;

/**
 * The {@code --json} output of the core commands: trees of {@link ObjectNode} built explicitly (no reflective
 * binding, so nothing to register for a native image), written as one compact line each, so one object is one
 * document and a listing is JSON Lines.
 */
final class JsonOut {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonOut() {}

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** The node as one line of compact JSON, without the line end. */
    static String line(ObjectNode o) {
        try {
            return MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) { // a tree of plain nodes always serialises
            throw new UncheckedIOException(e);
        }
    }
}
