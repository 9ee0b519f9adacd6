package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.LittleEndian;
import java.util.ArrayList;
import java.util.List;

/**
 * The ext2/3/4 superblock: 1024 bytes at byte offset 1024 of the file system, little-endian (kernel
 * {@code Documentation/filesystems/ext4/super.rst}). Wraps the raw bytes so that fields we do not know survive a
 * write untouched. {@link #parse} validates in a fixed order: magic, revision, block size bounds, geometry, counts
 * against the device size, group descriptor table bounds, feature allow-list, checksum.
 */
final class Superblock {
    static final int OFFSET = 1024;
    static final int SIZE = 1024;
    static final int MAGIC = 0xEF53;

    // s_feature_compat
    static final int COMPAT_HAS_JOURNAL = 0x4;
    static final int COMPAT_EXT_ATTR = 0x8;
    static final int COMPAT_RESIZE_INODE = 0x10;
    static final int COMPAT_DIR_INDEX = 0x20;
    static final int COMPAT_SPARSE_SUPER2 = 0x200;
    static final int COMPAT_FAST_COMMIT = 0x400;
    static final int COMPAT_ORPHAN_FILE = 0x1000;
    // s_feature_incompat
    static final int INCOMPAT_COMPRESSION = 0x1;
    static final int INCOMPAT_FILETYPE = 0x2;
    static final int INCOMPAT_RECOVER = 0x4;
    static final int INCOMPAT_JOURNAL_DEV = 0x8;
    static final int INCOMPAT_META_BG = 0x10;
    static final int INCOMPAT_EXTENTS = 0x40;
    static final int INCOMPAT_64BIT = 0x80;
    static final int INCOMPAT_MMP = 0x100;
    static final int INCOMPAT_FLEX_BG = 0x200;
    static final int INCOMPAT_EA_INODE = 0x400;
    static final int INCOMPAT_DIRDATA = 0x1000;
    static final int INCOMPAT_CSUM_SEED = 0x2000;
    static final int INCOMPAT_LARGEDIR = 0x4000;
    static final int INCOMPAT_INLINE_DATA = 0x8000;
    static final int INCOMPAT_ENCRYPT = 0x10000;
    static final int INCOMPAT_CASEFOLD = 0x20000;
    // s_feature_ro_compat
    static final int RO_SPARSE_SUPER = 0x1;
    static final int RO_LARGE_FILE = 0x2;
    static final int RO_BTREE_DIR = 0x4;
    static final int RO_HUGE_FILE = 0x8;
    static final int RO_GDT_CSUM = 0x10;
    static final int RO_DIR_NLINK = 0x20;
    static final int RO_EXTRA_ISIZE = 0x40;
    static final int RO_QUOTA = 0x100;
    static final int RO_BIGALLOC = 0x200;
    static final int RO_METADATA_CSUM = 0x400;
    static final int RO_READONLY = 0x1000;
    static final int RO_PROJECT = 0x2000;
    static final int RO_VERITY = 0x8000;
    static final int RO_ORPHAN_PRESENT = 0x10000;

    /** Incompat features we can read: anything else changes the on-disk format in ways we do not understand. */
    static final int INCOMPAT_READ_OK = INCOMPAT_FILETYPE
            | INCOMPAT_RECOVER
            | INCOMPAT_EXTENTS
            | INCOMPAT_64BIT
            | INCOMPAT_MMP
            | INCOMPAT_FLEX_BG
            | INCOMPAT_EA_INODE
            | INCOMPAT_CSUM_SEED
            | INCOMPAT_LARGEDIR
            | INCOMPAT_INLINE_DATA;
    /** Incompat features we can write. RECOVER (journal replay pending), MMP, EA_INODE, LARGEDIR are read-only. */
    static final int INCOMPAT_WRITE_OK = INCOMPAT_FILETYPE
            | INCOMPAT_EXTENTS
            | INCOMPAT_64BIT
            | INCOMPAT_FLEX_BG
            | INCOMPAT_CSUM_SEED
            | INCOMPAT_INLINE_DATA;
    /**
     * ro_compat features we can write. QUOTA/PROJECT are refused: quota files account usage per owner and e2fsck
     * checks them. BIGALLOC (cluster bitmaps), VERITY, READONLY, ORPHAN_PRESENT are refused too.
     */
    static final int RO_WRITE_OK = RO_SPARSE_SUPER
            | RO_LARGE_FILE
            | RO_BTREE_DIR
            | RO_HUGE_FILE
            | RO_GDT_CSUM
            | RO_DIR_NLINK
            | RO_EXTRA_ISIZE
            | RO_METADATA_CSUM;

    final byte[] raw;
    final int blockSize;
    final long blocksCount;
    final long firstDataBlock;
    final long blocksPerGroup;
    final long inodesPerGroup;
    final long inodesCount;
    final int inodeSize;
    final int descSize;
    final long groupCount;
    final long gdtBlocks;
    /** First block of the group descriptor table: the block after the one holding the superblock. */
    final long gdtStart;

    final long firstIno;
    final int incompat;
    final int roCompat;
    final int compat;
    final int csumSeed;

    private Superblock(byte[] raw, long deviceBytes) throws Ext4CorruptException, UnsupportedFsFeatureException {
        this.raw = raw;
        // 1. magic
        int magic = LittleEndian.u16(raw, 0x38);
        if (magic != MAGIC) {
            throw new Ext4CorruptException(String.format("superblock s_magic 0x%04x, expected 0xef53", magic));
        }
        // 2. revision
        long rev = LittleEndian.u32(raw, 0x4C);
        if (rev > 1) {
            throw new Ext4CorruptException("superblock s_rev_level " + rev + " (0 or 1 known)");
        }
        // 3. block size bounds 1 KiB .. 64 KiB
        long logBs = LittleEndian.u32(raw, 0x18);
        if (logBs > 6) {
            throw new Ext4CorruptException("superblock s_log_block_size " + logBs + " (block size above 64 KiB)");
        }
        blockSize = 1024 << logBs;
        // 4. geometry
        compat = LittleEndian.i32(raw, 0x5C);
        incompat = rev == 0 ? 0 : LittleEndian.i32(raw, 0x60);
        roCompat = rev == 0 ? 0 : LittleEndian.i32(raw, 0x64);
        inodeSize = rev == 0 ? 128 : LittleEndian.u16(raw, 0x58);
        if (inodeSize < 128 || inodeSize > blockSize || Integer.bitCount(inodeSize) != 1) {
            throw new Ext4CorruptException("superblock s_inode_size " + inodeSize);
        }
        firstIno = rev == 0 ? 11 : LittleEndian.u32(raw, 0x54);
        blocksPerGroup = LittleEndian.u32(raw, 0x20);
        inodesPerGroup = LittleEndian.u32(raw, 0x28);
        // bigalloc: bitmaps count clusters of 2^(s_log_cluster_size - s_log_block_size) blocks
        long clusterRatio = 1;
        if ((roCompat & RO_BIGALLOC) != 0) {
            long logCluster = LittleEndian.u32(raw, 0x1C);
            if (logCluster < logBs || logCluster - logBs > 16) {
                throw new Ext4CorruptException("superblock s_log_cluster_size " + logCluster);
            }
            clusterRatio = 1L << (logCluster - logBs);
        }
        if (blocksPerGroup < 8 || blocksPerGroup > 8L * blockSize * clusterRatio) {
            throw new Ext4CorruptException("superblock s_blocks_per_group " + blocksPerGroup);
        }
        if (inodesPerGroup < 1 || inodesPerGroup > 8L * blockSize) {
            throw new Ext4CorruptException("superblock s_inodes_per_group " + inodesPerGroup);
        }
        firstDataBlock = LittleEndian.u32(raw, 0x14);
        if (firstDataBlock != (blockSize == 1024 && clusterRatio == 1 ? 1 : 0)) {
            throw new Ext4CorruptException(
                    "superblock s_first_data_block " + firstDataBlock + " for block size " + blockSize);
        }
        boolean is64 = (incompat & INCOMPAT_64BIT) != 0;
        blocksCount = LittleEndian.u32(raw, 0x4) | (is64 ? LittleEndian.u32(raw, 0x150) << 32 : 0);
        // 5. counts against the device size (overflow-safe: compare in blocks)
        if (blocksCount <= firstDataBlock + 1 || blocksCount > deviceBytes / blockSize) {
            throw new Ext4CorruptException("superblock s_blocks_count " + blocksCount + " does not fit device of "
                    + deviceBytes + " bytes with " + blockSize + "-byte blocks");
        }
        groupCount = (blocksCount - firstDataBlock + blocksPerGroup - 1) / blocksPerGroup;
        inodesCount = LittleEndian.u32(raw, 0x0);
        if (inodesCount > groupCount * inodesPerGroup || inodesCount < firstIno || firstIno < 11) {
            throw new Ext4CorruptException("superblock s_inodes_count " + inodesCount + " / s_first_ino " + firstIno
                    + " vs " + groupCount + " groups of " + inodesPerGroup);
        }
        if (is64) {
            descSize = LittleEndian.u16(raw, 0xFE);
            if (descSize < 32 || descSize > 1024 || Integer.bitCount(descSize) != 1) {
                throw new Ext4CorruptException("superblock s_desc_size " + descSize);
            }
        } else {
            descSize = 32;
        }
        // 6. group descriptor table: right after the superblock's block, within the file system
        gdtBlocks = (groupCount * descSize + blockSize - 1) / blockSize;
        gdtStart = 1024 / blockSize + 1;
        if (gdtStart + gdtBlocks > blocksCount) {
            throw new Ext4CorruptException(
                    "group descriptor table of " + gdtBlocks + " blocks exceeds " + blocksCount + " blocks");
        }
        // 7. feature allow-list (incompat matters for reading)
        int unknownIncompat = incompat & ~INCOMPAT_READ_OK;
        if (unknownIncompat != 0) {
            throw new UnsupportedFsFeatureException(typeName(), "incompat feature(s) " + names(unknownIncompat, true));
        }
        // 8. checksum
        if (metadataCsum()) {
            if (LittleEndian.u8(raw, 0x175) != 1) {
                throw new Ext4CorruptException(
                        "superblock s_checksum_type " + LittleEndian.u8(raw, 0x175) + " (1=crc32c)");
            }
            int want = LittleEndian.i32(raw, 0x3FC);
            int got = computeChecksum();
            if (want != got) {
                throw new Ext4CorruptException(
                        String.format("superblock s_checksum 0x%08x, computed 0x%08x", want, got));
            }
            csumSeed =
                    (incompat & INCOMPAT_CSUM_SEED) != 0 ? LittleEndian.i32(raw, 0x270) : Crc.crc32c(~0, raw, 0x68, 16);
        } else {
            csumSeed = 0;
        }
    }

    static Superblock parse(byte[] raw, long deviceBytes) throws Ext4CorruptException, UnsupportedFsFeatureException {
        if (raw.length != SIZE) {
            throw new IllegalArgumentException("superblock buffer must be 1024 bytes");
        }
        return new Superblock(raw, deviceBytes);
    }

    int computeChecksum() {
        return Crc.crc32c(~0, raw, 0, 0x3FC);
    }

    /** Refreshes s_checksum after a change (metadata_csum only). */
    void updateChecksum() {
        if (metadataCsum()) {
            LittleEndian.put32(raw, 0x3FC, computeChecksum());
        }
    }

    boolean has(int incompatBit) {
        return (incompat & incompatBit) != 0;
    }

    boolean hasRo(int roBit) {
        return (roCompat & roBit) != 0;
    }

    boolean hasCompat(int bit) {
        return (compat & bit) != 0;
    }

    boolean metadataCsum() {
        return (roCompat & RO_METADATA_CSUM) != 0;
    }

    boolean gdtCsum() {
        return (roCompat & RO_GDT_CSUM) != 0;
    }

    /** Either flavour of group descriptor checksums (these enable the *_UNINIT group flags). */
    boolean groupDescCsum() {
        return metadataCsum() || gdtCsum();
    }

    boolean is64bit() {
        return has(INCOMPAT_64BIT);
    }

    boolean filetype() {
        return has(INCOMPAT_FILETYPE);
    }

    String typeName() {
        if (has(INCOMPAT_EXTENTS)
                || has(INCOMPAT_64BIT)
                || has(INCOMPAT_FLEX_BG)
                || metadataCsum()
                || hasRo(RO_HUGE_FILE)
                || hasRo(RO_DIR_NLINK)
                || hasRo(RO_EXTRA_ISIZE)
                || has(INCOMPAT_INLINE_DATA)) {
            return "ext4";
        }
        return hasCompat(COMPAT_HAS_JOURNAL) ? "ext3" : "ext2";
    }

    long freeBlocks() {
        return LittleEndian.u32(raw, 0xC) | (is64bit() ? LittleEndian.u32(raw, 0x158) << 32 : 0);
    }

    void setFreeBlocks(long v) {
        LittleEndian.put32(raw, 0xC, v);
        if (is64bit()) {
            LittleEndian.put32(raw, 0x158, v >>> 32);
        }
    }

    long freeInodes() {
        return LittleEndian.u32(raw, 0x10);
    }

    void setFreeInodes(long v) {
        LittleEndian.put32(raw, 0x10, v);
    }

    int state() {
        return LittleEndian.u16(raw, 0x3A);
    }

    long lastOrphan() {
        return LittleEndian.u32(raw, 0xE8);
    }

    int reservedGdtBlocks() {
        return hasCompat(COMPAT_RESIZE_INODE) ? LittleEndian.u16(raw, 0xCE) : 0;
    }

    int logGroupsPerFlex() {
        return has(INCOMPAT_FLEX_BG) ? Math.min(31, LittleEndian.u8(raw, 0x174)) : 0;
    }

    /** s_hash_seed (0xEC): four little-endian words seeding the htree name hash; all zero means "default". */
    int[] hashSeed() {
        return new int[] {
            LittleEndian.i32(raw, 0xEC),
            LittleEndian.i32(raw, 0xF0),
            LittleEndian.i32(raw, 0xF4),
            LittleEndian.i32(raw, 0xF8)
        };
    }

    /** s_def_hash_version (0xFC): the hash version new dx roots get (0 legacy, 1 half_md4, 2 tea). */
    int defHashVersion() {
        return LittleEndian.u8(raw, 0xFC);
    }

    /**
     * s_flags (0x160) bit EXT2_FLAGS_UNSIGNED_HASH (0x2): names are hashed with unsigned chars. Without it (signed
     * flag 0x1, or neither flag) we hash with signed chars: the kernel on x86, where char is signed, does the same
     * for "neither" and then records the signed flag.
     */
    boolean unsignedHash() {
        return (LittleEndian.i32(raw, 0x160) & 0x2) != 0;
    }

    int wantExtraIsize() {
        return LittleEndian.u16(raw, 0x15E);
    }

    byte[] uuidBytes() {
        byte[] u = new byte[16];
        System.arraycopy(raw, 0x68, u, 0, 16);
        return u;
    }

    String uuid() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10) {
                sb.append('-');
            }
            sb.append(String.format("%02x", raw[0x68 + i] & 0xFF));
        }
        return sb.toString();
    }

    String label() {
        int n = 0;
        while (n < 16 && raw[0x78 + n] != 0) {
            n++;
        }
        return new String(raw, 0x78, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** True when group {@code g} carries a superblock + GDT backup (sparse_super: 0, 1 and powers of 3, 5, 7). */
    boolean hasSuperBackup(long g) {
        if (g <= 1 || !hasRo(RO_SPARSE_SUPER)) {
            return true;
        }
        return isPower(g, 3) || isPower(g, 5) || isPower(g, 7);
    }

    private static boolean isPower(long g, int base) {
        long p = base;
        while (p < g) {
            p *= base;
        }
        return p == g;
    }

    /** Names of the feature bits in {@code bits} for messages. */
    static String names(int bits, boolean incompatSet) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            int b = 1 << i;
            if ((bits & b) != 0) {
                out.add(incompatSet ? incompatName(b) : roName(b));
            }
        }
        return String.join(",", out);
    }

    private static String incompatName(int b) {
        return switch (b) {
            case INCOMPAT_COMPRESSION -> "compression";
            case INCOMPAT_RECOVER -> "needs_recovery";
            case INCOMPAT_JOURNAL_DEV -> "journal_dev";
            case INCOMPAT_META_BG -> "meta_bg";
            case INCOMPAT_MMP -> "mmp";
            case INCOMPAT_EA_INODE -> "ea_inode";
            case INCOMPAT_DIRDATA -> "dirdata";
            case INCOMPAT_LARGEDIR -> "large_dir";
            case INCOMPAT_ENCRYPT -> "encrypt";
            case INCOMPAT_CASEFOLD -> "casefold";
            default -> String.format("incompat_0x%x", b);
        };
    }

    private static String roName(int b) {
        return switch (b) {
            case RO_QUOTA -> "quota";
            case RO_BIGALLOC -> "bigalloc";
            case RO_READONLY -> "read-only";
            case RO_PROJECT -> "project";
            case RO_VERITY -> "verity";
            case RO_ORPHAN_PRESENT -> "orphan_present";
            case 0x80 -> "snapshot";
            case 0x800 -> "replica";
            case 0x4000 -> "shared_blocks";
            default -> String.format("ro_compat_0x%x", b);
        };
    }
}
