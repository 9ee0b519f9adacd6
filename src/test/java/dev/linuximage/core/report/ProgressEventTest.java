package dev.linuximage.core.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressEventTest {

    @Test
    void lineFormat() {
        assertThat(new ProgressEvent("convert", 42, "12.0 GiB of 30.0 GiB").toLine())
                .isEqualTo(
                        "LINUXIMAGE-PROGRESS {\"stage\":\"convert\",\"percent\":42,\"message\":\"12.0 GiB of 30.0 GiB\"}");
        assertThat(new ProgressEvent("upload", 150, null).toLine())
                .isEqualTo("LINUXIMAGE-PROGRESS {\"stage\":\"upload\",\"percent\":100}");
    }

    @Test
    void emitPrintsOneLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressEvent.emit(new PrintStream(bytes, true, StandardCharsets.UTF_8), "patch", 60, "line1\nline2");
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out.lines()).hasSize(1);
        assertThat(ProgressEvent.parseLine(out.strip())).contains(new ProgressEvent("patch", 60, "line1 line2"));
    }

    @Test
    void lastInFindsTheLastWellFormedLine() {
        String log = String.join(
                "\n",
                "starting linuximage prepare",
                new ProgressEvent("inspect", 5, null).toLine(),
                "2026-11-22T01:00:00.000000000Z " + new ProgressEvent("convert", 30, "x").toLine(),
                "LINUXIMAGE-PROGRESS {broken json",
                "LINUXIMAGE-PROGRESS {\"stage\":\"BAD STAGE\",\"percent\":1}",
                "some other output");
        assertThat(ProgressEvent.lastIn(log)).contains(new ProgressEvent("convert", 30, "x"));
        assertThat(ProgressEvent.lastIn("nothing here\r\nat all")).isEmpty();
        assertThat(ProgressEvent.lastIn(null)).isEmpty();
        assertThat(ProgressEvent.parseLine("LINUXIMAGE-PROGRESS "
                        + "{\"stage\":\"convert\",\"percent\":1,\"message\":\"" + "x".repeat(1000) + "\"}"))
                .as("over-long lines are ignored")
                .isEmpty();
    }

    @Test
    void stageIsValidated() {
        assertThatThrownBy(() -> new ProgressEvent("Convert!", 1, null)).hasMessageContaining("invalid progress stage");
    }
}
