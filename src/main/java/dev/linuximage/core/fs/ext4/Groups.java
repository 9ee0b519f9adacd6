package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.io.LittleEndian;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Block groups: lazily loaded group descriptors (32- or 64-byte, kernel {@code group_descr.rst}), block and inode
 * bitmaps, and the allocator. Changes are staged in memory and written by {@link #commit()} (bitmaps with their
 * checksums, then descriptors with theirs, then the superblock), or dropped by {@link #rollback()} when an
 * operation fails before its write phase; nothing reaches the disk half-planned.
 */
final class Groups {
    static final int BG_INODE_UNINIT = 0x1;
    static final int BG_BLOCK_UNINIT = 0x2;
    static final int BG_ITABLE_ZEROED = 0x4;

    private final Dev dev;
    private final Superblock sb;
    private final boolean desc64;
    final long itableBlocks;
    private final Map<Long, byte[]> descs = new HashMap<>();
    private final Map<Long, byte[]> blockBitmaps = new HashMap<>();
    private final Map<Long, byte[]> inodeBitmaps = new HashMap<>();
    private final Set<Long> dirtyDescs = new LinkedHashSet<>();
    private final Set<Long> dirtyBlockBitmaps = new LinkedHashSet<>();
    private final Set<Long> dirtyInodeBitmaps = new LinkedHashSet<>();
    private byte[] sbSnapshot;

    Groups(Dev dev, Superblock sb) {
        this.dev = dev;
        this.sb = sb;
        this.desc64 = sb.is64bit() && sb.descSize >= 64;
        this.itableBlocks = (sb.inodesPerGroup * sb.inodeSize + sb.blockSize - 1) / sb.blockSize;
    }

    /** Device access the groups need: whole blocks by number. */
    interface Dev {
        byte[] readBlock(long block) throws IOException;

        void writeBlock(long block, byte[] data) throws IOException;

        void readAt(long byteOffset, byte[] dst) throws IOException;

        void writeAt(long byteOffset, byte[] src) throws IOException;
    }

    // ---- descriptors -------------------------------------------------------------------------------------------

    byte[] desc(long g) throws IOException {
        if (g < 0 || g >= sb.groupCount) {
            throw new Ext4CorruptException("group " + g + " outside 0.." + (sb.groupCount - 1));
        }
        byte[] d = descs.get(g);
        if (d != null) {
            return d;
        }
        d = new byte[sb.descSize];
        dev.readAt(descOffset(g), d);
        if (sb.groupDescCsum()) {
            int want = LittleEndian.u16(d, 0x1E);
            int got = descChecksum(g, d);
            if (want != got) {
                throw new Ext4CorruptException(
                        String.format("group %d descriptor bg_checksum 0x%04x, computed 0x%04x", g, want, got));
            }
        }
        long bb = blockBitmap(d);
        long ib = inodeBitmap(d);
        long it = inodeTable(d);
        if (bb < sb.firstDataBlock
                || bb >= sb.blocksCount
                || ib < sb.firstDataBlock
                || ib >= sb.blocksCount
                || it < sb.firstDataBlock
                || it > sb.blocksCount - itableBlocks) {
            throw new Ext4CorruptException("group " + g + " descriptor: block bitmap " + bb + ", inode bitmap " + ib
                    + ", inode table " + it + " outside " + sb.blocksCount + " blocks");
        }
        descs.put(g, d);
        return d;
    }

    private long descOffset(long g) {
        return sb.gdtStart * sb.blockSize + g * sb.descSize;
    }

    /** bg_checksum: crc32c (metadata_csum, low 16 bits) or crc16 (gdt_csum), kernel ext4_group_desc_csum. */
    int descChecksum(long g, byte[] d) {
        byte[] c = d.clone();
        LittleEndian.put16(c, 0x1E, 0);
        byte[] le = LittleEndian.le32(g);
        if (sb.metadataCsum()) {
            int crc = Crc.crc32c(sb.csumSeed, le);
            crc = Crc.crc32c(crc, c, 0, sb.descSize);
            return crc & 0xFFFF;
        }
        int crc = Crc.crc16(0xFFFF, sb.raw, 0x68, 16);
        crc = Crc.crc16(crc, le, 0, 4);
        crc = Crc.crc16(crc, d, 0, 0x1E);
        if (sb.is64bit() && sb.descSize > 0x20) {
            crc = Crc.crc16(crc, d, 0x20, sb.descSize - 0x20);
        }
        return crc;
    }

    private long lohi(byte[] d, int lo, int hi) {
        return LittleEndian.u32(d, lo) | (desc64 ? LittleEndian.u32(d, hi) << 32 : 0);
    }

    private long lohi16(byte[] d, int lo, int hi) {
        return LittleEndian.u16(d, lo) | (desc64 ? (long) LittleEndian.u16(d, hi) << 16 : 0);
    }

    private void putLohi16(byte[] d, int lo, int hi, long v) {
        LittleEndian.put16(d, lo, (int) v);
        if (desc64) {
            LittleEndian.put16(d, hi, (int) (v >>> 16));
        }
    }

    long blockBitmap(byte[] d) {
        return lohi(d, 0x0, 0x20);
    }

    long inodeBitmap(byte[] d) {
        return lohi(d, 0x4, 0x24);
    }

    long inodeTable(byte[] d) {
        return lohi(d, 0x8, 0x28);
    }

    long freeBlocks(byte[] d) {
        return lohi16(d, 0xC, 0x2C);
    }

    long freeInodes(byte[] d) {
        return lohi16(d, 0xE, 0x2E);
    }

    long usedDirs(byte[] d) {
        return lohi16(d, 0x10, 0x30);
    }

    long itableUnused(byte[] d) {
        return lohi16(d, 0x1C, 0x32);
    }

    int flags(byte[] d) {
        return sb.groupDescCsum() ? LittleEndian.u16(d, 0x12) : 0;
    }

    private void setFlags(long g, byte[] d, int f) {
        LittleEndian.put16(d, 0x12, f);
        dirtyDescs.add(g);
    }

    long inodeTableOf(long g) throws IOException {
        return inodeTable(desc(g));
    }

    // ---- geometry ----------------------------------------------------------------------------------------------

    long groupFirstBlock(long g) {
        return sb.firstDataBlock + g * sb.blocksPerGroup;
    }

    long blocksInGroup(long g) {
        return Math.min(sb.blocksPerGroup, sb.blocksCount - groupFirstBlock(g));
    }

    long groupOfBlock(long b) {
        return (b - sb.firstDataBlock) / sb.blocksPerGroup;
    }

    /** Blocks at the start of a group holding the superblock and GDT (+ reserved GDT) backups, or 0. */
    long superBackupBlocks(long g) {
        return sb.hasSuperBackup(g) ? 1 + sb.gdtBlocks + sb.reservedGdtBlocks() : 0;
    }

    // ---- bitmaps -----------------------------------------------------------------------------------------------

    byte[] blockBitmapOf(long g) throws IOException {
        byte[] bm = blockBitmaps.get(g);
        if (bm != null) {
            return bm;
        }
        byte[] d = desc(g);
        if ((flags(d) & BG_BLOCK_UNINIT) != 0) {
            bm = initBlockBitmap(g);
            long free = blocksInGroup(g) - countSet(bm, (int) blocksInGroup(g));
            if (free != freeBlocks(d)) {
                // Our computed bitmap disagrees with the descriptor: refuse rather than guess (sparse_super2,
                // unusual flex_bg placement).
                throw new Ext4CorruptException("group " + g + " BLOCK_UNINIT: computed " + free
                        + " free blocks, descriptor says " + freeBlocks(d));
            }
        } else {
            bm = dev.readBlock(blockBitmap(d));
            if (sb.metadataCsum()) {
                int want = (int) (LittleEndian.u16(d, 0x18) | (desc64 ? (long) LittleEndian.u16(d, 0x38) << 16 : 0));
                int got = Crc.crc32c(sb.csumSeed, bm, 0, (int) (sb.blocksPerGroup / 8));
                if (!desc64) {
                    got &= 0xFFFF;
                }
                if (want != got) {
                    throw new Ext4CorruptException(
                            String.format("group %d block bitmap checksum 0x%08x, computed 0x%08x", g, want, got));
                }
            }
        }
        blockBitmaps.put(g, bm);
        return bm;
    }

    /**
     * The bitmap of a BLOCK_UNINIT group as the kernel computes it (ext4_init_block_bitmap): superblock/GDT backup,
     * the bitmaps and inode tables of the groups of this flex group that lie inside it, and the padding past the
     * end of a short last group.
     */
    private byte[] initBlockBitmap(long g) throws IOException {
        byte[] bm = new byte[sb.blockSize];
        long first = groupFirstBlock(g);
        long n = blocksInGroup(g);
        for (long i = 0; i < superBackupBlocks(g) && i < n; i++) {
            setBit(bm, (int) i);
        }
        long flex = 1L << sb.logGroupsPerFlex();
        long fstart = (g / flex) * flex;
        for (long o = fstart; o < Math.min(sb.groupCount, fstart + flex); o++) {
            byte[] od = desc(o);
            markIfInGroup(bm, first, n, blockBitmap(od), 1);
            markIfInGroup(bm, first, n, inodeBitmap(od), 1);
            markIfInGroup(bm, first, n, inodeTable(od), itableBlocks);
        }
        for (long i = n; i < 8L * sb.blockSize; i++) {
            setBit(bm, (int) i);
        }
        return bm;
    }

    private static void markIfInGroup(byte[] bm, long first, long n, long start, long len) {
        for (long b = start; b < start + len; b++) {
            if (b >= first && b < first + n) {
                setBit(bm, (int) (b - first));
            }
        }
    }

    byte[] inodeBitmapOf(long g) throws IOException {
        byte[] bm = inodeBitmaps.get(g);
        if (bm != null) {
            return bm;
        }
        byte[] d = desc(g);
        if ((flags(d) & BG_INODE_UNINIT) != 0) {
            bm = new byte[sb.blockSize];
            for (long i = sb.inodesPerGroup; i < 8L * sb.blockSize; i++) {
                setBit(bm, (int) i);
            }
        } else {
            bm = dev.readBlock(inodeBitmap(d));
            if (sb.metadataCsum()) {
                int want = (int) (LittleEndian.u16(d, 0x1A) | (desc64 ? (long) LittleEndian.u16(d, 0x3A) << 16 : 0));
                int got = Crc.crc32c(sb.csumSeed, bm, 0, (int) (sb.inodesPerGroup / 8));
                if (!desc64) {
                    got &= 0xFFFF;
                }
                if (want != got) {
                    throw new Ext4CorruptException(
                            String.format("group %d inode bitmap checksum 0x%08x, computed 0x%08x", g, want, got));
                }
            }
        }
        inodeBitmaps.put(g, bm);
        return bm;
    }

    static boolean bit(byte[] bm, int i) {
        return (bm[i >>> 3] & (1 << (i & 7))) != 0;
    }

    static void setBit(byte[] bm, int i) {
        bm[i >>> 3] |= (byte) (1 << (i & 7));
    }

    static void clearBit(byte[] bm, int i) {
        bm[i >>> 3] &= (byte) ~(1 << (i & 7));
    }

    private static long countSet(byte[] bm, int n) {
        long c = 0;
        for (int i = 0; i < n; i++) {
            if (bit(bm, i)) {
                c++;
            }
        }
        return c;
    }

    // ---- allocation --------------------------------------------------------------------------------------------

    private void begin() {
        if (sbSnapshot == null) {
            sbSnapshot = sb.raw.clone();
        }
    }

    /**
     * Allocates {@code count} blocks, preferring the group of {@code goal} and contiguous runs; initialised groups
     * first, BLOCK_UNINIT groups only when those are full. Returns runs {@code {firstBlock, length}}.
     */
    List<long[]> allocBlocks(long goal, long count) throws IOException {
        begin();
        if (count > sb.freeBlocks()) {
            throw new Ext4NoSpaceException("need " + count + " blocks, " + sb.freeBlocks() + " free");
        }
        List<long[]> runs = new ArrayList<>();
        long need = count;
        long start = goal >= sb.firstDataBlock && goal < sb.blocksCount ? groupOfBlock(goal) : 0;
        for (int pass = 0; pass < 2 && need > 0; pass++) {
            for (long k = 0; k < sb.groupCount && need > 0; k++) {
                long g = (start + k) % sb.groupCount;
                byte[] d = desc(g);
                if (freeBlocks(d) == 0 || (pass == 0 && (flags(d) & BG_BLOCK_UNINIT) != 0)) {
                    continue;
                }
                need -= allocInGroup(g, need, runs);
            }
        }
        if (need > 0) {
            throw new Ext4NoSpaceException(
                    "bitmaps hold fewer free blocks than the counters claim (" + need + " missing)");
        }
        sb.setFreeBlocks(sb.freeBlocks() - count);
        return runs;
    }

    private long allocInGroup(long g, long want, List<long[]> runs) throws IOException {
        byte[] bm = blockBitmapOf(g);
        byte[] d = desc(g);
        long first = groupFirstBlock(g);
        int n = (int) blocksInGroup(g);
        long got = 0;
        long meta0 = superBackupBlocks(g);
        for (int i = 0; i < n && got < want; i++) {
            if (bit(bm, i)) {
                continue;
            }
            long b = first + i;
            if (i < meta0
                    || b == blockBitmap(d)
                    || b == inodeBitmap(d)
                    || (b >= inodeTable(d) && b < inodeTable(d) + itableBlocks)) {
                throw new Ext4CorruptException("group " + g + " block bitmap marks metadata block " + b + " free");
            }
            setBit(bm, i);
            got++;
            long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && last[0] + last[1] == b) {
                last[1]++;
            } else {
                runs.add(new long[] {b, 1});
            }
        }
        if (got > freeBlocks(d)) {
            throw new Ext4CorruptException("group " + g + " bitmap has more free blocks than bg_free_blocks_count");
        }
        putLohi16(d, 0xC, 0x2C, freeBlocks(d) - got);
        if ((flags(d) & BG_BLOCK_UNINIT) != 0) {
            setFlags(g, d, flags(d) & ~BG_BLOCK_UNINIT);
        }
        dirtyDescs.add(g);
        dirtyBlockBitmaps.add(g);
        return got;
    }

    void freeBlocks(long start, long len) throws IOException {
        begin();
        for (long b = start; b < start + len; b++) {
            if (b < sb.firstDataBlock || b >= sb.blocksCount) {
                throw new Ext4CorruptException("freeing block " + b + " outside the file system");
            }
            long g = groupOfBlock(b);
            byte[] bm = blockBitmapOf(g);
            int i = (int) (b - groupFirstBlock(g));
            if (!bit(bm, i)) {
                throw new Ext4CorruptException("block " + b + " freed twice (already free in bitmap)");
            }
            clearBit(bm, i);
            byte[] d = desc(g);
            putLohi16(d, 0xC, 0x2C, freeBlocks(d) + 1);
            dirtyDescs.add(g);
            dirtyBlockBitmaps.add(g);
        }
        sb.setFreeBlocks(sb.freeBlocks() + len);
    }

    /** Allocates an inode number, preferring {@code goalGroup}; maintains used-dir counts and bg_itable_unused. */
    long allocInode(long goalGroup, boolean dir) throws IOException {
        begin();
        if (sb.freeInodes() == 0) {
            throw new Ext4NoSpaceException("no free inodes");
        }
        for (long k = 0; k < sb.groupCount; k++) {
            long g = (goalGroup + k) % sb.groupCount;
            byte[] d = desc(g);
            if (freeInodes(d) == 0) {
                continue;
            }
            byte[] bm = inodeBitmapOf(g);
            for (int i = 0; i < sb.inodesPerGroup; i++) {
                long ino = g * sb.inodesPerGroup + i + 1;
                if (bit(bm, i) || ino < sb.firstIno) {
                    continue;
                }
                if (ino > sb.inodesCount) {
                    break;
                }
                setBit(bm, i);
                putLohi16(d, 0xE, 0x2E, freeInodes(d) - 1);
                if (dir) {
                    putLohi16(d, 0x10, 0x30, usedDirs(d) + 1);
                }
                int f = flags(d);
                if (sb.groupDescCsum()) {
                    long hw = sb.inodesPerGroup - itableUnused(d);
                    if (i >= hw) {
                        putLohi16(d, 0x1C, 0x32, sb.inodesPerGroup - i - 1);
                    }
                    if ((f & BG_BLOCK_UNINIT) != 0) {
                        // as the kernel does in ext4_new_inode: a group that gets inodes gets a real block bitmap
                        blockBitmapOf(g);
                        dirtyBlockBitmaps.add(g);
                        f &= ~BG_BLOCK_UNINIT;
                    }
                    f &= ~BG_INODE_UNINIT;
                    setFlags(g, d, f);
                }
                dirtyDescs.add(g);
                dirtyInodeBitmaps.add(g);
                sb.setFreeInodes(sb.freeInodes() - 1);
                return ino;
            }
        }
        throw new Ext4NoSpaceException("inode bitmaps hold no free inode although counters claim " + sb.freeInodes());
    }

    /** True when inode {@code i} (0-based in its group) lies beyond the group's used part of the inode table. */
    boolean inodeSlotUnused(long g, long i) throws IOException {
        byte[] d = desc(g);
        return sb.groupDescCsum() && i >= sb.inodesPerGroup - itableUnused(d);
    }

    void freeInode(long ino, boolean dir) throws IOException {
        begin();
        long g = (ino - 1) / sb.inodesPerGroup;
        int i = (int) ((ino - 1) % sb.inodesPerGroup);
        byte[] bm = inodeBitmapOf(g);
        if (!bit(bm, i)) {
            throw new Ext4CorruptException("inode " + ino + " freed twice (already free in bitmap)");
        }
        clearBit(bm, i);
        byte[] d = desc(g);
        putLohi16(d, 0xE, 0x2E, freeInodes(d) + 1);
        if (dir) {
            putLohi16(d, 0x10, 0x30, usedDirs(d) - 1);
        }
        dirtyDescs.add(g);
        dirtyInodeBitmaps.add(g);
        sb.setFreeInodes(sb.freeInodes() + 1);
    }

    void adjustUsedDirs(long ino, int delta) throws IOException {
        begin();
        long g = (ino - 1) / sb.inodesPerGroup;
        byte[] d = desc(g);
        putLohi16(d, 0x10, 0x30, usedDirs(d) + delta);
        dirtyDescs.add(g);
    }

    // ---- commit / rollback -------------------------------------------------------------------------------------

    /** Writes staged bitmaps, descriptors (with checksums) and the superblock. */
    void commit() throws IOException {
        for (long g : dirtyBlockBitmaps) {
            byte[] d = desc(g);
            byte[] bm = blockBitmaps.get(g);
            if (sb.metadataCsum()) {
                int c = Crc.crc32c(sb.csumSeed, bm, 0, (int) (sb.blocksPerGroup / 8));
                LittleEndian.put16(d, 0x18, c);
                if (desc64) {
                    LittleEndian.put16(d, 0x38, c >>> 16);
                }
            }
            dev.writeBlock(blockBitmap(d), bm);
            dirtyDescs.add(g);
        }
        for (long g : dirtyInodeBitmaps) {
            byte[] d = desc(g);
            byte[] bm = inodeBitmaps.get(g);
            if (sb.metadataCsum()) {
                int c = Crc.crc32c(sb.csumSeed, bm, 0, (int) (sb.inodesPerGroup / 8));
                LittleEndian.put16(d, 0x1A, c);
                if (desc64) {
                    LittleEndian.put16(d, 0x3A, c >>> 16);
                }
            }
            dev.writeBlock(inodeBitmap(d), bm);
            dirtyDescs.add(g);
        }
        for (long g : dirtyDescs) {
            byte[] d = desc(g);
            if (sb.groupDescCsum()) {
                LittleEndian.put16(d, 0x1E, descChecksum(g, d));
            }
            dev.writeAt(descOffset(g), d);
        }
        if (sbSnapshot != null) {
            sb.updateChecksum();
            dev.writeAt(Superblock.OFFSET, sb.raw);
        }
        clearStaged();
    }

    /** Forgets staged changes (nothing was written). */
    void rollback() {
        if (sbSnapshot != null) {
            System.arraycopy(sbSnapshot, 0, sb.raw, 0, sb.raw.length);
        }
        for (long g : dirtyDescs) {
            descs.remove(g);
        }
        clearStaged();
    }

    private void clearStaged() {
        dirtyBlockBitmaps.clear();
        dirtyInodeBitmaps.clear();
        dirtyDescs.clear();
        blockBitmaps.clear();
        inodeBitmaps.clear();
        sbSnapshot = null;
    }
}
