package dev.linuximage.core.upload;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.Extent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Scans {@code [0, end)} of a source once, in order: feeds every byte (zeros included) to a SHA-256 (if one is given;
 * {@code null}: zeros cost nothing) and reports the
 * spans of non-zero 512-byte pages. {@link Extent.Kind#ZERO} extents are never read: zeros are fed to the digest
 * from a constant buffer. {@link Extent.Kind#DATA} extents are read in windows of {@link #WINDOW} bytes and tested
 * page by page ({@link Arrays#mismatch} against a zero array: vectorised by the JIT). Memory: one window.
 *
 * <p>{@code end} must be a multiple of 512; extents need not be page aligned (bytes are assembled in the window).
 */
final class ImageScanner {
    static final int PAGE = 512;
    static final int WINDOW = 4 * 1024 * 1024;
    static final byte[] ZEROS = new byte[WINDOW];

    interface Spans {
        /** Non-zero pages {@code [offset, offset + len)}: bytes {@code buf[off, off + len)}, valid during the call. */
        void span(long offset, byte[] buf, int off, int len) throws IOException;

        /** Everything below {@code pos} has been scanned. */
        default void scanned(long pos) throws IOException {}
    }

    private final ByteSource source;
    private final long end;
    private final MessageDigest sha;
    private final byte[] win = new byte[WINDOW];
    private long winStart;
    private int winFill;
    private boolean winHasData;
    private int winData;
    private long dataDone;
    private long expected;
    private Spans out;

    ImageScanner(ByteSource source, long end, MessageDigest sha) {
        if (end % PAGE != 0 || end < 0 || end > source.size()) {
            throw new IllegalArgumentException("scan end " + end + " not a multiple of 512 within " + source.size());
        }
        this.source = source;
        this.end = end;
        this.sha = sha;
    }

    /**
     * Bytes of {@link Extent.Kind#DATA} extents scanned so far (their spans reported): when {@link Spans#scanned} is
     * called, those below its position.
     */
    long dataScanned() {
        return dataDone;
    }

    /** Scans {@code [0, end)}: reports the non-zero spans in order, then {@link Spans#scanned} after each window. */
    void scan(Spans spans) throws IOException {
        this.out = spans;
        source.extents(0, end, e -> {
            if (e.offset() != expected || e.length() <= 0 || e.end() > end) {
                throw new IOException(
                        "source extents are not contiguous: got " + e + " at expected offset " + expected);
            }
            expected = e.end();
            if (e.isData()) {
                data(e.offset(), e.length());
            } else {
                zero(e.length());
            }
        });
        if (expected != end) {
            throw new IOException("source extents end at " + expected + ", expected " + end);
        }
        if (winFill > 0) {
            flushWindow();
        }
    }

    private void zero(long len) throws IOException {
        while (len > 0) {
            if (winFill == 0 && len >= WINDOW) {
                if (sha != null) {
                    sha.update(ZEROS, 0, WINDOW);
                }
                winStart += WINDOW;
                len -= WINDOW;
                out.scanned(winStart);
                continue;
            }
            int n = (int) Math.min(len, WINDOW - winFill);
            Arrays.fill(win, winFill, winFill + n, (byte) 0);
            winFill += n;
            len -= n;
            if (winFill == WINDOW) {
                flushWindow();
            }
        }
    }

    private void data(long offset, long len) throws IOException {
        while (len > 0) {
            int n = (int) Math.min(len, WINDOW - winFill);
            source.readFully(offset, ByteBuffer.wrap(win, winFill, n));
            winHasData = true;
            winData += n;
            winFill += n;
            offset += n;
            len -= n;
            if (winFill == WINDOW) {
                flushWindow();
            }
        }
    }

    private void flushWindow() throws IOException {
        if (sha != null) {
            sha.update(win, 0, winFill);
        }
        if (winHasData) {
            findSpans();
        }
        winStart += winFill;
        winFill = 0;
        winHasData = false;
        dataDone += winData;
        winData = 0;
        out.scanned(winStart);
    }

    private void findSpans() throws IOException {
        int p = 0;
        while (p < winFill) {
            int m = Arrays.mismatch(win, p, winFill, ZEROS, 0, winFill - p);
            if (m < 0) {
                return;
            }
            int ps = (p + m) & ~(PAGE - 1);
            int pe = ps + PAGE;
            while (pe < winFill && Arrays.mismatch(win, pe, pe + PAGE, ZEROS, 0, PAGE) >= 0) {
                pe += PAGE;
            }
            out.span(winStart + ps, win, ps, pe - ps);
            p = pe;
        }
    }

    static boolean isZero(byte[] b, int off, int len) {
        int done = 0;
        while (done < len) {
            int n = Math.min(len - done, WINDOW);
            if (Arrays.mismatch(b, off + done, off + done + n, ZEROS, 0, n) >= 0) {
                return false;
            }
            done += n;
        }
        return true;
    }
}
