package dev.linuximage.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The shared tool runner: exit codes, the two streams apart or merged, stdin, the time limit, a missing tool. */
class ToolsTest {
    @Test
    void exitCodeAndStreamsApart() {
        Tools.Result r = Tools.exec("sh", "-c", "printf out; printf err >&2; exit 3");
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.out()).isEqualTo("out");
        assertThat(r.err()).isEqualTo("err");
        assertThat(r.command()).containsExactly("sh", "-c", "printf out; printf err >&2; exit 3");
        assertThatThrownBy(r::assertSuccess)
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("exited 3")
                .hasMessageContaining("out")
                .hasMessageContaining("err");
        assertThatThrownBy(() -> Tools.run("sh", "-c", "exit 1")).isInstanceOf(AssertionError.class);
    }

    @Test
    void mergedStreamsKeepWriteOrder() {
        // each printf is one write(2) on an unbuffered shell builtin: the order is the order written
        Tools.Result r = Tools.command("sh", "-c", "printf a; printf b >&2; printf c")
                .mergeStderr()
                .run();
        assertThat(r.out()).isEqualTo("abc");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void stdinBytesAndBinaryStdout() {
        byte[] in = {0, 1, (byte) 0xff, 10, 0};
        assertThat(Tools.command("cat").stdin(in).run().stdout()).isEqualTo(in);
        // no stdin given: the tool reads end-of-file at once instead of waiting
        assertThat(Tools.command("cat").timeout(Duration.ofSeconds(30)).run().stdout())
                .isEmpty();
    }

    @Test
    void workingDirectoryAndEnvironment() throws Exception {
        Path dir = Tools.scratch("tools-test", "cwd");
        Files.writeString(dir.resolve("here.txt"), "x");
        assertThat(Tools.command("ls").dir(dir).run().out()).isEqualTo("here.txt\n");
        assertThat(Tools.command("sh", "-c", "printf %s \"$LC_ALL\"").run().out())
                .isEqualTo("C.UTF-8");
        assertThat(Tools.command("sh", "-c", "printf %s \"$V\"")
                        .env("V", "v1")
                        .run()
                        .out())
                .isEqualTo("v1");
        assertThat(Tools.sh(dir, "printf %s \"$LC_ALL\"; cat", "in".getBytes(StandardCharsets.UTF_8))
                        .out())
                .isEqualTo("Cin");
        // scratch empties an existing directory
        assertThat(Tools.scratch("tools-test", "cwd")).isEmptyDirectory();
    }

    @Test
    void timeLimitFailsTheTest() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> Tools.command("sleep", "60")
                        .timeout(Duration.ofMillis(300))
                        .exec())
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("did not finish within");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void missingToolFailsNeverSkips() {
        assertThatThrownBy(() -> Tools.exec("linuximage-no-such-tool"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("is the tool installed");
        assertThatThrownBy(() -> Tools.require("sh", "linuximage-no-such-tool"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("'linuximage-no-such-tool' is not installed");
        Tools.require("sh", "cat");
    }
}
