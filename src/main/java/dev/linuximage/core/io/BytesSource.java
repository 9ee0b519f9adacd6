package dev.linuximage.core.io;

import java.nio.ByteBuffer;

/** A small in-memory byte array as a source (a footer, a header); one {@link Extent.Kind#DATA} extent. */
public final class BytesSource implements ByteSource {
    private final byte[] bytes;

    public BytesSource(byte[] bytes) {
        this.bytes = bytes.clone();
    }

    @Override
    public long size() {
        return bytes.length;
    }

    @Override
    public int read(long offset, ByteBuffer dst) {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
        if (offset >= bytes.length) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), bytes.length - offset);
        dst.put(bytes, (int) offset, n);
        return n;
    }

    @Override
    public void extents(long offset, long length, ExtentVisitor visitor) throws java.io.IOException {
        ByteSource.Range range = ByteSource.clip(offset, length, bytes.length);
        long start = range.start();
        long end = range.end();
        if (start < end) {
            visitor.visit(new Extent(start, end - start, Extent.Kind.DATA));
        }
    }
}
