package dev.linuximage.core.initramfs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a newc ({@code 070701}) cpio archive, the format every Linux kernel unpacks (cpio(5) "New ASCII Format";
 * kernel {@code Documentation/driver-api/early-userspace/buffer-format.rst}). Each entry gets a fresh inode number,
 * {@code nlink} 1 for files (2 for directories), mtime 0 (reproducible), uid/gid 0. Header+name and bodies are
 * padded to 4 bytes counted from the start of the archive stream, which must itself start 4-byte aligned in the
 * image.
 */
public final class CpioWriter {
    private final OutputStream out;
    private long pos;
    private long nextIno = 1;
    private boolean finished;

    public CpioWriter(OutputStream out) {
        this.out = out;
    }

    public void directory(String path, int perm) throws IOException {
        entry(path, CpioEntry.S_IFDIR | (perm & 07777), 2, new byte[0]);
    }

    public void file(String path, int perm, byte[] content) throws IOException {
        entry(path, CpioEntry.S_IFREG | (perm & 07777), 1, content);
    }

    public void symlink(String path, String target) throws IOException {
        entry(path, CpioEntry.S_IFLNK | 0777, 1, target.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes the {@code TRAILER!!!} entry. */
    public void finish() throws IOException {
        if (!finished) {
            header(CpioParser.TRAILER, 0, 0, 1, 0);
            finished = true;
        }
    }

    private void entry(String path, int mode, int nlink, byte[] content) throws IOException {
        if (finished) {
            throw new IllegalStateException("archive already finished");
        }
        if (path.isEmpty() || path.startsWith("/") || path.contains("\0") || path.equals(CpioParser.TRAILER)) {
            throw new IllegalArgumentException("bad cpio path: " + path);
        }
        header(path, mode, content.length, nlink, nextIno++);
        out.write(content);
        pos += content.length;
        pad();
    }

    private void header(String name, int mode, long size, int nlink, long ino) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder(110).append("070701");
        long[] fields = {ino, mode & 0xffffffffL, 0, 0, nlink, 0, size, 0, 0, 0, 0, n.length + 1L, 0};
        for (long f : fields) {
            h.append(String.format("%08X", f));
        }
        byte[] hb = h.toString().getBytes(StandardCharsets.US_ASCII);
        out.write(hb);
        out.write(n);
        out.write(0);
        pos += hb.length + n.length + 1;
        pad();
    }

    private void pad() throws IOException {
        while ((pos & 3) != 0) {
            out.write(0);
            pos++;
        }
    }

    /** Convenience: a builder into memory. */
    public static final class InMemory {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final CpioWriter w = new CpioWriter(buf);

        public CpioWriter writer() {
            return w;
        }

        public byte[] finish() throws IOException {
            w.finish();
            return buf.toByteArray();
        }
    }
}
