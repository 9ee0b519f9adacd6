package dev.linuximage.core.upload;

import static dev.linuximage.testsupport.DiskFiles.random;
import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.ExtentVisitor;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.SparseFileMap;
import dev.linuximage.testsupport.ReferenceDigest;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image digest {@code sparse-sha256-v1} ({@link SparseDigest}, docs/upload.md "Digest"), against the naive
 * {@link ReferenceDigest} of the written definition: independent of how zeros are stored, sensitive to every byte,
 * and its cost follows the allocated data ({@link SparseFileMap}).
 */
class SparseDigestTest {
    private static final long MIB = 1 << 20;

    /** A file of {@code size} bytes with {@code data} written at the given offsets; zeros written or left as holes. */
    private static Path write(Path f, long size, long[] offsets, byte[][] data, boolean denseZeros) throws IOException {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength(0);
            if (denseZeros) {
                byte[] z = new byte[(int) MIB];
                for (long o = 0; o < size; o += z.length) {
                    r.write(z, 0, (int) Math.min(z.length, size - o));
                }
            } else {
                r.setLength(size);
            }
            for (int i = 0; i < offsets.length; i++) {
                r.seek(offsets[i]);
                r.write(data[i]);
            }
        }
        return f;
    }

    private static String digest(Path f) throws IOException {
        try (FileByteSource s = FileByteSource.openReadOnly(f)) {
            return SparseDigest.of(SparseFileMap.view(f, s));
        }
    }

    @Test
    void identicalContentWithDifferentSparsenessHasTheSameDigestAsTheReference(@TempDir Path dir) throws Exception {
        long size = 24 * MIB + 512;
        long[] at = {0, 3 * MIB + 512, 7 * MIB, 24 * MIB};
        byte[][] data = {random(4096, 1), random(700, 2), random(2 * (int) MIB, 3), random(512, 4)};
        // a zero page inside data: written as zeros in both, the digest must treat it like a hole
        data[2][4096 + 100] = 0;
        java.util.Arrays.fill(data[2], 8192, 8192 + 512, (byte) 0);
        Path sparse = write(dir.resolve("sparse.vhd"), size, at, data, false);
        Path dense = write(dir.resolve("dense.vhd"), size, at, data, true);
        assertThat(Files.mismatch(sparse, dense)).isEqualTo(-1L);
        String expected = ReferenceDigest.ofFile(dense);
        assertThat(expected).startsWith(SparseDigest.ALGORITHM + ":");
        assertThat(digest(sparse)).isEqualTo(expected);
        assertThat(digest(dense)).isEqualTo(expected);
        // a plain file view (every byte DATA, no map) agrees too
        try (FileByteSource s = FileByteSource.openReadOnly(sparse)) {
            assertThat(SparseDigest.of(s)).isEqualTo(expected);
        }
    }

    @Test
    void aOneByteChangeAnywhereChangesTheDigest(@TempDir Path dir) throws Exception {
        long size = 8 * MIB + 512;
        long[] at = {MIB, 4 * MIB + 1024, 8 * MIB};
        byte[][] data = {random(64 * 1024, 5), random(1536, 6), random(512, 7)};
        Path f = write(dir.resolve("d.vhd"), size, at, data, false);
        String base = digest(f);
        assertThat(base).isEqualTo(ReferenceDigest.ofFile(f));
        Set<String> seen = new HashSet<>();
        seen.add(base);
        // first byte, inside a hole, inside a data run, the byte after a run, the last byte of a page that is zero,
        // the footer's last byte
        long[] positions = {0, 2 * MIB + 77, MIB + 5000, MIB + 64 * 1024, 6 * MIB + 511, size - 1};
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            for (long p : positions) {
                r.seek(p);
                int old = r.read();
                r.seek(p);
                r.write(old ^ 0x01);
                String changed = digest(f);
                assertThat(changed).as("byte %d flipped", p).isNotEqualTo(base).isEqualTo(ReferenceDigest.ofFile(f));
                assertThat(seen.add(changed))
                        .as("distinct digest for byte %d", p)
                        .isTrue();
                r.seek(p);
                r.write(old);
                assertThat(digest(f)).isEqualTo(base);
            }
            // a non-zero page zeroed: the runs change
            r.seek(4 * MIB + 1024 + 512);
            r.write(new byte[512]);
        }
        assertThat(digest(f)).isNotEqualTo(base).isEqualTo(ReferenceDigest.ofFile(f));
    }

    @Test
    void aLargeSparseFileCostsItsDataNotItsSize(@TempDir Path dir) throws Exception {
        long size = 64L << 30;
        long[] at = {0, 5L << 30, (40L << 30) + 4096, size - 4 * MIB - 512};
        byte[][] data = {
            random(2 * (int) MIB, 8), random(2 * (int) MIB, 9), random(2 * (int) MIB, 10), random(2 * (int) MIB, 11)
        };
        Path f = write(dir.resolve("big.vhd"), size, at, data, false);
        AtomicLong read = new AtomicLong();
        long t0 = System.nanoTime();
        String got;
        try (FileByteSource s = FileByteSource.openReadOnly(f)) {
            SparseFileMap map = SparseFileMap.view(f, s);
            got = SparseDigest.of(counting(map, read));
            assertThat(map.usedFallback())
                    .as("the file system's allocation map was used")
                    .isFalse();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("64 GiB virtual / 8 MiB data: digest in %.2f s, %d bytes read%n", secs, read.get());
        // the reference over the known runs (random data has no all-zero 512-byte page)
        List<long[]> runs = new ArrayList<>();
        for (int i = 0; i < at.length; i++) {
            runs.add(new long[] {at[i], at[i] + data[i].length});
        }
        assertThat(got).isEqualTo(ReferenceDigest.of(size, runs, (o, n) -> {
            for (int i = 0; i < at.length; i++) {
                if (o >= at[i] && o + n <= at[i] + data[i].length) {
                    return java.util.Arrays.copyOfRange(data[i], (int) (o - at[i]), (int) (o - at[i]) + n);
                }
            }
            throw new IllegalStateException("no data at " + o);
        }));
        // the data alone is read (file system blocks may round it up a little), not 64 GiB
        assertThat(read.get()).isBetween(8 * MIB, 9 * MIB);
        assertThat(secs).as("well under the minutes a 64 GiB read takes").isLessThan(20);
    }

    private static ByteSource counting(ByteSource s, AtomicLong read) {
        return new ByteSource() {
            @Override
            public long size() {
                return s.size();
            }

            @Override
            public int read(long offset, ByteBuffer dst) throws IOException {
                int n = s.read(offset, dst);
                read.addAndGet(Math.max(0, n));
                return n;
            }

            @Override
            public void extents(long offset, long length, ExtentVisitor v) throws IOException {
                s.extents(offset, length, v);
            }

            @Override
            public void close() throws IOException {
                s.close();
            }
        };
    }
}
