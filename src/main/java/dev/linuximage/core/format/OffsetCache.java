package dev.linuximage.core.format;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A small thread-safe least-recently-used cache of what a container's reader decoded at a file offset (a qcow2 L2
 * table, a VMDK grain table, a VHD sector bitmap, a decompressed cluster): at most {@code capacity} entries. A miss
 * is loaded outside the lock, so the copy workers' cold metadata reads overlap instead of queueing behind one
 * another; two workers missing the same offset both load it (the same bytes: the container is read-only).
 */
public final class OffsetCache<V> {
    /** Reads and decodes the entry at a file offset. */
    @FunctionalInterface
    public interface Loader<V> {
        V load(long offset) throws IOException;
    }

    private final Map<Long, V> map;

    public OffsetCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, V> e) {
                return size() > capacity;
            }
        };
    }

    /** The entry at {@code offset}, loaded with {@code loader} (outside the lock) if it is not cached. */
    public V get(long offset, Loader<V> loader) throws IOException {
        V v;
        synchronized (map) {
            v = map.get(offset);
        }
        if (v == null) {
            v = loader.load(offset);
            synchronized (map) {
                map.put(offset, v);
            }
        }
        return v;
    }
}
