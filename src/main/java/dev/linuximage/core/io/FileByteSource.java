package dev.linuximage.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A plain file (a raw disk, or the data area of a fixed VHD) as a byte source. {@code size} may be smaller than the
 * file (a fixed VHD's footer is not part of the virtual disk). The whole range is reported as one data extent:
 * the format engine's raw reader refines that with zero detection.
 */
public class FileByteSource implements WritableByteSource {
    private final FileChannel channel;
    private final long size;
    private final boolean writable;
    private final boolean closesChannel;
    /** Reads, direct where large and aligned (read-only files only). */
    private final DirectIo io;

    private FileByteSource(FileChannel channel, long size, boolean writable) {
        this(channel, size, writable, true, DirectIo.bufferedOnly(channel));
    }

    private FileByteSource(FileChannel channel, long size, boolean writable, boolean closesChannel, DirectIo io) {
        this.channel = channel;
        this.size = size;
        this.writable = writable;
        this.closesChannel = closesChannel;
        this.io = io;
    }

    /**
     * Opens {@code file} for reading. Reads of at least 256 KiB (a conversion's or an upload's chunks) go through a
     * second, {@code O_DIRECT} channel where the file system allows it ({@link DirectIo}); small ones use the page
     * cache.
     */
    public static FileByteSource openReadOnly(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = DiskPaths.size(file, ch); // a block device too
            return new FileByteSource(ch, size, false, true, DirectIo.over(file, ch, StandardOpenOption.READ));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public static FileByteSource openReadWrite(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            return new FileByteSource(ch, DiskPaths.size(file, ch), true); // a block device too
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * The first {@code size} bytes of an open channel, which the caller keeps owning: {@link #close()} of this view
     * leaves the channel open.
     */
    static FileByteSource over(FileChannel channel, long size, boolean writable) {
        return new FileByteSource(channel, size, writable, false, DirectIo.bufferedOnly(channel));
    }

    /** A view of the first {@code size} bytes of this file (e.g. excluding a trailing footer). */
    public FileByteSource truncatedView(long newSize) {
        if (newSize < 0 || newSize > size) {
            throw new IllegalArgumentException("view of " + newSize + " bytes exceeds file of " + size);
        }
        return new FileByteSource(channel, newSize, writable, closesChannel, io);
    }

    public FileChannel channel() {
        return channel;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
        if (offset >= size) {
            return -1;
        }
        int want = (int) Math.min(dst.remaining(), size - offset);
        ByteBuffer view = dst.slice().limit(want);
        int total = 0;
        while (view.hasRemaining()) {
            int n = io.read(view, offset + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        dst.position(dst.position() + total);
        return total;
    }

    @Override
    public void extents(long offset, long length, ExtentVisitor visitor) throws IOException {
        ByteSource.Range range = ByteSource.clip(offset, length, size);
        long start = range.start();
        long end = range.end();
        if (start < end) {
            visitor.visit(new Extent(start, end - start, Extent.Kind.DATA));
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (!writable) {
            throw new IOException("disk is open read-only");
        }
        if (offset < 0 || offset > size || src.remaining() > size - offset) {
            throw new IllegalArgumentException(
                    "write " + offset + "+" + src.remaining() + " outside " + size + " bytes");
        }
        long pos = offset;
        while (src.hasRemaining()) {
            pos += channel.write(src, pos);
        }
    }

    @Override
    public void flush() throws IOException {
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        if (closesChannel) {
            io.close();
            channel.close();
        }
    }
}
