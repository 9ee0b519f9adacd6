package dev.linuximage.core.io;

/**
 * A range of a {@link ByteSource}: {@code [offset, offset + length)} in bytes.
 *
 * @param kind {@link Kind#DATA} may hold non-zero bytes; {@link Kind#ZERO} is known to read as zeros (a hole, an
 *             unallocated block, an explicit zero cluster)
 */
public record Extent(long offset, long length, Kind kind) {

    public enum Kind {
        DATA,
        ZERO
    }

    public Extent {
        if (offset < 0 || length < 0 || offset + length < 0) {
            throw new IllegalArgumentException("bad extent " + offset + "+" + length);
        }
    }

    public long end() {
        return offset + length;
    }

    public boolean isData() {
        return kind == Kind.DATA;
    }
}
