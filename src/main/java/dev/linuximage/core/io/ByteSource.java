package dev.linuximage.core.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A random-access, read-only view of the bytes of a virtual disk (or of a slice of one: a partition, a logical
 * volume). All offsets and lengths are in <b>bytes</b>, relative to the start of this source.
 *
 * <p>Sparse is first class: {@link #extents(long, long, ExtentVisitor)} tells which ranges hold data, so callers
 * never read or write holes. Reading a hole yields zeros.
 *
 * <p>Implementations are safe for concurrent {@link #read} calls from several threads unless documented otherwise.
 */
public interface ByteSource extends Closeable {

    /** Virtual size in bytes. */
    long size();

    /**
     * Reads {@code dst.remaining()} bytes starting at {@code offset} into {@code dst}, or fewer if the end of the
     * source is reached first. Unallocated ranges read as zeros.
     *
     * @return the number of bytes read, {@code -1} if {@code offset >= size()}
     */
    int read(long offset, ByteBuffer dst) throws IOException;

    /**
     * Visits, in increasing offset order, the extents that cover {@code [offset, offset + length)} clipped to that
     * range. Consecutive extents never overlap; together they cover the whole range. Memory use is bounded by the
     * visitor, not by the number of extents.
     */
    void extents(long offset, long length, ExtentVisitor visitor) throws IOException;

    /**
     * The requested range of an {@link #extents} call, {@code [offset, offset + length)}, clipped to a source of
     * {@code size} bytes: the first step of every implementation, so all clip the same way. Empty when
     * {@code start >= end}.
     */
    static Range clip(long offset, long length, long size) {
        return new Range(Math.max(0, offset), Math.min(size, offset + length));
    }

    /** A byte range {@code [start, end)} of a source, in bytes; empty when {@code start >= end}. */
    record Range(long start, long end) {
        public boolean isEmpty() {
            return start >= end;
        }
    }

    /**
     * The bytes of {@code [offset, offset + length)} that the extent map calls data: an upper bound of the non-zero
     * bytes (a DATA extent may hold zeros; a raw file's map calls everything data). One walk of the extent map.
     */
    default long dataBytes(long offset, long length) throws IOException {
        long[] sum = {0};
        extents(offset, length, e -> {
            if (e.isData()) {
                sum[0] += e.length();
            }
        });
        return sum[0];
    }

    /** Reads exactly {@code dst.remaining()} bytes or throws {@link java.io.EOFException}. */
    default void readFully(long offset, ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            int n = read(offset, dst);
            if (n <= 0) {
                throw new java.io.EOFException(
                        "read past end of source at offset " + offset + " (size " + size() + ")");
            }
            offset += n;
        }
    }

    /** Convenience: reads {@code length} bytes at {@code offset} into a new array. {@code length} must be small. */
    default byte[] readBytes(long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        readFully(offset, b);
        return b.array();
    }

    /** A slice {@code [offset, offset + length)} of this source (a partition, a logical-volume segment). */
    default ByteSource slice(long offset, long length) {
        return new SliceSource(this, offset, length);
    }

    @Override
    default void close() throws IOException {}
}
