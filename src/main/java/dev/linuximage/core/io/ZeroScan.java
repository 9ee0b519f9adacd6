package dev.linuximage.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Zero detection for data that has no allocation map (a raw file: Java cannot query a file's holes, so the only way
 * to find zeros is to read and test; time is therefore linear in the raw file's size, not in its allocated data).
 * Used while streaming: a consumer reads a DATA extent into a buffer and splits it into DATA/ZERO ranges at a
 * fixed granularity (512 bytes or 4 KiB) before writing or uploading it.
 */
public final class ZeroScan {
    private ZeroScan() {}

    /** 64 KiB of zeros to compare against: {@link ByteBuffer#mismatch} is vectorised by the JIT. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 * 1024).asReadOnlyBuffer();

    /** True when {@code len} bytes of {@code b} from absolute index {@code from} are all zero. */
    public static boolean isZero(ByteBuffer b, int from, int len) {
        int pos = from;
        int end = from + len;
        while (pos < end) {
            int n = Math.min(end - pos, ZEROS.capacity());
            ByteBuffer part = b.slice(pos, n);
            if (part.mismatch(ZEROS.slice(0, n)) != -1) {
                return false;
            }
            pos += n;
        }
        return true;
    }

    /** True when the remaining bytes of {@code b} are all zero. */
    public static boolean isZero(ByteBuffer b) {
        return isZero(b, b.position(), b.remaining());
    }

    /**
     * Splits the remaining bytes of {@code buf}, which hold the source bytes at {@code baseOffset}, into maximal
     * DATA/ZERO extents at {@code granularity} bytes (a power of two; the granule grid is relative to offset 0 of
     * the source, so partial granules at the edges count as DATA unless all zero). Does not move the buffer.
     */
    public static void split(ByteBuffer buf, long baseOffset, int granularity, ExtentVisitor visitor)
            throws IOException {
        if (Integer.bitCount(granularity) != 1) {
            throw new IllegalArgumentException("granularity must be a power of two: " + granularity);
        }
        ExtentMerger merger = new ExtentMerger(visitor);
        int pos = buf.position();
        int limit = buf.limit();
        long off = baseOffset;
        while (pos < limit) {
            long next = (off / granularity + 1) * granularity;
            int len = (int) Math.min(limit - pos, next - off);
            merger.add(off, len, isZero(buf, pos, len) ? Extent.Kind.ZERO : Extent.Kind.DATA);
            pos += len;
            off += len;
        }
        merger.finish();
    }

    /** Writes {@code n} zero bytes into {@code dst} (advancing its position). */
    public static void fillZero(ByteBuffer dst, int n) {
        if (dst.hasArray()) {
            int p = dst.position();
            java.util.Arrays.fill(dst.array(), dst.arrayOffset() + p, dst.arrayOffset() + p + n, (byte) 0);
            dst.position(p + n);
            return;
        }
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            dst.putLong(0L);
        }
        for (; i < n; i++) {
            dst.put((byte) 0);
        }
    }

    /**
     * A view of {@code source} whose {@link ByteSource#extents} are refined by reading every DATA extent and testing
     * for zeros at {@code granularity} bytes. Linear in the size of the DATA extents of the source (reads them once
     * more): use it only where exact extents are needed before the data is read; stream consumers should rather
     * call {@link #split} on the buffers they read anyway.
     */
    public static ByteSource detecting(ByteSource source, int granularity) {
        return new ByteSource() {
            @Override
            public long size() {
                return source.size();
            }

            @Override
            public int read(long offset, ByteBuffer dst) throws IOException {
                return source.read(offset, dst);
            }

            @Override
            public void extents(long offset, long length, ExtentVisitor visitor) throws IOException {
                ExtentMerger merger = new ExtentMerger(visitor);
                ByteBuffer buf = ByteBuffer.allocate(1 << 20);
                source.extents(offset, length, e -> {
                    if (!e.isData()) {
                        merger.add(e.offset(), e.length(), e.kind());
                        return;
                    }
                    long o = e.offset();
                    while (o < e.end()) {
                        buf.clear().limit((int) Math.min(buf.capacity(), e.end() - o));
                        source.readFully(o, buf);
                        buf.flip();
                        long base = o;
                        split(buf, base, granularity, x -> merger.add(x.offset(), x.length(), x.kind()));
                        o += buf.limit();
                    }
                });
                merger.finish();
            }

            @Override
            public void close() throws IOException {
                source.close();
            }
        };
    }
}
