package dev.linuximage.core.initramfs;

import java.io.InputStream;

/** An input stream over {@code b[start, end)} that knows how many bytes its reader consumed. */
final class SliceInput extends InputStream {
    private final byte[] b;
    private final int start;
    private final int end;
    private int pos;

    SliceInput(byte[] b, int start, int end) {
        this.b = b;
        this.start = start;
        this.end = end;
        this.pos = start;
    }

    /** Bytes consumed so far, counted from {@code start}. */
    long consumed() {
        return pos - start;
    }

    @Override
    public int read() {
        return pos < end ? b[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] dst, int off, int len) {
        if (len == 0) {
            return 0;
        }
        if (pos >= end) {
            return -1;
        }
        int n = Math.min(len, end - pos);
        System.arraycopy(b, pos, dst, off, n);
        pos += n;
        return n;
    }

    @Override
    public long skip(long n) {
        long k = Math.max(0, Math.min(n, end - pos));
        pos += (int) k;
        return k;
    }

    @Override
    public int available() {
        return end - pos;
    }
}
