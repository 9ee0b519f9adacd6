package dev.linuximage.core.fs;

import dev.linuximage.core.io.Extent;
import dev.linuximage.core.io.ExtentVisitor;
import dev.linuximage.core.io.WritableByteSource;
import java.nio.ByteBuffer;

/** An in-memory disk for unit and fuzz tests. */
public final class BytesSource implements WritableByteSource {
    private final byte[] data;

    public BytesSource(byte[] data) {
        this.data = data;
    }

    public byte[] data() {
        return data;
    }

    @Override
    public long size() {
        return data.length;
    }

    @Override
    public int read(long offset, ByteBuffer dst) {
        if (offset >= data.length) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), data.length - offset);
        dst.put(data, (int) offset, n);
        return n;
    }

    @Override
    public void extents(long offset, long length, ExtentVisitor visitor) throws java.io.IOException {
        long end = Math.min(data.length, offset + length);
        if (offset < end) {
            visitor.visit(new Extent(offset, end - offset, Extent.Kind.DATA));
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        if (offset < 0 || src.remaining() > data.length - offset) {
            throw new IllegalArgumentException("write outside");
        }
        src.get(data, (int) offset, src.remaining());
    }

    @Override
    public void flush() {}
}
