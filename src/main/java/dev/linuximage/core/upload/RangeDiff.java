package dev.linuximage.core.upload;

import java.io.IOException;

/**
 * Streams the two set differences between the non-zero pages N of the source and the pages E the blob already
 * holds (from Get Page Ranges), both visited in increasing offset order with bounded memory:
 * {@code N \ E} must be sent, {@code E \ N} must be cleared (stale pages of an earlier writer that are zero in the
 * source). Offsets in bytes. A pure class: no I/O besides pulling from the cursor.
 */
final class RangeDiff {

    /** Sorted, non-overlapping ranges; {@code null} at the end. */
    interface Cursor {
        ByteRange next() throws IOException;

        Cursor EMPTY = () -> null;
    }

    interface Sink {
        void send(long start, long end) throws IOException;

        void clear(long start, long end) throws IOException;
    }

    private final Cursor existing;
    private ByteRange cur;
    private boolean started;
    /** Everything below {@code decided} has been classified. */
    private long decided;

    RangeDiff(Cursor existing) {
        this.existing = existing;
    }

    private ByteRange current(long p) throws IOException {
        if (!started) {
            cur = existing.next();
            started = true;
        }
        while (cur != null && cur.end() <= p) {
            ByteRange n = existing.next();
            if (n != null && n.start() < cur.end()) {
                throw new IOException("page range list is not sorted: " + n + " after " + cur);
            }
            cur = n;
        }
        return cur;
    }

    /** The source has non-zero bytes in {@code [start, end)}; {@code start} is at or after every earlier call. */
    void nonZero(long start, long end, Sink sink) throws IOException {
        if (start < decided) {
            throw new IllegalStateException("non-zero range " + start + " before " + decided);
        }
        advanceTo(start, sink);
        long p = start;
        while (p < end) {
            ByteRange c = current(p);
            if (c == null || c.start() >= end) {
                sink.send(p, end);
                break;
            }
            if (c.start() > p) {
                sink.send(p, c.start());
                p = c.start();
            }
            p = Math.min(c.end(), end);
        }
        decided = end;
    }

    /** Everything in {@code [decided, pos)} is zero in the source: clears the blob's pages there. */
    void advanceTo(long pos, Sink sink) throws IOException {
        while (decided < pos) {
            ByteRange c = current(decided);
            if (c == null || c.start() >= pos) {
                break;
            }
            long a = Math.max(c.start(), decided);
            long b = Math.min(c.end(), pos);
            sink.clear(a, b);
            decided = b;
        }
        decided = Math.max(decided, pos);
    }

    /** Merges adjacent and overlapping ranges of a sorted cursor (the service may list adjacent ranges apart). */
    static Cursor merging(Cursor in) {
        return new Cursor() {
            ByteRange pending;
            boolean done;

            @Override
            public ByteRange next() throws IOException {
                if (done) {
                    return null;
                }
                if (pending == null) {
                    pending = in.next();
                    if (pending == null) {
                        done = true;
                        return null;
                    }
                }
                while (true) {
                    ByteRange n = in.next();
                    if (n == null) {
                        ByteRange r = pending;
                        pending = null;
                        done = true;
                        return r;
                    }
                    if (n.start() < pending.start()) {
                        throw new IOException("page range list is not sorted: " + n + " after " + pending);
                    }
                    if (n.start() <= pending.end()) {
                        pending = new ByteRange(pending.start(), Math.max(pending.end(), n.end()));
                    } else {
                        ByteRange r = pending;
                        pending = n;
                        return r;
                    }
                }
            }
        };
    }
}
