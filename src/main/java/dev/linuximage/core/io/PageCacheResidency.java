package dev.linuximage.core.io;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Whether a range of a read-only file is wholly in the page cache, asked of the kernel ({@code mincore(2)}) through
 * {@link MappedByteBuffer#isLoaded()} of a read-only mapping of the file. Mapping reads nothing and {@code isLoaded}
 * touches no page, so asking costs a system call, not I/O. Java has no {@code fincore}/{@code mincore} of its own.
 *
 * <p>The file is mapped in windows of {@link #WINDOW} bytes, the last {@link #WINDOWS} of them kept (a dropped
 * window is unmapped when the collector frees it; the copies read their chunks in about ascending order, so few are
 * in use at a time). Where the file cannot be mapped (a block device, whose channel reports size 0; a file system
 * without mmap), a question fails or the runtime lacks the native call, every answer is "not cached", which keeps the
 * caller's direct reads.
 */
final class PageCacheResidency {
    static final long WINDOW = 1L << 30;
    private static final int WINDOWS = 4;

    private final FileChannel channel;
    private final long size;
    private volatile boolean broken;
    private final Map<Long, MappedByteBuffer> windows = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, MappedByteBuffer> eldest) {
            return size() > WINDOWS;
        }
    };

    /** For {@code channel} (open for reading; the caller keeps it) of a file of {@code size} bytes. */
    PageCacheResidency(FileChannel channel, long size) {
        this.channel = channel;
        this.size = size;
    }

    /** True when all {@code length} bytes at {@code position} are in the page cache now. */
    boolean cached(long position, int length) {
        if (broken || length <= 0 || position < 0 || position > size - length) {
            return false;
        }
        long p = position;
        long end = position + length;
        try {
            while (p < end) {
                long w = p / WINDOW * WINDOW;
                MappedByteBuffer m = window(w);
                int from = (int) (p - w);
                int n = (int) Math.min(end - p, m.capacity() - from);
                if (!((MappedByteBuffer) m.slice(from, n)).isLoaded()) {
                    return false;
                }
                p += n;
            }
            return true;
        } catch (IOException | RuntimeException | LinkageError e) {
            // no mapping here, or no mincore in this runtime: read as if nothing were cached
            broken = true;
            return false;
        }
    }

    private synchronized MappedByteBuffer window(long start) throws IOException {
        MappedByteBuffer m = windows.get(start);
        if (m == null) {
            m = channel.map(FileChannel.MapMode.READ_ONLY, start, Math.min(WINDOW, size - start));
            windows.put(start, m);
        }
        return m;
    }
}
