package dev.linuximage.core.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.Optional;

/**
 * A progress line a core command prints to stdout while it runs:
 * {@code LINUXIMAGE-PROGRESS {"stage":"convert","percent":42,"message":"..."}}, one line, at most
 * {@value #MAX_LINE_CHARS} characters. The operator reads the tail of the Job pod's log and keeps the last such
 * line; the pod needs no API access for it.
 *
 * @param stage   {@code inspect}, {@code convert}, {@code patch}, {@code check}, {@code upload}, {@code done}
 *                (lower case letters and '-', at most 32)
 * @param percent overall progress 0..100
 * @param message optional short human text (at most 160 characters)
 */
public record ProgressEvent(String stage, int percent, String message) {

    public static final String PREFIX = "LINUXIMAGE-PROGRESS ";
    static final int MAX_LINE_CHARS = 512;
    private static final ObjectMapper JSON = new ObjectMapper();

    public ProgressEvent {
        if (stage == null || !stage.matches("[a-z][a-z-]{0,31}")) {
            throw new IllegalArgumentException("invalid progress stage '" + stage + "'");
        }
        percent = Math.max(0, Math.min(100, percent));
        message = message == null ? null : JobResultCodec.cap(message.replaceAll("[\\r\\n]", " "), 160, new boolean[1]);
    }

    /** The line, without a line terminator. */
    public String toLine() {
        ObjectNode n = JSON.createObjectNode();
        n.put("stage", stage);
        n.put("percent", percent);
        if (message != null) {
            n.put("message", message);
        }
        return PREFIX + n;
    }

    /** Prints the line and flushes, so the log shows it at once. */
    public void print(PrintStream out) {
        out.println(toLine());
        out.flush();
    }

    /** Prints a progress line to {@code out}; the one-liner core commands use. */
    public static void emit(PrintStream out, String stage, int percent, String message) {
        new ProgressEvent(stage, percent, message).print(out);
    }

    /** Parses one log line; empty when it is not a well-formed progress line. Never throws. */
    public static Optional<ProgressEvent> parseLine(String line) {
        if (line == null) {
            return Optional.empty();
        }
        // Container runtimes may prefix a timestamp; the marker may follow it.
        int at = line.indexOf(PREFIX);
        if (at < 0 || line.length() - at > MAX_LINE_CHARS) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(line.substring(at + PREFIX.length()).strip());
            if (n == null || !n.isObject() || !n.path("percent").canConvertToInt()) {
                return Optional.empty();
            }
            return Optional.of(new ProgressEvent(
                    n.path("stage").asText(null),
                    n.path("percent").asInt(),
                    n.path("message").asText(null)));
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    /** The last well-formed progress line in a log excerpt. */
    public static Optional<ProgressEvent> lastIn(String log) {
        if (log == null) {
            return Optional.empty();
        }
        String[] lines = log.split("\\R");
        for (int i = lines.length - 1; i >= 0; i--) {
            Optional<ProgressEvent> e = parseLine(lines[i]);
            if (e.isPresent()) {
                return e;
            }
        }
        return Optional.empty();
    }
}
