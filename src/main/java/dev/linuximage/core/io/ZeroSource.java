package dev.linuximage.core.io;

import java.nio.ByteBuffer;

/** A source of {@code size} zero bytes, reported as one {@link Extent.Kind#ZERO} extent. */
public final class ZeroSource implements ByteSource {
    private final long size;

    public ZeroSource(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int read(long offset, ByteBuffer dst) {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
        if (offset >= size) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), size - offset);
        ZeroScan.fillZero(dst, n);
        return n;
    }

    @Override
    public void extents(long offset, long length, ExtentVisitor visitor) throws java.io.IOException {
        ByteSource.Range range = ByteSource.clip(offset, length, size);
        long start = range.start();
        long end = range.end();
        if (start < end) {
            visitor.visit(new Extent(start, end - start, Extent.Kind.ZERO));
        }
    }
}
