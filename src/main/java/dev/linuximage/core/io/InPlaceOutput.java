package dev.linuximage.core.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.LongConsumer;

/**
 * A fixed VHD written straight onto an existing output: a block device (a PersistentVolumeClaim with
 * {@code volumeMode: Block}, issue 16) or a pre-sized file standing in for one. Nothing is created, truncated,
 * renamed or re-moded; the output must already hold at least the VHD's size.
 *
 * <p>A fixed VHD is the disk's bytes followed by a 512-byte footer, and the footer is "the last 512 bytes of the
 * file" (Virtual Hard Disk Image Format Specification, "Hard Disk Footer Format"). Here the VHD occupies bytes
 * {@code [0, vhdSize)} of the output: the footer is at {@code vhdSize - 512}, whatever the output's size. In order:
 * <ol>
 *   <li>{@link #open}: the size is checked ({@link OutputTooSmallException} before anything is written); the footer
 *       slot and, on a larger output, the output's own last 512 bytes are zeroed and synced, so neither an earlier
 *       VHD's footer nor a stale one at the device's end can make a partial write look like a valid VHD;</li>
 *   <li>{@link #writeData}: the disk's bytes {@code [0, vhdSize - 512)}, the caller may then patch them in place
 *       through {@link #disk()};</li>
 *   <li>{@link #commit}: the footer, last, then {@code fsync}.</li>
 * </ol>
 * An interruption before {@link #commit} leaves no footer at either end: no reader takes it for a VHD.
 *
 * <p>A device is not sparse and may hold an earlier disk: the ranges the image leaves zero are read back and
 * written as zeros where they do not read zero ({@link SparseFileWriter#writeVerifyingZeros}), unless the caller
 * vouches that the output reads zeros ({@code assumeZeroed}: a freshly provisioned volume known to read zero).
 */
public final class InPlaceOutput implements Closeable {
    /** The fixed VHD footer's size in bytes. */
    public static final int FOOTER = 512;

    private final Path target;
    private final FileChannel channel;
    private final long vhdSize;
    private final long outputSize;

    private InPlaceOutput(Path target, FileChannel channel, long vhdSize, long outputSize) {
        this.target = target;
        this.channel = channel;
        this.vhdSize = vhdSize;
        this.outputSize = outputSize;
    }

    /**
     * Opens {@code target} (an existing block device or regular file; never created) to receive a fixed VHD of
     * {@code vhdSize} bytes, checks its size and clears the footer slots (see the class comment).
     *
     * @param vhdSize the whole VHD's size in bytes, footer included; a multiple of 512
     * @throws OutputTooSmallException the output holds fewer than {@code vhdSize} bytes (nothing was written)
     */
    public static InPlaceOutput open(Path target, long vhdSize) throws IOException {
        if (vhdSize < FOOTER || vhdSize % FOOTER != 0) {
            throw new IllegalArgumentException("VHD size " + vhdSize + " is not a positive multiple of 512");
        }
        if (!DiskPaths.isDiskInput(target)) {
            throw new IOException("output " + target + " must be an existing block device or regular file"
                    + (Files.exists(target) ? "" : ": it does not exist (an in-place output is never created)"));
        }
        FileChannel ch = FileChannel.open(target, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            long size = DiskPaths.size(target, ch);
            if (size < vhdSize) {
                throw new OutputTooSmallException(target, size, vhdSize);
            }
            InPlaceOutput out = new InPlaceOutput(target, ch, vhdSize, size);
            out.zero(vhdSize - FOOTER);
            if (size - FOOTER >= vhdSize) {
                out.zero(size - FOOTER); // a larger device: its own end must not keep an earlier VHD's footer either
            }
            ch.force(true);
            return out;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private void zero(long at) throws IOException {
        ByteBuffer z = ByteBuffer.allocate(FOOTER);
        long p = at;
        while (z.hasRemaining()) {
            p += channel.write(z, p);
        }
    }

    /**
     * Writes the disk's bytes: {@code [0, vhdSize - 512)} of {@code vhd} (the footer is {@link #commit}'s), then
     * {@code fsync}s.
     *
     * @param vhd          the fixed VHD, {@code vhdSize} bytes
     * @param assumeZeroed skip the ranges the image leaves zero instead of making sure they read zero
     * @param progress     bytes of the VHD processed so far (monotonic), may be null
     * @return bytes written (data, and zeros where the output did not read zero)
     */
    public long writeData(ByteSource vhd, boolean assumeZeroed, LongConsumer progress) throws IOException {
        if (vhd.size() != vhdSize) {
            throw new IllegalArgumentException("VHD of " + vhd.size() + " bytes, output opened for " + vhdSize);
        }
        long written = SparseFileWriter.copyInPlace(vhd.slice(0, vhdSize - FOOTER), channel, progress, !assumeZeroed);
        channel.force(true);
        return written;
    }

    /** The disk's bytes {@code [0, vhdSize - 512)} of the output, writable (to patch the guest in place). */
    public FileByteSource disk() {
        return FileByteSource.over(channel, vhdSize - FOOTER, true);
    }

    /** The whole VHD, {@code [0, vhdSize)} of the output, read-only in intent (digest, upload). */
    public FileByteSource vhd() {
        return FileByteSource.over(channel, vhdSize, false);
    }

    /**
     * Writes {@code footer} at {@code vhdSize - 512} after syncing everything before it, then syncs again: the VHD
     * is valid from here on, and only from here on.
     *
     * @param footer the 512-byte fixed VHD footer
     */
    public void commit(byte[] footer) throws IOException {
        if (footer.length != FOOTER) {
            throw new IllegalArgumentException("footer of " + footer.length + " bytes");
        }
        channel.force(true); // data (and any patch) durable before the footer makes it a VHD
        ByteBuffer b = ByteBuffer.wrap(footer);
        long p = vhdSize - FOOTER;
        while (b.hasRemaining()) {
            p += channel.write(b, p);
        }
        channel.force(true);
    }

    public Path target() {
        return target;
    }

    /** The VHD's size in bytes, footer included. */
    public long vhdSize() {
        return vhdSize;
    }

    /** The output's size in bytes (a device's size; at least {@link #vhdSize()}). */
    public long outputSize() {
        return outputSize;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
