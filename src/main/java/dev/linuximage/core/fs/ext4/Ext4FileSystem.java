package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.LittleEndian;
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
import java.util.List;
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
 * <p><b>Structure</b> (one class per on-disk structure, this class is the facade and owns the transaction and the
 * inode life cycle): {@link Volume} block and inode I/O with the mutator's staging, {@link BlockMapping} extent trees
 * and block maps with allocation, {@link Directories} entries and htree lookup, {@link InlineData} inline files and
 * directories, {@link InodeXattrs} in-inode xattrs, {@link Groups} bitmaps and descriptors, {@link Superblock}.
 *
 * <p>Not thread-safe for concurrent mutation; public methods are synchronized.
 */
public final class Ext4FileSystem implements FileSystem {
    static final int ROOT_INO = 2;
    private static final int LINK_MAX = 65000;
    private static final int MAX_SYMLINK = 4095;
    /** Bound on the entries {@link #list} returns, so a hostile directory cannot exhaust memory. */
    private static final int MAX_LIST_ENTRIES = 1_000_000;

    private final Superblock sb;
    private final Volume vol;
    private final Groups groups;
    private final BlockMapping mapping;
    private final InlineData inline;
    private final Directories dirs;
    private final String writeRefusal;
    private final SecureRandom random = new SecureRandom();

    private Ext4FileSystem(ByteSource src, WritableByteSource wsrc, Superblock sb, String writeRefusal) {
        this.sb = sb;
        this.writeRefusal = writeRefusal;
        this.vol = new Volume(src, wsrc, sb);
        this.groups = vol.groups;
        this.mapping = new BlockMapping(vol);
        this.inline = new InlineData(vol, mapping);
        this.dirs = new Directories(vol, mapping, inline);
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

    /** Lookups that found an htree index unusable and scanned linearly instead (for tests and diagnostics). */
    long htreeFallbacks() {
        return dirs.htreeFallbacks;
    }

    /** Why the last htree fallback happened, or null. */
    String lastHtreeFallback() {
        return dirs.lastHtreeFallback;
    }

    /** Block size in bytes. */
    public int blockSize() {
        return sb.blockSize;
    }

    @Override
    public synchronized Node root() throws IOException {
        Inode r = vol.readInode(ROOT_INO);
        if (!r.isDir()) {
            throw new Ext4CorruptException(
                    "root inode 2 is not a directory (mode " + Integer.toOctalString(r.mode()) + ")");
        }
        return node(r);
    }

    /** The node of inode {@code ino} (for callers that kept an id). */
    public synchronized Node node(long ino) throws IOException {
        return node(vol.readInode(ino));
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

    @Override
    public synchronized int read(Node file, long offset, ByteBuffer dst) throws IOException {
        Inode i = vol.readInode(file.id());
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
            byte[] data = inline.inlineData(i);
            int n = (int) Math.max(0, Math.min(want, data.length - offset));
            dst.put(data, (int) offset, n);
            // bytes beyond the stored inline data (never on a consistent fs) read as zeros
            for (int k = n; k < want; k++) {
                dst.put((byte) 0);
            }
            return want;
        }
        mapping.readMapped(i, offset, want, dst);
        return want;
    }

    @Override
    public synchronized String readLink(Node symlink) throws IOException {
        Inode i = vol.readInode(symlink.id());
        if (!i.isSymlink()) {
            throw new IOException("ext4: inode " + i.ino + " is not a symlink");
        }
        long size = i.size();
        if (size > MAX_SYMLINK || size > sb.blockSize) {
            throw new Ext4CorruptException("symlink inode " + i.ino + " i_size " + size);
        }
        byte[] target;
        if (i.hasFlag(Inode.FL_INLINE_DATA)) {
            target = Arrays.copyOf(inline.inlineData(i), (int) size);
        } else if (mapping.isFastSymlink(i)) {
            if (size >= Inode.I_BLOCK_LEN) {
                throw new Ext4CorruptException("fast symlink inode " + i.ino + " i_size " + size);
            }
            target = Arrays.copyOfRange(i.raw, Inode.I_BLOCK, Inode.I_BLOCK + (int) size);
        } else {
            ByteBuffer b = ByteBuffer.allocate((int) size);
            mapping.readMapped(i, 0, (int) size, b);
            target = b.array();
        }
        return new String(target, StandardCharsets.UTF_8);
    }

    // ---- directories: reading ----------------------------------------------------------------------------------

    @Override
    public synchronized Optional<Node> lookup(Node dir, String name) throws IOException {
        byte[] n = Directories.checkName(name);
        Directories.Slot s = dirs.find(vol.readInode(dir.id()), n);
        return s == null
                ? Optional.empty()
                : Optional.of(node(vol.readInode(s.dirent().inode())));
    }

    @Override
    public synchronized List<Entry> list(Node dir) throws IOException {
        List<Entry> out = new ArrayList<>();
        forEachEntry(dir, out::add);
        return out;
    }

    /** Streams the directory's blocks one at a time ({@link Directories#scanDir}); at most {@value #MAX_LIST_ENTRIES} entries. */
    @Override
    public synchronized void forEachEntry(Node dir, EntryVisitor visitor) throws IOException {
        int[] count = {0};
        dirs.scanDir(vol.readInode(dir.id()), s -> {
            Dirents.Dirent d = s.dirent();
            if (d.inode() == 0 || Directories.isDotName(d.name())) {
                return false;
            }
            if (d.inode() > sb.inodesCount) {
                throw new Ext4CorruptException("directory entry '" + d.nameString() + "' names inode " + d.inode());
            }
            if (++count[0] > MAX_LIST_ENTRIES) {
                throw new Ext4CorruptException(
                        "directory inode " + dir.id() + " has more than " + MAX_LIST_ENTRIES + " entries");
            }
            GuestFiles.Type t = switch (d.type()) {
                case Dirents.FT_REG -> GuestFiles.Type.FILE;
                case Dirents.FT_DIR -> GuestFiles.Type.DIRECTORY;
                case Dirents.FT_SYMLINK -> GuestFiles.Type.SYMLINK;
                case Dirents.FT_UNKNOWN -> node(vol.readInode(d.inode())).type();
                default -> GuestFiles.Type.OTHER;
            };
            return !visitor.visit(new Entry(d.nameString(), d.inode(), t));
        });
    }

    /** One inode read by the entry's inode number. */
    @Override
    public synchronized Optional<Node> node(Node dir, Entry entry) throws IOException {
        return Optional.of(node(vol.readInode(entry.id())));
    }

    // ---- transactions ------------------------------------------------------------------------------------------

    private interface Op<T> {
        T run() throws IOException;
    }

    private <T> T mutate(Op<T> op) throws IOException {
        if (writeRefusal != null || vol.wsrc == null) {
            throw new UnsupportedFsFeatureException(type(), writeRefusal == null ? "read-only source" : writeRefusal);
        }
        vol.begin();
        T result;
        try {
            result = op.run();
        } catch (IOException | RuntimeException e) {
            vol.abort();
            throw e;
        }
        vol.commit();
        return result;
    }

    @Override
    public boolean writable() {
        return writeRefusal == null && vol.wsrc != null;
    }

    /** Why writing is refused (feature, state), or empty when writable. */
    public Optional<String> writeRefusalReason() {
        return Optional.ofNullable(writeRefusal);
    }

    @Override
    public synchronized void flush() throws IOException {
        if (vol.wsrc != null) {
            vol.wsrc.flush();
        }
    }

    @Override
    public void close() throws IOException {
        // the byte source belongs to the caller
    }

    static long now() {
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
            FileMap.putExtentNode(i.raw, Inode.I_BLOCK, List.of(), 4, 0);
        }
        return i;
    }

    private Inode dirForWrite(Node dir) throws IOException {
        Inode d = vol.readInode(dir.id());
        if (!d.isDir()) {
            throw new NotDirectoryException("inode " + d.ino);
        }
        refuseSpecialInode(d, "change");
        if (d.links() == 0) {
            throw new NoSuchFileException("directory inode " + d.ino + " was removed");
        }
        return d;
    }

    static void touch(Inode i) {
        long t = now();
        i.setMtime(t);
        i.setCtime(t);
    }

    @Override
    public synchronized void replaceContent(Node file, byte[] content) throws IOException {
        mutate(() -> {
            Inode i = vol.readInode(file.id());
            if (!i.isReg()) {
                throw new IOException("ext4: inode " + i.ino + " is not a regular file");
            }
            refuseSpecialInode(i, "rewrite");
            if (i.hasFlag(Inode.FL_INLINE_DATA)) {
                inline.replaceInline(i, content);
            } else {
                mapping.setContent(i, content);
            }
            touch(i);
            vol.stageInode(i);
            return null;
        });
    }

    @Override
    public synchronized Node createFile(Node dir, String name, int mode, int uid, int gid, byte[] content)
            throws IOException {
        return mutate(() -> {
            byte[] n = Directories.checkName(name);
            Inode d = dirForWrite(dir);
            if (dirs.findLinear(d, n) != null) {
                throw new FileAlreadyExistsException(name);
            }
            Inode i = newInode(d.ino, Inode.S_IFREG, mode, uid, gid);
            i.setLinks(1);
            mapping.setContent(i, content);
            vol.stageInode(i);
            dirs.addEntry(d.ino, n, i.ino, Dirents.FT_REG);
            return node(vol.readInode(i.ino));
        });
    }

    @Override
    public synchronized Node mkdir(Node dir, String name, int mode, int uid, int gid) throws IOException {
        return mutate(() -> {
            byte[] n = Directories.checkName(name);
            Inode d = dirForWrite(dir);
            if (dirs.findLinear(d, n) != null) {
                throw new FileAlreadyExistsException(name);
            }
            incDirLinks(d);
            vol.stageInode(d);
            Inode i = newInode(d.ino, Inode.S_IFDIR, mode, uid, gid);
            i.setLinks(2);
            long goal = mapping.goalFor(i.ino);
            List<long[]> runs = mapping.allocData(goal, 1);
            byte[] blk = new byte[sb.blockSize];
            int end = sb.blockSize - dirs.tailSize();
            Dirents.put(blk, 0, i.ino, 12, new byte[] {'.'}, Dirents.FT_DIR, sb.filetype());
            Dirents.put(blk, 12, d.ino, end - 12, new byte[] {'.', '.'}, Dirents.FT_DIR, sb.filetype());
            long tree = mapping.buildMapping(i, runs, goal);
            i.setBlocks512((1 + tree) * mapping.sectorsPerBlock());
            i.setSize(sb.blockSize);
            dirs.stageDirBlock(i, runs.get(0)[0], blk);
            vol.stageInode(i);
            dirs.addEntry(d.ino, n, i.ino, Dirents.FT_DIR);
            return node(vol.readInode(i.ino));
        });
    }

    @Override
    public synchronized Node symlink(Node dir, String name, String target, int uid, int gid) throws IOException {
        return mutate(() -> {
            byte[] n = Directories.checkName(name);
            byte[] t = target.getBytes(StandardCharsets.UTF_8);
            if (t.length == 0 || t.length > MAX_SYMLINK || t.length >= sb.blockSize) {
                throw new IOException("ext4: symlink target of " + t.length + " bytes");
            }
            Inode d = dirForWrite(dir);
            if (dirs.findLinear(d, n) != null) {
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
                long goal = mapping.goalFor(i.ino);
                List<long[]> runs = mapping.allocData(goal, 1);
                byte[] blk = new byte[sb.blockSize];
                System.arraycopy(t, 0, blk, 0, t.length);
                vol.stageBlock(runs.get(0)[0], blk);
                long tree = mapping.buildMapping(i, runs, goal);
                i.setBlocks512((1 + tree) * mapping.sectorsPerBlock());
                i.setSize(t.length);
            }
            vol.stageInode(i);
            dirs.addEntry(d.ino, n, i.ino, Dirents.FT_SYMLINK);
            return node(vol.readInode(i.ino));
        });
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

    /** Drops one link of inode {@code ino}; frees it (blocks, xattr block, inode) when none is left. */
    private void dropLink(long ino, long parentIno) throws IOException {
        Inode i = vol.readInode(ino);
        refuseSpecialInode(i, "removal");
        boolean dir = i.isDir();
        if (dir) {
            i.setLinks(0);
            Inode p = vol.readInode(parentIno);
            decDirLinks(p);
            vol.stageInode(p);
        } else if (i.links() > 0) {
            i.setLinks(i.links() - 1);
        }
        i.setCtime(now());
        if (i.links() == 0) {
            mapping.freeMapping(i);
            releaseXattrBlock(i);
            i.setSize(0);
            i.setBlocks512(0);
            Arrays.fill(i.raw, Inode.I_BLOCK, Inode.I_BLOCK + Inode.I_BLOCK_LEN, (byte) 0);
            if (i.hasFlag(Inode.FL_EXTENTS)) {
                FileMap.putExtentNode(i.raw, Inode.I_BLOCK, List.of(), 4, 0);
            }
            i.setFlags(i.flags() & ~Inode.FL_INLINE_DATA);
            i.setDtime(now());
            groups.freeInode(ino, dir);
        }
        vol.stageInode(i);
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
        byte[] blk = vol.readBlock(b);
        if (LittleEndian.i32(blk, 0) != InodeXattrs.MAGIC) {
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
            vol.stageBlock(b, blk);
        } else {
            groups.freeBlocks(b, 1);
        }
        i.setFileAcl(0);
    }

    @Override
    public synchronized void unlink(Node dir, String name) throws IOException {
        mutate(() -> {
            byte[] n = Directories.checkName(name);
            if (Directories.isDotName(n)) {
                throw new IOException("ext4: cannot unlink '" + name + "'");
            }
            Inode d = dirForWrite(dir);
            Directories.Slot s = dirs.find(d, n);
            if (s == null) {
                throw new NoSuchFileException(name);
            }
            Inode victim = vol.readInode(s.dirent().inode());
            if (victim.isDir() && !dirs.isEmptyDir(victim)) {
                throw new DirectoryNotEmptyException(name);
            }
            dirs.removeSlot(d, s);
            dropLink(victim.ino, d.ino);
            return null;
        });
    }

    @Override
    public synchronized void rename(Node fromDir, String fromName, Node toDir, String toName) throws IOException {
        mutate(() -> {
            byte[] fn = Directories.checkName(fromName);
            byte[] tn = Directories.checkName(toName);
            if (Directories.isDotName(fn) || Directories.isDotName(tn)) {
                throw new IOException("ext4: cannot rename '.' or '..'");
            }
            Inode fd = dirForWrite(fromDir);
            Inode td = dirForWrite(toDir);
            Directories.Slot s = dirs.find(fd, fn);
            if (s == null) {
                throw new NoSuchFileException(fromName);
            }
            long x = s.dirent().inode();
            Inode xi = vol.readInode(x);
            boolean moveDir = xi.isDir() && fd.ino != td.ino;
            if (xi.isDir()) {
                dirs.checkNotAncestor(x, td.ino);
            }
            Directories.Slot existing = dirs.findLinear(td, tn);
            if (existing != null) {
                long y = existing.dirent().inode();
                if (y == x) {
                    return null; // both names already link the same inode: POSIX says do nothing
                }
                Inode yi = vol.readInode(y);
                if (xi.isDir() != yi.isDir()) {
                    throw new IOException("ext4: rename of "
                            + (xi.isDir() ? "a directory over a non-directory" : "a non-directory over a directory"));
                }
                if (yi.isDir() && !dirs.isEmptyDir(yi)) {
                    throw new DirectoryNotEmptyException(toName);
                }
                dirs.removeSlot(vol.readInode(td.ino), existing);
                dropLink(y, td.ino);
            }
            dirs.addEntry(td.ino, tn, x, dirs.fileTypeOf(xi));
            Directories.Slot again = dirs.find(vol.readInode(fd.ino), fn);
            dirs.removeSlot(vol.readInode(fd.ino), again);
            if (moveDir) {
                dirs.setDotDot(x, td.ino);
                Inode f = vol.readInode(fd.ino);
                decDirLinks(f);
                vol.stageInode(f);
                Inode t = vol.readInode(td.ino);
                incDirLinks(t);
                vol.stageInode(t);
            }
            Inode moved = vol.readInode(x);
            moved.setCtime(now());
            vol.stageInode(moved);
            return null;
        });
    }

    @Override
    public synchronized void setAttributes(Node node, Integer mode, Integer uid, Integer gid, Long mtime)
            throws IOException {
        mutate(() -> {
            Inode i = vol.readInode(node.id());
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
            vol.stageInode(i);
            return null;
        });
    }
}
