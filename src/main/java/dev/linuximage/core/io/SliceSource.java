package dev.linuximage.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A window {@code [base, base + length)} of another source, re-based at zero. Bounds-checked, never escapes. */
class SliceSource implements ByteSource {
    final ByteSource parent;
    final long base;
    final long length;

    SliceSource(ByteSource parent, long base, long length) {
        if (base < 0 || length < 0 || base > parent.size() || length > parent.size() - base) {
            throw new IllegalArgumentException(
                    "slice " + base + "+" + length + " outside source of " + parent.size() + " bytes");
        }
        this.parent = parent;
        this.base = base;
        this.length = length;
    }

    @Override
    public long size() {
        return length;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
        if (offset >= length) {
            return -1;
        }
        int want = (int) Math.min(dst.remaining(), length - offset);
        ByteBuffer view = dst.slice().limit(want);
        int n = parent.read(base + offset, view);
        if (n > 0) {
            dst.position(dst.position() + n);
        }
        return n;
    }

    @Override
    public void extents(long offset, long len, ExtentVisitor visitor) throws IOException {
        ByteSource.Range range = ByteSource.clip(offset, len, length);
        long start = range.start();
        long end = range.end();
        if (start >= end) {
            return;
        }
        parent.extents(
                base + start, end - start, e -> visitor.visit(new Extent(e.offset() - base, e.length(), e.kind())));
    }

    static final class Writable extends SliceSource implements WritableByteSource {
        Writable(WritableByteSource parent, long base, long length) {
            super(parent, base, length);
        }

        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
            if (offset < 0 || offset > length || src.remaining() > length - offset) {
                throw new IllegalArgumentException(
                        "write " + offset + "+" + src.remaining() + " outside slice of " + length + " bytes");
            }
            ((WritableByteSource) parent).write(base + offset, src);
        }

        @Override
        public void flush() throws IOException {
            ((WritableByteSource) parent).flush();
        }
    }
}
