package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.io.LittleEndian;
import java.io.IOException;

/**
 * Hashed name lookup in an htree (dir_index) directory (kernel {@code Documentation/filesystems/ext4/directory.rst},
 * "Hash Tree Directories"; lookup order as the kernel's {@code dx_probe} + {@code ext4_htree_next_block}).
 *
 * <p>Layout: logical block 0 is the dx root: a {@code .} record (rec_len 12), a {@code ..} record spanning the
 * rest of the block, then at byte 0x18 {@code dx_root_info} (le32 reserved_zero, u8 hash_version, u8 info_length
 * = 8, u8 indirect_levels, u8 unused_flags), then the dx entries: the first 8 bytes are {@code dx_countlimit} (le16
 * limit, le16 count) standing in for the first entry's hash, each entry is le32 hash + le32 logical block. Interior
 * dx nodes are blocks whose single fake record (inode 0, rec_len = block size) is followed by the same
 * count/limit + entries at byte 8. With metadata_csum a {@code dx_tail} (le32 reserved, le32 crc32c) follows the
 * {@code limit} entries. Leaves are ordinary directory blocks.
 *
 * <p><b>Hostile input.</b> Every field is checked before use: info_length, hash version, indirect_levels (below 2,
 * or below 3 with largedir), flags, {@code limit} equal to what the block size allows (so the tail position is
 * known), {@code 1 <= count <= limit}, hashes in non-decreasing order, every block number non-zero and below the
 * directory's block count, and the dx checksum when metadata_csum is on. A structural problem throws
 * {@link BadIndexException} and the caller falls back to the linear scan (the kernel does the same with
 * {@code ERR_BAD_DX_DIR}); a dx checksum mismatch throws {@link Ext4CorruptException} (the kernel returns
 * {@code EFSBADCRC}: the bytes are not what was written, so no answer from them is trusted). The number of blocks a
 * lookup reads is bounded by the tree depth plus the leaves that share the name's hash.
 */
final class Htree {
    static final int ROOT_INFO = 0x18;
    static final int INFO_LENGTH = 8;
    static final int ROOT_ENTRIES = ROOT_INFO + INFO_LENGTH;
    static final int NODE_ENTRIES = 8;
    static final int TAIL = 8;
    /** {@code dx_get_block} keeps the low 28 bits (the high ones were reserved for flags). */
    private static final long BLOCK_MASK = 0x0FFFFFFFL;

    /** A structural inconsistency: the index is unusable, the caller scans the directory linearly. */
    static final class BadIndexException extends Exception {
        BadIndexException(String msg) {
            super(msg);
        }
    }

    /** Reads logical block {@code lblk} of the directory (a private copy), or null when it is a hole. */
    interface DirBlocks {
        byte[] read(long lblk) throws IOException;
    }

    /** Directory-wide parameters of one lookup. */
    record Params(
            int blockSize,
            long nblocks,
            boolean metadataCsum,
            int dirCsumSeed,
            boolean largedir,
            boolean unsignedHash,
            int[] seed,
            String where) {}

    /** One level of the path from the root: the index block, where its entries start, their count, position. */
    private static final class Frame {
        final byte[] block;
        final int entries;
        final int count;
        int at;

        Frame(byte[] block, int entries, int count, int at) {
            this.block = block;
            this.entries = entries;
            this.count = count;
            this.at = at;
        }

        long hashAt(int i) {
            return LittleEndian.u32(block, entries + 8 * i);
        }

        long blockAt(int i) {
            return LittleEndian.u32(block, entries + 8 * i + 4) & BLOCK_MASK;
        }
    }

    private final DirBlocks dir;
    private final Params p;
    private final Frame[] frames;
    private final int hash;
    private int visited;

    private Htree(DirBlocks dir, Params p, Frame[] frames, int hash) {
        this.dir = dir;
        this.p = p;
        this.frames = frames;
        this.hash = hash;
    }

    static int rootLimit(int blockSize, boolean csum) {
        return (blockSize - ROOT_ENTRIES - (csum ? TAIL : 0)) / 8;
    }

    static int nodeLimit(int blockSize, boolean csum) {
        return (blockSize - NODE_ENTRIES - (csum ? TAIL : 0)) / 8;
    }

    /**
     * Walks from the dx root down to the leaf whose hash range holds {@code name}. Returns a cursor whose
     * {@link #nextLeaf} yields that leaf's logical block, then the following leaves as long as their starting hash
     * equals the name's (hash collisions spill over leaf boundaries).
     */
    static Htree probe(DirBlocks dir, Params p, byte[] root, byte[] name) throws IOException, BadIndexException {
        checkRootRecords(p, root);
        long reserved = LittleEndian.u32(root, ROOT_INFO);
        int version = LittleEndian.u8(root, ROOT_INFO + 4);
        int infoLength = LittleEndian.u8(root, ROOT_INFO + 5);
        int levels = LittleEndian.u8(root, ROOT_INFO + 6);
        int flags = LittleEndian.u8(root, ROOT_INFO + 7);
        if (reserved != 0 || infoLength != INFO_LENGTH || (flags & 1) != 0) {
            throw bad(p, "dx_root_info reserved_zero " + reserved + ", info_length " + infoLength + ", flags " + flags);
        }
        if (version > DirHash.TEA) {
            throw bad(p, "dx root hash_version " + version);
        }
        int maxLevels = p.largedir() ? 3 : 2;
        if (levels >= maxLevels) {
            throw bad(p, "dx root indirect_levels " + levels + " (at most " + (maxLevels - 1) + ")");
        }
        int h = DirHash.hash(p.unsignedHash() ? version + 3 : version, name, p.seed());
        Frame[] frames = new Frame[levels + 1];
        frames[0] = frame(p, root, ROOT_ENTRIES, rootLimit(p.blockSize(), p.metadataCsum()), 0, h);
        for (int level = 1; level <= levels; level++) {
            Frame up = frames[level - 1];
            long child = up.blockAt(up.at);
            frames[level] = frame(
                    p, readNode(dir, p, child), NODE_ENTRIES, nodeLimit(p.blockSize(), p.metadataCsum()), child, h);
        }
        return new Htree(dir, p, frames, h);
    }

    /** The name hash this cursor follows (low bit clear). */
    int hash() {
        return hash;
    }

    /**
     * The next leaf to search, or -1 when no further leaf can hold the name. The first call returns the leaf the
     * probe selected; later calls advance to the next dx entry (climbing and re-descending through interior nodes)
     * only while that entry's hash, collision bit ignored, equals the name's hash.
     */
    long nextLeaf() throws IOException, BadIndexException {
        int deepest = frames.length - 1;
        if (visited++ > 0) {
            int lvl = deepest;
            while (++frames[lvl].at >= frames[lvl].count) {
                if (lvl == 0) {
                    return -1;
                }
                lvl--;
            }
            long bhash = frames[lvl].hashAt(frames[lvl].at);
            if ((bhash & ~1L) != (hash & 0xFFFFFFFFL)) {
                return -1;
            }
            if (visited > p.nblocks()) {
                throw bad(p, "hash collision chain longer than the directory");
            }
            for (int l = lvl + 1; l <= deepest; l++) {
                Frame up = frames[l - 1];
                long child = up.blockAt(up.at);
                byte[] node = readNode(dir, p, child);
                int count = checkCounts(p, node, NODE_ENTRIES, nodeLimit(p.blockSize(), p.metadataCsum()), child);
                checkOrderAndBlocks(p, node, NODE_ENTRIES, count, child);
                frames[l] = new Frame(node, NODE_ENTRIES, count, 0);
            }
        }
        Frame leafParent = frames[deepest];
        return leafParent.blockAt(leafParent.at);
    }

    private static void checkRootRecords(Params p, byte[] root) throws BadIndexException {
        int bs = p.blockSize();
        int dotLen = LittleEndian.u16(root, 4);
        int dotName = LittleEndian.u8(root, 6);
        int dotdotLen = Dirents.decodeRecLen(LittleEndian.u16(root, 12 + 4), bs);
        int dotdotName = LittleEndian.u8(root, 12 + 6);
        if (dotLen != 12
                || dotName != 1
                || root[8] != '.'
                || dotdotLen != bs - 12
                || dotdotName != 2
                || root[20] != '.'
                || root[21] != '.') {
            throw bad(p, "dx root does not start with '.' (rec_len 12) and '..' spanning the block");
        }
    }

    private static byte[] readNode(DirBlocks dir, Params p, long lblk) throws IOException, BadIndexException {
        byte[] b = dir.read(lblk);
        if (b == null) {
            throw bad(p, "dx node at logical block " + lblk + " is a hole");
        }
        if (LittleEndian.u32(b, 0) != 0
                || Dirents.decodeRecLen(LittleEndian.u16(b, 4), p.blockSize()) != p.blockSize()) {
            throw bad(p, "dx node at logical block " + lblk + " lacks its empty record spanning the block");
        }
        return b;
    }

    /** Validates one index block and binary-searches it for {@code h}. */
    private static Frame frame(Params p, byte[] blk, int entries, int limit, long lblk, int h)
            throws Ext4CorruptException, BadIndexException {
        int count = checkCounts(p, blk, entries, limit, lblk);
        checkOrderAndBlocks(p, blk, entries, count, lblk);
        Frame f = new Frame(blk, entries, count, 0);
        // entry 0 has no hash (its slot holds count/limit) and covers everything below entry 1's hash
        int lo = 1;
        int hi = count - 1;
        long want = h & 0xFFFFFFFFL;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (f.hashAt(mid) > want) {
                hi = mid - 1;
            } else {
                lo = mid + 1;
            }
        }
        f.at = lo - 1;
        return f;
    }

    private static int checkCounts(Params p, byte[] blk, int entries, int limit, long lblk)
            throws Ext4CorruptException, BadIndexException {
        int lim = LittleEndian.u16(blk, entries);
        int count = LittleEndian.u16(blk, entries + 2);
        if (lim != limit || count < 1 || count > lim) {
            throw bad(p, "dx block " + lblk + " count " + count + " limit " + lim + " (expected limit " + limit + ")");
        }
        if (p.metadataCsum()) {
            // kernel ext4_dx_csum: crc32c(dir seed, block[0 .. entries + 8*count)), then the tail's reserved word,
            // then a zero word in place of dt_checksum
            int tail = entries + 8 * lim;
            int c = Crc.crc32c(p.dirCsumSeed(), blk, 0, entries + 8 * count);
            c = Crc.crc32c(c, blk, tail, 4);
            c = Crc.crc32c(c, new byte[4], 0, 4);
            int stored = LittleEndian.i32(blk, tail + 4);
            if (c != stored) {
                throw new Ext4CorruptException(
                        String.format("%s: dx block %d checksum 0x%08x, computed 0x%08x", p.where(), lblk, stored, c));
            }
        }
        return count;
    }

    private static void checkOrderAndBlocks(Params p, byte[] blk, int entries, int count, long lblk)
            throws BadIndexException {
        long prev = 0;
        for (int i = 0; i < count; i++) {
            long b = LittleEndian.u32(blk, entries + 8 * i + 4) & BLOCK_MASK;
            if (b == 0 || b >= p.nblocks()) {
                throw bad(
                        p, "dx block " + lblk + " entry " + i + " points to logical block " + b + " of " + p.nblocks());
            }
            if (i > 0) {
                long h = LittleEndian.u32(blk, entries + 8 * i);
                if (h < prev) {
                    throw bad(p, "dx block " + lblk + " entry " + i + " hash out of order");
                }
                prev = h;
            }
        }
    }

    private static BadIndexException bad(Params p, String what) {
        return new BadIndexException(p.where() + ": " + what);
    }
}
