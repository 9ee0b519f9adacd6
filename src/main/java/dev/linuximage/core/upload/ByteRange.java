package dev.linuximage.core.upload;

/** A half-open byte range {@code [start, end)} of a page blob; offsets in bytes. */
public record ByteRange(long start, long end) {
    public ByteRange {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("bad range " + start + ".." + end);
        }
    }

    public long length() {
        return end - start;
    }
}
