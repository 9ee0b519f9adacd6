package dev.linuximage.core.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Forwards reads and extents to another source and decides separately what closing does: nothing (a view that
 * must not close the disk it wraps) or closing the owner of the source (an opened image and its data view).
 */
public final class ForwardingSource implements ByteSource {
    private final ByteSource delegate;
    private final Closeable onClose;

    public ForwardingSource(ByteSource delegate, Closeable onClose) {
        this.delegate = delegate;
        this.onClose = onClose;
    }

    /** A view whose {@link #close()} leaves {@code s} open. */
    public static ForwardingSource nonClosing(ByteSource s) {
        return new ForwardingSource(s, () -> {});
    }

    @Override
    public long size() {
        return delegate.size();
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws IOException {
        return delegate.read(offset, dst);
    }

    @Override
    public void extents(long offset, long length, ExtentVisitor visitor) throws IOException {
        delegate.extents(offset, length, visitor);
    }

    @Override
    public void close() throws IOException {
        onClose.close();
    }
}
