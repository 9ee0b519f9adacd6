package dev.linuximage.core.io;

import static dev.linuximage.testsupport.DiskFiles.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.testsupport.SmallVolume;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparseFileWriterTest {
    private static final int MIB = 1 << 20;

    /** 8 MiB random, 16 MiB hole, 4 MiB of DATA that is all zero, 5 MiB + 123 B random (unaligned end). */
    private static ByteSource source() {
        return ConcatSource.of(
                new BytesSource(random(8 * MIB, 1)),
                new ZeroSource(16L * MIB),
                new BytesSource(new byte[4 * MIB]),
                new BytesSource(random(5 * MIB + 123, 2)));
    }

    private static long allocatedBytes(Path p) throws Exception {
        Process proc = new ProcessBuilder("stat", "-c", "%b %B", p.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(proc.getInputStream().readAllBytes()).trim();
        assertThat(proc.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String[] f = out.split(" ");
        return Long.parseLong(f[0]) * Long.parseLong(f[1]);
    }

    @Test
    void writesEveryByteSparse(@TempDir Path dir) throws Exception {
        ByteSource src = source();
        Path out = dir.resolve("out.vhd");
        long written = SparseFileWriter.write(src, out, null);

        byte[] expected = new byte[(int) src.size()];
        src.readFully(0, ByteBuffer.wrap(expected));
        assertThat(Files.readAllBytes(out)).isEqualTo(expected);
        long data = 8L * MIB + 5 * MIB + 123;
        assertThat(written).isEqualTo(data);
        // holes where the source is a hole or all-zero data (the file system may round to its block size)
        assertThat(allocatedBytes(out)).isBetween(data, data + 64 * 1024);
    }

    /**
     * Issue 16: the VHD is for other pods (an uploader, a KubeVirt import) that share at most the group: it was
     * 0600 from the temporary file; committed it is 0644, while partial it stays private.
     */
    @Test
    void theCommittedFileIsReadableByOthers(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.vhd");
        try (OutputFiles.Pending p = SparseFileWriter.writePending(source(), out, null)) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p.path())))
                    .isEqualTo("rw-------");
            p.commit();
        }
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out)))
                .isEqualTo("rw-r--r--");
        // a replaced older output gets the same mode
        try (OutputFiles.Pending p = SparseFileWriter.writePending(source(), out, null)) {
            p.commit();
        }
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out)))
                .isEqualTo("rw-r--r--");
    }

    /**
     * The workers' zero test at 4 KiB granules on the absolute grid: a buffer at an unaligned offset with an all-zero
     * granule, a granule zero except for its last byte and a zero tail. Only whole zero granules (and the zero
     * remainder of the buffer's first partial granule) are skipped; a granule with one non-zero byte is written whole.
     */
    @Test
    void writesNonZeroGranulesOnTheAbsoluteGrid(@TempDir Path dir) throws Exception {
        long offset = 4096 - 100; // the first 100 bytes end granule 0
        byte[] b = new byte[100 + 4 * 4096];
        java.util.Arrays.fill(b, 0, 100, (byte) 7); // granule 0 (partial): data
        // granule 1 [100, 4196): all zero -> hole
        b[100 + 2 * 4096 - 1] = 1; // granule 2: one byte at its end -> data
        java.util.Arrays.fill(b, 100 + 2 * 4096, 100 + 3 * 4096, (byte) 9); // granule 3: data
        // granule 4: zero -> hole
        Path p = dir.resolve("g.bin");
        long written;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
                p, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(b.length + 10);
            buf.position(10); // a non-zero position: offsets count from it
            buf.put(b).position(10);
            written = SparseFileWriter.writeNonZero(buf, offset, DirectIo.bufferedOnly(ch));
            assertThat(buf.position()).isEqualTo(10);
        }
        assertThat(written).isEqualTo(100 + 2 * 4096);
        byte[] file = Files.readAllBytes(p);
        assertThat(file).hasSize((int) offset + 100 + 3 * 4096); // the zero tail was not written
        byte[] expected = java.util.Arrays.copyOf(new byte[(int) offset], file.length);
        System.arraycopy(b, 0, expected, (int) offset, file.length - (int) offset);
        assertThat(file).isEqualTo(expected);
    }

    @Test
    void reportsProgressMonotonicallyUpToTheSize(@TempDir Path dir) throws Exception {
        ByteSource src = source();
        java.util.List<Long> seen = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        SparseFileWriter.write(src, dir.resolve("out.vhd"), seen::add);
        assertThat(seen).isSortedAccordingTo(Long::compare);
        assertThat(seen.get(seen.size() - 1)).isEqualTo(src.size());
    }

    @Test
    void aFailingSourceLeavesNothingBehind(@TempDir Path dir) throws Exception {
        ByteSource good = source();
        ByteSource failing = new ByteSource() {
            @Override
            public long size() {
                return good.size();
            }

            @Override
            public int read(long offset, ByteBuffer dst) throws IOException {
                if (offset >= 24L * MIB) {
                    throw new IOException("disk went away at " + offset);
                }
                return good.read(offset, dst);
            }

            @Override
            public void extents(long offset, long length, ExtentVisitor visitor) throws IOException {
                good.extents(offset, length, visitor);
            }
        };
        Path out = dir.resolve("out.vhd");
        assertThatThrownBy(() -> SparseFileWriter.write(failing, out, null))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("disk went away");
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
    }

    /** A real file system too small for the data: a typed error with the numbers, nothing left behind. */
    @Test
    void aFullFileSystemIsATypedErrorAndLeavesNothingBehind(@TempDir Path dir) throws Exception {
        ByteSource src = source(); // 13 MiB of data over 33 MiB
        try (SmallVolume vol = SmallVolume.mount(dir, 6L * MIB)) {
            Path out = vol.dir().resolve("out.vhd");
            assertThat(SparseFileWriter.spaceWarning(src, out))
                    .as("warned before writing")
                    .contains("up to 17 MiB of data")
                    .contains("may not fit");
            assertThatThrownBy(() -> SparseFileWriter.write(src, out, null))
                    .isInstanceOf(OutputSpaceException.class)
                    .hasMessageContaining("no space left for the output " + out)
                    .hasMessageContaining("MiB of data were written")
                    .hasMessageMatching("(?s).*\\b[56] MiB free once the partial file was removed.*")
                    .hasMessageContaining("the image has up to 17 MiB of data")
                    .satisfies(e -> assertThat(((OutputSpaceException) e).written())
                            .isPositive()
                            .isLessThanOrEqualTo(6L * MIB));
            try (Stream<Path> left = Files.list(vol.dir())) {
                assertThat(left).isEmpty();
            }
            // what fits is written without a warning
            ByteSource small = new BytesSource(random(2 * MIB, 3));
            assertThat(SparseFileWriter.spaceWarning(small, out)).isNull();
            SparseFileWriter.write(small, out, null);
            assertThat(Files.size(out)).isEqualTo(2L * MIB);
        }
    }
}
