package dev.linuximage.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A copy-on-write overlay: a {@link WritableByteSource} over any read-only {@link ByteSource}. The base is never
 * written. Modified blocks of {@code blockSize} bytes are kept in memory up to {@code memoryLimit} bytes, then all of
 * them move to a temporary file (created in {@code spillDir}, deleted on close; written sparse, one slot per block,
 * so its size grows with the modified data only). Without a {@code spillDir}, exceeding the limit is an
 * {@link IOException}.
 *
 * <p>Extents merge the base's extents with the written blocks (a written block is always DATA, even if zeros were
 * written). Reads and writes are thread-safe (one writer at a time). Offsets and lengths in bytes.
 */
public final class OverlaySource implements WritableByteSource {
    private final ByteSource base;
    private final int blockSize;
    private final long memoryLimit;
    private final Path spillDir;
    private final NavigableMap<Long, Integer> blocks = new TreeMap<>();
    private final List<byte[]> memory = new ArrayList<>();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private FileChannel spill;
    private Path spillFile;
    private int slots;

    /**
     * @param blockSize   overlay granularity in bytes, a power of two between 512 and 16 MiB
     * @param memoryLimit bytes of modified blocks kept in memory before spilling to a file
     * @param spillDir    directory for the temporary file, or {@code null} for memory only
     */
    public OverlaySource(ByteSource base, int blockSize, long memoryLimit, Path spillDir) {
        if (Integer.bitCount(blockSize) != 1 || blockSize < 512 || blockSize > (16 << 20)) {
            throw new IllegalArgumentException("block size must be a power of two in [512, 16 MiB]: " + blockSize);
        }
        this.base = base;
        this.blockSize = blockSize;
        this.memoryLimit = memoryLimit;
        this.spillDir = spillDir;
    }

    /** Memory-only overlay with 4 KiB blocks and a 64 MiB limit. */
    public static OverlaySource inMemory(ByteSource base) {
        return new OverlaySource(base, 4096, 64L << 20, null);
    }

    @Override
    public long size() {
        return base.size();
    }

    /** Number of bytes held by modified blocks. */
    public long modifiedBytes() {
        lock.readLock().lock();
        try {
            return (long) blocks.size() * blockSize;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** True when the modified blocks live in the temporary file. */
    public boolean spilled() {
        return spill != null;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
        long size = size();
        if (offset >= size) {
            return -1;
        }
        int want = (int) Math.min(dst.remaining(), size - offset);
        lock.readLock().lock();
        try {
            long pos = offset;
            long end = offset + want;
            while (pos < end) {
                long bi = pos / blockSize;
                Integer slot = blocks.get(bi);
                if (slot != null) {
                    int within = (int) (pos - bi * blockSize);
                    int n = (int) Math.min(end - pos, blockSize - within);
                    readSlot(slot, within, dst.slice().limit(n));
                    dst.position(dst.position() + n);
                    pos += n;
                } else {
                    Long next = blocks.ceilingKey(bi);
                    long stop = next == null ? end : Math.min(end, next * blockSize);
                    int n = (int) (stop - pos);
                    ByteBuffer view = dst.slice().limit(n);
                    base.readFully(pos, view);
                    dst.position(dst.position() + n);
                    pos += n;
                }
            }
        } finally {
            lock.readLock().unlock();
        }
        return want;
    }

    private void readSlot(int slot, int within, ByteBuffer into) throws IOException {
        if (spill == null) {
            into.put(memory.get(slot), within, into.remaining());
            return;
        }
        long p = (long) slot * blockSize + within;
        while (into.hasRemaining()) {
            int n = spill.read(into, p);
            if (n < 0) {
                // beyond the written part of a sparse slot: zeros
                ZeroScan.fillZero(into, into.remaining());
                break;
            }
            p += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        long size = size();
        if (offset < 0 || offset > size || src.remaining() > size - offset) {
            throw new IllegalArgumentException(
                    "write " + offset + "+" + src.remaining() + " outside " + size + " bytes");
        }
        lock.writeLock().lock();
        try {
            long pos = offset;
            while (src.hasRemaining()) {
                long bi = pos / blockSize;
                int within = (int) (pos - bi * blockSize);
                int n = Math.min(src.remaining(), blockSize - within);
                int slot = slotFor(bi, within == 0 && n == blockSize);
                ByteBuffer part = src.slice().limit(n);
                writeSlot(slot, within, part);
                src.position(src.position() + n);
                pos += n;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private int slotFor(long bi, boolean whole) throws IOException {
        Integer existing = blocks.get(bi);
        if (existing != null) {
            return existing;
        }
        byte[] init = new byte[blockSize];
        if (!whole) {
            long start = bi * blockSize;
            int n = (int) Math.min(blockSize, size() - start);
            base.readFully(start, ByteBuffer.wrap(init, 0, n));
        }
        if (spill == null && (long) (slots + 1) * blockSize > memoryLimit) {
            spillToFile();
        }
        int slot = slots++;
        if (spill == null) {
            memory.add(init);
        } else {
            writeSlot(slot, 0, ByteBuffer.wrap(init));
        }
        blocks.put(bi, slot);
        return slot;
    }

    private void spillToFile() throws IOException {
        if (spillDir == null) {
            throw new IOException(
                    "overlay exceeds its memory limit of " + memoryLimit + " bytes and has no spill directory");
        }
        spillFile = Files.createTempFile(spillDir, "overlay-", ".blocks");
        spill = FileChannel.open(
                spillFile, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
        for (int s = 0; s < memory.size(); s++) {
            ByteBuffer b = ByteBuffer.wrap(memory.get(s));
            long p = (long) s * blockSize;
            while (b.hasRemaining()) {
                p += spill.write(b, p);
            }
        }
        memory.clear();
    }

    private void writeSlot(int slot, int within, ByteBuffer data) throws IOException {
        if (spill == null) {
            data.get(memory.get(slot), within, data.remaining());
            return;
        }
        long p = (long) slot * blockSize + within;
        while (data.hasRemaining()) {
            p += spill.write(data, p);
        }
    }

    @Override
    public void extents(long offset, long length, ExtentVisitor visitor) throws IOException {
        ByteSource.Range range = ByteSource.clip(offset, length, size());
        long start = range.start();
        long end = range.end();
        if (start >= end) {
            return;
        }
        List<long[]> written = new ArrayList<>();
        lock.readLock().lock();
        try {
            long firstBlock = start / blockSize;
            long lastBlock = (end - 1) / blockSize;
            for (Map.Entry<Long, Integer> e :
                    blocks.subMap(firstBlock, true, lastBlock, true).entrySet()) {
                long bs = e.getKey() * blockSize;
                long be = Math.min(bs + blockSize, size());
                if (!written.isEmpty() && written.get(written.size() - 1)[1] == bs) {
                    written.get(written.size() - 1)[1] = be;
                } else {
                    written.add(new long[] {bs, be});
                }
            }
        } finally {
            lock.readLock().unlock();
        }
        ExtentMerger merger = new ExtentMerger(visitor);
        long cursor = start;
        for (long[] w : written) {
            long ws = Math.max(w[0], start);
            long we = Math.min(w[1], end);
            if (cursor < ws) {
                base.extents(cursor, ws - cursor, x -> merger.add(x.offset(), x.length(), x.kind()));
            }
            merger.add(ws, we - ws, Extent.Kind.DATA);
            cursor = we;
        }
        if (cursor < end) {
            base.extents(cursor, end - cursor, x -> merger.add(x.offset(), x.length(), x.kind()));
        }
        merger.finish();
    }

    @Override
    public void flush() {
        // The overlay is scratch space by design: nothing to make durable.
    }

    /** Closes the spill file (deleting it) but not the base. */
    @Override
    public void close() throws IOException {
        lock.writeLock().lock();
        try {
            if (spill != null) {
                spill.close();
                Files.deleteIfExists(spillFile);
                spill = null;
            }
            memory.clear();
            blocks.clear();
        } finally {
            lock.writeLock().unlock();
        }
    }
}
