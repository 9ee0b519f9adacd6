package dev.linuximage.core.volume;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.Extent;
import dev.linuximage.core.io.ExtentVisitor;
import dev.linuximage.core.io.WritableByteSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Several sources one after the other (a linear logical volume made of segments on one or more physical volumes).
 * Offsets in bytes. Writable when every part is a {@link WritableByteSource}; writes never cross out of a part's
 * range (each part is itself a bounds-checked slice).
 */
public final class ConcatSource implements WritableByteSource {
    private final List<ByteSource> parts;
    private final long[] starts;
    private final long size;

    public ConcatSource(List<? extends ByteSource> parts) {
        this.parts = List.copyOf(parts);
        this.starts = new long[this.parts.size() + 1];
        long s = 0;
        for (int i = 0; i < this.parts.size(); i++) {
            starts[i] = s;
            s = Math.addExact(s, this.parts.get(i).size());
        }
        starts[this.parts.size()] = s;
        this.size = s;
    }

    public boolean isWritable() {
        return parts.stream().allMatch(p -> p instanceof WritableByteSource);
    }

    @Override
    public long size() {
        return size;
    }

    private int partAt(long offset) {
        int lo = 0;
        int hi = parts.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= offset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
        if (offset >= size) {
            return -1;
        }
        int total = 0;
        while (dst.hasRemaining() && offset < size) {
            int i = partAt(offset);
            long rel = offset - starts[i];
            int want = (int) Math.min(dst.remaining(), parts.get(i).size() - rel);
            ByteBuffer view = dst.slice().limit(want);
            parts.get(i).readFully(rel, view);
            dst.position(dst.position() + want);
            offset += want;
            total += want;
        }
        return total;
    }

    @Override
    public void extents(long offset, long length, ExtentVisitor visitor) throws IOException {
        long start = Math.max(0, offset);
        long end = Math.min(size, offset + length);
        while (start < end) {
            int i = partAt(start);
            long base = starts[i];
            long partEnd = Math.min(end, starts[i + 1]);
            parts.get(i).extents(start - base, partEnd - start,
                    e -> visitor.visit(new Extent(e.offset() + base, e.length(), e.kind())));
            start = partEnd;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (offset < 0 || offset > size || src.remaining() > size - offset) {
            throw new IllegalArgumentException("write " + offset + "+" + src.remaining() + " outside " + size
                    + " bytes");
        }
        while (src.hasRemaining()) {
            int i = partAt(offset);
            if (!(parts.get(i) instanceof WritableByteSource w)) {
                throw new IOException("logical volume part " + i + " is read-only");
            }
            long rel = offset - starts[i];
            int n = (int) Math.min(src.remaining(), parts.get(i).size() - rel);
            ByteBuffer chunk = src.slice().limit(n);
            w.write(rel, chunk);
            src.position(src.position() + n);
            offset += n;
        }
    }

    @Override
    public void flush() throws IOException {
        for (ByteSource p : parts) {
            if (p instanceof WritableByteSource w) {
                w.flush();
            }
        }
    }
}
