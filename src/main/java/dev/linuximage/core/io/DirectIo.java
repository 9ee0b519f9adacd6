package dev.linuximage.core.io;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A file's buffered channel and, where the file system allows it, a second channel on the same file opened with
 * {@code O_DIRECT}. Large aligned requests (the bulk copies of {@code convert} and {@code prepare}) go through the
 * direct channel: the kernel moves the data between the device and the caller's buffer, with no copy through the page
 * cache. Large unaligned reads (a dynamic VHD's data, the upload's heap arrays) go direct too, through a per-thread
 * aligned scratch buffer and one copy. Everything else (requests under {@link #MIN} bytes, unaligned writes, the VHD
 * footer, file system metadata read by the guest inspection) goes through the buffered channel. So does a large read of
 * a file opened read-only whose range is already wholly in the page cache ({@link PageCacheResidency}: an image
 * that was just built, copied or read): one copy from memory is cheaper than a device request, and a direct read
 * would first write back any of those pages that are still dirty.
 *
 * <p>Why: on a cold dense input, the two page-cache copies of a buffered copy (device to cache to buffer, buffer to
 * cache) were most of the CPU of a conversion and made it slower than {@code qemu-img convert}; with both sides
 * direct the same 4 GiB copy took a fifth of the CPU and no more wall time (docs/performance.md, "fifth round"). It
 * also keeps a conversion from filling the page cache (which a pod's memory cgroup is charged for) with an image it
 * reads or writes once.
 *
 * <p>Mixing both channels on one file is coherent: Linux writes back and drops the cached pages of a range before a
 * direct request on it, and a direct request covers whole {@link #ALIGN} blocks that no buffered request of the
 * same copy touches. The data is made durable by the one {@code fsync} of the file at the end, as before.
 *
 * <p>Where the file system refuses {@code O_DIRECT} (tmpfs before Linux 6.6, some FUSE and network file systems) or
 * a direct request fails,
 * the buffered channel serves every request from then on. {@code LINUXIMAGE_DIRECT_IO=off} (or the system property
 * {@code linuximage.direct-io=off}) turns direct I/O off altogether.
 */
public final class DirectIo implements Closeable {
    /** Offsets, lengths and buffer addresses of a direct request are multiples of this. */
    public static final int ALIGN = 4096;
    /** Smaller requests keep the page cache: file system metadata is read in small pieces, often twice. */
    static final int MIN = 256 << 10;
    /** The most an unaligned read moves through a thread's scratch buffer at a time. */
    static final int SCRATCH = 4 << 20;

    /** Per reading thread (the workers of a conversion or an upload): an aligned buffer for unaligned reads. */
    private static final ThreadLocal<ByteBuffer> SCRATCHES = ThreadLocal.withInitial(() -> allocate(SCRATCH + ALIGN));

    static final String ENV = "LINUXIMAGE_DIRECT_IO";
    static final String PROPERTY = "linuximage.direct-io";
    private static final boolean ENABLED = enabled(System.getenv(ENV), System.getProperty(PROPERTY));

    private final FileChannel buffered;
    private volatile FileChannel direct;
    /** A twin taken out of use, closed only by {@link #close()}: other threads may still have requests on it. */
    private FileChannel refused;

    private final AtomicLong directBytes = new AtomicLong();
    /** For a file opened read-only: which of its ranges are cached already (null: every large read may go direct). */
    private final PageCacheResidency residency;

    private DirectIo(FileChannel buffered, FileChannel direct) {
        this(buffered, direct, null);
    }

    private DirectIo(FileChannel buffered, FileChannel direct, PageCacheResidency residency) {
        this.buffered = buffered;
        this.direct = direct;
        this.residency = residency;
    }

    /** Direct I/O unless {@code env} or {@code property} says {@code off}, {@code false}, {@code no} or {@code 0}. */
    static boolean enabled(String env, String property) {
        for (String v : new String[] {property, env}) {
            if (v != null) {
                String s = v.trim().toLowerCase(Locale.ROOT);
                return !(s.equals("off") || s.equals("false") || s.equals("no") || s.equals("0"));
            }
        }
        return true;
    }

    /**
     * {@code buffered} (an open channel on {@code file}, which the caller keeps owning) with a direct twin opened
     * with {@code options}, where direct I/O is enabled and the file system allows it.
     */
    public static DirectIo over(Path file, FileChannel buffered, OpenOption... options) {
        FileChannel direct = ENABLED ? openDirect(file, options) : null;
        return new DirectIo(buffered, direct, direct != null && readOnly(options) ? residencyOf(buffered) : null);
    }

    private static boolean readOnly(OpenOption... options) {
        List<OpenOption> o = Arrays.asList(options);
        return o.contains(StandardOpenOption.READ)
                && !o.contains(StandardOpenOption.WRITE)
                && !o.contains(StandardOpenOption.APPEND);
    }

    private static PageCacheResidency residencyOf(FileChannel buffered) {
        try {
            return new PageCacheResidency(buffered, buffered.size());
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code buffered} with {@code direct} as its twin (tests). */
    static DirectIo of(FileChannel buffered, FileChannel direct) {
        return new DirectIo(buffered, direct);
    }

    /** {@code buffered} alone: every request goes through the page cache. */
    public static DirectIo bufferedOnly(FileChannel buffered) {
        return new DirectIo(buffered, null);
    }

    /** {@code file} opened with {@code O_DIRECT} as well as {@code options}, or null where it cannot be. */
    static FileChannel openDirect(Path file, OpenOption... options) {
        try {
            long block = Files.getFileStore(file).getBlockSize();
            if (block <= 0 || block > ALIGN || ALIGN % block != 0) {
                return null;
            }
            Set<OpenOption> o = new HashSet<>(Set.of(options));
            o.add(ExtendedOpenOption.DIRECT);
            return FileChannel.open(file, o);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null; // EINVAL from the file system; a JDK or native image without O_DIRECT says unsupported
        }
    }

    /**
     * A direct buffer of {@code size} bytes whose address is a multiple of {@link #ALIGN} (the JDK aligns direct
     * buffers to 16 bytes only), so whole-buffer requests at aligned offsets can go direct.
     */
    public static ByteBuffer allocate(int size) {
        int rounded = (size + ALIGN - 1) / ALIGN * ALIGN;
        return ByteBuffer.allocateDirect(rounded + ALIGN).alignedSlice(ALIGN).slice(0, size);
    }

    /** Whether {@code buf}'s remaining bytes at file offset {@code position} may be a direct request. */
    static boolean fits(long position, ByteBuffer buf) {
        int n = buf.remaining();
        return n >= MIN
                && n % ALIGN == 0
                && position % ALIGN == 0
                && buf.isDirect()
                && buf.alignmentOffset(buf.position(), ALIGN) == 0;
    }

    /** Whether requests can still go direct (false where the file system refused it, or after a failed request). */
    public boolean active() {
        return direct != null;
    }

    /** Bytes moved by direct requests so far. */
    public long directBytes() {
        return directBytes.get();
    }

    /** Positional read, as {@link FileChannel#read(ByteBuffer, long)}. */
    public int read(ByteBuffer dst, long position) throws IOException {
        FileChannel d = direct;
        if (d != null && residency != null && dst.remaining() >= MIN && residency.cached(position, dst.remaining())) {
            return buffered.read(dst, position); // already in memory: no device request
        }
        if (d != null && !fits(position, dst) && dst.remaining() >= MIN) {
            try {
                int n = readThroughScratch(d, dst, position);
                if (n > 0) {
                    return n;
                }
            } catch (ClosedChannelException e) {
                throw e;
            } catch (IOException e) {
                refuse(d);
            }
            return buffered.read(dst, position);
        }
        if (d != null && fits(position, dst)) {
            try {
                int n = d.read(dst, position);
                if (n > 0) {
                    directBytes.addAndGet(n);
                }
                return n;
            } catch (ClosedChannelException e) {
                throw e; // closed or interrupted: not a reason to go on buffered
            } catch (IOException e) {
                refuse(d); // nothing was read into dst: the buffered read below starts over
            }
        }
        return buffered.read(dst, position);
    }

    /** Positional write, as {@link FileChannel#write(ByteBuffer, long)}. */
    public int write(ByteBuffer src, long position) throws IOException {
        FileChannel d = direct;
        if (d != null && fits(position, src)) {
            try {
                int n = d.write(src, position);
                directBytes.addAndGet(n);
                return n;
            } catch (ClosedChannelException e) {
                throw e;
            } catch (IOException e) {
                // a real error (EIO, ENOSPC) comes back from the buffered write too; the bytes are rewritten whole
                refuse(d);
            }
        }
        return buffered.write(src, position);
    }

    /**
     * A large read that is not aligned (a dynamic VHD's data blocks sit 512 bytes past a 4 KiB boundary; the upload
     * reads into heap arrays): the aligned range around it, at most {@link #SCRATCH} bytes of the request, is read
     * direct into this thread's aligned scratch buffer and the asked bytes are copied out. One copy in user space
     * instead of the page cache's two (the JDK copies a heap buffer's read through a temporary direct buffer
     * anyway). Returns 0, leaving {@code dst} untouched, when the direct read came back short (the end of the file):
     * the caller reads buffered.
     */
    private int readThroughScratch(FileChannel d, ByteBuffer dst, long position) throws IOException {
        int want = Math.min(dst.remaining(), SCRATCH);
        long start = position - position % ALIGN;
        long end = (position + want + ALIGN - 1) / ALIGN * ALIGN;
        ByteBuffer s = SCRATCHES.get().clear().limit((int) (end - start));
        while (s.hasRemaining()) {
            int n = d.read(s, start + s.position());
            if (n <= 0 || s.position() % ALIGN != 0) {
                return 0; // short: the end of the file; a read after it would start unaligned
            }
        }
        directBytes.addAndGet(end - start);
        s.position((int) (position - start)).limit((int) (position - start) + want);
        dst.put(s);
        return want;
    }

    /**
     * Takes the twin out of use. It is not closed here: closing it would fail the requests other workers have in
     * flight on it with {@code AsynchronousCloseException}, hiding the real cause (a full volume's {@code ENOSPC})
     * behind a closed channel. Their own failures bring them to the buffered channel too.
     */
    private synchronized void refuse(FileChannel d) {
        if (direct == d) {
            direct = null;
            refused = d;
        }
    }

    /** Closes the direct twin (in use or refused); the buffered channel stays the caller's. */
    @Override
    public void close() throws IOException {
        FileChannel d;
        FileChannel r;
        synchronized (this) {
            d = direct;
            r = refused;
            direct = null;
            refused = null;
        }
        try {
            if (d != null) {
                d.close();
            }
        } finally {
            if (r != null) {
                r.close();
            }
        }
    }
}
