package dev.linuximage.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.testsupport.SmallVolume;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convert} and {@code prepare} writing to a real file system too small for the image (a 4 MiB tmpfs, 16 MiB
 * of random data): a warning before the copy, then exit code 1 (a retry with more room can succeed), a message with
 * the numbers, reason {@code OutputVolumeFull} in the Job's result, and no partial file left on the volume.
 */
class OutputVolumeFullTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path work;

    Path input;

    record Run(int code, String err) {}

    @BeforeEach
    void randomDisk() throws Exception {
        byte[] data = new byte[16 * MIB];
        new Random(7).nextBytes(data);
        input = Files.write(work.resolve("disk.raw"), data);
    }

    static Run run(String... args) {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = CoreCli.execute(args);
            return new Run(code, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }

    private static void assertEmpty(Path dir) throws Exception {
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).as("files left on the full volume").isEmpty();
        }
    }

    @Test
    void convertWarnsThenFailsWithTheNumbersAndLeavesNothing() throws Exception {
        try (SmallVolume vol = SmallVolume.mount(work, 4L * MIB)) {
            Path out = vol.dir().resolve("out.vhd");
            Run r = run("convert", input.toString(), out.toString(), "--format", "raw", "--quiet");
            assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.ERROR);
            assertThat(r.err())
                    .contains("warning: the image has up to 16 MiB of data and " + vol.dir())
                    .contains("no space left for the output " + out)
                    .contains("free space or use a larger volume");
            assertEmpty(vol.dir());
        }
    }

    @Test
    void prepareReportsOutputVolumeFullInTheJobResult() throws Exception {
        Path termination = work.resolve("termination-log");
        try (SmallVolume vol = SmallVolume.mount(work, 4L * MIB)) {
            Path out = vol.dir().resolve("out.vhd");
            Run r = run(
                    "prepare",
                    input.toString(),
                    "--format",
                    "raw",
                    "--output",
                    out.toString(),
                    "--termination-log",
                    termination.toString(),
                    "--quiet");
            assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.ERROR);
            String result = Files.readString(termination);
            assertThat(result).contains("\"reason\":\"OutputVolumeFull\"").contains("no space left for the output");
            assertEmpty(vol.dir());
        }
    }
}
