package dev.linuximage.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * What may hold an input disk: a regular file, or a block device (a Kubernetes PersistentVolumeClaim with
 * {@code volumeMode: Block} appears in the pod as a device node, issue 16). Character devices, FIFOs and
 * directories are refused: their "size" means nothing ({@code /dev/zero} reads forever).
 */
public final class DiskPaths {
    /** {@code S_IFMT} and {@code S_IFBLK} of {@code st_mode} (POSIX {@code <sys/stat.h>}). */
    private static final int S_IFMT = 0170000;

    private static final int S_IFBLK = 0060000;
    /** A block device is read in whole logical sectors; its size is a multiple of 512 bytes. */
    static final long SECTOR = 512;
    /** Bound of the size search: 2^60 bytes (1 EiB) is beyond any disk; a device that reads there is refused. */
    static final long MAX_DEVICE_BYTES = 1L << 60;

    private DiskPaths() {}

    /** A regular file or a block device (following links: a {@code devicePath} may be a link). */
    public static boolean isDiskInput(Path p) {
        return Files.isRegularFile(p) || isBlockDevice(p);
    }

    /** Whether {@code p} is a block device, by {@code st_mode}; false where the "unix" attribute view is missing. */
    public static boolean isBlockDevice(Path p) {
        try {
            Object mode = Files.getAttribute(p, "unix:mode");
            return mode instanceof Integer m && (m & S_IFMT) == S_IFBLK;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /** The size in bytes of a regular file or a block device; see {@link #size(Path, FileChannel)}. */
    public static long size(Path p) throws IOException {
        if (Files.isRegularFile(p, new LinkOption[0])) {
            return Files.size(p);
        }
        try (FileChannel ch = FileChannel.open(p, java.nio.file.StandardOpenOption.READ)) {
            return size(p, ch);
        }
    }

    /**
     * The size in bytes of {@code ch}, opened on {@code p}. For a regular file, its length. For a block device,
     * {@link FileChannel#size()} where the JDK reports it (recent JDKs ask the kernel, {@code BLKGETSIZE64}); where it
     * reports 0 ({@code fstat}'s {@code st_size} of a device node), the size is found by reading: the smallest
     * 512-byte sector at which a positional read returns end of input, by doubling then bisection
     * (about 2 log2(size / 512) reads of one byte).
     */
    public static long size(Path p, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size > 0 || !isBlockDevice(p)) {
            return size;
        }
        return probeSize(ch);
    }

    /**
     * The number of bytes readable from {@code ch} by positional reads, a multiple of 512 (a device's size is whole
     * sectors), found by reading one byte at sector boundaries.
     *
     * @throws IOException the channel still reads at {@link #MAX_DEVICE_BYTES} (not a disk)
     */
    static long probeSize(FileChannel ch) throws IOException {
        if (!readable(ch, 0)) {
            return 0;
        }
        long lo = 1; // sectors known readable: [0, lo)
        long hi = 2; // a sector count to try: grows until sector hi-1 is unreadable
        while (readable(ch, (hi - 1) * SECTOR)) {
            lo = hi;
            if (hi >= MAX_DEVICE_BYTES / SECTOR) {
                throw new IOException("the device reads beyond " + MAX_DEVICE_BYTES + " bytes: not a disk");
            }
            hi *= 2;
        }
        // sector lo-1 readable, sector hi-1 not: bisect for the first unreadable sector
        long first = hi - 1;
        long known = lo - 1;
        while (first - known > 1) {
            long mid = known + (first - known) / 2;
            if (readable(ch, mid * SECTOR)) {
                known = mid;
            } else {
                first = mid;
            }
        }
        return first * SECTOR;
    }

    private static boolean readable(FileChannel ch, long offset) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        return ch.read(one, offset) > 0;
    }
}
