package dev.linuximage.core.fs.xfs;

import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The XFS v5 primary superblock ({@code struct xfs_dsb}, XFS Algorithms &amp; Data Structures 3rd ed. §13.3),
 * big-endian, checked in order: magic {@code XFSB}, version 5, geometry bounds, CRC32C, feature allow-lists.
 */
record XfsSuperblock(
        int blockSize,
        long dblocks,
        String uuid,
        long logStart,
        long rootIno,
        int agBlocks,
        int agCount,
        int logBlocks,
        int sectSize,
        int inodeSize,
        int inopBlock,
        String label,
        int blockLog,
        int inodeLog,
        int inopbLog,
        int agBlkLog,
        long fdblocks,
        int dirBlkLog,
        long roCompat,
        long incompat,
        long logIncompat,
        boolean hasFtype) {

    static final long INCOMPAT_FTYPE = 1;
    static final long INCOMPAT_SPINODES = 2;
    static final long INCOMPAT_META_UUID = 4;
    static final long INCOMPAT_BIGTIME = 8;
    static final long INCOMPAT_NEEDSREPAIR = 16;
    static final long INCOMPAT_NREXT64 = 32;
    /** Incompatible features we can read (everything else is refused). */
    static final long INCOMPAT_KNOWN =
            INCOMPAT_FTYPE | INCOMPAT_SPINODES | INCOMPAT_META_UUID | INCOMPAT_BIGTIME | INCOMPAT_NREXT64;

    static final long RO_COMPAT_FINOBT = 1;
    static final long RO_COMPAT_RMAPBT = 2;
    static final long RO_COMPAT_REFLINK = 4;
    static final long RO_COMPAT_INOBTCNT = 8;
    /**
     * Read-only-compatible features we may write with: finobt and the inobt counters are kept (no btree changes
     * shape), reflink needs nothing for fresh unshared extents, rmapbt refuses any block allocation or freeing.
     */
    static final long RO_COMPAT_KNOWN = RO_COMPAT_FINOBT | RO_COMPAT_RMAPBT | RO_COMPAT_REFLINK | RO_COMPAT_INOBTCNT;

    static XfsSuperblock parse(byte[] s, long deviceBytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(s);
        if (b.getInt(0) != 0x58465342) {
            throw new XfsCorruptException(
                    "xfs: superblock sb_magicnum 0x" + Integer.toHexString(b.getInt(0)) + " is not XFSB");
        }
        int versionNum = b.getShort(100) & 0xffff;
        if ((versionNum & 0xf) != 5) {
            throw new UnsupportedFsFeatureException(
                    "xfs", "superblock version " + (versionNum & 0xf) + " (only v5 with CRCs is supported)");
        }
        int blockSize = b.getInt(4);
        int blockLog = s[120] & 0xff;
        if (blockLog < 9 || blockLog > 16 || blockSize != 1 << blockLog) {
            throw new XfsCorruptException("xfs: sb_blocksize " + blockSize + " / sb_blocklog " + blockLog + " invalid");
        }
        int sectSize = b.getShort(102) & 0xffff;
        if (sectSize < 512 || sectSize > blockSize || Integer.bitCount(sectSize) != 1 || sectSize > s.length) {
            throw new XfsCorruptException("xfs: sb_sectsize " + sectSize + " invalid");
        }
        int inodeSize = b.getShort(104) & 0xffff;
        int inodeLog = s[122] & 0xff;
        if (inodeSize < 512 || inodeSize > 2048 || inodeSize != 1 << inodeLog || inodeSize > blockSize) {
            throw new XfsCorruptException("xfs: sb_inodesize " + inodeSize + " invalid for v5 (512..2048)");
        }
        int inopBlock = b.getShort(106) & 0xffff;
        int inopbLog = s[123] & 0xff;
        if (inopBlock != blockSize / inodeSize || inopBlock != 1 << inopbLog) {
            throw new XfsCorruptException("xfs: sb_inopblock " + inopBlock + " disagrees with block/inode size");
        }
        long dblocks = b.getLong(8);
        int agBlocks = b.getInt(84);
        int agCount = b.getInt(88);
        int agBlkLog = s[124] & 0xff;
        if (agBlocks < 64
                || agCount < 1
                || agBlkLog > 31
                || (1L << agBlkLog) < agBlocks
                || (1L << agBlkLog) >= 2L * agBlocks) {
            throw new XfsCorruptException("xfs: AG geometry agblocks " + agBlocks + " agcount " + agCount + " agblklog "
                    + agBlkLog + " invalid");
        }
        if (dblocks <= 0 || dblocks > (long) agBlocks * agCount || dblocks <= (long) agBlocks * (agCount - 1)) {
            throw new XfsCorruptException(
                    "xfs: sb_dblocks " + dblocks + " inconsistent with " + agCount + " AGs of " + agBlocks + " blocks");
        }
        if (dblocks > deviceBytes / blockSize) {
            throw new XfsCorruptException("xfs: sb_dblocks " + dblocks + " x " + blockSize
                    + " bytes exceed the device of " + deviceBytes + " bytes");
        }
        int stored = Integer.reverseBytes(b.getInt(224));
        byte[] copy = java.util.Arrays.copyOf(s, sectSize);
        copy[224] = copy[225] = copy[226] = copy[227] = 0;
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(copy);
        if ((int) crc.getValue() != stored) {
            throw new XfsCorruptException("xfs: superblock sb_crc: CRC32C mismatch");
        }
        long roCompat = b.getInt(212) & 0xffffffffL;
        long incompat = b.getInt(216) & 0xffffffffL;
        long logIncompat = b.getInt(220) & 0xffffffffL;
        if ((incompat & INCOMPAT_NEEDSREPAIR) != 0) {
            throw new UnsupportedFsFeatureException("xfs", "state: needsrepair flag set (run xfs_repair)");
        }
        if ((incompat & ~INCOMPAT_KNOWN) != 0) {
            throw new UnsupportedFsFeatureException(
                    "xfs", "incompat features 0x" + Long.toHexString(incompat & ~INCOMPAT_KNOWN));
        }
        long rootIno = b.getLong(56);
        long logStart = b.getLong(48);
        int logBlocks = b.getInt(96);
        if (logStart == 0) {
            throw new UnsupportedFsFeatureException("xfs", "external log device");
        }
        byte[] u = new byte[16];
        System.arraycopy(s, 32, u, 0, 16);
        String uuid = uuid(u);
        int end = 108;
        while (end < 120 && s[end] != 0) {
            end++;
        }
        String label = new String(s, 108, end - 108, StandardCharsets.UTF_8);
        return new XfsSuperblock(
                blockSize,
                dblocks,
                uuid,
                logStart,
                rootIno,
                agBlocks,
                agCount,
                logBlocks,
                sectSize,
                inodeSize,
                inopBlock,
                label,
                blockLog,
                inodeLog,
                inopbLog,
                agBlkLog,
                b.getLong(144),
                s[192] & 0xff,
                roCompat,
                incompat,
                logIncompat,
                (incompat & INCOMPAT_FTYPE) != 0);
    }

    static String uuid(byte[] u) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10) {
                sb.append('-');
            }
            sb.append(String.format(Locale.ROOT, "%02x", u[i] & 0xff));
        }
        return sb.toString();
    }

    /** Directory block size in bytes. */
    int dirBlockSize() {
        return blockSize << dirBlkLog;
    }

    /** Byte offset of a file-system block number (AG number in the high bits, §13.2 "Sharing data structures"). */
    long fsbToByte(long fsb) throws IOException {
        long ag = fsb >>> agBlkLog;
        long agbno = fsb & ((1L << agBlkLog) - 1);
        if (ag >= agCount || agbno >= agBlocks) {
            throw new XfsCorruptException(
                    "xfs: block number " + fsb + " (AG " + ag + " block " + agbno + ") outside the " + "file system");
        }
        long daddr = ag * agBlocks + agbno;
        if (daddr >= dblocks) {
            throw new XfsCorruptException("xfs: block number " + fsb + " beyond sb_dblocks " + dblocks);
        }
        return daddr * blockSize;
    }
}
