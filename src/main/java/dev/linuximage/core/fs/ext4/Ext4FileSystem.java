package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.io.LittleEndian;
import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.WritableByteSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * ext2/ext3/ext4 reader and writer in pure Java, over a {@link ByteSource} holding exactly one file system (byte
 * offsets relative to its start; all on-disk fields little-endian).
 *
 * <p><b>Reading</b> is lazy: opening reads the superblock only; group descriptors, inodes and blocks are read when
 * needed. Extent trees (any depth up to 5), classic block maps, inline data, fast and slow symlinks, linear and
 * htree directories are supported. A name lookup in an htree directory is hashed ({@link Htree}, {@link DirHash}):
 * it reads the dx root, the interior node(s) and the target leaf only; an index that fails a structural check is
 * ignored and the directory scanned linearly, a dx checksum mismatch is an {@link Ext4CorruptException}. Listing
 * always scans the leaves linearly.
 *
 * <p><b>Writing</b> happens in place, without the journal. That is safe because (a) the file system is not mounted
 * by anyone while we hold it (we patch a disk image offline), (b) we refuse to write when the journal needs
 * recovery ({@code needs_recovery}), when the state is not clean or records errors, or when the orphan list is not
 * empty, so no replay can later overwrite what we wrote, and (c) the journal's own blocks are never touched. Each
 * mutator plans everything in memory (allocation, directory changes), then writes new file data to freshly
 * allocated blocks, then the metadata: staged blocks and inodes, bitmaps, group descriptors, superblock, each with
 * its checksum (metadata_csum crc32c or gdt_csum crc16). A failure during planning leaves the disk untouched.
 *
 * <p><b>htree:</b> when an entry is <i>added</i> to an indexed directory ({@code EXT4_INDEX_FL}) we drop the index
 * instead of maintaining it: the flag is cleared, the dx root becomes a plain block holding {@code .} and
 * {@code ..} and the dx interior nodes become empty directory blocks. The directory stays valid (e2fsck-clean)
 * and the kernel reads it linearly; {@code e2fsck -fD} can rebuild the index. Removing an entry never invalidates
 * an htree, so unlink keeps it.
 *
 * <p><b>inline_data:</b> a regular file's content is rewritten in place (i_block + the {@code system.data} in-inode
 * xattr) while it fits, and converted to a mapped file otherwise; an inline directory is converted to a one-block
 * directory before any name is added, removed or changed in it (kernel {@code ext4_convert_inline_data}).
 *
 * <p>Not thread-safe for concurrent mutation; public methods are synchronized.
 */
public final class Ext4FileSystem implements FileSystem {
    private static final int ROOT_INO = 2;
    private static final int LINK_MAX = 65000;
    private static final int MAX_SYMLINK = 4095;
    private static final long MAX_DIR_BYTES = 1L << 31;
    private static final int XATTR_MAGIC = 0xEA020000;
    /** Bound on the entries {@link #list} returns, so a hostile directory cannot exhaust memory. */
    private static final int MAX_LIST_ENTRIES = 1_000_000;

    private final ByteSource src;
    private final WritableByteSource wsrc;
    private final Superblock sb;
    private final Groups groups;
    private final FileMap map;
    private final String writeRefusal;
    private final SecureRandom random = new SecureRandom();
    /** Metadata blocks and inodes staged by the running mutator; see the class comment. */
    private final Map<Long, byte[]> pendingBlocks = new LinkedHashMap<>();
    private final Map<Long, byte[]> pendingInodes = new LinkedHashMap<>();
    /** Lookups that found an htree index unusable and scanned linearly instead (for tests and diagnostics). */
    long htreeFallbacks;
    /** Why the last fallback happened. */
    String lastHtreeFallback;

    private Ext4FileSystem(ByteSource src, WritableByteSource wsrc, Superblock sb, String writeRefusal) {
        this.src = src;
        this.wsrc = wsrc;
        this.sb = sb;
        this.writeRefusal = writeRefusal;
        Groups.Dev dev = new Groups.Dev() {
            @Override
            public byte[] readBlock(long block) throws IOException {
                return readRawBlock(block);
            }

            @Override
            public void writeBlock(long block, byte[] data) throws IOException {
                writeRaw(block * sb.blockSize, data);
            }

            @Override
            public void readAt(long off, byte[] dst) throws IOException {
                src.readFully(off, ByteBuffer.wrap(dst));
            }

            @Override
            public void writeAt(long off, byte[] data) throws IOException {
                writeRaw(off, data);
            }
        };
        this.groups = new Groups(dev, sb);
        this.map = new FileMap(this::readBlock, sb.blockSize, sb.blocksCount);
    }

    /** True when {@code src} starts with an ext2/3/4 superblock (magic 0xEF53 at byte 1024 + 0x38). */
    public static boolean probe(ByteSource src) throws IOException {
        if (src.size() < 2048) {
            return false;
        }
        byte[] m = src.readBytes(Superblock.OFFSET + 0x38, 2);
        return LittleEndian.u16(m, 0) == Superblock.MAGIC;
    }

    /**
     * Opens the file system. With {@code writable} the source must be a {@link WritableByteSource}; when a feature
     * or state forbids writing, the file system still opens for reading and {@link #writable()} is false (every
     * mutator then throws {@link UnsupportedFsFeatureException} naming the reason).
     *
     * @throws UnsupportedFsFeatureException for incompat features we cannot even read (encrypt, casefold, meta_bg,
     *                                       ...)
     * @throws Ext4CorruptException          when the superblock fails validation
     */
    public static Ext4FileSystem open(ByteSource src, boolean writable) throws IOException {
        if (src.size() < 2048) {
            throw new Ext4CorruptException("device of " + src.size() + " bytes is too small for a superblock");
        }
        byte[] raw = src.readBytes(Superblock.OFFSET, Superblock.SIZE);
        Superblock sb = Superblock.parse(raw, src.size());
        WritableByteSource w = null;
        String refusal = null;
        if (writable) {
            if (!(src instanceof WritableByteSource ws)) {
                throw new IllegalArgumentException("writable ext4 needs a WritableByteSource");
            }
            w = ws;
            refusal = writeRefusal(sb);
        } else {
            refusal = "file system opened read-only";
        }
        return new Ext4FileSystem(src, w, sb, refusal);
    }

    /** Why this superblock may not be written, or null when it may. */
    private static String writeRefusal(Superblock sb) {
        int badIncompat = sb.incompat & ~Superblock.INCOMPAT_WRITE_OK;
        if (badIncompat != 0) {
            return "incompat feature(s) " + Superblock.names(badIncompat, true) + " for writing";
        }
        int badRo = sb.roCompat & ~Superblock.RO_WRITE_OK;
        if (badRo != 0) {
            return "ro_compat feature(s) " + Superblock.names(badRo, false) + " for writing";
        }
        if ((sb.state() & 1) == 0) {
            return "state: not cleanly unmounted (s_state " + sb.state() + ")";
        }
        if ((sb.state() & 2) != 0) {
            return "state: errors recorded (s_state " + sb.state() + "), run e2fsck first";
        }
        if (sb.lastOrphan() != 0) {
            return "non-empty orphan list (s_last_orphan " + sb.lastOrphan() + ")";
        }
        if (sb.hasCompat(Superblock.COMPAT_SPARSE_SUPER2)) {
            return "compat feature sparse_super2 for writing";
        }
        return null;
    }

    // ---- FileSystem: metadata ----------------------------------------------------------------------------------

    @Override
    public String type() {
        return sb.typeName();
    }

    @Override
    public String label() {
        return sb.label();
    }

    @Override
    public String uuid() {
        return sb.uuid();
    }

    @Override
    public long totalBytes() {
        return sb.blocksCount * sb.blockSize;
    }

    @Override
    public long freeBytes() {
        return sb.freeBlocks() * sb.blockSize;
    }

    /**
     * As the kernel's {@code ext4_max_size} ({@code fs/ext4/super.c}): logical blocks are 32-bit (the extent's
     * {@code ee_block}), so {@code (2^32 - 1)} blocks; without {@code huge_file} also {@code i_blocks} counts at most
     * {@code 2^32 - 1} 512-byte sectors. Indirect-mapped (ext2/3) files have a lower limit; this upper bound never
     * refuses a file the kernel could have written.
     */
    @Override
    public long maxFileBytes() {
        int bits = Integer.numberOfTrailingZeros(sb.blockSize);
        long max = ((1L << 32) - 1) << bits;
        if (!sb.hasRo(Superblock.RO_HUGE_FILE)) {
            max = Math.min(max, (((1L << 32) - 1) >> (bits - 9)) << bits);
        }
        return max;
    }

    /** Block size in bytes. */
    public int blockSize() {
        return sb.blockSize;
    }

    @Override
    public synchronized Node root() throws IOException {
        Inode r = readInode(ROOT_INO);
        if (!r.isDir()) {
            throw new Ext4CorruptException("root inode 2 is not a directory (mode " + Integer.toOctalString(r.mode())
                    + ")");
        }
        return node(r);
    }

    /** The node of inode {@code ino} (for callers that kept an id). */
    public synchronized Node node(long ino) throws IOException {
        return node(readInode(ino));
    }

    private Node node(Inode i) {
        GuestFiles.Type t = switch (i.fileType()) {
            case Inode.S_IFREG -> GuestFiles.Type.FILE;
            case Inode.S_IFDIR -> GuestFiles.Type.DIRECTORY;
            case Inode.S_IFLNK -> GuestFiles.Type.SYMLINK;
            default -> GuestFiles.Type.OTHER;
        };
        return new Node(i.ino, t, i.size(), i.mode() & 07777, i.uid(), i.gid(), i.mtime(), i.links());
    }

    // ---- block and inode I/O -----------------------------------------------------------------------------------

    private byte[] readRawBlock(long block) throws IOException {
        if (block < 0 || block >= sb.blocksCount) {
            throw new Ext4CorruptException("block " + block + " outside " + sb.blocksCount + " blocks");
        }
        byte[] b = new byte[sb.blockSize];
        src.readFully(block * sb.blockSize, ByteBuffer.wrap(b));
        return b;
    }

    /** A block, seen through the running mutator's staged writes. Returns a private copy. */
    private byte[] readBlock(long block) throws IOException {
        byte[] p = pendingBlocks.get(block);
        return p != null ? p.clone() : readRawBlock(block);
    }

    private void stageBlock(long block, byte[] data) {
        pendingBlocks.put(block, data.clone());
    }

    private void writeRaw(long off, byte[] data) throws IOException {
        wsrc.write(off, ByteBuffer.wrap(data));
    }

    private long inodeOffset(long ino) throws IOException {
        if (ino < 1 || ino > sb.inodesCount) {
            throw new Ext4CorruptException("inode number " + ino + " outside 1.." + sb.inodesCount);
        }
        long g = (ino - 1) / sb.inodesPerGroup;
        long idx = (ino - 1) % sb.inodesPerGroup;
        return groups.inodeTableOf(g) * sb.blockSize + idx * sb.inodeSize;
    }

    Inode readInode(long ino) throws IOException {
        byte[] p = pendingInodes.get(ino);
        if (p != null) {
            return new Inode(ino, p.clone());
        }
        long off = inodeOffset(ino);
        byte[] raw = new byte[sb.inodeSize];
        src.readFully(off, ByteBuffer.wrap(raw));
        Inode i = new Inode(ino, raw);
        if (sb.inodeSize > 128) {
            int extra = LittleEndian.u16(raw, 0x80);
            if (extra > sb.inodeSize - 128 || (extra & 3) != 0) {
                throw new Ext4CorruptException("inode " + ino + " i_extra_isize " + extra);
            }
        }
        if (sb.metadataCsum() && !i.checksumOk(sb.csumSeed)) {
            throw new Ext4CorruptException("inode " + ino + " checksum mismatch");
        }
        return i;
    }

    private void stageInode(Inode i) {
        pendingInodes.put(i.ino, i.raw.clone());
    }

    // ---- reading files -----------------------------------------------------------------------------------------

    @Override
    public synchronized int read(Node file, long offset, ByteBuffer dst) throws IOException {
        Inode i = readInode(file.id());
        if (!i.isReg()) {
            throw new IOException("ext4: inode " + i.ino + " is not a regular file");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
        long size = i.size();
        if (offset >= size) {
            return -1;
        }
        int want = (int) Math.min(dst.remaining(), size - offset);
        if (want == 0) {
            return 0;
        }
        if (i.hasFlag(Inode.FL_INLINE_DATA)) {
            byte[] data = inlineData(i);
            int n = (int) Math.max(0, Math.min(want, data.length - offset));
            dst.put(data, (int) offset, n);
            // bytes beyond the stored inline data (never on a consistent fs) read as zeros
            for (int k = n; k < want; k++) {
                dst.put((byte) 0);
            }
            return want;
        }
        readMapped(i, offset, want, dst);
        return want;
    }

    /** Reads {@code len} bytes at {@code offset} of a block-mapped inode into {@code dst}; holes read as zeros. */
    private void readMapped(Inode i, long offset, int len, ByteBuffer dst) throws IOException {
        int bs = sb.blockSize;
        long pos = offset;
        long end = offset + len;
        while (pos < end) {
            long lblk = pos / bs;
            int inBlock = (int) (pos % bs);
            FileMap.Run run = map.find(i, lblk);
            long runBytes = Math.min(run.length(), (Long.MAX_VALUE / 2) / bs) * bs - inBlock;
            int n = (int) Math.min(end - pos, Math.min(runBytes, 1 << 20));
            if (run.physical() == 0 || run.uninit()) {
                for (int k = 0; k < n; k++) {
                    dst.put((byte) 0);
                }
            } else {
                ByteBuffer slice = dst.slice();
                slice.limit(n);
                src.readFully(run.physical() * bs + inBlock, slice);
                dst.position(dst.position() + n);
            }
            pos += n;
        }
    }

    /** The whole content of an inline-data inode: i_block (60 bytes) then the system.data xattr value. */
    private byte[] inlineData(Inode i) throws IOException {
        byte[] extra = inodeXattr(i, 7, "data");
        long size = i.size();
        int total = (int) Math.min(size, Inode.I_BLOCK_LEN + (extra == null ? 0 : extra.length));
        byte[] out = new byte[total];
        System.arraycopy(i.raw, Inode.I_BLOCK, out, 0, Math.min(total, Inode.I_BLOCK_LEN));
        if (total > Inode.I_BLOCK_LEN) {
            System.arraycopy(extra, 0, out, Inode.I_BLOCK_LEN, total - Inode.I_BLOCK_LEN);
        }
        return out;
    }

    /**
     * Value of the in-inode extended attribute {@code (index, name)} (kernel {@code attributes.rst}: magic
     * 0xEA020000 after i_extra_isize, entries, values addressed relative to the first entry), or null.
     */
    private byte[] inodeXattr(Inode i, int index, String name) throws IOException {
        if (sb.inodeSize <= 128) {
            return null;
        }
        byte[] raw = i.raw;
        int start = 128 + i.extraIsize();
        if (start + 4 > raw.length || LittleEndian.i32(raw, start) != XATTR_MAGIC) {
            return null;
        }
        int first = start + 4;
        int p = first;
        byte[] want = name.getBytes(StandardCharsets.US_ASCII);
        while (p + 16 <= raw.length && LittleEndian.i32(raw, p) != 0) {
            int nameLen = LittleEndian.u8(raw, p);
            int idx = LittleEndian.u8(raw, p + 1);
            int valOffs = LittleEndian.u16(raw, p + 2);
            long valInum = LittleEndian.u32(raw, p + 4);
            long valSize = LittleEndian.u32(raw, p + 8);
            if (p + 16 + nameLen > raw.length) {
                throw new Ext4CorruptException("inode " + i.ino + " in-inode xattr name runs past the inode");
            }
            if (idx == index && nameLen == want.length
                    && Arrays.equals(Arrays.copyOfRange(raw, p + 16, p + 16 + nameLen), want)) {
                if (valInum != 0) {
                    throw new UnsupportedFsFeatureException(type(), "xattr value in an ea_inode (inode " + i.ino + ")");
                }
                if (valSize > raw.length || first + valOffs + valSize > raw.length) {
                    throw new Ext4CorruptException("inode " + i.ino + " in-inode xattr value " + valOffs + "+"
                            + valSize + " outside the inode");
                }
                return Arrays.copyOfRange(raw, first + valOffs, (int) (first + valOffs + valSize));
            }
            p += (16 + nameLen + 3) & ~3;
        }
        return null;
    }

    @Override
    public synchronized String readLink(Node symlink) throws IOException {
        Inode i = readInode(symlink.id());
        if (!i.isSymlink()) {
            throw new IOException("ext4: inode " + i.ino + " is not a symlink");
        }
        long size = i.size();
        if (size > MAX_SYMLINK || size > sb.blockSize) {
            throw new Ext4CorruptException("symlink inode " + i.ino + " i_size " + size);
        }
        byte[] target;
        if (i.hasFlag(Inode.FL_INLINE_DATA)) {
            target = Arrays.copyOf(inlineData(i), (int) size);
        } else if (isFastSymlink(i)) {
            if (size >= Inode.I_BLOCK_LEN) {
                throw new Ext4CorruptException("fast symlink inode " + i.ino + " i_size " + size);
            }
            target = Arrays.copyOfRange(i.raw, Inode.I_BLOCK, Inode.I_BLOCK + (int) size);
        } else {
            ByteBuffer b = ByteBuffer.allocate((int) size);
            readMapped(i, 0, (int) size, b);
            target = b.array();
        }
        return new String(target, StandardCharsets.UTF_8);
    }

    /** Fast symlink: the target lives in i_block (no data blocks besides a possible xattr block). */
    private boolean isFastSymlink(Inode i) {
        if (!i.isSymlink() || i.hasFlag(Inode.FL_INLINE_DATA)) {
            return false;
        }
        long aclSectors = i.fileAcl() != 0 ? sb.blockSize / 512 : 0;
        return i.blocks512() - aclSectors == 0 && i.size() < Inode.I_BLOCK_LEN;
    }

    // ---- directories: reading ----------------------------------------------------------------------------------

    /** A located entry: in block {@code pblk} (0 for inline), at {@code dirent.offset()}, previous at prevOffset. */
    private record Slot(long lblk, long pblk, byte[] block, Dirents.Dirent dirent, int prevOffset) {
    }

    private interface SlotVisitor {
        /** Returns true to stop. */
        boolean visit(Slot s) throws IOException;
    }

    private void scanDir(Inode dir, SlotVisitor v) throws IOException {
        if (!dir.isDir()) {
            throw new NotDirectoryException("inode " + dir.ino);
        }
        String where = "directory inode " + dir.ino;
        if (dir.hasFlag(Inode.FL_INLINE_DATA)) {
            byte[] iblock = Arrays.copyOfRange(dir.raw, Inode.I_BLOCK, Inode.I_BLOCK + Inode.I_BLOCK_LEN);
            long parent = LittleEndian.u32(iblock, 0);
            byte[] fake = new byte[12];
            Dirents.Dirent dd = new Dirents.Dirent(0, parent, 12, 2, Dirents.FT_DIR, "..".getBytes(StandardCharsets.US_ASCII));
            if (v.visit(new Slot(-1, 0, fake, dd, -1))) {
                return;
            }
            for (Dirents.Dirent d : Dirents.parse(iblock, 4, Inode.I_BLOCK_LEN, sb.blockSize, sb.filetype(), where)) {
                if (v.visit(new Slot(-1, 0, iblock, d, -1))) {
                    return;
                }
            }
            byte[] extra = inodeXattr(dir, 7, "data");
            if (extra != null && extra.length > 0) {
                for (Dirents.Dirent d : Dirents.parse(extra, 0, extra.length, sb.blockSize, sb.filetype(), where)) {
                    if (v.visit(new Slot(-2, 0, extra, d, -1))) {
                        return;
                    }
                }
            }
            return;
        }
        long size = dir.size();
        if (size % sb.blockSize != 0 || size > MAX_DIR_BYTES) {
            throw new Ext4CorruptException(where + " i_size " + size + " (not a multiple of " + sb.blockSize
                    + " or too large)");
        }
        long nblocks = size / sb.blockSize;
        for (long l = 0; l < nblocks; l++) {
            FileMap.Run run = map.find(dir, l);
            if (run.physical() == 0 || run.uninit()) {
                continue;
            }
            byte[] blk = readBlock(run.physical());
            int prev = -1;
            for (Dirents.Dirent d : Dirents.parse(blk, 0, sb.blockSize, sb.blockSize, sb.filetype(),
                    where + " block " + l)) {
                if (v.visit(new Slot(l, run.physical(), blk, d, prev))) {
                    return;
                }
                prev = d.offset();
            }
        }
    }

    private static byte[] checkName(String name) throws IOException {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        if (b.length == 0 || b.length > 255 || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new IOException("ext4: invalid file name '" + name + "'");
        }
        return b;
    }

    /**
     * Finds {@code name} in {@code dir}: through the htree index when the directory has one (a few block reads), else
     * by the linear scan. An index that fails a structural check is not trusted: the lookup falls back to the
     * linear scan, which validates every record (see {@link Htree}); a dx checksum mismatch is an
     * {@link Ext4CorruptException}. {@code .} and {@code ..} live in block 0, which the linear scan reads first.
     */
    private Slot find(Inode dir, byte[] name) throws IOException {
        if (dir.isDir() && !isDotName(name) && dir.hasFlag(Inode.FL_INDEX) && !dir.hasFlag(Inode.FL_INLINE_DATA)
                && sb.hasCompat(Superblock.COMPAT_DIR_INDEX)) {
            try {
                return findHashed(dir, name);
            } catch (Htree.BadIndexException e) {
                htreeFallbacks++;
                lastHtreeFallback = e.getMessage();
            }
        }
        return findLinear(dir, name);
    }

    private Slot findHashed(Inode dir, byte[] name) throws IOException, Htree.BadIndexException {
        String where = "directory inode " + dir.ino;
        int bs = sb.blockSize;
        long size = dir.size();
        if (size % bs != 0 || size > MAX_DIR_BYTES) {
            throw new Ext4CorruptException(where + " i_size " + size + " (not a multiple of " + bs
                    + " or too large)");
        }
        long nblocks = size / bs;
        if (nblocks < 2) {
            throw new Htree.BadIndexException(where + ": indexed directory of " + nblocks + " block(s)");
        }
        Htree.DirBlocks blocks = l -> {
            FileMap.Run run = map.find(dir, l);
            return run.physical() == 0 || run.uninit() ? null : readBlock(run.physical());
        };
        byte[] root = blocks.read(0);
        if (root == null) {
            throw new Htree.BadIndexException(where + ": dx root block is a hole");
        }
        Htree.Params params = new Htree.Params(bs, nblocks, sb.metadataCsum(), dir.csumSeed(sb.csumSeed),
                sb.has(Superblock.INCOMPAT_LARGEDIR), sb.unsignedHash(), sb.hashSeed(), where);
        Htree cursor = Htree.probe(blocks, params, root, name);
        for (long leaf = cursor.nextLeaf(); leaf >= 0; leaf = cursor.nextLeaf()) {
            FileMap.Run run = map.find(dir, leaf);
            if (run.physical() == 0 || run.uninit()) {
                throw new Htree.BadIndexException(where + ": htree leaf " + leaf + " is a hole");
            }
            byte[] blk = readBlock(run.physical());
            int prev = -1;
            for (Dirents.Dirent d : Dirents.parse(blk, 0, bs, bs, sb.filetype(), where + " block " + leaf)) {
                if (d.inode() != 0 && d.nameEquals(name)) {
                    return new Slot(leaf, run.physical(), blk, d, prev);
                }
                prev = d.offset();
            }
        }
        return null;
    }

    /**
     * Linear lookup. Used directly before adding a name: an add drops the htree index (reading every block anyway),
     * and a linear check cannot be misled by an index that does not match its leaves into creating a duplicate.
     */
    private Slot findLinear(Inode dir, byte[] name) throws IOException {
        Slot[] found = new Slot[1];
        scanDir(dir, s -> {
            if (s.dirent().inode() != 0 && s.dirent().nameEquals(name)) {
                found[0] = s;
                return true;
            }
            return false;
        });
        return found[0];
    }

    @Override
    public synchronized Optional<Node> lookup(Node dir, String name) throws IOException {
        byte[] n = checkName(name);
        Slot s = find(readInode(dir.id()), n);
        return s == null ? Optional.empty() : Optional.of(node(readInode(s.dirent().inode())));
    }

    @Override
    public synchronized List<Entry> list(Node dir) throws IOException {
        List<Entry> out = new ArrayList<>();
        forEachEntry(dir, out::add);
        return out;
    }

    /** Streams the directory's blocks one at a time ({@link #scanDir}); at most {@value #MAX_LIST_ENTRIES} entries. */
    @Override
    public synchronized void forEachEntry(Node dir, EntryVisitor visitor) throws IOException {
        int[] count = {0};
        scanDir(readInode(dir.id()), s -> {
            Dirents.Dirent d = s.dirent();
            if (d.inode() == 0 || isDotName(d.name())) {
                return false;
            }
            if (d.inode() > sb.inodesCount) {
                throw new Ext4CorruptException("directory entry '" + d.nameString() + "' names inode " + d.inode());
            }
            if (++count[0] > MAX_LIST_ENTRIES) {
                throw new Ext4CorruptException("directory inode " + dir.id() + " has more than " + MAX_LIST_ENTRIES
                        + " entries");
            }
            GuestFiles.Type t = switch (d.type()) {
                case Dirents.FT_REG -> GuestFiles.Type.FILE;
                case Dirents.FT_DIR -> GuestFiles.Type.DIRECTORY;
                case Dirents.FT_SYMLINK -> GuestFiles.Type.SYMLINK;
                case Dirents.FT_UNKNOWN -> node(readInode(d.inode())).type();
                default -> GuestFiles.Type.OTHER;
            };
            return !visitor.visit(new Entry(d.nameString(), d.inode(), t));
        });
    }

    /** One inode read by the entry's inode number. */
    @Override
    public synchronized Optional<Node> node(Node dir, Entry entry) throws IOException {
        return Optional.of(node(readInode(entry.id())));
    }

    private static boolean isDotName(byte[] n) {
        return (n.length == 1 && n[0] == '.') || (n.length == 2 && n[0] == '.' && n[1] == '.');
    }

    // ---- transactions ------------------------------------------------------------------------------------------

    private interface Op<T> {
        T run() throws IOException;
    }

    private <T> T mutate(Op<T> op) throws IOException {
        if (writeRefusal != null || wsrc == null) {
            throw new UnsupportedFsFeatureException(type(), writeRefusal == null ? "read-only source" : writeRefusal);
        }
        pendingBlocks.clear();
        pendingInodes.clear();
        T result;
        try {
            result = op.run();
        } catch (IOException | RuntimeException e) {
            pendingBlocks.clear();
            pendingInodes.clear();
            groups.rollback();
            throw e;
        }
        // Write phase: staged metadata blocks, inodes (with checksums), then bitmaps, descriptors, superblock.
        for (Map.Entry<Long, byte[]> e : pendingBlocks.entrySet()) {
            writeRaw(e.getKey() * sb.blockSize, e.getValue());
        }
        for (Map.Entry<Long, byte[]> e : pendingInodes.entrySet()) {
            Inode i = new Inode(e.getKey(), e.getValue());
            if (sb.metadataCsum()) {
                i.updateChecksum(sb.csumSeed);
            }
            writeRaw(inodeOffset(i.ino), i.raw);
        }
        pendingBlocks.clear();
        pendingInodes.clear();
        groups.commit();
        return result;
    }

    @Override
    public boolean writable() {
        return writeRefusal == null && wsrc != null;
    }

    /** Why writing is refused (feature, state), or empty when writable. */
    public Optional<String> writeRefusalReason() {
        return Optional.ofNullable(writeRefusal);
    }

    @Override
    public synchronized void flush() throws IOException {
        if (wsrc != null) {
            wsrc.flush();
        }
    }

    @Override
    public void close() throws IOException {
        // the byte source belongs to the caller
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    private void refuseSpecialInode(Inode i, String what) throws IOException {
        if (i.hasFlag(Inode.FL_HUGE_FILE)) {
            throw new UnsupportedFsFeatureException(type(), what + " of a huge_file inode " + i.ino);
        }
        if (i.hasFlag(Inode.FL_EA_INODE)) {
            throw new UnsupportedFsFeatureException(type(), what + " of an ea_inode " + i.ino);
        }
    }

    // ---- mapping (re)construction ------------------------------------------------------------------------------

    private long sectorsPerBlock() {
        return sb.blockSize / 512;
    }

    private long goalFor(long ino) {
        long g = (ino - 1) / sb.inodesPerGroup;
        return groups.groupFirstBlock(Math.min(g, sb.groupCount - 1));
    }

    /** Allocates {@code n} data blocks near {@code goal}; pre-checks room for the mapping's tree blocks too. */
    private List<long[]> allocData(long goal, long n) throws IOException {
        if (n == 0) {
            return new ArrayList<>();
        }
        long reserve = FileMap.indirectBlocks(n, sb.blockSize) + 2;
        if (n + reserve > sb.freeBlocks()) {
            throw new Ext4NoSpaceException("need about " + (n + reserve) + " blocks, " + sb.freeBlocks() + " free");
        }
        return groups.allocBlocks(goal, n);
    }

    /**
     * Writes a fresh mapping of logical blocks {@code 0..n-1} onto {@code runs} into {@code inode}: an extent tree
     * when the inode has EXTENTS_FL, a block map otherwise. Allocates and stages tree blocks; returns their number.
     */
    private long buildMapping(Inode inode, List<long[]> runs, long goal) throws IOException {
        Arrays.fill(inode.raw, Inode.I_BLOCK, Inode.I_BLOCK + Inode.I_BLOCK_LEN, (byte) 0);
        if (inode.hasFlag(Inode.FL_EXTENTS)) {
            return buildExtents(inode, runs, goal);
        }
        return buildBlockMap(inode, runs, goal);
    }

    private long buildExtents(Inode inode, List<long[]> runs, long goal) throws IOException {
        List<long[]> level = FileMap.extentEntries(runs);
        int per = (sb.blockSize - 12) / 12;
        int depth = 0;
        long treeBlocks = 0;
        while (level.size() > 4) {
            int nb = (level.size() + per - 1) / per;
            List<Long> blocks = flatten(groups.allocBlocks(goal, nb));
            treeBlocks += nb;
            List<long[]> next = new ArrayList<>();
            for (int k = 0; k < nb; k++) {
                List<long[]> chunk = level.subList(k * per, Math.min(level.size(), (k + 1) * per));
                byte[] blk = new byte[sb.blockSize];
                putExtentNode(blk, 0, chunk, per, depth);
                if (sb.metadataCsum()) {
                    int tail = 12 + 12 * per;
                    LittleEndian.put32(blk, tail, Crc.crc32c(inode.csumSeed(sb.csumSeed), blk, 0, tail));
                }
                stageBlock(blocks.get(k), blk);
                next.add(new long[] {chunk.get(0)[0], blocks.get(k)});
            }
            level = next;
            depth++;
            if (depth > FileMap.MAX_DEPTH) {
                throw new Ext4CorruptException("extent tree would exceed depth " + FileMap.MAX_DEPTH);
            }
        }
        putExtentNode(inode.raw, Inode.I_BLOCK, level, 4, depth);
        return treeBlocks;
    }

    private static void putExtentNode(byte[] b, int base, List<long[]> entries, int max, int depth) {
        LittleEndian.put16(b, base, FileMap.EXT_MAGIC);
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

    private static List<Long> flatten(List<long[]> runs) {
        List<Long> out = new ArrayList<>();
        for (long[] r : runs) {
            for (long k = 0; k < r[1]; k++) {
                out.add(r[0] + k);
            }
        }
        return out;
    }

    private long buildBlockMap(Inode inode, List<long[]> runs, long goal) throws IOException {
        List<Long> phys = flatten(runs);
        for (long p : phys) {
            if (p > 0xFFFFFFFFL) {
                throw new UnsupportedFsFeatureException(type(), "block map pointing above 2^32 (block " + p + ")");
            }
        }
        int n = phys.size();
        long meta = FileMap.indirectBlocks(n, sb.blockSize);
        List<Long> metaBlocks = meta == 0 ? List.of() : flatten(groups.allocBlocks(goal, meta));
        int[] next = {0};
        int apb = sb.blockSize / 4;
        for (int i = 0; i < Math.min(12, n); i++) {
            LittleEndian.put32(inode.raw, Inode.I_BLOCK + 4 * i, phys.get(i));
        }
        int pos = 12;
        for (int level = 1; level <= 3 && pos < n; level++) {
            long[] top = new long[1];
            pos = fillIndirect(level, phys, pos, metaBlocks, next, top, apb);
            LittleEndian.put32(inode.raw, Inode.I_BLOCK + 4 * (11 + level), top[0]);
        }
        if (next[0] != meta) {
            throw new IllegalStateException("indirect block accounting: used " + next[0] + " of " + meta);
        }
        return meta;
    }

    /** Fills one indirect tree of {@code level} from {@code phys[pos..]}; returns the new position. */
    private int fillIndirect(int level, List<Long> phys, int pos, List<Long> metaBlocks, int[] next, long[] out,
                             int apb) {
        long blkNo = metaBlocks.get(next[0]++);
        out[0] = blkNo;
        byte[] blk = new byte[sb.blockSize];
        for (int i = 0; i < apb && pos < phys.size(); i++) {
            if (level == 1) {
                LittleEndian.put32(blk, 4 * i, phys.get(pos++));
            } else {
                long[] child = new long[1];
                pos = fillIndirect(level - 1, phys, pos, metaBlocks, next, child, apb);
                LittleEndian.put32(blk, 4 * i, child[0]);
            }
        }
        stageBlock(blkNo, blk);
        return pos;
    }

    /** Frees every data and tree block of an inode's mapping. Returns the number of blocks freed. */
    private long freeMapping(Inode i) throws IOException {
        if (i.hasFlag(Inode.FL_INLINE_DATA) || isFastSymlink(i)) {
            return 0;
        }
        FileMap.Layout lay = map.layout(i, maxMapEntries(i));
        long n = 0;
        for (FileMap.Run r : lay.runs()) {
            groups.freeBlocks(r.physical(), r.length());
            n += r.length();
        }
        for (long b : lay.treeBlocks()) {
            groups.freeBlocks(b, 1);
            n++;
        }
        return n;
    }

    private long maxMapEntries(Inode i) {
        return Math.min(sb.blocksCount, i.blocks512() / Math.max(1, sectorsPerBlock()) + 16);
    }

    private void writeData(List<long[]> runs, byte[] content) throws IOException {
        int bs = sb.blockSize;
        long off = 0;
        for (long[] r : runs) {
            long bytes = r[1] * bs;
            byte[] chunk = new byte[(int) Math.min(bytes, 1 << 20)];
            for (long done = 0; done < bytes; done += chunk.length) {
                int len = (int) Math.min(chunk.length, bytes - done);
                Arrays.fill(chunk, (byte) 0);
                int have = (int) Math.max(0, Math.min(len, content.length - (off + done)));
                if (have > 0) {
                    System.arraycopy(content, (int) (off + done), chunk, 0, have);
                }
                wsrc.write(r[0] * bs + done, ByteBuffer.wrap(chunk, 0, len));
            }
            off += bytes;
        }
    }

    private long aclBlocks(Inode i) {
        return i.fileAcl() != 0 ? 1 : 0;
    }

    /** Gives {@code inode} the content {@code content}: new blocks first, then the old ones are freed. */
    private void setContent(Inode inode, byte[] content) throws IOException {
        long n = (content.length + (long) sb.blockSize - 1) / sb.blockSize;
        if (content.length > Integer.MAX_VALUE - 1L && !sb.hasRo(Superblock.RO_LARGE_FILE)) {
            throw new UnsupportedFsFeatureException(type(), "file of 2 GiB or more without large_file");
        }
        long goal = goalFor(inode.ino);
        List<long[]> runs = allocData(goal, n);
        writeData(runs, content);
        freeMapping(inode);
        long tree = buildMapping(inode, runs, goal);
        inode.setBlocks512((n + tree + aclBlocks(inode)) * sectorsPerBlock());
        inode.setSize(content.length);
    }

    // ---- inode creation ----------------------------------------------------------------------------------------

    private Inode newInode(long parentIno, int typeBits, int perm, int uid, int gid) throws IOException {
        boolean dir = typeBits == Inode.S_IFDIR;
        long goalGroup = (parentIno - 1) / sb.inodesPerGroup;
        long ino = groups.allocInode(goalGroup, dir);
        Inode i = new Inode(ino, new byte[sb.inodeSize]);
        if (sb.inodeSize > 128) {
            int extra = 32;
            int want = sb.wantExtraIsize();
            if (want >= 4 && (want & 3) == 0 && want <= sb.inodeSize - 128) {
                extra = Math.max(extra, want);
            }
            LittleEndian.put16(i.raw, 0x80, Math.min(extra, sb.inodeSize - 128));
        }
        i.setMode(typeBits | (perm & 07777));
        i.setUid(uid);
        i.setGid(gid);
        LittleEndian.put32(i.raw, 0x64, random.nextInt());
        long t = now();
        i.setAtime(t);
        i.setCtime(t);
        i.setMtime(t);
        i.setCrtime(t);
        if (sb.has(Superblock.INCOMPAT_EXTENTS) && typeBits != Inode.S_IFLNK) {
            i.setFlags(Inode.FL_EXTENTS);
            putExtentNode(i.raw, Inode.I_BLOCK, List.of(), 4, 0);
        }
        return i;
    }

    private Inode dirForWrite(Node dir) throws IOException {
        Inode d = readInode(dir.id());
        if (!d.isDir()) {
            throw new NotDirectoryException("inode " + d.ino);
        }
        refuseSpecialInode(d, "change");
        if (d.links() == 0) {
            throw new NoSuchFileException("directory inode " + d.ino + " was removed");
        }
        return d;
    }

    private void touch(Inode i) {
        long t = now();
        i.setMtime(t);
        i.setCtime(t);
    }

    @Override
    public synchronized void replaceContent(Node file, byte[] content) throws IOException {
        mutate(() -> {
            Inode i = readInode(file.id());
            if (!i.isReg()) {
                throw new IOException("ext4: inode " + i.ino + " is not a regular file");
            }
            refuseSpecialInode(i, "rewrite");
            if (i.hasFlag(Inode.FL_INLINE_DATA)) {
                replaceInline(i, content);
            } else {
                setContent(i, content);
            }
            touch(i);
            stageInode(i);
            return null;
        });
    }

    /** The position of the {@code system.data} entry among the inode's in-inode xattrs; corrupt when missing. */
    private static int systemData(Inode i, List<InodeXattrs.Entry> xs) throws Ext4CorruptException {
        for (int k = 0; k < xs.size(); k++) {
            if (xs.get(k).is(InodeXattrs.INDEX_SYSTEM, InodeXattrs.DATA)) {
                return k;
            }
        }
        throw new Ext4CorruptException("inline_data inode " + i.ino + " has no system.data attribute");
    }

    /**
     * New content for an inline_data file (kernel {@code inline.c}): the first 60 bytes go to i_block, the rest to
     * the {@code system.data} in-inode xattr. When that no longer fits next to the inode's other in-inode xattrs,
     * the file becomes a regular mapped file, as the kernel converts it on a large write: system.data removed (the
     * other xattrs kept), EXT4_INLINE_DATA_FL cleared, EXTENTS_FL set (block map without the extents feature), data
     * written to newly allocated blocks.
     */
    private void replaceInline(Inode i, byte[] content) throws IOException {
        List<InodeXattrs.Entry> xs = new ArrayList<>(InodeXattrs.parse(i, type()));
        int at = systemData(i, xs);
        InodeXattrs.Entry old = xs.get(at);
        byte[] rest = content.length > Inode.I_BLOCK_LEN
                ? Arrays.copyOfRange(content, Inode.I_BLOCK_LEN, content.length) : new byte[0];
        xs.set(at, new InodeXattrs.Entry(old.index(), old.name(), rest, 0));
        Arrays.fill(i.raw, Inode.I_BLOCK, Inode.I_BLOCK + Inode.I_BLOCK_LEN, (byte) 0);
        if (content.length <= Inode.I_BLOCK_LEN + rest.length && InodeXattrs.fits(i, xs)) {
            System.arraycopy(content, 0, i.raw, Inode.I_BLOCK, Math.min(content.length, Inode.I_BLOCK_LEN));
            InodeXattrs.write(i, xs);
            i.setSize(content.length);
            return;
        }
        xs.remove(at);
        InodeXattrs.write(i, xs);
        leaveInline(i);
        setContent(i, content);
    }

    /** Clears EXT4_INLINE_DATA_FL and gives the inode an empty mapping (extent header, or zeroed block map). */
    private void leaveInline(Inode i) {
        Arrays.fill(i.raw, Inode.I_BLOCK, Inode.I_BLOCK + Inode.I_BLOCK_LEN, (byte) 0);
        i.setFlags(i.flags() & ~Inode.FL_INLINE_DATA);
        if (sb.has(Superblock.INCOMPAT_EXTENTS)) {
            i.setFlags(i.flags() | Inode.FL_EXTENTS);
            putExtentNode(i.raw, Inode.I_BLOCK, List.of(), 4, 0);
        }
    }

    /**
     * Turns an inline_data directory into a one-block directory before it is changed (the kernel does the same when
     * the inline space is full, {@code ext4_convert_inline_data_nolock}): {@code .}, {@code ..} and every live
     * entry, in order, in a new block (with its checksum tail); system.data removed, the inline flag cleared.
     */
    private void convertInlineDir(Inode dir) throws IOException {
        List<Dirents.Dirent> live = new ArrayList<>();
        long[] parent = {0};
        scanDir(dir, sl -> {
            Dirents.Dirent d = sl.dirent();
            if (sl.lblk() == -1 && sl.block().length == 12) {
                parent[0] = d.inode(); // the synthetic '..' from i_block's first word
            } else if (d.inode() != 0) {
                live.add(d);
            }
            return false;
        });
        if (parent[0] < 1 || parent[0] > sb.inodesCount) {
            throw new Ext4CorruptException("inline directory inode " + dir.ino + " has parent inode " + parent[0]);
        }
        int end = sb.blockSize - tailSize();
        byte[] blk = new byte[sb.blockSize];
        Dirents.put(blk, 0, dir.ino, 12, new byte[] {'.'}, Dirents.FT_DIR, sb.filetype());
        int off = 12;
        int prevLen = 12;
        int prevOff = 0;
        List<Object[]> all = new ArrayList<>();
        all.add(new Object[] {parent[0], new byte[] {'.', '.'}, Dirents.FT_DIR});
        for (Dirents.Dirent d : live) {
            all.add(new Object[] {d.inode(), d.name(), d.type()});
        }
        for (Object[] e : all) {
            byte[] name = (byte[]) e[1];
            int len = Dirents.recLenFor(name.length);
            if (off + len > end) {
                throw new Ext4CorruptException("inline directory inode " + dir.ino + " does not fit one block");
            }
            Dirents.put(blk, off, (Long) e[0], len, name, (Integer) e[2], sb.filetype());
            prevOff = off;
            prevLen = len;
            off += len;
        }
        Dirents.putRecLen(blk, prevOff + 4, prevLen + (end - off));
        List<InodeXattrs.Entry> xs = new ArrayList<>(InodeXattrs.parse(dir, type()));
        xs.remove(systemData(dir, xs));
        InodeXattrs.write(dir, xs);
        leaveInline(dir);
        long goal = goalFor(dir.ino);
        List<long[]> runs = allocData(goal, 1);
        long tree = buildMapping(dir, runs, goal);
        dir.setBlocks512((1 + tree + aclBlocks(dir)) * sectorsPerBlock());
        dir.setSize(sb.blockSize);
        stageDirBlock(dir, runs.get(0)[0], blk);
        stageInode(dir);
    }

    @Override
    public synchronized Node createFile(Node dir, String name, int mode, int uid, int gid, byte[] content)
            throws IOException {
        return mutate(() -> {
            byte[] n = checkName(name);
            Inode d = dirForWrite(dir);
            if (findLinear(d, n) != null) {
                throw new FileAlreadyExistsException(name);
            }
            Inode i = newInode(d.ino, Inode.S_IFREG, mode, uid, gid);
            i.setLinks(1);
            setContent(i, content);
            stageInode(i);
            addEntry(d.ino, n, i.ino, Dirents.FT_REG);
            return node(readInode(i.ino));
        });
    }

    @Override
    public synchronized Node mkdir(Node dir, String name, int mode, int uid, int gid) throws IOException {
        return mutate(() -> {
            byte[] n = checkName(name);
            Inode d = dirForWrite(dir);
            if (findLinear(d, n) != null) {
                throw new FileAlreadyExistsException(name);
            }
            incDirLinks(d);
            stageInode(d);
            Inode i = newInode(d.ino, Inode.S_IFDIR, mode, uid, gid);
            i.setLinks(2);
            long goal = goalFor(i.ino);
            List<long[]> runs = allocData(goal, 1);
            byte[] blk = new byte[sb.blockSize];
            int end = sb.blockSize - tailSize();
            Dirents.put(blk, 0, i.ino, 12, new byte[] {'.'}, Dirents.FT_DIR, sb.filetype());
            Dirents.put(blk, 12, d.ino, end - 12, new byte[] {'.', '.'}, Dirents.FT_DIR, sb.filetype());
            long tree = buildMapping(i, runs, goal);
            i.setBlocks512((1 + tree) * sectorsPerBlock());
            i.setSize(sb.blockSize);
            stageDirBlock(i, runs.get(0)[0], blk);
            stageInode(i);
            addEntry(d.ino, n, i.ino, Dirents.FT_DIR);
            return node(readInode(i.ino));
        });
    }

    @Override
    public synchronized Node symlink(Node dir, String name, String target, int uid, int gid) throws IOException {
        return mutate(() -> {
            byte[] n = checkName(name);
            byte[] t = target.getBytes(StandardCharsets.UTF_8);
            if (t.length == 0 || t.length > MAX_SYMLINK || t.length >= sb.blockSize) {
                throw new IOException("ext4: symlink target of " + t.length + " bytes");
            }
            Inode d = dirForWrite(dir);
            if (findLinear(d, n) != null) {
                throw new FileAlreadyExistsException(name);
            }
            Inode i = newInode(d.ino, Inode.S_IFLNK, 0777, uid, gid);
            i.setLinks(1);
            if (t.length < Inode.I_BLOCK_LEN) {
                // fast symlink: target in i_block, no EXTENTS_FL, no blocks (kernel ext4_symlink)
                System.arraycopy(t, 0, i.raw, Inode.I_BLOCK, t.length);
                i.setSize(t.length);
            } else {
                if (sb.has(Superblock.INCOMPAT_EXTENTS)) {
                    i.setFlags(i.flags() | Inode.FL_EXTENTS);
                }
                long goal = goalFor(i.ino);
                List<long[]> runs = allocData(goal, 1);
                byte[] blk = new byte[sb.blockSize];
                System.arraycopy(t, 0, blk, 0, t.length);
                stageBlock(runs.get(0)[0], blk);
                long tree = buildMapping(i, runs, goal);
                i.setBlocks512((1 + tree) * sectorsPerBlock());
                i.setSize(t.length);
            }
            stageInode(i);
            addEntry(d.ino, n, i.ino, Dirents.FT_SYMLINK);
            return node(readInode(i.ino));
        });
    }

    // ---- directory modification --------------------------------------------------------------------------------

    private int tailSize() {
        return sb.metadataCsum() ? Dirents.TAIL_SIZE : 0;
    }

    /** Stages a leaf directory block, refreshing its metadata_csum tail. */
    private void stageDirBlock(Inode dir, long pblk, byte[] blk) throws IOException {
        if (sb.metadataCsum()) {
            if (!Dirents.hasTail(blk)) {
                Dirents.putTail(blk);
            }
            int off = sb.blockSize - Dirents.TAIL_SIZE;
            LittleEndian.put32(blk, off + 8, Crc.crc32c(dir.csumSeed(sb.csumSeed), blk, 0, off));
        }
        stageBlock(pblk, blk);
    }

    private void checkTailFor(Inode dir, byte[] blk, long lblk) throws IOException {
        if (sb.metadataCsum() && !Dirents.hasTail(blk)) {
            throw new UnsupportedFsFeatureException(type(), "directory inode " + dir.ino + " block " + lblk
                    + " without a checksum tail");
        }
    }

    /** Returns {@code d}, converted to a block directory first when it is an inline_data directory. */
    private Inode blockDir(Inode d) throws IOException {
        if (!d.hasFlag(Inode.FL_INLINE_DATA)) {
            return d;
        }
        convertInlineDir(d);
        return readInode(d.ino);
    }

    /** Adds {@code name -> ino} to directory {@code dirIno}, growing it by one block when no record has room. */
    private void addEntry(long dirIno, byte[] name, long ino, int ft) throws IOException {
        Inode dir = blockDir(readInode(dirIno));
        if (dir.hasFlag(Inode.FL_INDEX)) {
            dropIndex(dir);
            dir = readInode(dirIno);
        }
        int need = Dirents.recLenFor(name.length);
        int end = sb.blockSize - tailSize();
        long nblocks = dir.size() / sb.blockSize;
        for (long l = 0; l < nblocks; l++) {
            FileMap.Run run = map.find(dir, l);
            if (run.physical() == 0) {
                continue;
            }
            byte[] blk = readBlock(run.physical());
            checkTailFor(dir, blk, l);
            for (Dirents.Dirent e : Dirents.parse(blk, 0, end, sb.blockSize, sb.filetype(), "directory " + dirIno)) {
                int used = e.inode() == 0 ? 0 : Dirents.recLenFor(e.nameLen());
                if (e.recLen() - used >= need) {
                    if (e.inode() == 0) {
                        Arrays.fill(blk, e.offset() + 8, e.offset() + e.recLen(), (byte) 0);
                        Dirents.put(blk, e.offset(), ino, e.recLen(), name, ft, sb.filetype());
                    } else {
                        Dirents.putRecLen(blk, e.offset() + 4, used);
                        int at = e.offset() + used;
                        Arrays.fill(blk, at, e.offset() + e.recLen(), (byte) 0);
                        Dirents.put(blk, at, ino, e.recLen() - used, name, ft, sb.filetype());
                    }
                    stageDirBlock(dir, run.physical(), blk);
                    touch(dir);
                    stageInode(dir);
                    return;
                }
            }
        }
        // grow the directory by one block
        if ((nblocks + 1) * sb.blockSize > MAX_DIR_BYTES) {
            throw new Ext4NoSpaceException("directory inode " + dirIno + " reached its maximum size");
        }
        FileMap.Layout lay = map.layout(dir, maxMapEntries(dir));
        List<long[]> runs = new ArrayList<>();
        long expect = 0;
        for (FileMap.Run r : lay.runs()) {
            if (r.logical() != expect || r.uninit()) {
                throw new UnsupportedFsFeatureException(type(), "directory inode " + dirIno + " with holes");
            }
            runs.add(new long[] {r.physical(), r.length()});
            expect += r.length();
        }
        if (expect != nblocks) {
            throw new Ext4CorruptException("directory inode " + dirIno + " maps " + expect + " blocks, i_size says "
                    + nblocks);
        }
        long goal = runs.isEmpty() ? goalFor(dirIno) : runs.get(runs.size() - 1)[0] + runs.get(runs.size() - 1)[1];
        List<long[]> fresh = allocData(goal, 1);
        long newBlock = fresh.get(0)[0];
        long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
        if (last != null && last[0] + last[1] == newBlock) {
            last[1]++;
        } else {
            runs.add(new long[] {newBlock, 1});
        }
        for (long b : lay.treeBlocks()) {
            groups.freeBlocks(b, 1);
        }
        long tree = buildMapping(dir, runs, goal);
        dir.setBlocks512((nblocks + 1 + tree + aclBlocks(dir)) * sectorsPerBlock());
        dir.setSize((nblocks + 1) * sb.blockSize);
        byte[] blk = new byte[sb.blockSize];
        Dirents.put(blk, 0, ino, end, name, ft, sb.filetype());
        stageDirBlock(dir, newBlock, blk);
        touch(dir);
        stageInode(dir);
    }

    /**
     * Drops the htree index of {@code dir} (see the class comment): clears EXT4_INDEX_FL, turns the dx root into a
     * block with {@code .} and {@code ..} only and every dx interior node (a fake empty entry spanning the block)
     * into an empty directory block with a checksum tail.
     */
    private void dropIndex(Inode dir) throws IOException {
        long nblocks = dir.size() / sb.blockSize;
        int end = sb.blockSize - tailSize();
        for (long l = 0; l < nblocks; l++) {
            FileMap.Run run = map.find(dir, l);
            if (run.physical() == 0) {
                continue;
            }
            byte[] blk = readBlock(run.physical());
            if (l == 0) {
                List<Dirents.Dirent> ds = Dirents.parse(blk, 0, sb.blockSize, sb.blockSize, sb.filetype(),
                        "dx root of directory " + dir.ino);
                if (ds.size() < 2 || ds.get(0).offset() != 0 || ds.get(0).recLen() != 12 || ds.get(1).offset() != 12
                        || ds.get(1).nameLen() != 2) {
                    throw new Ext4CorruptException("dx root of directory " + dir.ino + " lacks '.' and '..'");
                }
                byte[] fresh = new byte[sb.blockSize];
                System.arraycopy(blk, 0, fresh, 0, 12 + 8 + 4);
                Dirents.putRecLen(fresh, 12 + 4, end - 12);
                stageDirBlock(dir, run.physical(), fresh);
            } else {
                int first = Dirents.decodeRecLen(LittleEndian.u16(blk, 4), sb.blockSize);
                if (LittleEndian.u32(blk, 0) == 0 && first == sb.blockSize) {
                    byte[] fresh = new byte[sb.blockSize];
                    Dirents.putRecLen(fresh, 4, end);
                    stageDirBlock(dir, run.physical(), fresh);
                }
            }
        }
        dir.setFlags(dir.flags() & ~Inode.FL_INDEX);
        stageInode(dir);
    }

    /** Removes the entry at slot {@code s} (merging into the previous record of its block). */
    private void removeSlot(Inode dir, Slot s) throws IOException {
        if (dir.hasFlag(Inode.FL_INLINE_DATA)) {
            byte[] name = s.dirent().name();
            dir = blockDir(dir);
            s = findLinear(dir, name);
            if (s == null) {
                throw new Ext4CorruptException("entry vanished converting inline directory inode " + dir.ino);
            }
        }
        byte[] blk = readBlock(s.pblk());
        checkTailFor(dir, blk, s.lblk());
        Dirents.Dirent e = s.dirent();
        if (s.prevOffset() >= 0) {
            int prevLen = Dirents.decodeRecLen(LittleEndian.u16(blk, s.prevOffset() + 4), sb.blockSize);
            Dirents.putRecLen(blk, s.prevOffset() + 4, prevLen + e.recLen());
        } else {
            LittleEndian.put32(blk, e.offset(), 0);
        }
        stageDirBlock(dir, s.pblk(), blk);
        touch(dir);
        stageInode(dir);
    }

    private void incDirLinks(Inode d) throws IOException {
        int l = d.links();
        if (l == 1 && sb.hasRo(Superblock.RO_DIR_NLINK)) {
            return; // already "too many to count"
        }
        if (l + 1 >= LINK_MAX) {
            if (!sb.hasRo(Superblock.RO_DIR_NLINK)) {
                throw new IOException("ext4: directory inode " + d.ino + " has too many links");
            }
            d.setLinks(1);
        } else {
            d.setLinks(l + 1);
        }
    }

    private static void decDirLinks(Inode d) {
        int l = d.links();
        if (l > 2) {
            d.setLinks(l - 1);
        }
    }

    private boolean isEmptyDir(Inode d) throws IOException {
        boolean[] empty = {true};
        scanDir(d, s -> {
            if (s.dirent().inode() != 0 && !isDotName(s.dirent().name())) {
                empty[0] = false;
                return true;
            }
            return false;
        });
        return empty[0];
    }

    /** Drops one link of inode {@code ino}; frees it (blocks, xattr block, inode) when none is left. */
    private void dropLink(long ino, long parentIno) throws IOException {
        Inode i = readInode(ino);
        refuseSpecialInode(i, "removal");
        boolean dir = i.isDir();
        if (dir) {
            i.setLinks(0);
            Inode p = readInode(parentIno);
            decDirLinks(p);
            stageInode(p);
        } else if (i.links() > 0) {
            i.setLinks(i.links() - 1);
        }
        i.setCtime(now());
        if (i.links() == 0) {
            freeMapping(i);
            releaseXattrBlock(i);
            i.setSize(0);
            i.setBlocks512(0);
            Arrays.fill(i.raw, Inode.I_BLOCK, Inode.I_BLOCK + Inode.I_BLOCK_LEN, (byte) 0);
            if (i.hasFlag(Inode.FL_EXTENTS)) {
                putExtentNode(i.raw, Inode.I_BLOCK, List.of(), 4, 0);
            }
            i.setFlags(i.flags() & ~Inode.FL_INLINE_DATA);
            i.setDtime(now());
            groups.freeInode(ino, dir);
        }
        stageInode(i);
    }

    /** Drops the inode's reference to its xattr block: decrement h_refcount, or free the block at the last one. */
    private void releaseXattrBlock(Inode i) throws IOException {
        long b = i.fileAcl();
        if (b == 0) {
            return;
        }
        if (b >= sb.blocksCount) {
            throw new Ext4CorruptException("inode " + i.ino + " i_file_acl " + b + " outside the file system");
        }
        byte[] blk = readBlock(b);
        if (LittleEndian.i32(blk, 0) != XATTR_MAGIC) {
            throw new Ext4CorruptException(String.format("xattr block %d h_magic 0x%08x", b, LittleEndian.i32(blk, 0)));
        }
        long ref = LittleEndian.u32(blk, 4);
        if (ref > 1) {
            LittleEndian.put32(blk, 4, ref - 1);
            if (sb.metadataCsum()) {
                // kernel ext4_xattr_block_csum: seed, le64 block number, block with h_checksum (0x10) as zero
                byte[] le64 = new byte[8];
                LittleEndian.put32(le64, 0, b);
                LittleEndian.put32(le64, 4, b >>> 32);
                LittleEndian.put32(blk, 0x10, 0);
                int c = Crc.crc32c(Crc.crc32c(sb.csumSeed, le64), blk);
                LittleEndian.put32(blk, 0x10, c);
            }
            stageBlock(b, blk);
        } else {
            groups.freeBlocks(b, 1);
        }
        i.setFileAcl(0);
    }

    @Override
    public synchronized void unlink(Node dir, String name) throws IOException {
        mutate(() -> {
            byte[] n = checkName(name);
            if (isDotName(n)) {
                throw new IOException("ext4: cannot unlink '" + name + "'");
            }
            Inode d = dirForWrite(dir);
            Slot s = find(d, n);
            if (s == null) {
                throw new NoSuchFileException(name);
            }
            Inode victim = readInode(s.dirent().inode());
            if (victim.isDir() && !isEmptyDir(victim)) {
                throw new DirectoryNotEmptyException(name);
            }
            removeSlot(d, s);
            dropLink(victim.ino, d.ino);
            return null;
        });
    }

    @Override
    public synchronized void rename(Node fromDir, String fromName, Node toDir, String toName) throws IOException {
        mutate(() -> {
            byte[] fn = checkName(fromName);
            byte[] tn = checkName(toName);
            if (isDotName(fn) || isDotName(tn)) {
                throw new IOException("ext4: cannot rename '.' or '..'");
            }
            Inode fd = dirForWrite(fromDir);
            Inode td = dirForWrite(toDir);
            Slot s = find(fd, fn);
            if (s == null) {
                throw new NoSuchFileException(fromName);
            }
            long x = s.dirent().inode();
            Inode xi = readInode(x);
            boolean moveDir = xi.isDir() && fd.ino != td.ino;
            if (xi.isDir()) {
                checkNotAncestor(x, td.ino);
            }
            Slot existing = findLinear(td, tn);
            if (existing != null) {
                long y = existing.dirent().inode();
                if (y == x) {
                    return null; // both names already link the same inode: POSIX says do nothing
                }
                Inode yi = readInode(y);
                if (xi.isDir() != yi.isDir()) {
                    throw new IOException("ext4: rename of " + (xi.isDir() ? "a directory over a non-directory"
                            : "a non-directory over a directory"));
                }
                if (yi.isDir() && !isEmptyDir(yi)) {
                    throw new DirectoryNotEmptyException(toName);
                }
                removeSlot(readInode(td.ino), existing);
                dropLink(y, td.ino);
            }
            addEntry(td.ino, tn, x, fileTypeOf(xi));
            Slot again = find(readInode(fd.ino), fn);
            removeSlot(readInode(fd.ino), again);
            if (moveDir) {
                setDotDot(x, td.ino);
                Inode f = readInode(fd.ino);
                decDirLinks(f);
                stageInode(f);
                Inode t = readInode(td.ino);
                incDirLinks(t);
                stageInode(t);
            }
            Inode moved = readInode(x);
            moved.setCtime(now());
            stageInode(moved);
            return null;
        });
    }

    private int fileTypeOf(Inode i) {
        if (!sb.filetype()) {
            return Dirents.FT_UNKNOWN;
        }
        return switch (i.fileType()) {
            case Inode.S_IFREG -> Dirents.FT_REG;
            case Inode.S_IFDIR -> Dirents.FT_DIR;
            case Inode.S_IFLNK -> Dirents.FT_SYMLINK;
            case 0x2000 -> 3;
            case 0x6000 -> 4;
            case 0x1000 -> 5;
            case 0xC000 -> 6;
            default -> Dirents.FT_UNKNOWN;
        };
    }

    /** Refuses moving directory {@code x} into itself or below itself (walks {@code ..} up from the target). */
    private void checkNotAncestor(long x, long target) throws IOException {
        long cur = target;
        for (int steps = 0; steps < 65536; steps++) {
            if (cur == x) {
                throw new IOException("ext4: cannot move directory inode " + x + " into itself");
            }
            if (cur == ROOT_INO) {
                return;
            }
            Slot dd = find(readInode(cur), new byte[] {'.', '.'});
            if (dd == null) {
                throw new Ext4CorruptException("directory inode " + cur + " has no '..'");
            }
            cur = dd.dirent().inode();
        }
        throw new Ext4CorruptException("'..' chain from inode " + target + " does not reach the root");
    }

    private void setDotDot(long dirIno, long parent) throws IOException {
        Inode d = blockDir(readInode(dirIno));
        if (d.hasFlag(Inode.FL_INDEX)) {
            dropIndex(d);
            d = readInode(dirIno);
        }
        Slot s = find(d, new byte[] {'.', '.'});
        if (s == null || s.lblk() != 0) {
            throw new Ext4CorruptException("directory inode " + dirIno + " has no '..' in its first block");
        }
        byte[] blk = readBlock(s.pblk());
        checkTailFor(d, blk, 0);
        LittleEndian.put32(blk, s.dirent().offset(), parent);
        stageDirBlock(d, s.pblk(), blk);
    }

    @Override
    public synchronized void setAttributes(Node node, Integer mode, Integer uid, Integer gid, Long mtime)
            throws IOException {
        mutate(() -> {
            Inode i = readInode(node.id());
            if (i.links() == 0) {
                throw new NoSuchFileException("inode " + i.ino + " was removed");
            }
            if (mode != null) {
                i.setMode((i.mode() & Inode.S_IFMT) | (mode & 07777));
            }
            if (uid != null) {
                i.setUid(uid);
            }
            if (gid != null) {
                i.setGid(gid);
            }
            if (mtime != null) {
                i.setMtime(mtime);
            }
            i.setCtime(now());
            stageInode(i);
            return null;
        });
    }
}
