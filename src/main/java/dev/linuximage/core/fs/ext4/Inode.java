package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.io.LittleEndian;

/**
 * One on-disk inode ({@code struct ext4_inode}, kernel {@code Documentation/filesystems/ext4/inodes.rst}): the raw
 * {@code s_inode_size} bytes, little-endian, so unknown fields (in-inode xattrs, project id, ...) survive a rewrite.
 */
final class Inode {
    static final int S_IFMT = 0xF000;
    static final int S_IFREG = 0x8000;
    static final int S_IFDIR = 0x4000;
    static final int S_IFLNK = 0xA000;

    static final int FL_INDEX = 0x1000;
    static final int FL_HUGE_FILE = 0x40000;
    static final int FL_EXTENTS = 0x80000;
    static final int FL_EA_INODE = 0x200000;
    static final int FL_INLINE_DATA = 0x10000000;

    static final int I_BLOCK = 0x28;
    static final int I_BLOCK_LEN = 60;

    final long ino;
    final byte[] raw;

    Inode(long ino, byte[] raw) {
        this.ino = ino;
        this.raw = raw;
    }

    int mode() {
        return LittleEndian.u16(raw, 0x0);
    }

    void setMode(int m) {
        LittleEndian.put16(raw, 0x0, m);
    }

    int fileType() {
        return mode() & S_IFMT;
    }

    boolean isDir() {
        return fileType() == S_IFDIR;
    }

    boolean isReg() {
        return fileType() == S_IFREG;
    }

    boolean isSymlink() {
        return fileType() == S_IFLNK;
    }

    int uid() {
        return LittleEndian.u16(raw, 0x2) | LittleEndian.u16(raw, 0x78) << 16;
    }

    void setUid(int uid) {
        LittleEndian.put16(raw, 0x2, uid);
        LittleEndian.put16(raw, 0x78, uid >>> 16);
    }

    int gid() {
        return LittleEndian.u16(raw, 0x18) | LittleEndian.u16(raw, 0x7A) << 16;
    }

    void setGid(int gid) {
        LittleEndian.put16(raw, 0x18, gid);
        LittleEndian.put16(raw, 0x7A, gid >>> 16);
    }

    long size() {
        return LittleEndian.u32(raw, 0x4) | LittleEndian.u32(raw, 0x6C) << 32;
    }

    void setSize(long s) {
        LittleEndian.put32(raw, 0x4, s);
        LittleEndian.put32(raw, 0x6C, s >>> 32);
    }

    int links() {
        return LittleEndian.u16(raw, 0x1A);
    }

    void setLinks(int n) {
        LittleEndian.put16(raw, 0x1A, n);
    }

    int flags() {
        return LittleEndian.i32(raw, 0x20);
    }

    void setFlags(int f) {
        LittleEndian.put32(raw, 0x20, f);
    }

    boolean hasFlag(int f) {
        return (flags() & f) != 0;
    }

    /** i_blocks in 512-byte sectors (48 bits with huge_file's l_i_blocks_high); raw units, see FL_HUGE_FILE. */
    long blocks512() {
        return LittleEndian.u32(raw, 0x1C) | (long) LittleEndian.u16(raw, 0x74) << 32;
    }

    void setBlocks512(long v) {
        LittleEndian.put32(raw, 0x1C, v);
        LittleEndian.put16(raw, 0x74, (int) (v >>> 32));
    }

    long fileAcl() {
        return LittleEndian.u32(raw, 0x68) | (long) LittleEndian.u16(raw, 0x76) << 32;
    }

    void setFileAcl(long b) {
        LittleEndian.put32(raw, 0x68, b);
        LittleEndian.put16(raw, 0x76, (int) (b >>> 32));
    }

    int generation() {
        return LittleEndian.i32(raw, 0x64);
    }

    /** Extra inode size (bytes beyond the 128-byte base), 0 for 128-byte inodes. */
    int extraIsize() {
        return raw.length > 128 ? LittleEndian.u16(raw, 0x80) : 0;
    }

    /** Seconds since the epoch, with the large-inode epoch bits (i_mtime_extra bits 0-1) when present. */
    long mtime() {
        long t = LittleEndian.i32(raw, 0x10);
        if (fits(0x88, 4)) {
            t += (long) (LittleEndian.i32(raw, 0x88) & 3) << 32;
        }
        return t;
    }

    void setMtime(long t) {
        LittleEndian.put32(raw, 0x10, t);
        if (fits(0x88, 4)) {
            LittleEndian.put32(raw, 0x88, (LittleEndian.i32(raw, 0x88) & ~3) | (int) (((t - (int) t) >> 32) & 3));
        }
    }

    void setCtime(long t) {
        LittleEndian.put32(raw, 0xC, t);
        if (fits(0x84, 4)) {
            LittleEndian.put32(raw, 0x84, (LittleEndian.i32(raw, 0x84) & ~3) | (int) (((t - (int) t) >> 32) & 3));
        }
    }

    void setAtime(long t) {
        LittleEndian.put32(raw, 0x8, t);
        if (fits(0x8C, 4)) {
            LittleEndian.put32(raw, 0x8C, (LittleEndian.i32(raw, 0x8C) & ~3) | (int) (((t - (int) t) >> 32) & 3));
        }
    }

    void setCrtime(long t) {
        if (fits(0x90, 4)) {
            LittleEndian.put32(raw, 0x90, t);
        }
        if (fits(0x94, 4)) {
            LittleEndian.put32(raw, 0x94, (LittleEndian.i32(raw, 0x94) & ~3) | (int) (((t - (int) t) >> 32) & 3));
        }
    }

    void setDtime(long t) {
        LittleEndian.put32(raw, 0x14, t);
    }

    /** True when field at {@code off} of {@code len} bytes lies inside 128 + i_extra_isize (kernel EXT4_FITS_IN_INODE). */
    boolean fits(int off, int len) {
        return raw.length > 128 && off + len <= 128 + extraIsize();
    }

    /**
     * metadata_csum inode checksum (kernel ext4_inode_csum): crc32c seeded with fs seed, inode number, generation,
     * over the whole inode with i_checksum_lo (and i_checksum_hi when it fits) taken as zero.
     */
    int computeChecksum(int fsSeed) {
        int seed = Crc.crc32c(Crc.crc32c(fsSeed, LittleEndian.le32(ino)), LittleEndian.le32(generation()));
        byte[] copy = raw.clone();
        LittleEndian.put16(copy, 0x7C, 0);
        if (fits(0x82, 2)) {
            LittleEndian.put16(copy, 0x82, 0);
        }
        return Crc.crc32c(seed, copy);
    }

    /** Seed for this inode's extent, directory and htree block checksums. */
    int csumSeed(int fsSeed) {
        return Crc.crc32c(Crc.crc32c(fsSeed, LittleEndian.le32(ino)), LittleEndian.le32(generation()));
    }

    boolean checksumOk(int fsSeed) {
        int c = computeChecksum(fsSeed);
        int lo = LittleEndian.u16(raw, 0x7C);
        if (fits(0x82, 2)) {
            return (lo | LittleEndian.u16(raw, 0x82) << 16) == c;
        }
        return lo == (c & 0xFFFF);
    }

    void updateChecksum(int fsSeed) {
        int c = computeChecksum(fsSeed);
        LittleEndian.put16(raw, 0x7C, c);
        if (fits(0x82, 2)) {
            LittleEndian.put16(raw, 0x82, c >>> 16);
        }
    }
}
