package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.io.Extent;
import dev.linuximage.core.io.ExtentVisitor;
import dev.linuximage.core.io.WritableByteSource;

import java.nio.ByteBuffer;

/** A byte array as a writable source, for fuzzing without files. */
final class MemoryByteSource implements WritableByteSource {
    private final byte[] data;

    MemoryByteSource(byte[] data) {
        this.data = data;
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
        int n = src.remaining();
        src.get(data, (int) offset, n);
    }

    @Override
    public void flush() {
    }
}
