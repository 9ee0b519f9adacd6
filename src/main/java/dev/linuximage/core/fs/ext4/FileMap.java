package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.io.LittleEndian;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Logical-to-physical block mapping of an inode: extent trees (kernel {@code ifork.rst}, header magic 0xF30A,
 * depth capped at {@value #MAX_DEPTH}) and classic ext2/3 block maps (12 direct, single, double and triple
 * indirect). Reading walks the tree per lookup; writing rebuilds the whole mapping from a list of runs.
 */
final class FileMap {
    static final int EXT_MAGIC = 0xF30A;
    static final int MAX_DEPTH = 5;
    static final int MAX_EXTENT_LEN = 32768;

    /** A mapped (physical &gt; 0) or hole (physical == 0) range, in blocks. */
    record Run(long logical, long physical, long length, boolean uninit) {}

    /** Everything an inode's mapping occupies: data runs and tree blocks (extent index/leaf or indirect). */
    record Layout(List<Run> runs, List<Long> treeBlocks) {}

    interface BlockReader {
        byte[] readBlock(long block) throws IOException;
    }

    private final BlockReader dev;
    private final int blockSize;
    private final long blocksCount;

    FileMap(BlockReader dev, int blockSize, long blocksCount) {
        this.dev = dev;
        this.blockSize = blockSize;
        this.blocksCount = blocksCount;
    }

    // ---- lookup ------------------------------------------------------------------------------------------------

    /**
     * The run containing logical block {@code lblk}: a mapped run starting at {@code lblk}, or a hole run from
     * {@code lblk} (length bounded by the next mapped block, or {@code Long.MAX_VALUE / 2} when none follows).
     */
    Run find(Inode inode, long lblk) throws IOException {
        if (inode.hasFlag(Inode.FL_EXTENTS)) {
            return findExtent(inode, lblk);
        }
        return findIndirect(inode, lblk);
    }

    private Run findExtent(Inode inode, long lblk) throws IOException {
        byte[] node = inode.raw;
        int base = Inode.I_BLOCK;
        int capacity = 4;
        int expectDepth = -1;
        long holeEnd = Long.MAX_VALUE / 2;
        for (int level = 0; level <= MAX_DEPTH; level++) {
            int[] h = header(node, base, capacity, expectDepth, inode.ino);
            int entries = h[0];
            int depth = h[1];
            if (depth == 0) {
                for (int i = 0; i < entries; i++) {
                    int e = base + 12 + 12 * i;
                    long eb = LittleEndian.u32(node, e);
                    int len = LittleEndian.u16(node, e + 4);
                    boolean uninit = len > MAX_EXTENT_LEN;
                    if (uninit) {
                        len -= MAX_EXTENT_LEN;
                    }
                    long pb = LittleEndian.u32(node, e + 8) | (long) LittleEndian.u16(node, e + 6) << 32;
                    if (lblk < eb) {
                        return new Run(lblk, 0, Math.min(eb, holeEnd) - lblk, false);
                    }
                    if (lblk < eb + len) {
                        checkRange(pb, len, inode.ino);
                        long off = lblk - eb;
                        return new Run(lblk, pb + off, len - off, uninit);
                    }
                }
                return new Run(lblk, 0, Math.max(1, holeEnd - lblk), false);
            }
            int pick = -1;
            for (int i = 0; i < entries; i++) {
                long ib = LittleEndian.u32(node, base + 12 + 12 * i);
                if (ib <= lblk) {
                    pick = i;
                } else {
                    holeEnd = Math.min(holeEnd, ib);
                    break;
                }
            }
            if (pick < 0) {
                return new Run(lblk, 0, Math.max(1, holeEnd - lblk), false);
            }
            int e = base + 12 + 12 * pick;
            long child = LittleEndian.u32(node, e + 4) | (long) LittleEndian.u16(node, e + 8) << 32;
            checkRange(child, 1, inode.ino);
            node = dev.readBlock(child);
            base = 0;
            capacity = (blockSize - 12) / 12;
            expectDepth = depth - 1;
        }
        throw new Ext4CorruptException("inode " + inode.ino + " extent tree deeper than " + MAX_DEPTH);
    }

    /** Validates an extent header; returns {entries, depth}. */
    private int[] header(byte[] node, int base, int capacity, int expectDepth, long ino) throws Ext4CorruptException {
        int magic = LittleEndian.u16(node, base);
        int entries = LittleEndian.u16(node, base + 2);
        int max = LittleEndian.u16(node, base + 4);
        int depth = LittleEndian.u16(node, base + 6);
        if (magic != EXT_MAGIC) {
            throw new Ext4CorruptException(String.format("inode %d extent header eh_magic 0x%04x", ino, magic));
        }
        if (max > capacity || entries > max) {
            throw new Ext4CorruptException("inode " + ino + " extent header eh_entries " + entries + " eh_max " + max
                    + " (room for " + capacity + ")");
        }
        if (depth > MAX_DEPTH || (expectDepth >= 0 && depth != expectDepth)) {
            throw new Ext4CorruptException("inode " + ino + " extent header eh_depth " + depth
                    + (expectDepth >= 0 ? " (expected " + expectDepth + ")" : ""));
        }
        return new int[] {entries, depth};
    }

    private void checkRange(long pb, long len, long ino) throws Ext4CorruptException {
        if (pb <= 0 || pb >= blocksCount || len > blocksCount - pb) {
            throw new Ext4CorruptException(
                    "inode " + ino + " maps blocks " + pb + "+" + len + " outside " + blocksCount + " blocks");
        }
    }

    private Run findIndirect(Inode inode, long lblk) throws IOException {
        long apb = blockSize / 4;
        long[] path;
        int slot;
        if (lblk < 12) {
            return ptrRun(lblk, LittleEndian.u32(inode.raw, Inode.I_BLOCK + 4 * (int) lblk), inode.ino);
        }
        long l = lblk - 12;
        if (l < apb) {
            slot = 12;
            path = new long[] {l};
        } else if ((l -= apb) < apb * apb) {
            slot = 13;
            path = new long[] {l / apb, l % apb};
        } else if ((l -= apb * apb) < apb * apb * apb) {
            slot = 14;
            path = new long[] {l / (apb * apb), (l / apb) % apb, l % apb};
        } else {
            return new Run(lblk, 0, 1, false);
        }
        long blk = LittleEndian.u32(inode.raw, Inode.I_BLOCK + 4 * slot);
        for (long idx : path) {
            if (blk == 0) {
                return new Run(lblk, 0, 1, false);
            }
            checkRange(blk, 1, inode.ino);
            byte[] b = dev.readBlock(blk);
            blk = LittleEndian.u32(b, (int) idx * 4);
        }
        return ptrRun(lblk, blk, inode.ino);
    }

    private Run ptrRun(long lblk, long pb, long ino) throws Ext4CorruptException {
        if (pb == 0) {
            return new Run(lblk, 0, 1, false);
        }
        checkRange(pb, 1, ino);
        return new Run(lblk, pb, 1, false);
    }

    // ---- full layout -------------------------------------------------------------------------------------------

    /** All runs and tree blocks of an inode's mapping; at most {@code maxBlocks} entries, loops are errors. */
    Layout layout(Inode inode, long maxBlocks) throws IOException {
        List<Run> runs = new ArrayList<>();
        List<Long> tree = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        if (inode.hasFlag(Inode.FL_EXTENTS)) {
            walkExtents(inode, inode.raw, Inode.I_BLOCK, 4, -1, runs, tree, seen, maxBlocks);
        } else {
            for (int i = 0; i < 12; i++) {
                long pb = LittleEndian.u32(inode.raw, Inode.I_BLOCK + 4 * i);
                if (pb != 0) {
                    checkRange(pb, 1, inode.ino);
                    addRun(runs, i, pb, 1);
                }
            }
            long apb = blockSize / 4;
            long base = 12;
            for (int level = 1; level <= 3; level++) {
                long pb = LittleEndian.u32(inode.raw, Inode.I_BLOCK + 4 * (11 + level));
                if (pb != 0) {
                    walkIndirect(inode, pb, level, base, runs, tree, seen, maxBlocks);
                }
                base += pow(apb, level);
            }
        }
        return new Layout(runs, tree);
    }

    private static long pow(long a, int n) {
        long r = 1;
        for (int i = 0; i < n; i++) {
            r *= a;
        }
        return r;
    }

    private void walkIndirect(
            Inode inode, long pb, int level, long base, List<Run> runs, List<Long> tree, Set<Long> seen, long max)
            throws IOException {
        checkRange(pb, 1, inode.ino);
        if (!seen.add(pb) || tree.size() + runs.size() > max) {
            throw new Ext4CorruptException("inode " + inode.ino + " indirect block " + pb + " repeated or map too big");
        }
        tree.add(pb);
        byte[] b = dev.readBlock(pb);
        long apb = blockSize / 4;
        long span = pow(apb, level - 1);
        for (int i = 0; i < apb; i++) {
            long p = LittleEndian.u32(b, 4 * i);
            if (p == 0) {
                continue;
            }
            if (level == 1) {
                checkRange(p, 1, inode.ino);
                addRun(runs, base + i, p, 1);
            } else {
                walkIndirect(inode, p, level - 1, base + i * span, runs, tree, seen, max);
            }
        }
    }

    private static void addRun(List<Run> runs, long l, long p, long len) {
        Run last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
        if (last != null
                && !last.uninit()
                && last.logical() + last.length() == l
                && last.physical() + last.length() == p) {
            runs.set(runs.size() - 1, new Run(last.logical(), last.physical(), last.length() + len, false));
        } else {
            runs.add(new Run(l, p, len, false));
        }
    }

    private void walkExtents(
            Inode inode,
            byte[] node,
            int base,
            int capacity,
            int expectDepth,
            List<Run> runs,
            List<Long> tree,
            Set<Long> seen,
            long max)
            throws IOException {
        int[] h = header(node, base, capacity, expectDepth, inode.ino);
        for (int i = 0; i < h[0]; i++) {
            int e = base + 12 + 12 * i;
            if (h[1] == 0) {
                long eb = LittleEndian.u32(node, e);
                int len = LittleEndian.u16(node, e + 4);
                boolean uninit = len > MAX_EXTENT_LEN;
                if (uninit) {
                    len -= MAX_EXTENT_LEN;
                }
                long pb = LittleEndian.u32(node, e + 8) | (long) LittleEndian.u16(node, e + 6) << 32;
                checkRange(pb, len, inode.ino);
                runs.add(new Run(eb, pb, len, uninit));
                if (runs.size() + tree.size() > max) {
                    throw new Ext4CorruptException("inode " + inode.ino + " extent map larger than its blocks");
                }
            } else {
                long child = LittleEndian.u32(node, e + 4) | (long) LittleEndian.u16(node, e + 8) << 32;
                checkRange(child, 1, inode.ino);
                if (!seen.add(child)) {
                    throw new Ext4CorruptException("inode " + inode.ino + " extent block " + child + " repeated");
                }
                tree.add(child);
                walkExtents(inode, dev.readBlock(child), 0, (blockSize - 12) / 12, h[1] - 1, runs, tree, seen, max);
            }
        }
    }

    // ---- building ----------------------------------------------------------------------------------------------

    /** Extent entries needed for {@code runs} (runs split at 32768 blocks). */
    static List<long[]> extentEntries(List<long[]> physRuns) {
        List<long[]> out = new ArrayList<>();
        long l = 0;
        for (long[] r : physRuns) {
            long p = r[0];
            long left = r[1];
            while (left > 0) {
                long n = Math.min(left, MAX_EXTENT_LEN);
                out.add(new long[] {l, p, n});
                l += n;
                p += n;
                left -= n;
            }
        }
        return out;
    }

    /** Tree blocks an extent tree of {@code entries} leaf entries needs (0 when they fit in the inode). */
    static long extentTreeBlocks(long entries, int blockSize) {
        long per = (blockSize - 12) / 12;
        long total = 0;
        long level = entries;
        while (level > 4) {
            level = (level + per - 1) / per;
            total += level;
        }
        return total;
    }

    /** Indirect blocks a block map of {@code n} contiguous logical blocks needs. */
    static long indirectBlocks(long n, int blockSize) {
        long apb = blockSize / 4;
        long total = 0;
        long rest = n - 12;
        if (rest <= 0) {
            return 0;
        }
        total += 1; // single
        rest -= apb;
        if (rest <= 0) {
            return total;
        }
        long dbl = Math.min(rest, apb * apb);
        total += 1 + (dbl + apb - 1) / apb;
        rest -= dbl;
        if (rest <= 0) {
            return total;
        }
        long tri = rest;
        if (tri > apb * apb * apb) {
            throw new IllegalArgumentException("file too large for a block map");
        }
        total += 1 + (tri + apb * apb - 1) / (apb * apb) + (tri + apb - 1) / apb;
        return total;
    }

    /**
     * Writes an extent node (header + {@code entries}: {start, physical, length} at depth 0, {start, child} above)
     * at {@code base} of {@code b}, all fields little-endian (kernel {@code ifork.rst}); {@code max} is eh_max.
     */
    static void putExtentNode(byte[] b, int base, List<long[]> entries, int max, int depth) {
        LittleEndian.put16(b, base, EXT_MAGIC);
        LittleEndian.put16(b, base + 2, entries.size());
        LittleEndian.put16(b, base + 4, max);
        LittleEndian.put16(b, base + 6, depth);
        LittleEndian.put32(b, base + 8, 0);
        for (int i = 0; i < entries.size(); i++) {
            int e = base + 12 + 12 * i;
            long[] x = entries.get(i);
            LittleEndian.put32(b, e, x[0]);
            if (depth == 0) {
                LittleEndian.put16(b, e + 4, (int) x[2]);
                LittleEndian.put16(b, e + 6, (int) (x[1] >>> 32));
                LittleEndian.put32(b, e + 8, x[1]);
            } else {
                LittleEndian.put32(b, e + 4, x[1]);
                LittleEndian.put16(b, e + 8, (int) (x[1] >>> 32));
                LittleEndian.put16(b, e + 10, 0);
            }
        }
    }

    /** Every block number of {@code runs} ({start, length} pairs), in order. */
    static List<Long> flatten(List<long[]> runs) {
        List<Long> out = new ArrayList<>();
        for (long[] r : runs) {
            for (long k = 0; k < r[1]; k++) {
                out.add(r[0] + k);
            }
        }
        return out;
    }
}
