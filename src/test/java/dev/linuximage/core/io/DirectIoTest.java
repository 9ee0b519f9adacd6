package dev.linuximage.core.io;

import static dev.linuximage.testsupport.DiskFiles.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Direct I/O beside the page cache. The oracle for "did the data go around the page cache" is util-linux's
 * {@code fincore}, which asks the kernel (mincore) how much of a file is cached: a buffered write or read leaves the
 * file's pages cached, a direct one does not.
 */
class DirectIoTest {
    private static final int MIB = 1 << 20;

    /** Bytes of {@code file} in the page cache, by {@code fincore}. */
    private static long cached(Path file) throws Exception {
        Process p = new ProcessBuilder("fincore", "--bytes", "--noheadings", "--output", "RES", file.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("fincore: %s", out).isZero();
        return Long.parseLong(out);
    }

    private static FileChannel readWrite(Path file) throws Exception {
        return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
    }

    @Test
    void onlyLargeAlignedRequestsFromAlignedBuffersGoDirect(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("f");
        byte[] expected = new byte[20 * MIB];
        try (FileChannel ch = readWrite(file);
                DirectIo io = DirectIo.over(file, ch, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            assertThat(io.active())
                    .as(
                            "O_DIRECT refused on %s (%s)",
                            dir, Files.getFileStore(dir).type())
                    .isTrue();
            // direct: 1 MiB at 0 from an aligned buffer
            byte[] a = random(MIB, 1);
            ByteBuffer aligned = DirectIo.allocate(MIB).put(a).flip();
            assertThat(io.write(aligned, 0)).isEqualTo(MIB);
            System.arraycopy(a, 0, expected, 0, MIB);
            assertThat(io.directBytes()).isEqualTo(MIB);
            // buffered: an offset that is not a multiple of 4096
            byte[] b = random(MIB, 2);
            io.write(DirectIo.allocate(MIB).put(b).flip(), 2 * MIB + 512);
            System.arraycopy(b, 0, expected, 2 * MIB + 512, MIB);
            // buffered: too small (a file system's metadata block)
            byte[] c = random(4096, 3);
            io.write(DirectIo.allocate(4096).put(c).flip(), 8 * MIB);
            System.arraycopy(c, 0, expected, 8 * MIB, 4096);
            // buffered: a heap buffer, and a direct buffer 16 bytes past an aligned address
            byte[] d = random(MIB, 4);
            io.write(ByteBuffer.wrap(d), 12 * MIB);
            System.arraycopy(d, 0, expected, 12 * MIB, MIB);
            byte[] e = random(MIB, 5);
            ByteBuffer off = DirectIo.allocate(MIB + 4096)
                    .position(16)
                    .slice()
                    .put(e, 0, MIB)
                    .flip();
            io.write(off, 16 * MIB);
            System.arraycopy(e, 0, expected, 16 * MIB, MIB);
            ch.truncate(expected.length);
            ch.write(ByteBuffer.wrap(new byte[1]), expected.length - 1);
            assertThat(io.directBytes()).isEqualTo(MIB);

            assertThat(Files.readAllBytes(file)).isEqualTo(expected);
            ByteBuffer back = DirectIo.allocate(MIB);
            while (back.hasRemaining()) {
                io.read(back, back.position());
            }
            assertThat(io.directBytes()).isEqualTo(2 * MIB);
            byte[] got = new byte[MIB];
            back.flip().get(got);
            assertThat(got).isEqualTo(a);
        }
    }

    @Test
    void directAndBufferedRequestsOnOneFileSeeEachOthersBytes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("f");
        try (FileChannel ch = readWrite(file);
                DirectIo io = DirectIo.over(file, ch, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            assertThat(io.active()).isTrue();
            byte[] first = random(MIB, 6);
            ch.write(ByteBuffer.wrap(first), 0); // dirty in the page cache
            ByteBuffer buf = DirectIo.allocate(MIB);
            io.read(buf, 0); // direct: Linux writes the dirty pages back first
            assertThat(io.directBytes()).isEqualTo(MIB);
            assertThat(Arrays.equals(bytes(buf.flip()), first)).isTrue();

            byte[] second = random(MIB, 7);
            io.write(DirectIo.allocate(MIB).put(second).flip(), 0); // direct over cached pages
            assertThat(io.directBytes()).isEqualTo(2 * MIB);
            ByteBuffer heap = ByteBuffer.allocate(MIB);
            ch.read(heap, 0); // buffered: must not see the stale cached copy
            assertThat(heap.array()).isEqualTo(second);
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void aDirectWriteLeavesNothingCachedWhereABufferedOneDoes(@TempDir Path dir) throws Exception {
        byte[] data = random(16 * MIB, 8);
        Path direct = dir.resolve("direct");
        Path buffered = dir.resolve("buffered");
        for (Path f : new Path[] {direct, buffered}) {
            try (FileChannel ch = readWrite(f);
                    DirectIo io =
                            f == direct ? DirectIo.over(f, ch, StandardOpenOption.WRITE) : DirectIo.bufferedOnly(ch)) {
                ByteBuffer buf = DirectIo.allocate(4 * MIB);
                for (int o = 0; o < data.length; o += 4 * MIB) {
                    buf.clear().put(data, o, 4 * MIB).flip();
                    while (buf.hasRemaining()) {
                        io.write(buf, o + buf.position());
                    }
                }
                ch.force(true);
            }
        }
        assertThat(cached(buffered)).isEqualTo(16L * MIB);
        assertThat(cached(direct)).isLessThan(MIB);
        assertThat(Files.readAllBytes(direct)).isEqualTo(data);
        assertThat(Files.readAllBytes(buffered)).isEqualTo(data);
    }

    @Test
    void theWriterAndTheReaderMoveDenseChunksAroundThePageCache(@TempDir Path dir) throws Exception {
        byte[] data = random(32 * MIB, 9);
        Path out = dir.resolve("out.img");
        SparseFileWriter.write(new BytesSource(data), out, null);
        assertThat(cached(out)).as("cached after the write").isLessThan(MIB);

        try (FileByteSource src = FileByteSource.openReadOnly(out)) {
            ByteBuffer buf = DirectIo.allocate(32 * MIB);
            src.readFully(0, buf);
            assertThat(bytes(buf.flip())).isEqualTo(data);
        }
        assertThat(cached(out)).as("cached after a read of aligned 32 MiB").isLessThan(MIB);

        try (FileByteSource src = FileByteSource.openReadOnly(out)) {
            ByteBuffer small = ByteBuffer.allocate(64 * 1024); // a metadata-sized read keeps the page cache
            src.readFully(MIB, small);
            assertThat(small.array()).isEqualTo(Arrays.copyOfRange(data, MIB, MIB + 64 * 1024));
        }
        assertThat(cached(out)).as("cached after a 64 KiB read").isGreaterThanOrEqualTo(64L * 1024);
    }

    /**
     * A large read at an offset 512 bytes past a 4 KiB boundary (a dynamic VHD's data block), or into a heap array
     * (the upload), goes direct through the thread's aligned scratch buffer: the bytes are right and the file stays
     * out of the page cache. One that reaches the end of a file whose size is not a multiple of 4 KiB reads the same
     * bytes.
     */
    @Test
    void largeUnalignedReadsGoDirectThroughAnAlignedScratchBuffer(@TempDir Path dir) throws Exception {
        int size = 12 * MIB + 1536; // not a multiple of 4096
        byte[] data = random(size, 12);
        Path file = dir.resolve("u.img");
        Files.write(file, data);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.force(true);
        }
        dropFromCache(file);
        assertThat(cached(file)).isLessThan(MIB);

        try (FileByteSource src = FileByteSource.openReadOnly(file)) {
            ByteBuffer direct = DirectIo.allocate(2 * MIB);
            src.readFully(512 + 4096, direct); // an unaligned offset into an aligned buffer
            assertThat(bytes(direct.flip())).isEqualTo(Arrays.copyOfRange(data, 4608, 4608 + 2 * MIB));

            ByteBuffer heap = ByteBuffer.allocate(5 * MIB + 512); // a heap array, more than one scratch buffer
            src.readFully(3 * MIB + 512, heap);
            assertThat(heap.array()).isEqualTo(Arrays.copyOfRange(data, 3 * MIB + 512, 8 * MIB + 1024));

            ByteBuffer tail = ByteBuffer.allocate(MIB + 1024); // up to the end of the file
            src.readFully(size - tail.capacity(), tail);
            assertThat(tail.array()).isEqualTo(Arrays.copyOfRange(data, size - tail.capacity(), size));
        }
        assertThat(cached(file))
                .as("the page cache after the unaligned reads (the tail read at the end of the file is buffered)")
                .isLessThanOrEqualTo(MIB + 2 * 4096L);
    }

    /**
     * A read-only input whose range is already wholly in the page cache (an image just built or read) is read from
     * there, not from the device; a range that is not, or only partly, cached still goes direct. {@code fincore} is
     * the oracle for what is cached before each read.
     */
    @Test
    void aReadOnlyFilesCachedRangesAreReadFromThePageCache(@TempDir Path dir) throws Exception {
        byte[] data = random(16 * MIB, 13);
        Path file = dir.resolve("cached.img");
        Files.write(file, data); // buffered: every page cached (and dirty until written back)
        assertThat(cached(file)).isEqualTo(16L * MIB);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
                DirectIo io = DirectIo.over(file, ch, StandardOpenOption.READ)) {
            assertThat(io.active()).isTrue();
            ByteBuffer buf = DirectIo.allocate(4 * MIB);
            readFully(io, buf, 4 * MIB);
            assertThat(bytes(buf.flip())).isEqualTo(Arrays.copyOfRange(data, 4 * MIB, 8 * MIB));
            ByteBuffer unaligned = ByteBuffer.allocate(MIB); // the scratch path's kind of read
            readFully(io, unaligned, 9 * MIB + 512);
            assertThat(unaligned.array()).isEqualTo(Arrays.copyOfRange(data, 9 * MIB + 512, 10 * MIB + 512));
            assertThat(io.directBytes())
                    .as("bytes read direct from a cached file")
                    .isZero();

            ch.force(true);
            dropFromCache(file);
            assertThat(cached(file)).isLessThan(MIB);
            ByteBuffer small = ByteBuffer.allocate(64 * 1024); // caches 64 KiB (and its read-ahead) at 12 MiB
            readFully(io, small, 12 * MIB);
            assertThat(cached(file)).isLessThan(4L * MIB);
            buf.clear();
            readFully(io, buf, 12 * MIB); // partly cached: direct
            assertThat(bytes(buf.flip())).isEqualTo(Arrays.copyOfRange(data, 12 * MIB, 16 * MIB));
            assertThat(io.directBytes())
                    .as("bytes read direct once the file left the cache")
                    .isEqualTo(4L * MIB);
        }
        // written files are ours: their reads keep going direct whatever is cached (see the tests above)
    }

    private static void readFully(DirectIo io, ByteBuffer buf, long at) throws Exception {
        long p = at;
        while (buf.hasRemaining()) {
            int n = io.read(buf, p);
            assertThat(n).isPositive();
            p += n;
        }
    }

    /** Drops {@code file}'s clean pages from the page cache (POSIX_FADV_DONTNEED through dd, as the benchmarks do). */
    private static void dropFromCache(Path file) throws Exception {
        Process p = new ProcessBuilder("dd", "if=" + file, "iflag=nocache", "count=0", "status=none")
                .redirectErrorStream(true)
                .start();
        assertThat(p.waitFor()).isZero();
    }

    @Test
    void aTwinThatFailsIsDroppedAndTheBufferedChannelServesFromThenOn(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("f");
        Failing twin = new Failing(new IOException("Invalid argument"));
        try (FileChannel ch = readWrite(file)) {
            DirectIo io = DirectIo.of(ch, twin);
            byte[] a = random(MIB, 10);
            assertThat(io.write(DirectIo.allocate(MIB).put(a).flip(), 0)).isEqualTo(MIB);
            assertThat(io.active()).isFalse();
            assertThat(twin.calls).isEqualTo(1);
            ByteBuffer back = DirectIo.allocate(MIB);
            io.read(back, 0);
            assertThat(bytes(back.flip())).isEqualTo(a);
            assertThat(twin.calls).as("not asked again").isEqualTo(1);
            assertThat(io.directBytes()).isZero();
            // other workers may still have requests on the refused twin: closing it then would fail them with
            // AsynchronousCloseException and hide the real cause (OutputVolumeFullTest), so only close() closes it
            assertThat(twin.isOpen()).as("the refused twin is still open").isTrue();
            io.close();
            assertThat(twin.isOpen()).as("closed with the DirectIo").isFalse();
            assertThat(ch.isOpen())
                    .as("the buffered channel stays the caller's")
                    .isTrue();
        }
    }

    @Test
    void aClosedOrInterruptedTwinIsAFailureNotAFallback(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("f");
        try (FileChannel ch = readWrite(file);
                DirectIo io = DirectIo.of(ch, new Failing(new ClosedByInterruptException()))) {
            assertThatThrownBy(() -> io.write(DirectIo.allocate(MIB), 0))
                    .isInstanceOf(ClosedByInterruptException.class);
            assertThat(ch.size())
                    .as("nothing written buffered behind the failure")
                    .isZero();
        }
    }

    /** A direct twin whose every read and write fails with {@code failure}. */
    private static final class Failing extends FileChannel {
        private final IOException failure;
        int calls;

        Failing(IOException failure) {
            this.failure = failure;
        }

        private IOException fail() {
            calls++;
            return failure;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            throw fail();
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            throw fail();
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            throw fail();
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            throw fail();
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            throw fail();
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            throw fail();
        }

        @Override
        public long position() {
            return 0;
        }

        @Override
        public FileChannel position(long newPosition) {
            return this;
        }

        @Override
        public long size() {
            return 0;
        }

        @Override
        public FileChannel truncate(long size) {
            return this;
        }

        @Override
        public void force(boolean metaData) {}

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            throw fail();
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            throw fail();
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            throw fail();
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            throw fail();
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            throw fail();
        }

        @Override
        protected void implCloseChannel() {}
    }

    @Test
    void switchedOffByTheEnvironmentOrTheProperty() {
        assertThat(DirectIo.enabled(null, null)).isTrue();
        assertThat(DirectIo.enabled("off", null)).isFalse();
        assertThat(DirectIo.enabled(" OFF ", null)).isFalse();
        assertThat(DirectIo.enabled("0", null)).isFalse();
        assertThat(DirectIo.enabled("on", null)).isTrue();
        assertThat(DirectIo.enabled("off", "on")).as("the property wins").isTrue();
        assertThat(DirectIo.enabled(null, "false")).isFalse();
    }

    @Test
    void alignedBuffersAreDirectAlignedAndExactlyAsLarge() {
        for (int size : new int[] {4096, MIB, 4 * MIB, 5000}) {
            ByteBuffer b = DirectIo.allocate(size);
            assertThat(b.isDirect()).isTrue();
            assertThat(b.capacity()).isEqualTo(size);
            assertThat(b.alignmentOffset(0, DirectIo.ALIGN)).isZero();
        }
    }
}
