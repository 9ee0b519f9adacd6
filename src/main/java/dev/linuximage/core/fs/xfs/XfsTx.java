package dev.linuximage.core.fs.xfs;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.WritableByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The pending writes of one XFS operation: every metadata or data buffer an operation changes is staged here, reads
 * of the same region see the staged bytes, and nothing reaches the device until {@link #commit}. An operation that
 * refuses (throws) before committing therefore leaves the image byte-identical. Regions are keyed by their byte
 * offset; a read or write that partly overlaps a staged region of another size is an internal error.
 */
final class XfsTx {
    private final ByteSource dev;
    private final Map<Long, byte[]> pending = new LinkedHashMap<>();

    XfsTx(ByteSource dev) {
        this.dev = dev;
    }

    /** Bytes {@code [off, off + len)}, staged ones first. */
    byte[] read(long off, int len) throws IOException {
        byte[] p = pending.get(off);
        if (p != null) {
            if (p.length != len) {
                throw new IOException(
                        "xfs: internal: staged region at " + off + " is " + p.length + " bytes, not " + len);
            }
            return p.clone();
        }
        checkNoOverlap(off, len);
        return dev.readBytes(off, len);
    }

    /** Stages {@code data} at byte {@code off} (a copy is kept). */
    void put(long off, byte[] data) throws IOException {
        byte[] p = pending.get(off);
        if (p == null) {
            checkNoOverlap(off, data.length);
        } else if (p.length != data.length) {
            throw new IOException("xfs: internal: staged region at " + off + " changes size");
        }
        pending.put(off, data.clone());
    }

    private void checkNoOverlap(long off, int len) throws IOException {
        for (Map.Entry<Long, byte[]> e : pending.entrySet()) {
            long s = e.getKey();
            if (s != off && s < off + len && off < s + e.getValue().length) {
                throw new IOException("xfs: internal: region " + off + "+" + len + " overlaps a staged region at " + s);
            }
        }
    }

    /** Writes every staged region, in staging order. */
    void commit(WritableByteSource w) throws IOException {
        for (Map.Entry<Long, byte[]> e : pending.entrySet()) {
            w.write(e.getKey(), ByteBuffer.wrap(e.getValue()));
        }
        pending.clear();
    }

    /** CRC32C of {@code b} with the 4-byte field at {@code crcOff} taken as zero (§"Metadata checksums"). */
    static int crc(byte[] b, int crcOff) {
        byte[] c = Arrays.copyOf(b, b.length);
        c[crcOff] = c[crcOff + 1] = c[crcOff + 2] = c[crcOff + 3] = 0;
        CRC32C crc = new CRC32C();
        crc.update(c);
        return (int) crc.getValue();
    }

    /** Stores the CRC32C of {@code b} at {@code crcOff}, little-endian as XFS keeps it. */
    static void setCrc(byte[] b, int crcOff) {
        ByteBuffer.wrap(b).putInt(crcOff, Integer.reverseBytes(crc(b, crcOff)));
    }

    static boolean crcOk(byte[] b, int crcOff) {
        return Integer.reverseBytes(ByteBuffer.wrap(b).getInt(crcOff)) == crc(b, crcOff);
    }

    /** Throws {@link XfsCorruptException} naming {@code what} when the CRC32C at {@code crcOff} does not match. */
    static void checkCrc(byte[] b, int crcOff, String what) throws IOException {
        if (!crcOk(b, crcOff)) {
            throw new XfsCorruptException("xfs: " + what + ": crc: CRC32C mismatch");
        }
    }
}
