package dev.linuximage.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Several sources one after the other (VMDK extents; a disk followed by padding and a footer; the segments of an
 * LVM logical volume). Offsets in bytes. Adjacent extents of the same kind from different parts are merged. Writes
 * go to the parts they cover and need those parts to be writable. Closing closes every part.
 */
public final class ConcatSource implements WritableByteSource {
    private final ByteSource[] parts;
    private final long[] starts;
    private final long size;

    public ConcatSource(List<? extends ByteSource> parts) {
        this.parts = parts.toArray(new ByteSource[0]);
        this.starts = new long[this.parts.length + 1];
        long total = 0;
        for (int i = 0; i < this.parts.length; i++) {
            starts[i] = total;
            total = Math.addExact(total, this.parts[i].size());
        }
        starts[this.parts.length] = total;
        this.size = total;
    }

    public static ConcatSource of(ByteSource... parts) {
        return new ConcatSource(List.of(parts));
    }

    @Override
    public long size() {
        return size;
    }

    private int partAt(long offset) {
        int lo = 0;
        int hi = parts.length - 1;
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
        int i = partAt(offset);
        while (dst.hasRemaining() && offset < size) {
            while (starts[i + 1] <= offset) {
                i++;
            }
            long within = offset - starts[i];
            int want = (int) Math.min(dst.remaining(), starts[i + 1] - offset);
            ByteBuffer view = dst.slice().limit(want);
            parts[i].readFully(within, view);
            dst.position(dst.position() + want);
            total += want;
            offset += want;
        }
        return total;
    }

    @Override
    public void extents(long offset, long length, ExtentVisitor visitor) throws IOException {
        ByteSource.Range range = ByteSource.clip(offset, length, size);
        long start = range.start();
        long end = range.end();
        if (start >= end) {
            return;
        }
        ExtentMerger merger = new ExtentMerger(visitor);
        for (int i = partAt(start); i < parts.length && starts[i] < end; i++) {
            long base = starts[i];
            long s = Math.max(start, base) - base;
            long e = Math.min(end, starts[i + 1]) - base;
            if (s < e) {
                parts[i].extents(s, e - s, x -> merger.add(x.offset() + base, x.length(), x.kind()));
            }
        }
        merger.finish();
    }

    /** True when every part can be written. */
    public boolean isWritable() {
        for (ByteSource p : parts) {
            if (!(p instanceof WritableByteSource)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (offset < 0 || offset > size || src.remaining() > size - offset) {
            throw new IllegalArgumentException(
                    "write " + offset + "+" + src.remaining() + " outside " + size + " bytes");
        }
        while (src.hasRemaining()) {
            int i = partAt(offset);
            if (!(parts[i] instanceof WritableByteSource w)) {
                throw new IOException("part " + i + " of a concatenated source is read-only");
            }
            long within = offset - starts[i];
            int n = (int) Math.min(src.remaining(), starts[i + 1] - offset);
            w.write(within, src.slice().limit(n));
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

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (ByteSource p : parts) {
            try {
                p.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** The parts, in order (read-only view). */
    public List<ByteSource> parts() {
        return new ArrayList<>(List.of(parts));
    }
}
