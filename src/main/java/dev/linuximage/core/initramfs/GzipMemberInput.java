package dev.linuximage.core.initramfs;

import dev.linuximage.core.io.LittleEndian;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * One RFC 1952 gzip member decoded with {@link Inflater} in raw mode, so that the exact end of the compressed data
 * is known (the kernel continues with the next initramfs member right after the 8-byte trailer). Header fields are
 * checked in order: ID1/ID2, CM (8 = deflate), reserved FLG bits, optional FEXTRA/FNAME/FCOMMENT/FHCRC; the trailer's
 * CRC-32 and ISIZE (both little-endian) are verified.
 */
final class GzipMemberInput extends InputStream {
    private final byte[] b;
    private final int start;
    private final int end;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final int dataStart;
    private long produced;
    private boolean finished;
    private int memberEnd = -1;

    GzipMemberInput(byte[] b, int start, int end) throws InitramfsException {
        this.b = b;
        this.start = start;
        this.end = end;
        int p = start;
        need(p, 10, "gzip.header");
        if ((b[p] & 0xff) != 0x1f || (b[p + 1] & 0xff) != 0x8b) {
            throw new InitramfsException("gzip.magic", String.format("%02x %02x is not 1f 8b", b[p], b[p + 1]));
        }
        if (b[p + 2] != 8) {
            throw new InitramfsException("gzip.cm", "compression method " + (b[p + 2] & 0xff) + " is not deflate (8)");
        }
        int flg = b[p + 3] & 0xff;
        if ((flg & 0xe0) != 0) {
            throw new InitramfsException("gzip.flg", "reserved flag bits set: 0x" + Integer.toHexString(flg));
        }
        p += 10;
        if ((flg & 4) != 0) { // FEXTRA
            need(p, 2, "gzip.xlen");
            int xlen = LittleEndian.u16(b, p);
            p += 2;
            need(p, xlen, "gzip.extra");
            p += xlen;
        }
        if ((flg & 8) != 0) { // FNAME
            p = skipZeroTerminated(p, "gzip.fname");
        }
        if ((flg & 16) != 0) { // FCOMMENT
            p = skipZeroTerminated(p, "gzip.fcomment");
        }
        if ((flg & 2) != 0) { // FHCRC
            need(p, 2, "gzip.fhcrc");
            p += 2;
        }
        dataStart = p;
        inflater.setInput(b, p, end - p);
    }

    private void need(int p, int n, String field) throws InitramfsException {
        if (n < 0 || p > end - n) {
            throw new InitramfsException(field, "truncated at offset " + p);
        }
    }

    private int skipZeroTerminated(int p, String field) throws InitramfsException {
        while (p < end && b[p] != 0) {
            p++;
        }
        if (p >= end) {
            throw new InitramfsException(field, "unterminated string");
        }
        return p + 1;
    }

    /** Compressed bytes of this member including header and trailer; valid once the stream returned -1. */
    long consumed() {
        return memberEnd - start;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int r = read(one, 0, 1);
        return r < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
        if (finished) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        try {
            while (true) {
                int n = inflater.inflate(dst, off, len);
                if (n > 0) {
                    crc.update(dst, off, n);
                    produced += n;
                    return n;
                }
                if (inflater.finished()) {
                    finish();
                    return -1;
                }
                if (inflater.needsDictionary()) {
                    throw new InitramfsException("gzip.deflate", "preset dictionary requested");
                }
                if (inflater.needsInput()) {
                    throw new InitramfsException(
                            "gzip.deflate", "truncated deflate stream (member at offset " + start + ")");
                }
            }
        } catch (DataFormatException e) {
            throw new InitramfsException("gzip.deflate", "corrupt deflate data: " + e.getMessage(), e);
        }
    }

    private void finish() throws InitramfsException {
        finished = true;
        int p = end - inflater.getRemaining();
        need(p, 8, "gzip.trailer");
        long storedCrc = LittleEndian.u32(b, p);
        long storedSize = LittleEndian.u32(b, p + 4);
        if (storedCrc != crc.getValue()) {
            throw new InitramfsException(
                    "gzip.trailer.crc32",
                    "stored " + Long.toHexString(storedCrc) + " != computed " + Long.toHexString(crc.getValue()));
        }
        if (storedSize != (produced & 0xffffffffL)) {
            throw new InitramfsException(
                    "gzip.trailer.isize", "stored " + storedSize + " != decoded " + (produced & 0xffffffffL));
        }
        memberEnd = p + 8;
        inflater.end();
    }

    @Override
    public void close() {
        finished = true;
        inflater.end();
    }

    /** Compressed bytes consumed so far (header + deflate input read by the inflater). */
    long progress() {
        return finished ? Math.max(0, memberEnd - start) : dataStart - start + inflater.getBytesRead();
    }

    int dataStart() {
        return dataStart;
    }
}
