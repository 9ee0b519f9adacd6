package dev.linuximage.core.io;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;

/**
 * Streams a {@link ByteSource} into a file once, sparse: ZERO extents are skipped (seeked over) and DATA is tested
 * for zeros at 4 KiB granularity so all-zero blocks become holes too. Writes to a temporary name in the target's
 * directory and renames it atomically at the end, so an interrupted run never leaves a half-written file under the
 * final name.
 *
 * <p>Parallel, bounded: the caller's thread walks the source's DATA extents and queues them as tasks of at most
 * {@link #CHUNK} bytes cut at multiples of {@code CHUNK} (large aligned I/O); {@link #WORKERS} threads each take a
 * task, read it into their own reused direct buffer (no copy between threads, no allocation per chunk), test it for
 * zeros and write its non-zero runs with positional I/O (the order of writes does not matter). So {@code WORKERS}
 * reads or writes are in flight at once (qemu-img keeps 8 requests of up to 2 MiB), decompression of compressed
 * formats runs on both CPUs, and memory is bounded by {@code WORKERS * CHUNK} (16 MiB of direct buffers) whatever the
 * disk size.
 *
 * <p>Chunks whose non-zero run is large and aligned are written with {@code O_DIRECT}, and a raw or coalesced
 * container read of a chunk is read that way too ({@link DirectIo}, {@link FileByteSource#openReadOnly}): the
 * buffers are aligned for it, and the data then never passes through the page cache. Small or unaligned runs, and
 * file systems without {@code O_DIRECT}, use buffered I/O.
 *
 * <p>No write-back is forced during the copy: the output's dirty pages are left to the kernel's write-back (which
 * also throttles a writer against its memory cgroup's dirty limit) and one {@code fsync} at the end makes the file
 * durable before the rename. An earlier version called {@code fdatasync} every 64 MiB from a flusher thread; on dense
 * data that cost 2-3x the system CPU of the copy and made it slower, cold and warm, while the sparse case it was added
 * for was no faster with it (docs/performance.md, "fourth round").
 */
public final class SparseFileWriter {
    static final int CHUNK = 4 << 20;
    /** Threads that each read, zero-test and write one chunk at a time: the requests in flight. */
    static final int WORKERS = 4;

    static final int GRANULE = 4096;

    private SparseFileWriter() {}

    /**
     * @param progress receives the number of source bytes processed so far (monotonic), may be {@code null}
     * @return bytes actually written (non-zero data)
     */
    public static long write(ByteSource src, Path target, LongConsumer progress) throws IOException {
        try (OutputFiles.Pending p = writePending(src, target, progress)) {
            p.commit();
            return p.written();
        }
    }

    /**
     * Writes {@code src} sparse under a temporary name in {@code target}'s directory and returns it uncommitted, so
     * the caller can still edit the file in place ({@code prepare} patches the guest in it) before
     * {@link Pending#commit() renaming it} to {@code target}. Until then {@code target} is untouched; closing an
     * uncommitted file (a failure) or a SIGINT/SIGTERM removes the temporary file.
     *
     * @param progress receives the number of source bytes processed so far (monotonic), may be {@code null}
     */
    public static OutputFiles.Pending writePending(ByteSource src, Path target, LongConsumer progress)
            throws IOException {
        OutputFiles.Pending pending = OutputFiles.pending(target);
        Path tmp = pending.path();
        long[] writtenSoFar = {0};
        try {
            try (FileChannel out =
                            FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                    DirectIo io = DirectIo.over(tmp, out, StandardOpenOption.WRITE)) {
                pending.written = pump(src, io, progress, writtenSoFar, false);
                // the size is right even if the tail is a hole
                if (out.size() < src.size()) {
                    out.write(ByteBuffer.allocate(1), src.size() - 1);
                }
                out.force(true);
            }
            OutputFiles.Pending done = pending;
            pending = null;
            return done;
        } catch (IOException e) {
            if (e instanceof OutputSpaceException || !OutputSpaceException.isNoSpace(e)) {
                throw e;
            }
            Files.deleteIfExists(tmp);
            long data;
            try {
                data = src.dataBytes(0, src.size());
            } catch (IOException | RuntimeException again) {
                data = -1;
            }
            Path dir = target.toAbsolutePath().getParent();
            throw new OutputSpaceException(target, writtenSoFar[0], usableSpace(dir), data, e);
        } finally {
            if (pending != null) {
                pending.close();
            }
        }
    }

    /** The partial files an earlier SIGKILLed writer of {@code target} left: see {@link OutputFiles#removeStalePartials}. */
    public static int removeStalePartials(Path target) throws IOException {
        return OutputFiles.removeStalePartials(target);
    }

    /**
     * A warning when the directory that will hold {@code target} has less usable space than the source's data
     * ({@link ByteSource#dataBytes}, an upper bound of what {@link #write} stores), or null. Only a warning: zero blocks take no space, so the output may still fit; a write
     * that does fill the file system fails with {@link OutputSpaceException}.
     */
    public static String spaceWarning(ByteSource src, Path target) throws IOException {
        long data = src.dataBytes(0, src.size());
        long free = usableSpace(target.toAbsolutePath().getParent());
        if (free < 0 || data <= free) {
            return null;
        }
        return "the image has up to " + (data >> 20) + " MiB of data and "
                + target.toAbsolutePath().getParent() + " has " + (free >> 20)
                + " MiB free: the output may not fit (all-zero blocks take no space)";
    }

    private static long usableSpace(Path dir) {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    /** A task for a worker: {@code length} bytes of DATA at {@code offset}, at most {@link #CHUNK}. */
    private record Task(long offset, int length) {}

    private static final Task NO_MORE = new Task(-1, 0);

    /**
     * Copies {@code src} onto {@code out} at the same offsets, in place (the in-place writer of
     * {@link InPlaceOutput}): DATA is written as {@link #write} does; with {@code verifyZeros}, every range the source
     * leaves zero (holes and all-zero blocks) is read back from {@code out} and overwritten with zeros where it does
     * not already read zero, so the result is the source byte for byte whatever {@code out} held before.
     *
     * @return bytes written (data and zeros)
     */
    static long copyInPlace(ByteSource src, FileChannel out, LongConsumer progress, boolean verifyZeros)
            throws IOException {
        return pump(src, DirectIo.bufferedOnly(out), progress, new long[1], verifyZeros);
    }

    private static long pump(
            ByteSource src, DirectIo out, LongConsumer progress, long[] writtenSoFar, boolean verifyZeros)
            throws IOException {
        BlockingQueue<Task> tasks = new ArrayBlockingQueue<>(2 * WORKERS);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong written = new AtomicLong();
        long[] done = {0};
        List<Thread> workers = new ArrayList<>();
        for (int k = 0; k < WORKERS; k++) {
            Thread worker = new Thread(
                    () -> {
                        ByteBuffer buf = DirectIo.allocate(CHUNK);
                        ByteBuffer old = verifyZeros ? ByteBuffer.allocateDirect(CHUNK) : null;
                        while (true) {
                            Task t;
                            try {
                                t = tasks.take();
                            } catch (InterruptedException e) {
                                failure.compareAndSet(null, new InterruptedIOException("worker interrupted"));
                                return;
                            }
                            if (t == NO_MORE) {
                                return;
                            }
                            if (failure.get() != null) {
                                continue; // drain, so the producer never blocks on a full queue
                            }
                            try {
                                buf.clear().limit(t.length());
                                src.readFully(t.offset(), buf);
                                buf.flip();
                                long w = verifyZeros
                                        ? writeVerifyingZeros(buf, t.offset(), out, old)
                                        : writeNonZero(buf, t.offset(), out);
                                written.addAndGet(w);
                                if (progress != null) {
                                    synchronized (done) {
                                        done[0] = Math.max(done[0], t.offset() + t.length());
                                        progress.accept(done[0]);
                                    }
                                }
                            } catch (Throwable e) {
                                failure.compareAndSet(null, e);
                            }
                        }
                    },
                    "sparse-writer-" + k);
            worker.setDaemon(true);
            worker.start();
            workers.add(worker);
        }
        try {
            try {
                src.extents(0, src.size(), e -> {
                    if (!e.isData() && !verifyZeros) {
                        return; // a hole of the new file: nothing to write
                    }
                    long o = e.offset();
                    while (o < e.end()) {
                        if (failure.get() != null) {
                            return;
                        }
                        // cut at multiples of CHUNK: large aligned reads and writes whatever the extents
                        long next = Math.min(e.end(), (o / CHUNK + 1) * CHUNK);
                        put(tasks, new Task(o, (int) (next - o)));
                        o = next;
                    }
                });
            } finally {
                for (int k = 0; k < WORKERS; k++) {
                    put(tasks, NO_MORE);
                }
            }
            for (Thread w : workers) {
                w.join();
            }
        } catch (InterruptedException | IOException | RuntimeException | Error e) {
            // failure path only: interrupting a FileChannel read closes the channel
            failure.compareAndSet(null, e);
            workers.forEach(Thread::interrupt);
            joinQuietly(workers);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted");
            }
            throw IoFailures.rethrow(e);
        } finally {
            writtenSoFar[0] = written.get();
        }
        Throwable t = failure.get();
        if (t != null) {
            throw IoFailures.rethrow(t);
        }
        if (progress != null) {
            progress.accept(src.size());
        }
        return written.get();
    }

    /**
     * Writes the remaining bytes of {@code buf} (the source bytes at {@code offset}) to {@code out} at the same
     * offset, skipping every {@link #GRANULE}-aligned block that is all zero (it stays a hole). Adjacent non-zero
     * blocks go out in one positional write, through {@code out}'s direct channel where it is large and aligned. Does
     * not allocate.
     *
     * @return bytes written
     */
    static long writeNonZero(ByteBuffer buf, long offset, DirectIo out) throws IOException {
        int pos = buf.position();
        int limit = buf.limit();
        long written = 0;
        int runStart = -1;
        while (pos < limit) {
            long abs = offset + (pos - buf.position());
            int len = (int) Math.min(limit - pos, (abs / GRANULE + 1) * GRANULE - abs);
            boolean zero = ZeroScan.isZero(buf, pos, len);
            if (!zero && runStart < 0) {
                runStart = pos;
            } else if (zero && runStart >= 0) {
                written += writeRange(buf, runStart, pos, offset + (runStart - buf.position()), out);
                runStart = -1;
            }
            pos += len;
        }
        if (runStart >= 0) {
            written += writeRange(buf, runStart, limit, offset + (runStart - buf.position()), out);
        }
        return written;
    }

    /**
     * As {@link #writeNonZero}, onto a target that may hold anything (a device, a reused file): each maximal run of
     * all-zero {@link #GRANULE}s is read from {@code out} into {@code old} and written as zeros only where it does
     * not read zero already. Reading is cheaper than writing, and on thin-provisioned storage (LVM thin, Ceph RBD) a
     * read of an unallocated range allocates nothing where a write of zeros would allocate it.
     *
     * @param old a buffer of at least {@code buf.remaining()} bytes for the read-back
     * @return bytes written (data and zeros)
     */
    static long writeVerifyingZeros(ByteBuffer buf, long offset, DirectIo out, ByteBuffer old) throws IOException {
        int base = buf.position();
        int limit = buf.limit();
        long written = 0;
        int pos = base;
        while (pos < limit) {
            // one run: granules that are all zero, or all not
            long abs = offset + (pos - base);
            int len = (int) Math.min(limit - pos, (abs / GRANULE + 1) * GRANULE - abs);
            boolean zero = ZeroScan.isZero(buf, pos, len);
            int end = pos + len;
            while (end < limit) {
                int l = Math.min(limit - end, GRANULE);
                if (ZeroScan.isZero(buf, end, l) != zero) {
                    break;
                }
                end += l;
            }
            long at = offset + (pos - base);
            if (!zero) {
                written += writeRange(buf, pos, end, at, out);
            } else {
                old.clear().limit(end - pos);
                long p = at;
                while (old.hasRemaining()) {
                    int n = out.read(old, p);
                    if (n < 0) {
                        throw new java.io.EOFException("the output ends at " + p + ", before " + (at + end - pos));
                    }
                    p += n;
                }
                old.flip();
                if (!ZeroScan.isZero(old, 0, end - pos)) {
                    written += writeRange(buf, pos, end, at, out); // buf holds zeros there
                }
            }
            pos = end;
        }
        return written;
    }

    private static int writeRange(ByteBuffer buf, int from, int to, long at, DirectIo out) throws IOException {
        ByteBuffer part = buf.duplicate().limit(to).position(from);
        long p = at;
        while (part.hasRemaining()) {
            p += out.write(part, p);
        }
        return to - from;
    }

    /** Failure path: lets the interrupted workers finish before the caller removes the file. */
    private static void joinQuietly(List<Thread> workers) {
        for (Thread w : workers) {
            try {
                w.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void put(BlockingQueue<Task> q, Task c) throws IOException {
        try {
            q.put(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }
}
