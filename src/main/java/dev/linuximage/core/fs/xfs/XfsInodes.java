package dev.linuximage.core.fs.xfs;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.WritableByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The v3 inode core (XFS Algorithms &amp; Data Structures 3rd ed. §16.2): locating an inode by number, reading and
 * checking its core (magic, version, CRC32C at byte 100 stored little-endian, di_ino), fork sizes, timestamps, and
 * writing it back (di_changecount bumped, CRC recomputed), directly or staged in an {@link XfsTx}. Integers are
 * big-endian; an inode number is (AG &lt;&lt; (agblklog + inopblog)) | (block in AG &lt;&lt; inopblog) | index.
 */
final class XfsInodes {
    static final int S_IFMT = 0170000;
    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;
    static final int S_IFLNK = 0120000;
    static final int FMT_LOCAL = 1;
    static final int FMT_EXTENTS = 2;
    static final int FMT_BTREE = 3;
    static final long DIFLAG2_REFLINK = 1L << 1;
    static final long DIFLAG2_BIGTIME = 1L << 3;
    static final long DIFLAG2_NREXT64 = 1L << 4;

    private final ByteSource dev;
    private final XfsSuperblock sb;

    XfsInodes(ByteSource dev, XfsSuperblock sb) {
        this.dev = dev;
        this.sb = sb;
    }

    /** A decoded v3 inode; {@code raw} is the whole on-disk inode. */
    record Inode(
            long ino,
            int mode,
            int format,
            int uid,
            int gid,
            long nlink,
            long size,
            long mtime,
            int diFlags,
            long flags2,
            long nextents,
            int forkSize,
            byte[] raw) {
        int type() {
            return mode & S_IFMT;
        }
    }

    /** Byte offset of inode {@code ino} on the device; a number outside the AGs or the device is corrupt. */
    long inodeOffset(long ino) throws IOException {
        long ag = ino >>> (sb.agBlkLog() + sb.inopbLog());
        long agbno = (ino >>> sb.inopbLog()) & ((1L << sb.agBlkLog()) - 1);
        long idx = ino & ((1L << sb.inopbLog()) - 1);
        if (ino <= 0 || ag >= sb.agCount() || agbno >= sb.agBlocks()) {
            throw new XfsCorruptException("xfs: inode number " + ino + " outside the file system");
        }
        long off = (ag * sb.agBlocks() + agbno) * sb.blockSize() + idx * sb.inodeSize();
        if (off > dev.size() - sb.inodeSize()) {
            throw new XfsCorruptException("xfs: inode " + ino + " beyond the device");
        }
        return off;
    }

    /** Reads and checks inode {@code ino} (magic, v3, CRC32C, di_ino, fork offset, size). */
    Inode inode(long ino) throws IOException {
        byte[] raw = dev.readBytes(inodeOffset(ino), sb.inodeSize());
        ByteBuffer b = ByteBuffer.wrap(raw);
        if ((b.getShort(0) & 0xffff) != 0x494e) {
            throw new XfsCorruptException("xfs: inode " + ino + ": di_magic bad");
        }
        if (raw[4] != 3) {
            throw new XfsCorruptException("xfs: inode " + ino + ": di_version " + raw[4] + " (v5 uses 3)");
        }
        if (Integer.reverseBytes(b.getInt(100)) != XfsTx.crc(raw, 100)) {
            throw new XfsCorruptException("xfs: inode " + ino + ": di_crc: CRC32C mismatch");
        }
        if (b.getLong(152) != ino) {
            throw new XfsCorruptException("xfs: inode " + ino + ": di_ino says " + b.getLong(152));
        }
        int mode = b.getShort(2) & 0xffff;
        int format = raw[5] & 0xff;
        long flags2 = b.getLong(120);
        long nextents = (flags2 & DIFLAG2_NREXT64) != 0 ? b.getLong(24) : b.getInt(76) & 0xffffffffL;
        int forkOff = raw[82] & 0xff;
        int literal = sb.inodeSize() - 176;
        int forkSize = forkOff == 0 ? literal : forkOff * 8;
        if (forkSize > literal) {
            throw new XfsCorruptException("xfs: inode " + ino + ": di_forkoff " + forkOff + " beyond the inode");
        }
        long size = b.getLong(56);
        if (size < 0) {
            throw new XfsCorruptException("xfs: inode " + ino + ": negative di_size");
        }
        return new Inode(
                ino,
                mode,
                format,
                b.getInt(8),
                b.getInt(12),
                b.getInt(16) & 0xffffffffL,
                size,
                time(b, 40, flags2),
                b.getShort(90) & 0xffff,
                flags2,
                nextents,
                forkSize,
                raw);
    }

    /** Seconds since the epoch: bigtime = u64 ns since 1901-12-13T20:45:52Z (§16.2), else s32 seconds. */
    static long time(ByteBuffer b, int off, long flags2) {
        if ((flags2 & DIFLAG2_BIGTIME) != 0) {
            return Long.divideUnsigned(b.getLong(off), 1_000_000_000L) - (1L << 31);
        }
        return b.getInt(off);
    }

    static void putTime(ByteBuffer b, int off, long flags2, long epochSeconds) {
        if ((flags2 & DIFLAG2_BIGTIME) != 0) {
            b.putLong(off, (epochSeconds + (1L << 31)) * 1_000_000_000L);
        } else {
            b.putInt(off, (int) epochSeconds);
            b.putInt(off + 4, 0);
        }
    }

    /** The allocation group holding inode {@code ino}. */
    int agOf(long ino) {
        return (int) (ino >>> (sb.agBlkLog() + sb.inopbLog()));
    }

    /** The UUID stamped into v5 metadata: {@code sb_meta_uuid} (byte 248) with the meta-uuid feature, else sb_uuid. */
    byte[] metaUuid() throws IOException {
        byte[] s = dev.readBytes(0, 512);
        int off = (sb.incompat() & XfsSuperblock.INCOMPAT_META_UUID) != 0 ? 248 : 32;
        return java.util.Arrays.copyOfRange(s, off, off + 16);
    }

    /** Through {@code tx}: a chunk allocated in this transaction is only staged. */
    void checkFreeOnDisk(XfsTx tx, long ino) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(tx.read(inodeOffset(ino), sb.inodeSize()));
        if ((b.getShort(0) & 0xffff) != 0x494e || (b.getShort(2) & 0xffff) != 0) {
            throw new XfsCorruptException("xfs: inode " + ino
                    + " is free in the inode btree but its core is in use or not " + "initialised (magic/mode)");
        }
    }

    /** A fresh v3 inode core (§16.2): extents format with no extents, no attribute fork, link count 1. */
    byte[] newInode(long ino, int mode, int uid, int gid, long now) throws IOException {
        byte[] raw = new byte[sb.inodeSize()];
        ByteBuffer b = ByteBuffer.wrap(raw);
        long flags2 = 0;
        if ((sb.incompat() & XfsSuperblock.INCOMPAT_BIGTIME) != 0) {
            flags2 |= DIFLAG2_BIGTIME;
        }
        if ((sb.incompat() & XfsSuperblock.INCOMPAT_NREXT64) != 0) {
            flags2 |= DIFLAG2_NREXT64;
        }
        b.putShort(0, (short) 0x494e);
        b.putShort(2, (short) mode);
        raw[4] = 3;
        raw[5] = FMT_EXTENTS;
        b.putInt(8, uid);
        b.putInt(12, gid);
        b.putInt(16, 1);
        putTime(b, 32, flags2, now);
        putTime(b, 40, flags2, now);
        putTime(b, 48, flags2, now);
        raw[83] = FMT_EXTENTS; // di_aformat of an absent attribute fork
        b.putInt(92, new java.security.SecureRandom().nextInt()); // di_gen
        b.putInt(96, -1); // di_next_unlinked = NULLAGINO
        b.putLong(120, flags2);
        putTime(b, 144, flags2, now); // di_crtime
        b.putLong(152, ino);
        System.arraycopy(metaUuid(), 0, raw, 160, 16);
        return raw;
    }

    int dataForkSize(byte[] raw) {
        int forkOff = raw[82] & 0xff;
        return forkOff == 0 ? sb.inodeSize() - 176 : forkOff * 8;
    }

    static void setNextents(byte[] raw, long n) {
        ByteBuffer b = ByteBuffer.wrap(raw);
        if ((b.getLong(120) & DIFLAG2_NREXT64) != 0) {
            b.putLong(24, n);
        } else {
            b.putInt(76, (int) n);
        }
    }

    /** Stages {@code raw} as inode {@code ino} in {@code tx}: di_changecount + 1, CRC32C recomputed. */
    void stageInode(XfsTx tx, long ino, byte[] raw) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(raw);
        b.putLong(104, b.getLong(104) + 1); // di_changecount
        XfsTx.setCrc(raw, 100);
        tx.put(inodeOffset(ino), raw);
    }

    /** Writes {@code raw} as inode {@code ino} at once (di_changecount + 1, CRC32C recomputed). */
    void writeInode(WritableByteSource w, long ino, byte[] raw) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(raw);
        b.putLong(104, b.getLong(104) + 1); // di_changecount
        b.putInt(100, Integer.reverseBytes(XfsTx.crc(raw, 100)));
        w.write(inodeOffset(ino), ByteBuffer.wrap(raw));
    }
}
