package dev.linuximage.core.fs.xfs;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.WritableByteSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;

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
 */
public final class XfsFileSystem implements FileSystem {
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
    /** Directory data blocks live below this byte offset of a directory (§18.4, XFS_DIR2_LEAF_OFFSET). */
    static final long DIR_LEAF_OFFSET = 32L << 30;
    /** Upper bound on extent records we collect for one fork (memory bound on hostile btrees). */
    static final int MAX_EXTENTS = 1_000_000;

    private final ByteSource dev;
    private final XfsSuperblock sb;
    private final boolean logClean;
    private final boolean writable;
    private long cachedExtentsIno = -1;
    private List<Extent> cachedExtents;

    /** A data-fork mapping: file blocks {@code [startOff, startOff + count)} at fs block {@code startBlock}. */
    record Extent(long startOff, long startBlock, long count, boolean unwritten) {
    }

    /** A decoded v3 inode; {@code raw} is the whole on-disk inode. */
    record Inode(long ino, int mode, int format, int uid, int gid, long nlink, long size, long mtime, int diFlags,
                 long flags2, long nextents, int forkSize, byte[] raw) {
        int type() {
            return mode & S_IFMT;
        }
    }

    private XfsFileSystem(ByteSource dev, XfsSuperblock sb, boolean writable) throws IOException {
        this.dev = dev;
        this.sb = sb;
        this.logClean = XfsLog.isClean(dev, sb);
        if (writable) {
            if (!(dev instanceof WritableByteSource)) {
                throw new IOException("xfs: device is not writable");
            }
            if (!logClean) {
                throw new UnsupportedFsFeatureException("xfs", "writing while the log is dirty (needs log recovery:"
                        + " mount the file system once or run xfs_repair)");
            }
            if ((sb.roCompat() & ~XfsSuperblock.RO_COMPAT_KNOWN) != 0) {
                throw new UnsupportedFsFeatureException("xfs", "writing with ro-compat features 0x"
                        + Long.toHexString(sb.roCompat() & ~XfsSuperblock.RO_COMPAT_KNOWN));
            }
            if (sb.logIncompat() != 0) {
                throw new UnsupportedFsFeatureException("xfs", "writing with log-incompat features 0x"
                        + Long.toHexString(sb.logIncompat()));
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

    Inode inode(long ino) throws IOException {
        byte[] raw = dev.readBytes(inodeOffset(ino), sb.inodeSize());
        ByteBuffer b = ByteBuffer.wrap(raw);
        if ((b.getShort(0) & 0xffff) != 0x494e) {
            throw new XfsCorruptException("xfs: inode " + ino + ": di_magic bad");
        }
        if (raw[4] != 3) {
            throw new XfsCorruptException("xfs: inode " + ino + ": di_version " + raw[4] + " (v5 uses 3)");
        }
        if (Integer.reverseBytes(b.getInt(100)) != inodeCrc(raw)) {
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
        return new Inode(ino, mode, format, b.getInt(8), b.getInt(12), b.getInt(16) & 0xffffffffL, size,
                time(b, 40, flags2), b.getShort(90) & 0xffff, flags2, nextents, forkSize, raw);
    }

    private int inodeCrc(byte[] raw) {
        byte[] c = raw.clone();
        c[100] = c[101] = c[102] = c[103] = 0;
        CRC32C crc = new CRC32C();
        crc.update(c);
        return (int) crc.getValue();
    }

    /** Seconds since the epoch: bigtime = u64 ns since 1901-12-13T20:45:52Z (§16.2), else s32 seconds. */
    private static long time(ByteBuffer b, int off, long flags2) {
        if ((flags2 & DIFLAG2_BIGTIME) != 0) {
            return Long.divideUnsigned(b.getLong(off), 1_000_000_000L) - (1L << 31);
        }
        return b.getInt(off);
    }

    private static void putTime(ByteBuffer b, int off, long flags2, long epochSeconds) {
        if ((flags2 & DIFLAG2_BIGTIME) != 0) {
            b.putLong(off, (epochSeconds + (1L << 31)) * 1_000_000_000L);
        } else {
            b.putInt(off, (int) epochSeconds);
            b.putInt(off + 4, 0);
        }
    }

    private Node node(Inode i) {
        GuestFiles.Type t = switch (i.type()) {
            case S_IFDIR -> GuestFiles.Type.DIRECTORY;
            case S_IFREG -> GuestFiles.Type.FILE;
            case S_IFLNK -> GuestFiles.Type.SYMLINK;
            default -> GuestFiles.Type.OTHER;
        };
        return new Node(i.ino(), t, i.size(), i.mode() & 07777, i.uid(), i.gid(), i.mtime(),
                (int) Math.min(Integer.MAX_VALUE, i.nlink()));
    }

    // ---- data fork mapping --------------------------------------------------------------------------------------

    List<Extent> extents(Inode in) throws IOException {
        if (in.ino() == cachedExtentsIno) {
            return cachedExtents;
        }
        List<Extent> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(in.raw());
        if (in.format() == FMT_EXTENTS) {
            if (in.nextents() * 16 > in.forkSize()) {
                throw new XfsCorruptException("xfs: inode " + in.ino() + ": " + in.nextents() + " extents do not fit the "
                        + "data fork of " + in.forkSize() + " bytes");
            }
            for (int k = 0; k < in.nextents(); k++) {
                out.add(decode(b, 176 + k * 16));
            }
        } else if (in.format() == FMT_BTREE) {
            BmdrRoot root = bmdrRoot(in);
            for (long child : root.children()) {
                walkBmbt(child, root.level() - 1, in.ino(), out);
            }
        } else {
            throw new XfsCorruptException("xfs: inode " + in.ino() + ": data fork format " + in.format()
                    + " has no extents");
        }
        out.sort(Comparator.comparingLong(Extent::startOff));
        for (int k = 1; k < out.size(); k++) {
            Extent p = out.get(k - 1);
            if (p.startOff() + p.count() > out.get(k).startOff()) {
                throw new XfsCorruptException("xfs: inode " + in.ino() + ": overlapping extents at file block "
                        + out.get(k).startOff());
            }
        }
        cachedExtentsIno = in.ino();
        cachedExtents = out;
        return out;
    }

    private void walkBmbt(long fsb, int level, long ino, List<Extent> out) throws IOException {
        byte[] blk = dev.readBytes(sb.fsbToByte(fsb), sb.blockSize());
        ByteBuffer b = ByteBuffer.wrap(blk);
        if (b.getInt(0) != 0x424d4133) { // "BMA3"
            throw new XfsCorruptException("xfs: inode " + ino + ": bmap btree block " + fsb + " bad magic");
        }
        checkCrc(blk, 64, "bmap btree block " + fsb);
        if ((b.getShort(4) & 0xffff) != level || b.getLong(56) != ino) {
            throw new XfsCorruptException("xfs: inode " + ino + ": bmap btree block " + fsb + " level/owner mismatch");
        }
        int numrecs = b.getShort(6) & 0xffff;
        if (level == 0) {
            if (numrecs > (sb.blockSize() - 72) / 16) {
                throw new XfsCorruptException("xfs: bmap btree leaf " + fsb + ": numrecs " + numrecs + " too large");
            }
            for (int k = 0; k < numrecs; k++) {
                if (out.size() >= MAX_EXTENTS) {
                    throw new UnsupportedFsFeatureException("xfs", "files with more than " + MAX_EXTENTS
                            + " extents");
                }
                out.add(decode(b, 72 + k * 16));
            }
        } else {
            int maxrecs = (sb.blockSize() - 72) / 16;
            if (numrecs > maxrecs) {
                throw new XfsCorruptException("xfs: bmap btree node " + fsb + ": numrecs " + numrecs + " too large");
            }
            for (int k = 0; k < numrecs; k++) {
                walkBmbt(b.getLong(72 + maxrecs * 8 + k * 8), level - 1, ino, out);
            }
        }
    }

    /** Unpacks a 128-bit bmbt record (§17.1): flag:1, startoff:54, startblock:52, blockcount:21. */
    static Extent decode(ByteBuffer b, int off) {
        long l0 = b.getLong(off);
        long l1 = b.getLong(off + 8);
        boolean unwritten = (l0 >>> 63) != 0;
        long startOff = (l0 >>> 9) & ((1L << 54) - 1);
        long startBlock = ((l0 & 0x1ff) << 43) | (l1 >>> 21);
        long count = l1 & ((1L << 21) - 1);
        return new Extent(startOff, startBlock, count, unwritten);
    }

    private void checkCrc(byte[] blk, int crcOff, String what) throws IOException {
        byte[] c = blk.clone();
        c[crcOff] = c[crcOff + 1] = c[crcOff + 2] = c[crcOff + 3] = 0;
        CRC32C crc = new CRC32C();
        crc.update(c);
        if ((int) crc.getValue() != Integer.reverseBytes(ByteBuffer.wrap(blk).getInt(crcOff))) {
            throw new XfsCorruptException("xfs: " + what + ": crc: CRC32C mismatch");
        }
    }

    /** Reads file bytes through the mapping; holes and unwritten extents read as zeros. */
    private int readMapped(Inode in, long offset, ByteBuffer dst) throws IOException {
        if (offset >= in.size()) {
            return -1;
        }
        List<Extent> ext = extents(in);
        int bs = sb.blockSize();
        int total = 0;
        while (dst.hasRemaining() && offset < in.size()) {
            long fblock = offset / bs;
            int within = (int) (offset % bs);
            Extent e = find(ext, fblock);
            long runBlocks = e != null ? e.startOff() + e.count() - fblock : nextStart(ext, fblock) - fblock;
            long runBytes = runBlocks * bs - within;
            int n = (int) Math.min(Math.min(dst.remaining(), runBytes), in.size() - offset);
            ByteBuffer view = dst.slice().limit(n);
            if (e == null || e.unwritten()) {
                while (view.hasRemaining()) {
                    view.put((byte) 0);
                }
            } else {
                long phys = sb.fsbToByte(e.startBlock() + (fblock - e.startOff())) + within;
                long end = sb.fsbToByte(e.startBlock() + e.count() - 1) + bs;
                if (phys + n > end) {
                    throw new XfsCorruptException("xfs: inode " + in.ino() + ": extent crosses an AG boundary");
                }
                dev.readFully(phys, view);
            }
            dst.position(dst.position() + n);
            offset += n;
            total += n;
        }
        return total;
    }

    static Extent find(List<Extent> ext, long fblock) {
        int lo = 0;
        int hi = ext.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Extent e = ext.get(mid);
            if (fblock < e.startOff()) {
                hi = mid - 1;
            } else if (fblock >= e.startOff() + e.count()) {
                lo = mid + 1;
            } else {
                return e;
            }
        }
        return null;
    }

    private static long nextStart(List<Extent> ext, long fblock) {
        for (Extent e : ext) {
            if (e.startOff() > fblock) {
                return e.startOff();
            }
        }
        return Long.MAX_VALUE / 2;
    }

    // ---- directories --------------------------------------------------------------------------------------------

    private record DirEnt(String name, long ino, int ftype) {
    }

    /** Receives the entries of a directory one at a time; returns false to stop the walk. */
    @FunctionalInterface
    private interface DirEntSink {
        boolean accept(DirEnt e) throws IOException;
    }

    /** Largest number of entries one directory walk visits before the directory is taken for corrupt. */
    private static final long MAX_DIR_ENTRIES = 10_000_000;

    private List<DirEnt> dirEntries(Inode dir) throws IOException {
        List<DirEnt> out = new ArrayList<>();
        walkDir(dir, e -> out.add(e));
        return out;
    }

    /**
     * Streams the entries of {@code dir} (without {@code .} and {@code ..}) in on-disk order to {@code sink}: the
     * short-form fork, or the data blocks (below {@code XFS_DIR2_LEAF_OFFSET}, §19 "Directories") one directory block
     * at a time into one reused buffer, so memory is bounded by a directory block whatever the size of the directory
     * (a 10,000-entry directory used to be materialised as a list per lookup).
     */
    private void walkDir(Inode dir, DirEntSink sink) throws IOException {
        if (dir.type() != S_IFDIR) {
            throw new IOException("xfs: inode " + dir.ino() + " is not a directory");
        }
        if (dir.format() == FMT_LOCAL) {
            shortForm(dir, sink);
            return;
        }
        int dbs = sb.dirBlockSize();
        int fsbPerDirBlock = dbs / sb.blockSize();
        List<Extent> ext = extents(dir);
        long limitBlock = DIR_LEAF_OFFSET / sb.blockSize();
        long[] seen = {0};
        DirEntSink counting = e -> {
            if (++seen[0] > MAX_DIR_ENTRIES) {
                throw new XfsCorruptException("xfs: directory " + dir.ino() + " too large (more than " + MAX_DIR_ENTRIES
                        + " entries)");
            }
            return sink.accept(e);
        };
        byte[] blk = new byte[dbs];
        for (Extent e : ext) {
            if (e.startOff() >= limitBlock) {
                break;
            }
            long endBlock = Math.min(e.startOff() + e.count(), limitBlock);
            long first = (e.startOff() + fsbPerDirBlock - 1) / fsbPerDirBlock * fsbPerDirBlock;
            for (long fb = first; fb + fsbPerDirBlock <= endBlock; fb += fsbPerDirBlock) {
                for (int k = 0; k < fsbPerDirBlock; k++) {
                    dev.readFully(sb.fsbToByte(e.startBlock() + (fb - e.startOff()) + k),
                            ByteBuffer.wrap(blk, k * sb.blockSize(), sb.blockSize()));
                }
                if (!dataBlock(dir.ino(), blk, counting)) {
                    return;
                }
            }
        }
    }

    private void shortForm(Inode dir, DirEntSink out) throws IOException {
        byte[] r = dir.raw();
        int base = 176;
        int end = base + (int) Math.min(dir.size(), dir.forkSize());
        if (dir.size() > dir.forkSize() || dir.size() < 6) {
            throw new XfsCorruptException("xfs: short-form directory " + dir.ino() + ": size " + dir.size() + " invalid");
        }
        int count = r[base] & 0xff;
        int i8 = r[base + 1] & 0xff;
        int inoLen = i8 > 0 ? 8 : 4;
        int p = base + 2 + inoLen;
        ByteBuffer b = ByteBuffer.wrap(r);
        for (int k = 0; k < Math.max(count, i8); k++) {
            if (p + 3 > end) {
                throw new XfsCorruptException("xfs: short-form directory " + dir.ino() + ": entry " + k + " overruns");
            }
            int nameLen = r[p] & 0xff;
            int q = p + 3;
            int entLen = 3 + nameLen + (sb.hasFtype() ? 1 : 0) + inoLen;
            if (nameLen == 0 || p + entLen > end) {
                throw new XfsCorruptException("xfs: short-form directory " + dir.ino() + ": entry " + k + " overruns");
            }
            String name = new String(r, q, nameLen, StandardCharsets.UTF_8);
            q += nameLen;
            int ftype = sb.hasFtype() ? r[q++] & 0xff : 0;
            long ino = inoLen == 8 ? b.getLong(q) : b.getInt(q) & 0xffffffffL;
            if (!out.accept(new DirEnt(name, ino, ftype))) {
                return;
            }
            p += entLen;
        }
    }

    /** Passes the entries of one data block to {@code out}; false when the sink stopped. */
    private boolean dataBlock(long dirIno, byte[] blk, DirEntSink out) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(blk);
        int magic = b.getInt(0);
        int end;
        if (magic == 0x58444233) { // XDB3: single-block directory with leaf entries and tail at the end
            end = XfsDir.blockEntriesEnd(blk, dirIno);
        } else if (magic == 0x58444433) { // XDD3: data block of a leaf/node directory
            end = blk.length;
        } else {
            throw new XfsCorruptException("xfs: directory " + dirIno + ": data block hdr.magic bad: 0x"
                    + Integer.toHexString(magic));
        }
        checkCrc(blk, 4, "directory " + dirIno + " data block");
        if (b.getLong(40) != dirIno) {
            throw new XfsCorruptException("xfs: directory " + dirIno + ": data block owner " + b.getLong(40));
        }
        for (XfsDir.Ent e : XfsDir.parseEntries(blk, end, sb.hasFtype(), dirIno)) {
            String name = new String(e.name(), StandardCharsets.UTF_8);
            if (!name.equals(".") && !name.equals("..") && !out.accept(new DirEnt(name, e.ino(), e.ftype()))) {
                return false;
            }
        }
        return true;
    }

    // ---- FileSystem ---------------------------------------------------------------------------------------------

    @Override
    public Node root() throws IOException {
        return node(inode(sb.rootIno()));
    }

    @Override
    public Optional<Node> lookup(Node dir, String name) throws IOException {
        long[] found = {-1};
        walkDir(inode(dir.id()), e -> {
            if (e.name().equals(name)) {
                found[0] = e.ino();
                return false;
            }
            return true;
        });
        return found[0] < 0 ? Optional.empty() : Optional.of(node(inode(found[0])));
    }

    @Override
    public List<Entry> list(Node dir) throws IOException {
        List<Entry> out = new ArrayList<>();
        forEachEntry(dir, out::add);
        return out;
    }

    @Override
    public void forEachEntry(Node dir, EntryVisitor visitor) throws IOException {
        walkDir(inode(dir.id()), e -> {
            GuestFiles.Type t = switch (e.ftype()) {
                case 1 -> GuestFiles.Type.FILE;
                case 2 -> GuestFiles.Type.DIRECTORY;
                case 7 -> GuestFiles.Type.SYMLINK;
                case 0 -> node(inode(e.ino())).type(); // no ftype feature: only the inode knows
                default -> GuestFiles.Type.OTHER;
            };
            return visitor.visit(new Entry(e.name(), e.ino(), t));
        });
    }

    /** One inode read by the entry's inode number, instead of a name lookup through the whole directory. */
    @Override
    public Optional<Node> node(Node dir, Entry entry) throws IOException {
        return Optional.of(node(inode(entry.id())));
    }

    @Override
    public int read(Node file, long offset, ByteBuffer dst) throws IOException {
        Inode in = inode(file.id());
        if (in.type() != S_IFREG) {
            throw new IOException("xfs: inode " + in.ino() + " is not a regular file");
        }
        if (in.format() == FMT_LOCAL) {
            throw new XfsCorruptException("xfs: inode " + in.ino() + ": regular file in local format");
        }
        return readMapped(in, offset, dst);
    }

    @Override
    public String readLink(Node symlink) throws IOException {
        Inode in = inode(symlink.id());
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
        for (Extent e : extents(in)) {
            for (long k = 0; k < e.count() && got < len; k++) {
                byte[] blk = dev.readBytes(sb.fsbToByte(e.startBlock() + k), sb.blockSize());
                ByteBuffer b = ByteBuffer.wrap(blk);
                if (b.getInt(0) != 0x58534c4d) {
                    throw new XfsCorruptException("xfs: symlink " + in.ino() + ": remote block bad magic");
                }
                checkCrc(blk, 12, "symlink " + in.ino() + " block");
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
     * written in place, and the blocks past its end are freed ({@link #trimTail}); anything else goes to freshly
     * allocated extents (see {@link #relocate}). Refused (before any
     * byte is written) for reflinked, realtime, immutable or append-only files and non-extent/btree data forks.
     */
    @Override
    public void replaceContent(Node file, byte[] content) throws IOException {
        WritableByteSource w = writeDevice();
        Inode in = inode(file.id());
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
        List<Extent> ext = extents(in);
        if (allocatedPrefix(ext) < blocks * bs) {
            relocate(w, in, ext, content);
            return;
        }
        // blocks mapped past the new end (rounded up to whole blocks) go back to the free space
        XfsTx tx = new XfsTx(dev);
        byte[] raw = in.raw().clone();
        if (!ext.isEmpty() && ext.get(ext.size() - 1).startOff() + ext.get(ext.size() - 1).count() > blocks) {
            try {
                trimTail(tx, in, ext, blocks, raw);
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
        stageInode(tx, in.ino(), raw);
        tx.commit(w);
        cachedExtentsIno = -1;
    }

    /**
     * Shrinking (xfs_itruncate_extents to the block holding the new end): extents wholly past file block
     * {@code blocks} are freed, one straddling it keeps its head and frees its tail, all merged into both
     * free-space btrees ({@link XfsAlloc#freeBlocks}). The mapping left is rewritten into {@code raw}: an extent
     * list in the inode when it fits the data fork (as xfs_bmap_btree_to_extents leaves it; xfs_repair rejects a
     * btree fork whose extents would fit the inode), its bmap btree blocks freed; otherwise a two-level bmap btree
     * rebuilt into as many of the old btree blocks as it needs, the rest freed. di_nblocks and the extent count
     * follow. Throws {@link UnsupportedFsFeatureException} (the caller then keeps the old mapping) when freeing
     * is not possible here.
     */
    private void trimTail(XfsTx tx, Inode in, List<Extent> ext, long blocks, byte[] raw) throws IOException {
        XfsAlloc alloc = new XfsAlloc(sb, tx);
        List<Extent> keep = new ArrayList<>();
        long freed = 0;
        for (Extent e : ext) {
            long end = e.startOff() + e.count();
            if (end <= blocks) {
                keep.add(e);
            } else if (e.startOff() < blocks) {
                long head = blocks - e.startOff();
                keep.add(new Extent(e.startOff(), e.startBlock(), head, e.unwritten()));
                alloc.freeBlocks(e.startBlock() + head, e.count() - head, "the file's blocks past its new end");
                freed += e.count() - head;
            } else {
                alloc.freeBlocks(e.startBlock(), e.count(), "the file's blocks past its new end");
                freed += e.count();
            }
        }
        int bs = sb.blockSize();
        int inlineMax = in.forkSize() / 16;
        int rootMax = (in.forkSize() - 4) / 16;
        int leafMax = (bs - 72) / 16;
        List<Long> oldTree = in.format() == FMT_BTREE ? bmbtBlocks(in) : List.of();
        ByteBuffer b = ByteBuffer.wrap(raw);
        long nblocks = b.getLong(64);
        java.util.Arrays.fill(raw, 176, 176 + in.forkSize(), (byte) 0);
        long treeLeft = 0;
        if (keep.size() <= inlineMax) {
            raw[5] = FMT_EXTENTS;
            for (int i = 0; i < keep.size(); i++) {
                encode(b, 176 + i * 16, keep.get(i));
            }
            for (long fsb : oldTree) {
                alloc.freeBlocks(fsb, 1, "the file's bmap btree blocks");
            }
        } else {
            if (keep.size() > rootMax * leafMax) {
                throw new UnsupportedFsFeatureException("xfs", "rebuilding a bmap btree of more than two levels");
            }
            int leaves = (keep.size() + leafMax - 1) / leafMax;
            if (leaves > oldTree.size()) {
                throw new IOException("xfs: inode " + in.ino() + ": bmap btree of " + oldTree.size() + " blocks for "
                        + ext.size() + " extents");
            }
            long[] ptrs = new long[leaves];
            for (int i = 0; i < leaves; i++) {
                ptrs[i] = oldTree.get(i);
            }
            b.putShort(176, (short) 1);
            b.putShort(178, (short) leaves);
            int first = 0;
            for (int i = 0; i < leaves; i++) {
                int count = keep.size() / leaves + (i < keep.size() % leaves ? 1 : 0);
                tx.put(sb.fsbToByte(ptrs[i]), bmbtLeaf(in.ino(), ptrs[i], i > 0 ? ptrs[i - 1] : -1,
                        i + 1 < leaves ? ptrs[i + 1] : -1, keep.subList(first, first + count)));
                b.putLong(180 + i * 8, keep.get(first).startOff());
                b.putLong(180 + rootMax * 8 + i * 8, ptrs[i]);
                first += count;
            }
            for (int i = leaves; i < oldTree.size(); i++) {
                alloc.freeBlocks(oldTree.get(i), 1, "the file's bmap btree blocks");
            }
            treeLeft = leaves;
        }
        long newNblocks = nblocks - freed - (oldTree.size() - treeLeft);
        if (newNblocks < 0) {
            throw new IOException("xfs: inode " + in.ino() + ": di_nblocks " + nblocks + " below its mapped blocks");
        }
        b.putLong(64, newNblocks);
        setNextents(raw, keep.size());
    }

    /**
     * Content that needs blocks the file does not map (growing, or holes/unwritten extents in the way): written to
     * freshly allocated extents (one when an AG has a free extent that large, else several, largest free extents
     * first: {@link XfsAlloc#allocate}), then the file's old extents and old bmap btree blocks are freed (merged
     * with free neighbours), all staged in one transaction. The new mapping is an extent list in the inode while it
     * fits the data fork (16 bytes a record, §19.1), else a two-level bmap btree (§19.2): the root in the inode
     * ({@code xfs_bmdr_block}: level 1, keys = first file block of each leaf, 64-bit block pointers) and leaf blocks
     * with the v5 long header ({@code BMA3}, CRC at byte 64, owner = inode), records spread evenly so that every
     * leaf holds at least half of its capacity. Refused (named, nothing written): rmapbt, free space that is short,
     * in AGs with multi-level free-space btrees only, or so fragmented that more extents than a two-level bmap btree
     * holds would be needed, a free-space btree leaf that would have to split. Reflink/realtime/immutable were
     * checked by the caller.
     */
    private void relocate(WritableByteSource w, Inode in, List<Extent> ext, byte[] content) throws IOException {
        int bs = sb.blockSize();
        long blocks = (content.length + (long) bs - 1) / bs;
        int inlineMax = in.forkSize() / 16;
        int rootMax = (in.forkSize() - 4) / 16;
        int leafMax = (bs - 72) / 16;
        int maxRecords = rootMax * leafMax;
        XfsTx tx = new XfsTx(dev);
        XfsAlloc alloc = new XfsAlloc(sb, tx);
        List<XfsAlloc.Run> runs = blocks == 0 ? List.of()
                : alloc.allocate(agOf(in.ino()), blocks, maxRecords, "file data");
        List<Extent> map = new ArrayList<>();
        long off = 0;
        for (XfsAlloc.Run r : runs) {
            for (long done = 0; done < r.len(); ) { // a record's count is 21 bits
                long n = Math.min(MAX_EXTENT_BLOCKS, r.len() - done);
                map.add(new Extent(off, r.fsb() + done, n, false));
                off += n;
                done += n;
            }
        }
        if (map.size() > maxRecords) {
            throw new UnsupportedFsFeatureException("xfs", "writing a file of " + map.size() + " extents (a bmap "
                    + "btree of more than two levels is not implemented; at most " + maxRecords + ")");
        }
        List<Long> oldTree = in.format() == FMT_BTREE ? bmbtBlocks(in) : List.of();
        long oldData = 0;
        for (Extent e : ext) {
            oldData += e.count();
        }
        byte[] raw = in.raw().clone();
        ByteBuffer b = ByteBuffer.wrap(raw);
        long nblocks = b.getLong(64);
        if (nblocks < oldData + oldTree.size()) {
            throw new XfsCorruptException("xfs: inode " + in.ino() + ": di_nblocks " + nblocks + " below its "
                    + (oldData + oldTree.size()) + " mapped and bmap btree blocks");
        }
        java.util.Arrays.fill(raw, 176, 176 + in.forkSize(), (byte) 0);
        long newTree = 0;
        if (map.size() <= inlineMax) {
            raw[5] = FMT_EXTENTS;
            for (int i = 0; i < map.size(); i++) {
                encode(b, 176 + i * 16, map.get(i));
            }
        } else {
            raw[5] = FMT_BTREE;
            int leaves = (map.size() + leafMax - 1) / leafMax;
            long[] ptrs = new long[leaves];
            for (int i = 0; i < leaves; i++) {
                ptrs[i] = alloc.allocBlocks(agOf(in.ino()), 1, "bmap btree leaf");
            }
            b.putShort(176, (short) 1); // bb_level of the in-inode root
            b.putShort(178, (short) leaves);
            int first = 0;
            for (int i = 0; i < leaves; i++) {
                int count = map.size() / leaves + (i < map.size() % leaves ? 1 : 0);
                tx.put(sb.fsbToByte(ptrs[i]), bmbtLeaf(in.ino(), ptrs[i], i > 0 ? ptrs[i - 1] : -1,
                        i + 1 < leaves ? ptrs[i + 1] : -1, map.subList(first, first + count)));
                b.putLong(180 + i * 8, map.get(first).startOff()); // key: the leaf's first file block
                b.putLong(180 + rootMax * 8 + i * 8, ptrs[i]);
                first += count;
            }
            newTree = leaves;
        }
        for (Extent e : ext) {
            alloc.freeBlocks(e.startBlock(), e.count(), "the file's old extents");
        }
        for (long fsb : oldTree) {
            alloc.freeBlocks(fsb, 1, "the file's old bmap btree blocks");
        }
        setNextents(raw, map.size());
        b.putLong(64, nblocks - oldData - oldTree.size() + blocks + newTree);
        b.putLong(56, content.length);
        long now = System.currentTimeMillis() / 1000;
        putTime(b, 40, in.flags2(), now);
        putTime(b, 48, in.flags2(), now);
        stageInode(tx, in.ino(), raw);
        // Everything is planned (no refusal can follow). The data goes to blocks that are free on disk until the
        // metadata commit below, so writing it first keeps a crash before the commit harmless; writing it directly
        // (not staged) avoids holding several copies of a large (e.g. 80 MiB initramfs) content in memory.
        long done = 0;
        for (XfsAlloc.Run r : runs) {
            long phys = sb.fsbToByte(r.fsb());
            int len = (int) Math.min(r.len() * bs, content.length - done);
            w.write(phys, ByteBuffer.wrap(content, (int) done, len));
            if (len < r.len() * bs) {
                w.write(phys + len, ByteBuffer.allocate((int) (r.len() * bs - len)));
            }
            done += len;
        }
        tx.commit(w);
        cachedExtentsIno = -1;
    }

    /** Packs a written bmbt record (§19.1): flag:1 = 0, startoff:54, startblock:52, blockcount:21. */
    static void encode(ByteBuffer b, int off, Extent e) {
        b.putLong(off, (e.startOff() << 9) | (e.startBlock() >>> 43));
        b.putLong(off + 8, (e.startBlock() << 21) | e.count());
    }

    /**
     * A v5 bmap btree leaf (§19.2, {@code struct xfs_btree_block} long form, 72 bytes): magic {@code BMA3}, level 0,
     * numrecs, left/right sibling fs blocks (-1 = none), own daddr (512-byte units), lsn 0, meta UUID, owner inode,
     * CRC32C at byte 64; records from byte 72.
     */
    private byte[] bmbtLeaf(long ino, long fsb, long left, long right, List<Extent> recs) throws IOException {
        byte[] blk = new byte[sb.blockSize()];
        ByteBuffer b = ByteBuffer.wrap(blk);
        b.putInt(0, 0x424d4133);
        b.putShort(4, (short) 0);
        b.putShort(6, (short) recs.size());
        b.putLong(8, left);
        b.putLong(16, right);
        b.putLong(24, sb.fsbToByte(fsb) / 512);
        System.arraycopy(metaUuid(), 0, blk, 40, 16);
        b.putLong(56, ino);
        for (int i = 0; i < recs.size(); i++) {
            encode(b, 72 + i * 16, recs.get(i));
        }
        XfsTx.setCrc(blk, 64);
        return blk;
    }

    /** Every block of a btree data fork's bmap btree below the in-inode root (nodes and leaves), bounded. */
    private List<Long> bmbtBlocks(Inode in) throws IOException {
        BmdrRoot root = bmdrRoot(in);
        List<Long> out = new ArrayList<>();
        for (long child : root.children()) {
            collectBmbt(child, root.level() - 1, in.ino(), out);
        }
        return out;
    }

    /** The in-inode root of a btree data fork: its level and its child block numbers (filesystem blocks). */
    private record BmdrRoot(int level, long[] children) {
    }

    /** §17.2: an xfs_bmdr_block root in the inode: level, numrecs, keys, then pointers at the maxrecs offset. */
    private static BmdrRoot bmdrRoot(Inode in) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(in.raw());
        int level = b.getShort(176) & 0xffff;
        int numrecs = b.getShort(178) & 0xffff;
        int maxrecs = (in.forkSize() - 4) / 16;
        if (level < 1 || level > 9 || numrecs > maxrecs) {
            throw new XfsCorruptException("xfs: inode " + in.ino() + ": bmap btree root level " + level + " numrecs "
                    + numrecs + " invalid");
        }
        long[] children = new long[numrecs];
        for (int k = 0; k < numrecs; k++) {
            children[k] = b.getLong(176 + 4 + maxrecs * 8 + k * 8);
        }
        return new BmdrRoot(level, children);
    }

    private void collectBmbt(long fsb, int level, long ino, List<Long> out) throws IOException {
        if (out.size() >= MAX_EXTENTS) {
            throw new UnsupportedFsFeatureException("xfs", "bmap btrees of more than " + MAX_EXTENTS + " blocks");
        }
        byte[] blk = dev.readBytes(sb.fsbToByte(fsb), sb.blockSize());
        ByteBuffer b = ByteBuffer.wrap(blk);
        if (b.getInt(0) != 0x424d4133) {
            throw new XfsCorruptException("xfs: inode " + ino + ": bmap btree block " + fsb + " bad magic");
        }
        checkCrc(blk, 64, "bmap btree block " + fsb);
        if ((b.getShort(4) & 0xffff) != level || b.getLong(56) != ino) {
            throw new XfsCorruptException("xfs: inode " + ino + ": bmap btree block " + fsb + " level/owner mismatch");
        }
        out.add(fsb);
        if (level > 0) {
            int maxrecs = (sb.blockSize() - 72) / 16;
            int numrecs = b.getShort(6) & 0xffff;
            if (numrecs > maxrecs) {
                throw new XfsCorruptException("xfs: bmap btree node " + fsb + ": numrecs " + numrecs + " too large");
            }
            for (int k = 0; k < numrecs; k++) {
                collectBmbt(b.getLong(72 + maxrecs * 8 + k * 8), level - 1, ino, out);
            }
        }
    }
    private long allocatedPrefix(List<Extent> ext) {
        long fb = 0;
        Extent e;
        while ((e = find(ext, fb)) != null && !e.unwritten()) {
            fb = e.startOff() + e.count();
        }
        return fb * sb.blockSize();
    }

    private void writeInode(WritableByteSource w, long ino, byte[] raw) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(raw);
        b.putLong(104, b.getLong(104) + 1); // di_changecount
        b.putInt(100, Integer.reverseBytes(inodeCrc(raw)));
        w.write(inodeOffset(ino), ByteBuffer.wrap(raw));
        cachedExtentsIno = -1;
    }

    @Override
    public void setAttributes(Node node, Integer mode, Integer uid, Integer gid, Long mtime) throws IOException {
        WritableByteSource w = writeDevice();
        Inode in = inode(node.id());
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
        writeInode(w, in.ino(), raw);
    }

    private UnsupportedFsFeatureException refuse(String what) throws IOException {
        writeDevice();
        return new UnsupportedFsFeatureException("xfs", what + " (not implemented)");
    }

    /**
     * Largest extent a v5 bmbt record holds: its block count is 21 bits (XFS Algorithms &amp; Data Structures §19.1
     * "Extent List", {@code MAXEXTLEN}), so a rewrite into one fresh extent is at most this many blocks.
     */
    public static final int MAX_EXTENT_BLOCKS = (1 << 21) - 1;

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
            throw new UnsupportedFsFeatureException("xfs", "creating a file of " + content.length + " bytes (this "
                    + "writer creates files of at most " + MAX_CREATE_BYTES + " bytes, in one extent)");
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
        if (b.length == 0 || b.length > 255 || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0
                || name.equals(".") || name.equals("..")) {
            throw new IOException("xfs: invalid file name '" + name + "'");
        }
        return b;
    }

    private int agOf(long ino) {
        return (int) (ino >>> (sb.agBlkLog() + sb.inopbLog()));
    }

    /** The UUID stamped into v5 metadata: {@code sb_meta_uuid} (byte 248) with the meta-uuid feature, else sb_uuid. */
    private byte[] metaUuid() throws IOException {
        byte[] s = dev.readBytes(0, 512);
        int off = (sb.incompat() & XfsSuperblock.INCOMPAT_META_UUID) != 0 ? 248 : 32;
        return java.util.Arrays.copyOfRange(s, off, off + 16);
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
            throw new UnsupportedFsFeatureException("xfs", "adding entries to an ASCII case-insensitive (version=ci) "
                    + "file system");
        }
        Inode dir = inode(dirNode.id());
        if (dir.type() != S_IFDIR) {
            throw new IOException("xfs: inode " + dir.ino() + " is not a directory");
        }
        if ((dir.diFlags() & (0x8 | 0x10)) != 0) {
            throw new UnsupportedFsFeatureException("xfs", "adding entries to an immutable or append-only directory");
        }
        for (DirEnt e : dirEntries(dir)) {
            if (e.name().equals(name)) {
                throw new java.nio.file.FileAlreadyExistsException(name);
            }
        }
        XfsTx tx = new XfsTx(dev);
        XfsAlloc alloc = new XfsAlloc(sb, tx);
        long ino = alloc.allocInode(agOf(dir.ino()), i -> checkFreeOnDisk(tx, i));
        long now = System.currentTimeMillis() / 1000;
        byte[] raw = newInode(ino, mode, uid, gid, now);
        ByteBuffer b = ByteBuffer.wrap(raw);
        int literal = sb.inodeSize() - 176;
        int bs = sb.blockSize();
        if (ftype == XfsDir.FT_DIR) {
            if (dir.ino() > 0xffffffffL) {
                throw new UnsupportedFsFeatureException("xfs", "creating a directory whose parent inode number needs"
                        + " 8 bytes in short form");
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
                throw new UnsupportedFsFeatureException("xfs", "a remote symlink target of " + data.length
                        + " bytes spanning more than one " + bs + "-byte block");
            }
            long fsb = alloc.allocBlocks(agOf(ino), 1, "remote symlink block");
            byte[] blk = new byte[bs];
            ByteBuffer sl = ByteBuffer.wrap(blk);
            long off = sb.fsbToByte(fsb);
            sl.putInt(0, 0x58534c4d); // XSLM
            sl.putInt(4, 0); // offset of these bytes in the target
            sl.putInt(8, data.length);
            System.arraycopy(metaUuid(), 0, blk, 16, 16);
            sl.putLong(32, ino);
            sl.putLong(40, off / 512);
            System.arraycopy(data, 0, blk, 56, data.length);
            XfsTx.setCrc(blk, 12);
            tx.put(off, blk);
            setSingleExtent(raw, fsb, 1);
            b.putLong(56, data.length);
        } else if (data.length > 0) {
            int blocks = (int) ((data.length + (long) bs - 1) / bs);
            long fsb = alloc.allocBlocks(agOf(ino), blocks, "file data");
            tx.put(sb.fsbToByte(fsb), java.util.Arrays.copyOf(data, blocks * bs));
            setSingleExtent(raw, fsb, blocks);
            b.putLong(56, data.length);
        }
        stageInode(tx, ino, raw);
        addEntry(tx, alloc, dir, n, ino, ftype, now);
        tx.commit(w);
        cachedExtentsIno = -1;
        return node(inode(ino));
    }

    /** Through {@code tx}: a chunk allocated in this transaction is only staged. */
    private void checkFreeOnDisk(XfsTx tx, long ino) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(tx.read(inodeOffset(ino), sb.inodeSize()));
        if ((b.getShort(0) & 0xffff) != 0x494e || (b.getShort(2) & 0xffff) != 0) {
            throw new XfsCorruptException("xfs: inode " + ino + " is free in the inode btree but its core is in use or not "
                    + "initialised (magic/mode)");
        }
    }

    /** A fresh v3 inode core (§16.2): extents format with no extents, no attribute fork, link count 1. */
    private byte[] newInode(long ino, int mode, int uid, int gid, long now) throws IOException {
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

    /** Makes the data fork one written extent at file block 0 and sets di_nblocks/extent count. */
    private void setSingleExtent(byte[] raw, long fsb, long count) {
        ByteBuffer b = ByteBuffer.wrap(raw);
        raw[5] = FMT_EXTENTS;
        java.util.Arrays.fill(raw, 176, 176 + dataForkSize(raw), (byte) 0);
        b.putLong(176, fsb >>> 43); // flag 0, startoff 0, startblock high 9 bits
        b.putLong(184, (fsb << 21) | count);
        b.putLong(64, b.getLong(64) + count);
        setNextents(raw, 1);
    }

    private int dataForkSize(byte[] raw) {
        int forkOff = raw[82] & 0xff;
        return forkOff == 0 ? sb.inodeSize() - 176 : forkOff * 8;
    }

    private static void setNextents(byte[] raw, long n) {
        ByteBuffer b = ByteBuffer.wrap(raw);
        if ((b.getLong(120) & DIFLAG2_NREXT64) != 0) {
            b.putLong(24, n);
        } else {
            b.putInt(76, (int) n);
        }
    }

    private void stageInode(XfsTx tx, long ino, byte[] raw) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(raw);
        b.putLong(104, b.getLong(104) + 1); // di_changecount
        XfsTx.setCrc(raw, 100);
        tx.put(inodeOffset(ino), raw);
    }

    /** Adds {@code name -> ino} to a short-form or single-block directory and updates its times (and links). */
    private void addEntry(XfsTx tx, XfsAlloc alloc, Inode dir, byte[] name, long ino, int ftype, long now)
            throws IOException {
        boolean ft = sb.hasFtype();
        byte[] raw = dir.raw().clone();
        ByteBuffer b = ByteBuffer.wrap(raw);
        int dbs = sb.dirBlockSize();
        if (dir.format() == FMT_LOCAL) {
            XfsDir.ShortForm sf = XfsDir.parseShortForm(java.util.Arrays.copyOfRange(raw, 176, 176 + dir.forkSize()),
                    (int) dir.size(), ft, dir.ino());
            if (sf.i8() || ino > 0xffffffffL) {
                throw new UnsupportedFsFeatureException("xfs", "short-form directories with 8-byte inode numbers");
            }
            List<XfsDir.Ent> ents = new ArrayList<>(sf.entries());
            int off = XfsDir.firstOffset(ft);
            for (XfsDir.Ent e : ents) {
                off = Math.max(off, e.offset() + XfsDir.dataEntSize(e.name().length, ft));
            }
            ents.add(new XfsDir.Ent(name, ino, ftype, off));
            // the offsets are the entries' places in the block form: they must still fit one directory block
            if (off + XfsDir.dataEntSize(name.length, ft) + (ents.size() + 2) * 8 + 8 > dbs) {
                List<XfsDir.Ent> packed = new ArrayList<>();
                int p = XfsDir.firstOffset(ft);
                for (XfsDir.Ent e : ents) {
                    packed.add(new XfsDir.Ent(e.name(), e.ino(), e.ftype(), p));
                    p += XfsDir.dataEntSize(e.name().length, ft);
                }
                ents = packed;
            }
            int size = XfsDir.shortFormSize(ents, ft);
            if (size <= dir.forkSize()) {
                java.util.Arrays.fill(raw, 176, 176 + dir.forkSize(), (byte) 0);
                System.arraycopy(XfsDir.buildShortForm(sf.parent(), ents, ft), 0, raw, 176, size);
                b.putLong(56, size);
            } else {
                // §18.3: the short form overflows the inode: rewrite it as a single-block directory
                List<XfsDir.Ent> all = new ArrayList<>();
                all.add(new XfsDir.Ent(new byte[] {'.'}, dir.ino(), XfsDir.FT_DIR, 0));
                all.add(new XfsDir.Ent(new byte[] {'.', '.'}, sf.parent(), XfsDir.FT_DIR, 0));
                all.addAll(ents);
                if (XfsDir.blockBytes(all, ft) > dbs) {
                    throw new UnsupportedFsFeatureException("xfs", "converting a short-form directory straight to "
                            + "leaf form");
                }
                int fsbs = dbs / sb.blockSize();
                long fsb = alloc.allocBlocks(agOf(dir.ino()), fsbs, "converting a short-form directory to block "
                        + "form");
                long off0 = sb.fsbToByte(fsb);
                tx.put(off0, XfsDir.buildBlock(dbs, off0 / 512, 0, metaUuid(), dir.ino(), all, ft));
                setSingleExtent(raw, fsb, fsbs);
                b.putLong(56, dbs);
            }
        } else if ((dir.format() == FMT_EXTENTS || dir.format() == FMT_BTREE) && dir.size() > dbs) {
            addLeafEntry(tx, dir, name, ino, ftype);
        } else if (dir.format() == FMT_EXTENTS || dir.format() == FMT_BTREE) {
            DirBlock db = readBlockDir(tx, dir);
            List<XfsDir.Ent> all = new ArrayList<>(db.entries());
            all.add(new XfsDir.Ent(name, ino, ftype, 0));
            if (XfsDir.blockBytes(all, ft) > dbs) {
                throw new UnsupportedFsFeatureException("xfs", "adding an entry to a full single-block directory "
                        + "(inode " + dir.ino() + "; converting to leaf form is not implemented)");
            }
            writeBlockDir(tx, dir, db, all);
        } else {
            throw new XfsCorruptException("xfs: directory " + dir.ino() + ": data fork format " + dir.format());
        }
        if (ftype == XfsDir.FT_DIR) {
            b.putInt(16, b.getInt(16) + 1); // the new subdirectory's ".."
        }
        putTime(b, 40, dir.flags2(), now);
        putTime(b, 48, dir.flags2(), now);
        stageInode(tx, dir.ino(), raw);
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
        Inode dir = inode(dirNode.id());
        if (dir.type() != S_IFDIR) {
            throw new IOException("xfs: inode " + dir.ino() + " is not a directory");
        }
        if ((dir.diFlags() & (0x8 | 0x10)) != 0) {
            throw new UnsupportedFsFeatureException("xfs", "removing entries from an immutable or append-only "
                    + "directory");
        }
        DirEnt hit = null;
        for (DirEnt e : dirEntries(dir)) {
            if (e.name().equals(name)) {
                hit = e;
            }
        }
        if (hit == null) {
            throw new java.nio.file.NoSuchFileException(name);
        }
        Inode v = inode(hit.ino());
        if ((v.diFlags() & (0x1 | 0x8 | 0x10)) != 0) {
            throw new UnsupportedFsFeatureException("xfs", "removing a realtime, immutable or append-only file");
        }
        if ((v.flags2() & DIFLAG2_REFLINK) != 0) {
            throw new UnsupportedFsFeatureException("xfs", "removing a reflinked file (its extents may be shared; "
                    + "the refcount btree is not updated by this writer)");
        }
        boolean isDir = v.type() == S_IFDIR;
        if (isDir && (v.format() != FMT_LOCAL || (v.raw()[176] & 0xff) != 0 || (v.raw()[177] & 0xff) != 0)) {
            throw new UnsupportedFsFeatureException("xfs", "removing a directory that is not empty and short-form");
        }
        int aformat = v.raw()[83];
        int anext = ByteBuffer.wrap(v.raw()).getShort(80);
        if ((v.raw()[82] & 0xff) != 0 && aformat != FMT_LOCAL && !(aformat == FMT_EXTENTS && anext == 0)) {
            throw new UnsupportedFsFeatureException("xfs", "removing a file whose extended attributes live in "
                    + "blocks");
        }
        long now = System.currentTimeMillis() / 1000;
        XfsTx tx = new XfsTx(dev);
        XfsAlloc alloc = new XfsAlloc(sb, tx);
        removeEntry(tx, dir, n, isDir, now);
        byte[] raw = v.raw().clone();
        ByteBuffer b = ByteBuffer.wrap(raw);
        if (!isDir && v.nlink() > 1) {
            b.putInt(16, (int) v.nlink() - 1);
            putTime(b, 48, v.flags2(), now);
        } else {
            if (v.format() == FMT_EXTENTS || v.format() == FMT_BTREE) {
                for (Extent e : extents(v)) {
                    alloc.freeBlocks(e.startBlock(), e.count(), "file data");
                }
            }
            if (v.format() == FMT_BTREE) {
                for (long fsb : bmbtBlocks(v)) {
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
            System.arraycopy(metaUuid(), 0, raw, 160, 16);
        }
        stageInode(tx, v.ino(), raw);
        tx.commit(w);
        cachedExtentsIno = -1;
    }

    /** Removes {@code name} from a short-form or single-block directory; times (and links for a subdirectory). */
    private void removeEntry(XfsTx tx, Inode dir, byte[] name, boolean isDir, long now) throws IOException {
        boolean ft = sb.hasFtype();
        byte[] raw = dir.raw().clone();
        ByteBuffer b = ByteBuffer.wrap(raw);
        if (dir.format() == FMT_LOCAL) {
            XfsDir.ShortForm sf = XfsDir.parseShortForm(java.util.Arrays.copyOfRange(raw, 176, 176 + dir.forkSize()),
                    (int) dir.size(), ft, dir.ino());
            if (sf.i8()) {
                throw new UnsupportedFsFeatureException("xfs", "short-form directories with 8-byte inode numbers");
            }
            List<XfsDir.Ent> ents = new ArrayList<>(sf.entries());
            ents.removeIf(e -> java.util.Arrays.equals(e.name(), name));
            int size = XfsDir.shortFormSize(ents, ft);
            java.util.Arrays.fill(raw, 176, 176 + dir.forkSize(), (byte) 0);
            System.arraycopy(XfsDir.buildShortForm(sf.parent(), ents, ft), 0, raw, 176, size);
            b.putLong(56, size);
        } else {
            DirBlock db = readBlockDir(tx, dir);
            List<XfsDir.Ent> all = new ArrayList<>(db.entries());
            all.removeIf(e -> java.util.Arrays.equals(e.name(), name));
            writeBlockDir(tx, dir, db, all);
        }
        if (isDir) {
            b.putInt(16, b.getInt(16) - 1);
        }
        putTime(b, 40, dir.flags2(), now);
        putTime(b, 48, dir.flags2(), now);
        stageInode(tx, dir.ino(), raw);
    }

    static final int LEAF1_MAGIC = 0x3df1;
    static final int DATA_MAGIC = 0x58444433; // XDD3

    /** Byte offsets of the file-system blocks of directory block {@code fb} (a file block number). */
    private long[] dirBlockMap(Inode dir, long fb) throws IOException {
        int fsbs = sb.dirBlockSize() / sb.blockSize();
        long[] map = new long[fsbs];
        for (int k = 0; k < fsbs; k++) {
            Extent e = find(extents(dir), fb + k);
            if (e == null || e.unwritten()) {
                throw new XfsCorruptException("xfs: directory " + dir.ino() + ": block " + (fb + k) + " unmapped");
            }
            map[k] = sb.fsbToByte(e.startBlock() + fb + k - e.startOff());
        }
        return map;
    }

    private byte[] readDirBlock(XfsTx tx, long[] map) throws IOException {
        int bs = sb.blockSize();
        byte[] blk = new byte[map.length * bs];
        for (int k = 0; k < map.length; k++) {
            System.arraycopy(tx.read(map[k], bs), 0, blk, k * bs, bs);
        }
        return blk;
    }

    private void writeDirBlock(XfsTx tx, long[] map, byte[] blk) throws IOException {
        int bs = sb.blockSize();
        for (int k = 0; k < map.length; k++) {
            tx.put(map[k], java.util.Arrays.copyOfRange(blk, k * bs, (k + 1) * bs));
        }
    }

    /**
     * Adds an entry to a leaf-form directory (§18.4): data blocks ({@code XDD3}) plus one leaf block ({@code LEAF1},
     * magic 0x3df1) at 32 GiB holding the hash-sorted (hash, address) array and, at its end, the best free length
     * of each data block. The entry goes into the first free region of a data block large enough (bestfree
     * rebuilt, CRC), the leaf gains the entry (stale entries compacted away), the block's best updated. Refused: node
     * form (a free-index block or a LEAFN leaf), no data block with room (a new data block is not allocated), a full
     * leaf.
     */
    private void addLeafEntry(XfsTx tx, Inode dir, byte[] name, long ino, int ftype) throws IOException {
        boolean ft = sb.hasFtype();
        int dbs = sb.dirBlockSize();
        int fsbPerDb = dbs / sb.blockSize();
        long leafFb = DIR_LEAF_OFFSET / sb.blockSize();
        for (Extent e : extents(dir)) {
            if (e.startOff() + e.count() > 2 * leafFb || (e.startOff() + e.count() > leafFb + fsbPerDb)) {
                throw new UnsupportedFsFeatureException("xfs", "adding entries to a node form directory (inode "
                        + dir.ino() + ")");
            }
        }
        long[] leafMap = dirBlockMap(dir, leafFb);
        byte[] leaf = readDirBlock(tx, leafMap);
        ByteBuffer lb = ByteBuffer.wrap(leaf);
        if ((lb.getShort(8) & 0xffff) != LEAF1_MAGIC) {
            throw new UnsupportedFsFeatureException("xfs", "adding entries to a node form directory (inode "
                    + dir.ino() + ", leaf magic 0x" + Integer.toHexString(lb.getShort(8) & 0xffff) + ")");
        }
        if (!XfsTx.crcOk(leaf, 12) || lb.getLong(48) != dir.ino()) {
            throw new XfsCorruptException("xfs: directory " + dir.ino() + ": leaf block CRC32C or owner mismatch");
        }
        int count = lb.getShort(56) & 0xffff;
        int stale = lb.getShort(58) & 0xffff;
        long bestCount = lb.getInt(dbs - 4) & 0xffffffffL;
        int bestsAt = (int) (dbs - 4 - bestCount * 2);
        if (bestCount == 0 || bestsAt < 64 + count * 8L || stale > count) {
            throw new XfsCorruptException("xfs: directory " + dir.ino() + ": leaf counts invalid (count " + count
                    + ", stale " + stale + ", bests " + bestCount + ")");
        }
        int need = XfsDir.dataEntSize(name.length, ft);
        int db = -1;
        for (int i = 0; i < bestCount; i++) {
            int best = lb.getShort(bestsAt + i * 2) & 0xffff;
            if (best != 0xffff && best >= need) {
                db = i;
                break;
            }
        }
        if (db < 0) {
            throw new UnsupportedFsFeatureException("xfs", "adding an entry to a leaf form directory whose data "
                    + "blocks are full (inode " + dir.ino() + "; adding a data block is not implemented)");
        }
        // the leaf after the insert: live entries plus the new one must fit before the bests array
        if (64 + (count - stale + 1) * 8L > bestsAt) {
            throw new UnsupportedFsFeatureException("xfs", "adding an entry to a full directory leaf block (inode "
                    + dir.ino() + "; converting to node form is not implemented)");
        }
        long[] dataMap = dirBlockMap(dir, (long) db * fsbPerDb);
        byte[] data = readDirBlock(tx, dataMap);
        ByteBuffer d = ByteBuffer.wrap(data);
        if (d.getInt(0) != DATA_MAGIC || !XfsTx.crcOk(data, 4) || d.getLong(40) != dir.ino()) {
            throw new XfsCorruptException("xfs: directory " + dir.ino() + ": data block " + db + " magic/CRC/owner invalid");
        }
        int at = -1;
        int p = XfsDir.HDR;
        while (p + 8 <= dbs) {
            if ((d.getShort(p) & 0xffff) == 0xffff) {
                int len = d.getShort(p + 2) & 0xffff;
                if (len < 8 || len % 8 != 0 || p + len > dbs) {
                    throw new XfsCorruptException("xfs: directory " + dir.ino() + ": free region of " + len + " bytes");
                }
                if (len >= need) {
                    at = p;
                    break;
                }
                p += len;
            } else {
                int len = XfsDir.dataEntSize(data[p + 8] & 0xff, ft);
                if ((data[p + 8] & 0xff) == 0 || p + len > dbs) {
                    throw new XfsCorruptException("xfs: directory " + dir.ino() + ": entry at " + p + " overruns");
                }
                p += len;
            }
        }
        if (at < 0) {
            throw new XfsCorruptException("xfs: directory " + dir.ino() + ": data block " + db + " best free " + need
                    + "+ bytes not found");
        }
        int freeLen = d.getShort(at + 2) & 0xffff;
        java.util.Arrays.fill(data, at, at + need, (byte) 0);
        d.putLong(at, ino);
        data[at + 8] = (byte) name.length;
        System.arraycopy(name, 0, data, at + 9, name.length);
        if (ft) {
            data[at + 9 + name.length] = (byte) ftype;
        }
        d.putShort(at + need - 2, (short) at);
        if (freeLen > need) {
            int r = at + need;
            d.putShort(r, (short) 0xffff);
            d.putShort(r + 2, (short) (freeLen - need));
            d.putShort(r + freeLen - need - 2, (short) r);
        }
        int best0 = rebuildBestFree(data, dir.ino());
        XfsTx.setCrc(data, 4);
        writeDirBlock(tx, dataMap, data);
        // leaf: drop stale entries, insert the new one in hash order
        long addr = ((long) db * dbs + at) >>> 3;
        int hash = XfsDir.hash(name);
        List<long[]> ents = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long h = lb.getInt(64 + i * 8) & 0xffffffffL;
            long a = lb.getInt(64 + i * 8 + 4) & 0xffffffffL;
            if (a != 0) {
                ents.add(new long[] {h, a});
            }
        }
        int pos = 0;
        while (pos < ents.size() && ents.get(pos)[0] <= (hash & 0xffffffffL)) {
            pos++;
        }
        ents.add(pos, new long[] {hash & 0xffffffffL, addr});
        java.util.Arrays.fill(leaf, 64, bestsAt, (byte) 0);
        for (int i = 0; i < ents.size(); i++) {
            lb.putInt(64 + i * 8, (int) ents.get(i)[0]);
            lb.putInt(64 + i * 8 + 4, (int) ents.get(i)[1]);
        }
        lb.putShort(56, (short) ents.size());
        lb.putShort(58, (short) 0);
        lb.putShort(bestsAt + db * 2, (short) best0);
        XfsTx.setCrc(leaf, 12);
        writeDirBlock(tx, leafMap, leaf);
    }

    /** Recomputes a data block's bestfree[3] (offset, length of its three largest free regions); returns [0]. */
    private static int rebuildBestFree(byte[] data, long dirIno) throws IOException {
        ByteBuffer d = ByteBuffer.wrap(data);
        List<int[]> free = new ArrayList<>();
        int p = XfsDir.HDR;
        while (p + 8 <= data.length) {
            if ((d.getShort(p) & 0xffff) == 0xffff) {
                int len = d.getShort(p + 2) & 0xffff;
                if (len < 8 || p + len > data.length) {
                    throw new XfsCorruptException("xfs: directory " + dirIno + ": free region of " + len + " bytes");
                }
                free.add(new int[] {p, len});
                p += len;
            } else {
                p += XfsDir.dataEntSize(data[p + 8] & 0xff, true); // v5 directories always carry ftype
            }
        }
        free.sort((a, b) -> a[1] != b[1] ? Integer.compare(b[1], a[1]) : Integer.compare(a[0], b[0]));
        for (int i = 0; i < 3; i++) {
            d.putShort(48 + i * 4, (short) (i < free.size() ? free.get(i)[0] : 0));
            d.putShort(50 + i * 4, (short) (i < free.size() ? free.get(i)[1] : 0));
        }
        return free.isEmpty() ? 0 : free.get(0)[1];
    }

    /** A single-block directory as read: fs-block byte offsets of its pieces, header fields, entries ("." first). */
    private record DirBlock(long[] map, long lsn, byte[] uuid, List<XfsDir.Ent> entries) {
    }

    private DirBlock readBlockDir(XfsTx tx, Inode dir) throws IOException {
        if (dir.format() != FMT_EXTENTS && dir.format() != FMT_BTREE) {
            throw new XfsCorruptException("xfs: directory " + dir.ino() + ": data fork format " + dir.format());
        }
        int dbs = sb.dirBlockSize();
        int fsbs = dbs / sb.blockSize();
        long[] map = new long[fsbs];
        for (int k = 0; k < fsbs; k++) {
            Extent e = find(extents(dir), k);
            if (e == null || e.unwritten()) {
                throw new XfsCorruptException("xfs: directory " + dir.ino() + ": block " + k + " unmapped");
            }
            map[k] = sb.fsbToByte(e.startBlock() + k - e.startOff());
        }
        byte[] blk = new byte[dbs];
        for (int k = 0; k < fsbs; k++) {
            System.arraycopy(tx.read(map[k], sb.blockSize()), 0, blk, k * sb.blockSize(), sb.blockSize());
        }
        ByteBuffer bb = ByteBuffer.wrap(blk);
        if (bb.getInt(0) != XfsDir.BLOCK_MAGIC || dir.size() != dbs) {
            throw new UnsupportedFsFeatureException("xfs", "changing entries of a leaf or node form directory "
                    + "(inode " + dir.ino() + "; only short-form and single-block directories are written)");
        }
        if (!XfsTx.crcOk(blk, 4) || bb.getLong(40) != dir.ino()) {
            throw new XfsCorruptException("xfs: directory " + dir.ino() + ": block CRC32C or owner mismatch");
        }
        List<XfsDir.Ent> old = XfsDir.parseBlock(blk, sb.hasFtype(), dir.ino());
        List<XfsDir.Ent> all = new ArrayList<>();
        for (String dot : new String[] {".", ".."}) { // "." and ".." stay the first two entries
            for (XfsDir.Ent e : old) {
                if (new String(e.name(), StandardCharsets.UTF_8).equals(dot)) {
                    all.add(e);
                }
            }
        }
        if (all.size() != 2) {
            throw new XfsCorruptException("xfs: directory " + dir.ino() + ": block lacks '.' or '..'");
        }
        for (XfsDir.Ent e : old) {
            if (!all.contains(e)) {
                all.add(e);
            }
        }
        return new DirBlock(map, bb.getLong(16), java.util.Arrays.copyOfRange(blk, 24, 40), all);
    }

    private void writeBlockDir(XfsTx tx, Inode dir, DirBlock db, List<XfsDir.Ent> entries) throws IOException {
        int bs = sb.blockSize();
        byte[] out = XfsDir.buildBlock(sb.dirBlockSize(), db.map()[0] / 512, db.lsn(), db.uuid(), dir.ino(), entries,
                sb.hasFtype());
        for (int k = 0; k < db.map().length; k++) {
            tx.put(db.map()[k], java.util.Arrays.copyOfRange(out, k * bs, (k + 1) * bs));
        }
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
