package dev.linuximage.core.initramfs;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Streaming reader of one decoded stream holding one or more newc ({@code 070701}) / crc ({@code 070702}) cpio
 * archives, following the layout of the kernel's {@code init/initramfs.c} (and cpio(5) "New ASCII Format"):
 * a 110-byte header of a 6-byte magic and thirteen 8-digit hexadecimal fields, the NUL-terminated name, padding so
 * header+name ends on a 4-byte boundary, the body, padding to a 4-byte boundary. An entry named {@code TRAILER!!!}
 * ends an archive. Alignment is computed from {@code basePosition}: the offset in the image for a plain member, 0 for
 * the decoded stream of a compressed member (the kernel resets its {@code this_header} counter before decompressing).
 *
 * <p>Nothing is allocated from an unchecked size: names are capped by {@link InitramfsLimits#maxNameLength()}, bodies
 * are streamed to the caller (and skipped), symlink targets are capped like names.
 */
final class CpioParser {
    static final String TRAILER = "TRAILER!!!";
    private static final int HEADER = 110;

    private final InputStream in;
    private final InitramfsLimits limits;
    private final int member;
    private final Compression compression;
    private final EntryCounter counter;
    private long pos;
    private final byte[] header = new byte[HEADER];

    interface EntryCounter {
        void count() throws InitramfsException;
    }

    CpioParser(
            InputStream in,
            long basePosition,
            InitramfsLimits limits,
            int member,
            Compression compression,
            EntryCounter counter) {
        this.in = in;
        this.pos = basePosition;
        this.limits = limits;
        this.member = member;
        this.compression = compression;
        this.counter = counter;
    }

    long position() {
        return pos;
    }

    /**
     * Parses one archive, from its first header (the caller has positioned the stream there) to and including the
     * trailer's padding.
     *
     * @return false if the stream ended cleanly before a trailer was seen (the kernel accepts that too)
     */
    boolean parseArchive(InitramfsReader.EntryHandler handler) throws IOException {
        while (true) {
            int first = in.read();
            if (first < 0) {
                return false;
            }
            header[0] = (byte) first;
            readFully(header, 1, HEADER - 1, "cpio.header");
            pos += HEADER;
            if (!(header[0] == '0'
                    && header[1] == '7'
                    && header[2] == '0'
                    && header[3] == '7'
                    && header[4] == '0'
                    && (header[5] == '1' || header[5] == '2'))) {
                throw new InitramfsException(
                        "cpio.magic",
                        "member " + member + ": not a newc/crc cpio header near " + "decoded offset " + (pos - HEADER)
                                + " (bytes " + printable(header, 0, 6) + ")");
            }
            boolean crc = header[5] == '2';
            long ino = hex(0, "c_ino");
            int mode = (int) hex(1, "c_mode");
            int uid = (int) hex(2, "c_uid");
            int gid = (int) hex(3, "c_gid");
            int nlink = (int) hex(4, "c_nlink");
            long mtime = hex(5, "c_mtime");
            long size = hex(6, "c_filesize");
            int devMajor = (int) hex(7, "c_devmajor");
            int devMinor = (int) hex(8, "c_devminor");
            int rdevMajor = (int) hex(9, "c_rdevmajor");
            int rdevMinor = (int) hex(10, "c_rdevminor");
            long nameSize = hex(11, "c_namesize");
            long check = hex(12, "c_check");
            if (nameSize < 1 || nameSize > limits.maxNameLength() + 1L) {
                throw new InitramfsException(
                        "cpio.c_namesize",
                        "member " + member + ": " + nameSize + " outside 1.." + (limits.maxNameLength() + 1));
            }
            if (size > limits.maxEntrySize()) {
                throw new InitramfsException(
                        "cpio.c_filesize",
                        "member " + member + ": " + size + " bytes exceeds the cap of " + limits.maxEntrySize());
            }
            byte[] nameBytes = new byte[(int) nameSize];
            readFully(nameBytes, 0, nameBytes.length, "cpio.name");
            pos += nameSize;
            if (nameBytes[nameBytes.length - 1] != 0) {
                throw new InitramfsException("cpio.name", "member " + member + ": name not NUL-terminated");
            }
            for (int i = 0; i < nameBytes.length - 1; i++) {
                if (nameBytes[i] == 0) {
                    throw new InitramfsException("cpio.name", "member " + member + ": NUL inside the name");
                }
            }
            skipPadding("cpio.name.padding");
            String name = new String(nameBytes, 0, nameBytes.length - 1, StandardCharsets.UTF_8);
            if (name.equals(TRAILER)) {
                skipBody(size, "cpio.trailer");
                skipPadding("cpio.trailer.padding");
                return true;
            }
            counter.count();
            String linkTarget = null;
            int type = mode & CpioEntry.S_IFMT;
            BodyStream body = new BodyStream(size, crc);
            if (type == CpioEntry.S_IFLNK) {
                if (size > limits.maxNameLength()) {
                    throw new InitramfsException(
                            "cpio.symlink",
                            "member " + member + ": target of " + name + " is " + size + " bytes, over "
                                    + limits.maxNameLength());
                }
                byte[] t = body.readNBytes((int) size);
                if (t.length != size) {
                    throw new InitramfsException("cpio.body", "member " + member + ": truncated symlink " + name);
                }
                linkTarget = new String(t, StandardCharsets.UTF_8);
                body = new BodyStream(0, false);
            }
            CpioEntry entry = new CpioEntry(
                    member,
                    compression,
                    name,
                    CpioEntry.normalise(name),
                    mode,
                    uid,
                    gid,
                    nlink,
                    mtime,
                    size,
                    ino,
                    devMajor,
                    devMinor,
                    rdevMajor,
                    rdevMinor,
                    linkTarget);
            handler.onEntry(entry, body);
            body.drain();
            if (crc && type == CpioEntry.S_IFREG && (body.sum & 0xffffffffL) != check) {
                throw new InitramfsException(
                        "cpio.c_check",
                        "member " + member + ": " + name + " checksum " + Long.toHexString(body.sum & 0xffffffffL)
                                + " != stored " + Long.toHexString(check));
            }
            skipPadding("cpio.body.padding");
        }
    }

    /**
     * After a trailer inside a decoded (compressed) member: skips zero padding; returns true when another archive
     * header follows, false at the end of the stream. Anything else is junk, which the kernel refuses too.
     */
    boolean skipToNextArchive() throws IOException {
        while (true) {
            if (!(in instanceof java.io.PushbackInputStream pb)) {
                throw new IllegalStateException("needs a PushbackInputStream");
            }
            int b = pb.read();
            if (b < 0) {
                return false;
            }
            if (b == 0) {
                pos++;
                continue;
            }
            if (b == '0' && (pos & 3) == 0) {
                pb.unread(b);
                return true;
            }
            throw new InitramfsException(
                    "cpio.padding",
                    "member " + member + ": junk byte 0x" + Integer.toHexString(b) + " at decoded offset " + pos
                            + " after a trailer");
        }
    }

    private long hex(int field, String fieldName) throws InitramfsException {
        long v = 0;
        int start = 6 + field * 8;
        for (int i = start; i < start + 8; i++) {
            int c = header[i];
            int d;
            if (c >= '0' && c <= '9') {
                d = c - '0';
            } else if (c >= 'a' && c <= 'f') {
                d = c - 'a' + 10;
            } else if (c >= 'A' && c <= 'F') {
                d = c - 'A' + 10;
            } else {
                throw new InitramfsException(
                        "cpio." + fieldName, "member " + member + ": not 8 hex digits: " + printable(header, start, 8));
            }
            v = (v << 4) | d;
        }
        return v;
    }

    private void skipPadding(String field) throws IOException {
        while ((pos & 3) != 0) {
            int b = in.read();
            if (b < 0) {
                // The kernel tolerates a missing final padding at the very end of the data.
                return;
            }
            pos++;
        }
    }

    private void skipBody(long n, String field) throws IOException {
        long left = n;
        byte[] buf = new byte[8192];
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                throw new InitramfsException(field, "member " + member + ": truncated body");
            }
            left -= r;
            pos += r;
        }
    }

    private void readFully(byte[] b, int off, int len, String field) throws IOException {
        int done = 0;
        while (done < len) {
            int r = in.read(b, off + done, len - done);
            if (r < 0) {
                throw new InitramfsException(
                        field,
                        "member " + member + ": truncated (" + done + " of " + len + " bytes)",
                        new EOFException());
            }
            done += r;
        }
    }

    private static String printable(byte[] b, int off, int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = off; i < off + len; i++) {
            int c = b[i] & 0xff;
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return "'" + sb + "'";
    }

    /** The body of the current entry, bounded to its size; sums bytes for the crc format's checksum. */
    private final class BodyStream extends InputStream {
        private long left;
        private final boolean summing;
        long sum;

        BodyStream(long size, boolean summing) {
            this.left = size;
            this.summing = summing;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int r = read(one, 0, 1);
            return r < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            int r = in.read(b, off, (int) Math.min(len, left));
            if (r < 0) {
                throw new InitramfsException("cpio.body", "member " + member + ": truncated body");
            }
            left -= r;
            pos += r;
            if (summing) {
                for (int i = off; i < off + r; i++) {
                    sum += b[i] & 0xff;
                }
            }
            return r;
        }

        void drain() throws IOException {
            byte[] buf = new byte[8192];
            while (read(buf, 0, buf.length) >= 0) {
                // skip
            }
        }
    }
}
