package dev.linuximage.core.initramfs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
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

    /**
     * Numbers the following new entries from {@code next} on, so that they cannot share an inode number with copied
     * entries (cpio tools and the kernel's {@code maybe_link()} pair hard links by inode number).
     */
    public void startInodesAt(long next) {
        if (next < 1 || next > 0xffffffffL) {
            throw new IllegalArgumentException("inode number out of range: " + next);
        }
        nextIno = next;
    }

    /**
     * Copies an entry read from another archive with all its header fields as stored (name, inode, mode, owner,
     * link count, mtime, device numbers) and its body: {@code size} bytes from {@code body} (for a symlink the
     * target). A crc ({@code 070702}) entry becomes newc, whose checksum field is 0.
     */
    public void copy(CpioEntry e, InputStream body) throws IOException {
        if (finished) {
            throw new IllegalStateException("archive already finished");
        }
        header(
                e.name(),
                e.ino(),
                e.mode(),
                e.uid(),
                e.gid(),
                e.nlink(),
                e.mtime(),
                e.size(),
                e.devMajor(),
                e.devMinor(),
                e.rdevMajor(),
                e.rdevMinor());
        long left = e.size();
        if (e.isSymlink()) {
            byte[] t = e.linkTarget().getBytes(StandardCharsets.UTF_8);
            if (t.length != left) {
                throw new IOException(
                        "symlink " + e.name() + ": target is " + t.length + " bytes, header says " + left);
            }
            out.write(t);
        } else {
            byte[] buf = new byte[64 << 10];
            while (left > 0) {
                int r = body.read(buf, 0, (int) Math.min(buf.length, left));
                if (r < 0) {
                    throw new InitramfsException("cpio.body", e.name() + ": body ended " + left + " bytes early");
                }
                out.write(buf, 0, r);
                left -= r;
            }
        }
        pos += e.size();
        pad();
    }

    /**
     * Writes a regular file in place of entry {@code e}: same name, inode, mode, owner and mtime, new body, link
     * count 1 (the new body belongs to this name only).
     */
    public void replace(CpioEntry e, byte[] content) throws IOException {
        if (finished) {
            throw new IllegalStateException("archive already finished");
        }
        if (!e.isRegular()) {
            throw new IllegalArgumentException("not a regular file: " + e.name());
        }
        header(
                e.name(),
                e.ino(),
                e.mode(),
                e.uid(),
                e.gid(),
                1,
                e.mtime(),
                content.length,
                e.devMajor(),
                e.devMinor(),
                e.rdevMajor(),
                e.rdevMinor());
        out.write(content);
        pos += content.length;
        pad();
    }

    /** Writes the {@code TRAILER!!!} entry. */
    public void finish() throws IOException {
        if (!finished) {
            header(CpioParser.TRAILER, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0);
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
        header(path, nextIno++, mode, 0, 0, nlink, 0, content.length, 0, 0, 0, 0);
        out.write(content);
        pos += content.length;
        pad();
    }

    private void header(
            String name,
            long ino,
            int mode,
            int uid,
            int gid,
            int nlink,
            long mtime,
            long size,
            int devMajor,
            int devMinor,
            int rdevMajor,
            int rdevMinor)
            throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (size < 0 || size > 0xffffffffL) {
            throw new IllegalArgumentException("newc sizes are 32 bits: " + size);
        }
        StringBuilder h = new StringBuilder(110).append("070701");
        long[] fields = {
            ino & 0xffffffffL,
            mode & 0xffffffffL,
            uid & 0xffffffffL,
            gid & 0xffffffffL,
            nlink & 0xffffffffL,
            mtime & 0xffffffffL,
            size,
            devMajor & 0xffffffffL,
            devMinor & 0xffffffffL,
            rdevMajor & 0xffffffffL,
            rdevMinor & 0xffffffffL,
            n.length + 1L,
            0
        };
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
