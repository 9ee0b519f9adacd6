package dev.linuximage.core.io;

import java.io.IOException;

/**
 * Coalesces a stream of adjacent ranges into maximal {@link Extent}s of one kind before passing them on, so
 * per-cluster mappers report few, large extents. Ranges must arrive in increasing, contiguous order.
 */
public final class ExtentMerger {
    private final ExtentVisitor out;
    private long start = -1;
    private long end = -1;
    private Extent.Kind kind;

    public ExtentMerger(ExtentVisitor out) {
        this.out = out;
    }

    public void add(long offset, long length, Extent.Kind k) throws IOException {
        if (length <= 0) {
            return;
        }
        if (kind == k && offset == end) {
            end += length;
            return;
        }
        finish();
        start = offset;
        end = offset + length;
        kind = k;
    }

    /** Emits the pending extent, if any. */
    public void finish() throws IOException {
        if (kind != null) {
            out.visit(new Extent(start, end - start, kind));
            kind = null;
        }
    }
}
