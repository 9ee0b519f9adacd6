package dev.linuximage.core.initramfs;

import dev.linuximage.core.io.IoFailures;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.ref.WeakReference;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Predicate;

/**
 * The facts of each distinct initramfs content, decoded once (issue #14): one streaming pass per content builds an
 * {@link InitramfsTree} (every path's type and the small files {@code capture} accepts), which every reader of that
 * content then gets a {@link InitramfsTree#view} of. Meant to live for one run (one guest): create one per run,
 * never share it globally.
 *
 * <p>Keyed by content, not by path: the image's length and SHA-256. A file rewritten by a repair is new content and
 * is decoded again when read; the same bytes under two paths (an ESP copy of {@code /boot}'s image, a rescue
 * kernel's copy) are decoded once. A failed decode (hostile or corrupt image) is remembered too, and rethrown.
 *
 * <p>Memory: no decompressed archive is held, only the trees; and the images themselves are not kept. Trees are
 * kept up to about {@link #MAX_FOOTPRINT} bytes in total, least recently used first out (an evicted content is
 * decoded again if asked for).
 *
 * <p>Thread-safe: concurrent requests for the same content wait for one decode.
 */
public final class InitramfsCache {
    /** Rough heap bytes of trees kept (a tree larger than this alone is still kept until the next one). */
    static final long MAX_FOOTPRINT = 64L << 20;

    private record Key(int length, String sha256) {}

    private static final class Slot {
        final FutureTask<InitramfsTree> task;
        long footprint;

        Slot(FutureTask<InitramfsTree> task) {
            this.task = task;
        }
    }

    private final InitramfsReader reader;
    private final Predicate<String> capture;
    private final long maxFootprint;
    /** Access order: the eldest is the least recently used. */
    private final LinkedHashMap<Key, Slot> slots = new LinkedHashMap<>(16, 0.75f, true);

    private long footprint;
    /**
     * The last image hashed, by identity, and its key: one kernel's boot probe and its driver check pass the same
     * array, which is then hashed once. Weak, so the image is not kept.
     */
    private WeakReference<byte[]> lastImage = new WeakReference<>(null);

    private Key lastKey;
    private int hashes;

    /**
     * @param capture the files to keep: the union of what every reader of the trees will ask for through
     *                {@link InitramfsTree#view}
     */
    public InitramfsCache(InitramfsReader reader, Predicate<String> capture) {
        this(reader, capture, MAX_FOOTPRINT);
    }

    InitramfsCache(InitramfsReader reader, Predicate<String> capture, long maxFootprint) {
        this.reader = reader;
        this.capture = capture;
        this.maxFootprint = maxFootprint;
    }

    public InitramfsReader reader() {
        return reader;
    }

    /**
     * The tree of {@code image}, decoded now unless this content was decoded before.
     *
     * <p>The caller must not change {@code image} after passing it: the same array passed again is taken for the
     * same content without hashing it again.
     *
     * @throws IOException the decode's failure ({@link InitramfsException} for a bad image), the same each time
     */
    public InitramfsTree tree(byte[] image) throws IOException {
        Key key = key(image);
        Slot slot;
        boolean mine = false;
        synchronized (this) {
            slot = slots.get(key);
            if (slot == null) {
                // the task drops its callable (and so the image) once it has run
                slot = new Slot(new FutureTask<>(() -> InitramfsTree.read(image, reader, capture, true)));
                slots.put(key, slot);
                mine = true;
            }
        }
        if (mine) {
            slot.task.run();
            admit(slot);
        }
        try {
            return slot.task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for another thread's initramfs decode");
        } catch (ExecutionException e) {
            throw IoFailures.rethrow(e.getCause());
        }
    }

    /** Counts a finished slot and drops the least recently used finished ones over the bound. */
    private synchronized void admit(Slot slot) {
        long n = 64;
        try {
            n = slot.task.get().footprint();
        } catch (InterruptedException | ExecutionException e) {
            // a failure is a few bytes
        }
        slot.footprint = n;
        footprint += n;
        Iterator<Map.Entry<Key, Slot>> it = slots.entrySet().iterator();
        while (footprint > maxFootprint && it.hasNext()) {
            Slot s = it.next().getValue();
            if (s != slot && s.task.isDone()) {
                footprint -= s.footprint;
                it.remove();
            }
        }
    }

    private Key key(byte[] image) {
        synchronized (this) {
            if (lastImage.get() == image) { // set together with lastKey; an image is never null
                return lastKey;
            }
        }
        Key key = new Key(image.length, sha256(image)); // outside the lock: other contents need not wait
        synchronized (this) {
            hashes++;
            lastImage = new WeakReference<>(image);
            lastKey = key;
        }
        return key;
    }

    /** Number of images hashed so far (tests). */
    public synchronized int hashes() {
        return hashes;
    }

    /** Number of contents held (tests). */
    synchronized int size() {
        return slots.size();
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
