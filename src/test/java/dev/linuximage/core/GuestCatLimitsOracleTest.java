package dev.linuximage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.testsupport.FamilyGuests;
import dev.linuximage.testsupport.GuestTree;
import dev.linuximage.testsupport.Tools;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code guest cat}, {@code guest ls} and {@code inspect} with hostile sizes and broken standard outputs (issue 13):
 * an ext4 inode claiming 2^47 bytes (beyond ext4's 16 TiB maximum with 4 KiB blocks and huge_file, kernel
 * {@code ext4_max_size}) is refused before anything is written; a sparse size of 1 TiB on a 63 MiB file system streams
 * at most the file system's size (from {@code dumpe2fs}) and then fails; a reader that goes away ({@code head -c 1000})
 * stops the copy; {@code /dev/full} makes every command exit non-zero. Sizes are set with {@code debugfs -w sif}.
 */
@Tag("oracle")
class GuestCatLimitsOracleTest {
    static final int MIB = 1 << 20;

    @TempDir
    static Path dir;

    static Path disk;
    static byte[] big;
    static long fsBytes;

    @BeforeAll
    static void build() throws Exception {
        GuestTree tree = FamilyGuests.alpine(dir.resolve("tree"));
        big = new byte[8 * MIB];
        new Random(13).nextBytes(big);
        tree.bytes("/big.bin", big, "rw-r--r--");
        tree.file("/huge", "head of a file that claims 2^47 bytes\n");
        tree.file("/sparse", "head of a file that claims 1 TiB\n");
        disk = FamilyDiskCliOracleTest.disk(dir, tree);
        String dev = disk.toAbsolutePath() + "?offset=" + FamilyDiskCliOracleTest.OFFSET;
        Tools.command("debugfs", "-w", "-R", "sif /huge size " + (1L << 47), dev)
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        Tools.command("debugfs", "-w", "-R", "sif /sparse size " + (1L << 40), dev)
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        String h = Tools.command("dumpe2fs", "-h", dev)
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run()
                .out();
        fsBytes = field(h, "Block count") * field(h, "Block size");
        assertThat(h).contains("huge_file");
    }

    static long field(String dumpe2fs, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + ":\\s+(\\d+)").matcher(dumpe2fs);
        assertThat(m.find()).as(name).isTrue();
        return Long.parseLong(m.group(1));
    }

    record Run(int exit, String err) {}

    /** Runs a command in this JVM with stdout going to {@code out}. */
    static Run run(OutputStream out, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return new Run(CoreCli.execute(args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** Counts what reaches it and throws nothing (a stand-in for a terminal). */
    static final class Counting extends FilterOutputStream {
        final AtomicLong count = new AtomicLong();
        final ByteArrayOutputStream head = new ByteArrayOutputStream();

        Counting(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (head.size() < 4096) {
                head.write(b, off, Math.min(len, 4096 - head.size()));
            }
            count.addAndGet(len);
            out.write(b, off, len);
        }
    }

    @Test
    void aSizeBeyondTheExt4MaximumIsRefusedBeforeWriting() {
        Counting c = new Counting(OutputStream.nullOutputStream());
        Run r = assertTimeoutPreemptively(
                Duration.ofSeconds(60), () -> run(c, "guest", "cat", disk.toString(), "/huge"));
        assertThat(r.exit()).as(r.err()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).contains("/huge").contains(String.valueOf(1L << 47)).contains("maximum file size");
        assertThat(c.count.get()).isZero();
    }

    @Test
    void aSparseSizeLargerThanTheFileSystemStreamsAtMostItsSizeThenFails() {
        Counting c = new Counting(OutputStream.nullOutputStream());
        Run r = assertTimeoutPreemptively(
                Duration.ofSeconds(120), () -> run(c, "guest", "cat", disk.toString(), "/sparse"));
        assertThat(r.exit()).as(r.err()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(c.count.get()).isEqualTo(fsBytes);
        assertThat(new String(c.head.toByteArray(), 0, 33, StandardCharsets.UTF_8))
                .isEqualTo("head of a file that claims 1 TiB\n");
        assertThat(r.err()).contains("stopped after " + fsBytes).contains(String.valueOf(1L << 40));
    }

    @Test
    void aClosedPipeStopsTheCopyWithExit1() throws Exception {
        Path got = dir.resolve("head.out");
        Process head = new ProcessBuilder("head", "-c", "1000")
                .redirectOutput(got.toFile())
                .start();
        Counting c = new Counting(head.getOutputStream());
        Run r = assertTimeoutPreemptively(
                Duration.ofSeconds(60), () -> run(c, "guest", "cat", disk.toString(), "/big.bin"));
        assertThat(head.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readAllBytes(got)).isEqualTo(Arrays.copyOf(big, 1000));
        assertThat(r.exit()).as(r.err()).isEqualTo(ExitCodes.ERROR);
        assertThat(r.err()).contains("cannot write to standard output");
        // the copy goes in 1 MiB chunks: it stops at the first chunk after the reader left, not at the end
        assertThat(c.count.get()).as("bytes offered to the pipe").isLessThanOrEqualTo(2L * MIB);
    }

    @Test
    void devFullMakesInspectLsAndCatExitNonZero() throws Exception {
        String[][] commands = {
            {"inspect", disk.toString()},
            {"inspect", disk.toString(), "--json"},
            {"guest", "ls", disk.toString(), "/etc"},
            {"guest", "cat", disk.toString(), "/etc/os-release"},
            {"guest", "cat", disk.toString(), "/big.bin"},
        };
        for (String[] args : commands) {
            Run ok = run(OutputStream.nullOutputStream(), args);
            assertThat(ok.exit())
                    .as("%s to a working stdout: %s", String.join(" ", args), ok.err())
                    .isZero();
            try (FileOutputStream full = new FileOutputStream("/dev/full")) {
                Run r = run(full, args);
                assertThat(r.exit())
                        .as("%s > /dev/full: %s", String.join(" ", args), r.err())
                        .isEqualTo(ExitCodes.ERROR);
                assertThat(r.err()).contains("cannot write to standard output");
            }
        }
    }
}
