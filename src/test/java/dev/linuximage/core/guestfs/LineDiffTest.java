package dev.linuximage.core.guestfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The two renderings of the one line diff: an ordered edit script, and the net lines removed/added (multisets). */
class LineDiffTest {
    @Test
    void aMovedLineIsAnEditButNoNetChange() {
        assertThat(LineDiff.net(List.of("x", "y"), List.of("y", "x")).removed()).isEmpty();
        assertThat(LineDiff.net(List.of("x", "y"), List.of("y", "x")).added()).isEmpty();
        // the edit script has to delete and re-insert one of the two lines to reorder them
        assertThat(LineDiff.hunks("x\ny".getBytes(), "y\nx".getBytes()))
                .contains("-")
                .contains("+");
    }

    @Test
    void netCountsOccurrences() {
        LineDiff.Net d = LineDiff.net(List.of("a", "b", "a", "c"), List.of("b", "a", "d", "d"));
        assertThat(d.removed()).containsExactly("a", "c");
        assertThat(d.added()).containsExactly("d", "d");
        assertThat(LineDiff.net(List.of(), List.of("n")).added()).containsExactly("n");
        assertThat(LineDiff.net(List.of("same"), List.of("same")).removed()).isEmpty();
    }

    @Test
    void hunksOnlyForSmallText() {
        assertThat(LineDiff.hunks(null, "new\n".getBytes()))
                .startsWith("@@ line 1\n+new\n")
                .doesNotContain("-");
        assertThat(LineDiff.hunks("a".getBytes(), new byte[] {'b', 0})).isEmpty();
        assertThat(LineDiff.hunks("x\n".repeat(LineDiff.HUNKS_MAX_LINES + 1).getBytes(), "x\n".getBytes()))
                .isEmpty();
        assertThat(LineDiff.hunks(new byte[] {(byte) 0xC3}, "x".getBytes()))
                .as("not UTF-8")
                .isEmpty();
    }
}
