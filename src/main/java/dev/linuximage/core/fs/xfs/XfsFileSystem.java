package dev.linuximage.core.fs.xfs;

import static dev.linuximage.core.fs.xfs.XfsInodes.DIFLAG2_BIGTIME;
import static dev.linuximage.core.fs.xfs.XfsInodes.DIFLAG2_NREXT64;
import static dev.linuximage.core.fs.xfs.XfsInodes.DIFLAG2_REFLINK;
import static dev.linuximage.core.fs.xfs.XfsInodes.FMT_BTREE;
import static dev.linuximage.core.fs.xfs.XfsInodes.FMT_EXTENTS;
import static dev.linuximage.core.fs.xfs.XfsInodes.FMT_LOCAL;
import static dev.linuximage.core.fs.xfs.XfsInodes.S_IFDIR;
import static dev.linuximage.core.fs.xfs.XfsInodes.S_IFLNK;
import static dev.linuximage.core.fs.xfs.XfsInodes.S_IFMT;
import static dev.linuximage.core.fs.xfs.XfsInodes.S_IFREG;
import static dev.linuximage.core.fs.xfs.XfsInodes.putTime;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.fs.xfs.XfsBmap.Extent;
import dev.linuximage.core.fs.xfs.XfsDirReader.DirEnt;
import dev.linuximage.core.fs.xfs.XfsInodes.Inode;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.WritableByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * XFS v5 (CRC-enabled) reader with a narrow, safe writer, without mounting. References: "XFS Algorithms &amp; Data
 * Structures" 3rd edition (xfs-documentation), chapters on the superblock (§13), inodes (§16), data extents (§17),
 * directories (§18) and symbolic links (§20). All on-disk integers are big-endian; CRC32C fields are stored
 * little-endian and computed with the field zeroed.
 *
 * <p>Reads: short-form, block, leaf and node directories (through their data blocks), local/extent/btree data forks,
 * holes and unwritten extents as zeros, inline and remote symlinks.
 *
 * <p>Writes (only with a clean log and known features), each staged in an {@link XfsTx} and written only once fully
 * planned, so a refusal ({@link UnsupportedFsFeatureException} naming what blocked it) writes nothing:
 * {@link #replaceContent} (in place, or into new extents, one or several, with an extent list or a two-level bmap
 * btree, the old extents and bmap btree blocks freed), {@link #createFile}, {@link #symlink} and {@link #mkdir} in short-form, single-block and leaf-form
 * directories (short form converts to block form when it overflows the inode), {@link #unlink} in short-form and
 * single-block directories, and {@link #setAttributes}. A smaller content frees the blocks past its new end.
 * Inodes come from existing chunks or a new 64-inode chunk, and blocks from single-leaf free-space btrees
 * ({@link XfsAlloc}); anything needing a btree split/merge, node directories (or unlink in leaf ones) or rmapbt
 * updates is refused, as is rename.
 *
 * <p>This class is the facade: each on-disk structure has its own class, as qemu keeps qcow2-cluster.c and
 * qcow2-refcount.c apart: {@link XfsInodes} (the v3 inode core), {@link XfsBmap} (extent lists and bmap btrees),
 * {@link XfsDirReader} / {@link XfsDirWriter} (directory walk; entry add/remove) over the pure formats of
 * {@link XfsDir}, {@link XfsAlloc} (free-space and inode btrees), {@link XfsTx} (staged writes and CRC32C).
 */
public final class XfsFileSystem implements FileSystem {
    private final ByteSource dev;
    private final XfsSuperblock sb;
    private final boolean logClean;
    private final boolean writable;
    private final XfsInodes inodes;
    private final XfsBmap bmap;
    private final XfsDirReader dirs;
    private final XfsDirWriter dirWriter;

    private XfsFileSystem(ByteSource dev, XfsSuperblock sb, boolean writable) throws IOException {
        this.dev = dev;
        this.sb = sb;
        this.inodes = new XfsInodes(dev, sb);
        this.bmap = new XfsBmap(dev, sb, inodes);
        this.dirs = new XfsDirReader(dev, sb, bmap);
        this.dirWriter = new XfsDirWriter(sb, inodes, bmap);
        this.logClean = XfsLog.isClean(dev, sb);
        if (writable) {
            if (!(dev instanceof WritableByteSource)) {
                throw new IOException("xfs: device is not writable");
            }
            if (!logClean) {
                throw new UnsupportedFsFeatureException(
                        "xfs",
                        "writing while the log is dirty (needs log recovery:"
                                + " mount the file system once or run xfs_repair)");
            }
            if ((sb.roCompat() & ~XfsSuperblock.RO_COMPAT_KNOWN) != 0) {
                throw new UnsupportedFsFeatureException(
                        "xfs",
                        "writing with ro-compat features 0x"
                                + Long.toHexString(sb.roCompat() & ~XfsSuperblock.RO_COMPAT_KNOWN));
            }
            if (sb.logIncompat() != 0) {
                throw new UnsupportedFsFeatureException(
                        "xfs", "writing with log-incompat features 0x" + Long.toHexString(sb.logIncompat()));
            }
        }
        this.writable = writable;
    }

    /** True when {@code dev} holds an XFS superblock magic ({@code XFSB}) at byte 0. */
    public static boolean probe(ByteSource dev) throws IOException {
        return dev.size() >= 512 && ByteBuffer.wrap(dev.readBytes(0, 4)).getInt() == 0x58465342;
    }

    /** Opens an XFS v5 file system; {@code writable} needs a clean log and a {@link WritableByteSource}. */
    public static XfsFileSystem open(ByteSource dev, boolean writable) throws IOException {
        if (dev.size() < 512) {
            throw new XfsCorruptException("xfs: device smaller than a superblock");
        }
        byte[] first = dev.readBytes(0, 512);
        int sect = ByteBuffer.wrap(first).getShort(102) & 0xffff;
        byte[] s = sect > 512 && sect <= 32768 && dev.size() >= sect ? dev.readBytes(0, sect) : first;
        return new XfsFileSystem(dev, XfsSuperblock.parse(s, dev.size()), writable);
    }

    /** False when the log holds changes that need recovery (reads may then be stale; writes are refused). */
    public boolean logClean() {
        return logClean;
    }

    @Override
    public String type() {
        return "xfs";
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
        return sb.dblocks() * sb.blockSize();
    }

    /** Free bytes summed over the AGF headers (free-space btrees plus the AG free list). */
    @Override
    public long freeBytes() {
        try {
            long free = 0;
            for (int ag = 0; ag < sb.agCount(); ag++) {
                long base = (long) ag * sb.agBlocks() * sb.blockSize();
                ByteBuffer agf = ByteBuffer.wrap(dev.readBytes(base + sb.sectSize(), 64));
                if (agf.getInt(0) != 0x58414746) {
                    return sb.fdblocks() * sb.blockSize();
                }
                free += (agf.getInt(52) & 0xffffffffL) + (agf.getInt(48) & 0xffffffffL);
            }
            return free * sb.blockSize();
        } catch (IOException e) {
            return sb.fdblocks() * sb.blockSize();
        }
    }

    @Override
    public boolean writable() {
        return writable;
    }

    // ---- inodes -------------------------------------------------------------------------------------------------

    /** Byte offset of inode {@code ino} on the device (see {@link XfsInodes#inodeOffset}). */
    long inodeOffset(long ino) throws IOException {
        return inodes.inodeOffset(ino);
    }

    private Node node(Inode i) {
        GuestFiles.Type t = switch (i.type()) {
            case S_IFDIR -> GuestFiles.Type.DIRECTORY;
            case S_IFREG -> GuestFiles.Type.FILE;
            case S_IFLNK -> GuestFiles.Type.SYMLINK;
            default -> GuestFiles.Type.OTHER;
        };
        return new Node(i.ino(), t, i.size(), i.mode() & 07777, i.uid(), i.gid(), i.mtime(), (int)
                Math.min(Integer.MAX_VALUE, i.nlink()));
    }

    // ---- data fork mapping --------------------------------------------------------------------------------------

    // ---- directories --------------------------------------------------------------------------------------------

    // ---- FileSystem ---------------------------------------------------------------------------------------------

    @Override
    public Node root() throws IOException {
        return node(inodes.inode(sb.rootIno()));
    }

    @Override
    public Optional<Node> lookup(Node dir, String name) throws IOException {
        long[] found = {-1};
        dirs.walkDir(inodes.inode(dir.id()), e -> {
            if (e.name().equals(name)) {
                found[0] = e.ino();
                return false;
            }
            return true;
        });
        return found[0] < 0 ? Optional.empty() : Optional.of(node(inodes.inode(found[0])));
    }

    @Override
    public List<Entry> list(Node dir) throws IOException {
        List<Entry> out = new ArrayList<>();
        forEachEntry(dir, out::add);
        return out;
    }

    @Override
    public void forEachEntry(Node dir, EntryVisitor visitor) throws IOException {
        dirs.walkDir(inodes.inode(dir.id()), e -> {
            GuestFiles.Type t = switch (e.ftype()) {
                case 1 -> GuestFiles.Type.FILE;
                case 2 -> GuestFiles.Type.DIRECTORY;
                case 7 -> GuestFiles.Type.SYMLINK;
                case 0 -> node(inodes.inode(e.ino())).type(); // no ftype feature: only the inode knows
                default -> GuestFiles.Type.OTHER;
            };
            return visitor.visit(new Entry(e.name(), e.ino(), t));
        });
    }

    /** One inode read by the entry's inode number, instead of a name lookup through the whole directory. */
    @Override
    public Optional<Node> node(Node dir, Entry entry) throws IOException {
        return Optional.of(node(inodes.inode(entry.id())));
    }

    @Override
    public int read(Node file, long offset, ByteBuffer dst) throws IOException {
        Inode in = inodes.inode(file.id());
        if (in.type() != S_IFREG) {
            throw new IOException("xfs: inode " + in.ino() + " is not a regular file");
        }
        if (in.format() == FMT_LOCAL) {
            throw new XfsCorruptException("xfs: inode " + in.ino() + ": regular file in local format");
        }
        return bmap.readMapped(in, offset, dst);
    }

    @Override
    public String readLink(Node symlink) throws IOException {
        Inode in = inodes.inode(symlink.id());
        if (in.type() != S_IFLNK) {
            throw new IOException("xfs: inode " + in.ino() + " is not a symlink");
        }
        if (in.size() <= 0 || in.size() > 1024) {
            throw new XfsCorruptException("xfs: symlink " + in.ino() + ": length " + in.size() + " outside 1..1024");
        }
        int len = (int) in.size();
        if (in.format() == FMT_LOCAL) {
            if (len > in.forkSize()) {
                throw new XfsCorruptException("xfs: inline symlink " + in.ino() + " longer than its fork");
            }
            return new String(in.raw(), 176, len, StandardCharsets.UTF_8);
        }
        // §20.2: remote symlink blocks carry an XSLM header (56 bytes) before the target bytes.
        byte[] out = new byte[len];
        int got = 0;
        for (Extent e : bmap.extents(in)) {
            for (long k = 0; k < e.count() && got < len; k++) {
                byte[] blk = dev.readBytes(sb.fsbToByte(e.startBlock() + k), sb.blockSize());
                ByteBuffer b = ByteBuffer.wrap(blk);
                if (b.getInt(0) != 0x58534c4d) {
                    throw new XfsCorruptException("xfs: symlink " + in.ino() + ": remote block bad magic");
                }
                XfsTx.checkCrc(blk, 12, "symlink " + in.ino() + " block");
                int bytes = b.getInt(8);
                if (bytes < 0 || bytes > sb.blockSize() - 56 || bytes > len - got) {
                    throw new XfsCorruptException("xfs: symlink " + in.ino() + ": remote block byte count " + bytes);
                }
                System.arraycopy(blk, 56, out, got, bytes);
                got += bytes;
            }
        }
        if (got != len) {
            throw new XfsCorruptException("xfs: symlink " + in.ino() + ": " + got + " of " + len + " bytes mapped");
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    // ---- writing ------------------------------------------------------------------------------------------------

    private WritableByteSource writeDevice() throws IOException {
        if (!writable) {
            throw new UnsupportedFsFeatureException("xfs", "writing: opened read-only");
        }
        return (WritableByteSource) dev;
    }

    /**
     * Rewrites a regular file. Content that fits the blocks the file already maps (written, from file block 0) is
     * written in place, and the blocks past its end are freed ({@link XfsBmap#trimTail}); anything else goes to freshly
     * allocated extents (see {@link XfsBmap#relocate}). Refused (before any
     * byte is written) for reflinked, realtime, immutable or append-only files and non-extent/btree data forks.
     */
    @Override
    public void replaceContent(Node file, byte[] content) throws IOException {
        WritableByteSource w = writeDevice();
        Inode in = inodes.inode(file.id());
        if (in.type() != S_IFREG) {
            throw new IOException("xfs: inode " + in.ino() + " is not a regular file");
        }
        if ((in.diFlags() & 0x1) != 0) {
            throw new UnsupportedFsFeatureException("xfs", "writing realtime files");
        }
        if ((in.diFlags() & (0x8 | 0x10)) != 0) {
            throw new UnsupportedFsFeatureException("xfs", "writing immutable or append-only files");
        }
        if ((in.flags2() & DIFLAG2_REFLINK) != 0) {
            throw new UnsupportedFsFeatureException("xfs", "writing a reflinked file (its extents may be shared)");
        }
        if (in.format() != FMT_EXTENTS && in.format() != FMT_BTREE) {
            throw new UnsupportedFsFeatureException("xfs", "writing a file in data fork format " + in.format());
        }
        int bs = sb.blockSize();
        long blocks = (content.length + (long) bs - 1) / bs;
        List<Extent> ext = bmap.extents(in);
        if (bmap.allocatedPrefix(ext) < blocks * bs) {
            bmap.relocate(w, in, ext, content);
            return;
        }
        // blocks mapped past the new end (rounded up to whole blocks) go back to the free space
        XfsTx tx = new XfsTx(dev);
        byte[] raw = in.raw().clone();
        if (!ext.isEmpty()
                && ext.get(ext.size() - 1).startOff() + ext.get(ext.size() - 1).count() > blocks) {
            try {
                bmap.trimTail(tx, in, ext, blocks, raw);
            } catch (UnsupportedFsFeatureException e) {
                // the free-space btrees cannot take them (rmapbt, a full leaf): keep the tail allocated to the
                // file as before (xfs_repair-clean: blocks past EOF are the file's), nothing else changes
                tx = new XfsTx(dev);
                raw = in.raw().clone();
            }
        }
        // in place, one write per extent (the last block's tail zeroed)
        for (Extent e : ext) {
            if (e.startOff() >= blocks) {
                continue;
            }
            long n = Math.min(e.count(), blocks - e.startOff());
            long from = e.startOff() * bs;
            int len = (int) Math.min(n * bs, content.length - from);
            long phys = sb.fsbToByte(e.startBlock());
            w.write(phys, ByteBuffer.wrap(content, (int) from, len));
            if (len < n * bs) {
                w.write(phys + len, ByteBuffer.allocate((int) (n * bs - len)));
            }
        }
        long now = System.currentTimeMillis() / 1000;
        ByteBuffer b = ByteBuffer.wrap(raw);
        b.putLong(56, content.length);
        putTime(b, 40, in.flags2(), now);
        putTime(b, 48, in.flags2(), now);
        inodes.stageInode(tx, in.ino(), raw);
        tx.commit(w);
        bmap.invalidate();
    }

    @Override
    public void setAttributes(Node node, Integer mode, Integer uid, Integer gid, Long mtime) throws IOException {
        WritableByteSource w = writeDevice();
        Inode in = inodes.inode(node.id());
        byte[] raw = in.raw().clone();
        ByteBuffer b = ByteBuffer.wrap(raw);
        if (mode != null) {
            b.putShort(2, (short) ((in.mode() & S_IFMT) | (mode & 07777)));
        }
        if (uid != null) {
            b.putInt(8, uid);
        }
        if (gid != null) {
            b.putInt(12, gid);
        }
        if (mtime != null) {
            putTime(b, 40, in.flags2(), mtime);
        }
        putTime(b, 48, in.flags2(), System.currentTimeMillis() / 1000);
        inodes.writeInode(w, in.ino(), raw);
        bmap.invalidate();
    }

    private UnsupportedFsFeatureException refuse(String what) throws IOException {
        writeDevice();
        return new UnsupportedFsFeatureException("xfs", what + " (not implemented)");
    }

    /**
     * Largest extent a v5 bmbt record holds (21-bit block count, XFS Algorithms &amp; Data Structures §19.1,
     * {@code MAXEXTLEN}); see {@link XfsBmap#MAX_EXTENT_BLOCKS}.
     */
    public static final int MAX_EXTENT_BLOCKS = XfsBmap.MAX_EXTENT_BLOCKS;

    /** Largest regular file {@link #createFile} writes: one contiguous extent of at most this many bytes. */
    public static final int MAX_CREATE_BYTES = 1 << 20;

    /**
     * Creates a regular file of at most {@link #MAX_CREATE_BYTES} bytes (one contiguous extent, or none when empty)
     * in a short-form or single-block directory. See {@link #createEntry} for what is refused.
     */
    @Override
    public synchronized Node createFile(Node dir, String name, int mode, int uid, int gid, byte[] content)
            throws IOException {
        if (content.length > MAX_CREATE_BYTES) {
            writeDevice();
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "creating a file of " + content.length + " bytes (this " + "writer creates files of at most "
                            + MAX_CREATE_BYTES + " bytes, in one extent)");
        }
        return createEntry(dir, name, S_IFREG | (mode & 07777), uid, gid, XfsDir.FT_REG, content);
    }

    /** Creates an empty short-form directory (link count 2, parent's link count + 1). */
    @Override
    public synchronized Node mkdir(Node dir, String name, int mode, int uid, int gid) throws IOException {
        return createEntry(dir, name, S_IFDIR | (mode & 07777), uid, gid, XfsDir.FT_DIR, null);
    }

    /**
     * Creates a symlink: inline in the inode when the target fits the literal area, otherwise one remote block with
     * its v5 header ({@code XSLM}, §20.2). Targets longer than 1024 bytes are refused.
     */
    @Override
    public synchronized Node symlink(Node dir, String name, String target, int uid, int gid) throws IOException {
        byte[] t = target.getBytes(StandardCharsets.UTF_8);
        if (t.length == 0 || t.length > 1024 || target.indexOf('\0') >= 0) {
            throw new IOException("xfs: symlink target of " + t.length + " bytes (1..1024, no NUL)");
        }
        return createEntry(dir, name, S_IFLNK | 0777, uid, gid, XfsDir.FT_SYMLINK, t);
    }

    private static byte[] checkName(String name) throws IOException {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        if (b.length == 0
                || b.length > 255
                || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0
                || name.equals(".")
                || name.equals("..")) {
            throw new IOException("xfs: invalid file name '" + name + "'");
        }
        return b;
    }

    /**
     * Creates one directory entry and its new inode, staging every change in an {@link XfsTx} and writing only when
     * all of it is planned: a refusal leaves the image byte-identical. Refused (named): ASCII-CI directories, node
     * directories, full leaf-form data/leaf blocks, a full single-block directory, short-form directories with
     * 8-byte inode numbers, no free inode and no new inode chunk possible, no AG whose free-space btrees are single
     * leaves with a fitting extent, block allocation with rmapbt.
     */
    private Node createEntry(Node dirNode, String name, int mode, int uid, int gid, int ftype, byte[] data)
            throws IOException {
        WritableByteSource w = writeDevice();
        byte[] n = checkName(name);
        if ((ByteBuffer.wrap(dev.readBytes(100, 2)).getShort(0) & 0x4000) != 0) {
            throw new UnsupportedFsFeatureException(
                    "xfs", "adding entries to an ASCII case-insensitive (version=ci) " + "file system");
        }
        Inode dir = inodes.inode(dirNode.id());
        if (dir.type() != S_IFDIR) {
            throw new IOException("xfs: inode " + dir.ino() + " is not a directory");
        }
        if ((dir.diFlags() & (0x8 | 0x10)) != 0) {
            throw new UnsupportedFsFeatureException("xfs", "adding entries to an immutable or append-only directory");
        }
        for (DirEnt e : dirs.dirEntries(dir)) {
            if (e.name().equals(name)) {
                throw new java.nio.file.FileAlreadyExistsException(name);
            }
        }
        XfsTx tx = new XfsTx(dev);
        XfsAlloc alloc = new XfsAlloc(sb, tx);
        long ino = alloc.allocInode(inodes.agOf(dir.ino()), i -> inodes.checkFreeOnDisk(tx, i));
        long now = System.currentTimeMillis() / 1000;
        byte[] raw = inodes.newInode(ino, mode, uid, gid, now);
        ByteBuffer b = ByteBuffer.wrap(raw);
        int literal = sb.inodeSize() - 176;
        int bs = sb.blockSize();
        if (ftype == XfsDir.FT_DIR) {
            if (dir.ino() > 0xffffffffL) {
                throw new UnsupportedFsFeatureException(
                        "xfs", "creating a directory whose parent inode number needs" + " 8 bytes in short form");
            }
            raw[5] = FMT_LOCAL;
            b.putInt(16, 2);
            b.putLong(56, 6);
            b.putInt(176 + 2, (int) dir.ino()); // count 0, i8count 0, 4-byte parent
        } else if (ftype == XfsDir.FT_SYMLINK && data.length <= literal) {
            raw[5] = FMT_LOCAL;
            b.putLong(56, data.length);
            System.arraycopy(data, 0, raw, 176, data.length);
        } else if (ftype == XfsDir.FT_SYMLINK) {
            if (data.length > bs - 56) {
                throw new UnsupportedFsFeatureException(
                        "xfs",
                        "a remote symlink target of " + data.length + " bytes spanning more than one " + bs
                                + "-byte block");
            }
            long fsb = alloc.allocBlocks(inodes.agOf(ino), 1, "remote symlink block");
            byte[] blk = new byte[bs];
            ByteBuffer sl = ByteBuffer.wrap(blk);
            long off = sb.fsbToByte(fsb);
            sl.putInt(0, 0x58534c4d); // XSLM
            sl.putInt(4, 0); // offset of these bytes in the target
            sl.putInt(8, data.length);
            System.arraycopy(inodes.metaUuid(), 0, blk, 16, 16);
            sl.putLong(32, ino);
            sl.putLong(40, off / 512);
            System.arraycopy(data, 0, blk, 56, data.length);
            XfsTx.setCrc(blk, 12);
            tx.put(off, blk);
            bmap.setSingleExtent(raw, fsb, 1);
            b.putLong(56, data.length);
        } else if (data.length > 0) {
            int blocks = (int) ((data.length + (long) bs - 1) / bs);
            long fsb = alloc.allocBlocks(inodes.agOf(ino), blocks, "file data");
            tx.put(sb.fsbToByte(fsb), java.util.Arrays.copyOf(data, blocks * bs));
            bmap.setSingleExtent(raw, fsb, blocks);
            b.putLong(56, data.length);
        }
        inodes.stageInode(tx, ino, raw);
        dirWriter.addEntry(tx, alloc, dir, n, ino, ftype, now);
        tx.commit(w);
        bmap.invalidate();
        return node(inodes.inode(ino));
    }

    /**
     * Removes a regular file, symlink, special file or empty short-form directory from a short-form or single-block
     * directory. With other links left only the link count drops; otherwise the inode goes back to its chunk and its
     * extents and bmap btree blocks to the free-space btrees (merged with free neighbours). Refused (named, nothing
     * written): attribute forks kept in blocks, reflinked/realtime/immutable/append-only files, rmapbt when blocks are
     * freed, non-empty directories, leaf/node parent directories, btree shapes that would need a split or merge.
     */
    @Override
    public synchronized void unlink(Node dirNode, String name) throws IOException {
        WritableByteSource w = writeDevice();
        byte[] n = checkName(name);
        Inode dir = inodes.inode(dirNode.id());
        if (dir.type() != S_IFDIR) {
            throw new IOException("xfs: inode " + dir.ino() + " is not a directory");
        }
        if ((dir.diFlags() & (0x8 | 0x10)) != 0) {
            throw new UnsupportedFsFeatureException(
                    "xfs", "removing entries from an immutable or append-only " + "directory");
        }
        DirEnt hit = null;
        for (DirEnt e : dirs.dirEntries(dir)) {
            if (e.name().equals(name)) {
                hit = e;
            }
        }
        if (hit == null) {
            throw new java.nio.file.NoSuchFileException(name);
        }
        Inode v = inodes.inode(hit.ino());
        if ((v.diFlags() & (0x1 | 0x8 | 0x10)) != 0) {
            throw new UnsupportedFsFeatureException("xfs", "removing a realtime, immutable or append-only file");
        }
        if ((v.flags2() & DIFLAG2_REFLINK) != 0) {
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "removing a reflinked file (its extents may be shared; "
                            + "the refcount btree is not updated by this writer)");
        }
        boolean isDir = v.type() == S_IFDIR;
        if (isDir && (v.format() != FMT_LOCAL || (v.raw()[176] & 0xff) != 0 || (v.raw()[177] & 0xff) != 0)) {
            throw new UnsupportedFsFeatureException("xfs", "removing a directory that is not empty and short-form");
        }
        int aformat = v.raw()[83];
        int anext = ByteBuffer.wrap(v.raw()).getShort(80);
        if ((v.raw()[82] & 0xff) != 0 && aformat != FMT_LOCAL && !(aformat == FMT_EXTENTS && anext == 0)) {
            throw new UnsupportedFsFeatureException(
                    "xfs", "removing a file whose extended attributes live in " + "blocks");
        }
        long now = System.currentTimeMillis() / 1000;
        XfsTx tx = new XfsTx(dev);
        XfsAlloc alloc = new XfsAlloc(sb, tx);
        dirWriter.removeEntry(tx, dir, n, isDir, now);
        byte[] raw = v.raw().clone();
        ByteBuffer b = ByteBuffer.wrap(raw);
        if (!isDir && v.nlink() > 1) {
            b.putInt(16, (int) v.nlink() - 1);
            putTime(b, 48, v.flags2(), now);
        } else {
            if (v.format() == FMT_EXTENTS || v.format() == FMT_BTREE) {
                for (Extent e : bmap.extents(v)) {
                    alloc.freeBlocks(e.startBlock(), e.count(), "file data");
                }
            }
            if (v.format() == FMT_BTREE) {
                for (long fsb : bmap.bmbtBlocks(v)) {
                    alloc.freeBlocks(fsb, 1, "bmap btree blocks");
                }
            }
            alloc.freeInode(v.ino());
            // a free inode core (as the kernel leaves it): mode 0, no forks, no links, next generation
            java.util.Arrays.fill(raw, 176, raw.length, (byte) 0);
            b.putShort(2, (short) 0);
            raw[5] = FMT_EXTENTS;
            b.putInt(16, 0);
            b.putLong(24, 0);
            b.putLong(56, 0);
            b.putLong(64, 0);
            b.putInt(72, 0);
            b.putInt(76, 0);
            b.putShort(80, (short) 0);
            raw[82] = 0;
            raw[83] = FMT_EXTENTS;
            b.putShort(90, (short) 0);
            b.putInt(92, b.getInt(92) + 1);
            b.putLong(120, v.flags2() & (DIFLAG2_BIGTIME | DIFLAG2_NREXT64));
            b.putInt(128, 0);
            putTime(b, 48, v.flags2(), now);
            b.putLong(152, v.ino());
            System.arraycopy(inodes.metaUuid(), 0, raw, 160, 16);
        }
        inodes.stageInode(tx, v.ino(), raw);
        tx.commit(w);
        bmap.invalidate();
    }

    @Override
    public void rename(Node fromDir, String fromName, Node toDir, String toName) throws IOException {
        throw refuse("renaming");
    }

    @Override
    public void flush() throws IOException {
        if (writable) {
            ((WritableByteSource) dev).flush();
        }
    }

    @Override
    public void close() throws IOException {
        flush();
    }
}
