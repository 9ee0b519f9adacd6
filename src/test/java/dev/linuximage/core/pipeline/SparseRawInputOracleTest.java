package dev.linuximage.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.testsupport.CliRun;
import dev.linuximage.testsupport.Tools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: converting a raw disk costs its allocated data, not its virtual size. A 16 GiB raw file holding 7 MiB of
 * data and 1 MiB of zeros written as data is converted; the bytes the JVM read ({@code rchar} of {@code /proc/self/io}: every read and pread of every
 * thread) must stay far below the file's size, and {@code qemu-img compare} must find the output equal to the input
 * (holes, data and a range of zeros written as data alike).
 */
@Tag("oracle")
class SparseRawInputOracleTest {
    private static final long GIB = 1L << 30;

    @Test
    void convertReadsTheAllocatedDataOfARawFileNotItsHoles(@TempDir Path dir) throws Exception {
        Tools.require("qemu-img", "filefrag");
        Path raw = dir.resolve("big.raw");
        Random r = new Random(14);
        try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(16 * GIB);
            for (long at : new long[] {0, 5 * GIB + 4096 * 7, 11 * GIB, 16 * GIB - (1 << 20)}) {
                byte[] b = new byte[2 << 20];
                r.nextBytes(b);
                f.seek(at);
                f.write(b, 0, (int) Math.min(b.length, 16 * GIB - at));
            }
            // allocated zeros: listed as data by the file system, must still come out equal (and as a hole)
            f.seek(8 * GIB);
            f.write(new byte[1 << 20]);
        }
        Path out = dir.resolve("out.vhd");
        long before = rchar();
        assertThat(CliRun.run("convert", raw.toString(), out.toString(), "--quiet")
                        .exit())
                .isZero();
        long read = rchar() - before;
        assertThat(read)
                .as("bytes read to convert a 16 GiB raw file with 8 MiB allocated")
                .isLessThan(256L << 20);
        Tools.run("qemu-img", "compare", "-q", "-f", "raw", "-F", "vpc", raw.toString(), out.toString());
        // and the output stores the data, not the virtual size nor the zeros written as data
        assertThat(du(out)).isBetween(7L << 20, (7L << 20) + (64 << 10));
    }

    private static long rchar() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
            if (line.startsWith("rchar:")) {
                return Long.parseLong(line.substring(6).trim());
            }
        }
        throw new IOException("no rchar in /proc/self/io");
    }

    private static long du(Path f) {
        return Long.parseLong(Tools.run("du", "-B1", f.toString()).out().trim().split("\\s+")[0]);
    }
}
