package dev.linuximage.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DiskFiles#copyRange} against dd(1) with the same skip/count: same bytes, holes kept, short input refused;
 * {@link DiskFiles#junk} and {@link DiskFiles#readsZero} read back byte by byte.
 */
class DiskFilesTest {
    private static final long MIB = 1 << 20;

    @Test
    void copyRangeMatchesDdByteForByteAndKeepsHoles(@TempDir Path dir) throws Exception {
        // random data at MiB 0, an unaligned run near MiB 1, 128 KiB at MiB 3, the last 4 KiB; zeros elsewhere
        Path disk = DiskFiles.rawDisk(dir, "disk.raw", 16 * MIB, 7);
        long offset = 512; // not MiB aligned: the copy's chunks straddle the data runs
        long length = 16 * MIB - 512 - 1024;
        Path ours = DiskFiles.copyRange(disk, offset, length, dir.resolve("ours"));
        Path dd = dir.resolve("dd");
        Tools.run(
                "dd",
                "if=" + disk,
                "of=" + dd,
                "bs=512",
                "skip=" + offset / 512,
                "count=" + length / 512,
                "status=none");
        assertThat(Files.size(ours)).isEqualTo(length);
        assertThat(Tools.exec("cmp", ours.toString(), dd.toString()).exit())
                .as("cmp")
                .isZero();
        // at most the chunks holding data are allocated (du counts 1 KiB blocks): four 1 MiB chunks of 16
        long allocatedKib =
                Long.parseLong(Tools.run("du", "-k", ours.toString()).out().split("\\s+")[0]);
        assertThat(allocatedKib).isLessThanOrEqualTo(5 * 1024);
    }

    @Test
    void trailingHoleStillGivesTheFullLength(@TempDir Path dir) throws Exception {
        Path disk = DiskFiles.sparse(dir.resolve("zeros"), 3 * MIB);
        Path out = DiskFiles.copyRange(disk, MIB, 2 * MIB, dir.resolve("out"));
        assertThat(Files.size(out)).isEqualTo(2 * MIB);
        assertThat(Files.readAllBytes(out)).containsOnly(0);
    }

    @Test
    void junkFillsEveryByteWithTheJunkByte(@TempDir Path dir) throws Exception {
        // not a multiple of the 1 MiB chunk: the last chunk is partial
        Path f = DiskFiles.junk(dir.resolve("used"), 2 * MIB + 1000, (byte) 0xA5);
        byte[] all = Files.readAllBytes(f);
        assertThat(all).hasSize((int) (2 * MIB + 1000)).containsOnly((byte) 0xA5);
        assertThatThrownBy(() -> DiskFiles.junk(dir.resolve("zero"), 512, (byte) 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsZeroSeesOneNonZeroByteAnywhereInTheRangeAndOnlyThere(@TempDir Path dir) throws Exception {
        Path f = DiskFiles.sparse(dir.resolve("f"), 3 * MIB);
        long at = 2 * MIB + 77; // in the second 1 MiB chunk of a range starting at 1 MiB - 512
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1}), at);
        }
        assertThat(DiskFiles.readsZero(f, MIB - 512, 2 * MIB)).isFalse();
        assertThat(DiskFiles.readsZero(f, at, 1)).isFalse();
        assertThat(DiskFiles.readsZero(f, 0, at)).isTrue();
        assertThat(DiskFiles.readsZero(f, at + 1, 3 * MIB - at - 1)).isTrue();
        assertThatThrownBy(() -> DiskFiles.readsZero(f, at + 1, 2 * MIB))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("short read");
    }

    @Test
    void imageShorterThanTheRangeIsRefused(@TempDir Path dir) throws Exception {
        Path disk = DiskFiles.sparse(dir.resolve("small"), 2 * MIB);
        assertThatThrownBy(() -> DiskFiles.copyRange(disk, MIB, 2 * MIB, dir.resolve("out")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("short read at byte " + 2 * MIB);
    }
}
