package dev.linuximage.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A {@link ByteSource} that can be written in place. Offsets in bytes. Writes never change {@link #size()}. */
public interface WritableByteSource extends ByteSource {

    /** Writes all of {@code src} at {@code offset}; {@code offset + src.remaining()} must not exceed {@link #size()}. */
    void write(long offset, ByteBuffer src) throws IOException;

    /** Makes earlier writes durable (fsync for files). */
    void flush() throws IOException;

    @Override
    default WritableByteSource slice(long offset, long length) {
        return new SliceSource.Writable(this, offset, length);
    }
}
