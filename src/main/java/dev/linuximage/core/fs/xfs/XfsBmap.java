package dev.linuximage.core.fs.xfs;

import static dev.linuximage.core.fs.xfs.XfsInodes.FMT_BTREE;
import static dev.linuximage.core.fs.xfs.XfsInodes.FMT_EXTENTS;
import static dev.linuximage.core.fs.xfs.XfsInodes.putTime;
import static dev.linuximage.core.fs.xfs.XfsInodes.setNextents;

import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.fs.xfs.XfsInodes.Inode;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.WritableByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The data fork's block map (XFS Algorithms &amp; Data Structures 3rd ed. §19, "Data Extents"): decoding and encoding
 * 128-bit bmbt records, the extent list in the inode and the bmap btree below an in-inode root (v5 long blocks,
 * {@code BMA3}, CRC32C at byte 64), reading file bytes through the mapping, and rewriting a file's mapping (trimming
 * its tail, relocating it into fresh extents). Integers are big-endian; offsets and counts are in file-system blocks.
 * The last decoded extent list is cached per inode (sequential reads of one file map it once); every write that
 * changes a mapping clears it ({@link #invalidate}).
 */
final class XfsBmap {
    /** Upper bound on extent records we collect for one fork (memory bound on hostile btrees). */
    static final int MAX_EXTENTS = 1_000_000;

    /**
     * Largest extent a v5 bmbt record holds: its block count is 21 bits (XFS Algorithms &amp; Data Structures §19.1
     * "Extent List", {@code MAXEXTLEN}), so a rewrite into one fresh extent is at most this many blocks.
     */
    static final int MAX_EXTENT_BLOCKS = (1 << 21) - 1;

    private final ByteSource dev;
    private final XfsSuperblock sb;
    private final XfsInodes inodes;
    private long cachedExtentsIno = -1;
    private List<Extent> cachedExtents;

    XfsBmap(ByteSource dev, XfsSuperblock sb, XfsInodes inodes) {
        this.dev = dev;
        this.sb = sb;
        this.inodes = inodes;
    }

    /** Forgets the cached extent list (after any write: the next read decodes the inode's mapping again). */
    void invalidate() {
        cachedExtentsIno = -1;
    }

    /** A data-fork mapping: file blocks {@code [startOff, startOff + count)} at fs block {@code startBlock}. */
    record Extent(long startOff, long startBlock, long count, boolean unwritten) {}

    /**
     * The data fork's extents sorted by file block: the list in the inode, or every leaf record of the bmap btree
     * (bounded by {@link #MAX_EXTENTS}); overlapping extents are corrupt.
     */
    List<Extent> extents(Inode in) throws IOException {
        if (in.ino() == cachedExtentsIno) {
            return cachedExtents;
        }
        List<Extent> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(in.raw());
        if (in.format() == FMT_EXTENTS) {
            if (in.nextents() * 16 > in.forkSize()) {
                throw new XfsCorruptException("xfs: inode " + in.ino() + ": " + in.nextents()
                        + " extents do not fit the " + "data fork of " + in.forkSize() + " bytes");
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
            throw new XfsCorruptException(
                    "xfs: inode " + in.ino() + ": data fork format " + in.format() + " has no extents");
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
        XfsTx.checkCrc(blk, 64, "bmap btree block " + fsb);
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
                    throw new UnsupportedFsFeatureException("xfs", "files with more than " + MAX_EXTENTS + " extents");
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

    /** Packs a written bmbt record (§19.1): flag:1 = 0, startoff:54, startblock:52, blockcount:21. */
    static void encode(ByteBuffer b, int off, Extent e) {
        b.putLong(off, (e.startOff() << 9) | (e.startBlock() >>> 43));
        b.putLong(off + 8, (e.startBlock() << 21) | e.count());
    }

    /** Reads file bytes through the mapping; holes and unwritten extents read as zeros. */
    int readMapped(Inode in, long offset, ByteBuffer dst) throws IOException {
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

    /** Bytes from file offset 0 covered by written extents without a hole (what an in-place rewrite can use). */
    long allocatedPrefix(List<Extent> ext) {
        long fb = 0;
        Extent e;
        while ((e = find(ext, fb)) != null && !e.unwritten()) {
            fb = e.startOff() + e.count();
        }
        return fb * sb.blockSize();
    }

    /** Makes the data fork one written extent at file block 0 and sets di_nblocks/extent count. */
    void setSingleExtent(byte[] raw, long fsb, long count) {
        ByteBuffer b = ByteBuffer.wrap(raw);
        raw[5] = FMT_EXTENTS;
        java.util.Arrays.fill(raw, 176, 176 + inodes.dataForkSize(raw), (byte) 0);
        b.putLong(176, fsb >>> 43); // flag 0, startoff 0, startblock high 9 bits
        b.putLong(184, (fsb << 21) | count);
        b.putLong(64, b.getLong(64) + count);
        setNextents(raw, 1);
    }

    /** Every block of a btree data fork's bmap btree below the in-inode root (nodes and leaves), bounded. */
    List<Long> bmbtBlocks(Inode in) throws IOException {
        BmdrRoot root = bmdrRoot(in);
        List<Long> out = new ArrayList<>();
        for (long child : root.children()) {
            collectBmbt(child, root.level() - 1, in.ino(), out);
        }
        return out;
    }

    /** The in-inode root of a btree data fork: its level and its child block numbers (filesystem blocks). */
    private record BmdrRoot(int level, long[] children) {}

    /** §17.2: an xfs_bmdr_block root in the inode: level, numrecs, keys, then pointers at the maxrecs offset. */
    private static BmdrRoot bmdrRoot(Inode in) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(in.raw());
        int level = b.getShort(176) & 0xffff;
        int numrecs = b.getShort(178) & 0xffff;
        int maxrecs = (in.forkSize() - 4) / 16;
        if (level < 1 || level > 9 || numrecs > maxrecs) {
            throw new XfsCorruptException(
                    "xfs: inode " + in.ino() + ": bmap btree root level " + level + " numrecs " + numrecs + " invalid");
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
        XfsTx.checkCrc(blk, 64, "bmap btree block " + fsb);
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
        System.arraycopy(inodes.metaUuid(), 0, blk, 40, 16);
        b.putLong(56, ino);
        for (int i = 0; i < recs.size(); i++) {
            encode(b, 72 + i * 16, recs.get(i));
        }
        XfsTx.setCrc(blk, 64);
        return blk;
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
    void trimTail(XfsTx tx, Inode in, List<Extent> ext, long blocks, byte[] raw) throws IOException {
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
                tx.put(
                        sb.fsbToByte(ptrs[i]),
                        bmbtLeaf(
                                in.ino(),
                                ptrs[i],
                                i > 0 ? ptrs[i - 1] : -1,
                                i + 1 < leaves ? ptrs[i + 1] : -1,
                                keep.subList(first, first + count)));
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
    void relocate(WritableByteSource w, Inode in, List<Extent> ext, byte[] content) throws IOException {
        int bs = sb.blockSize();
        long blocks = (content.length + (long) bs - 1) / bs;
        int inlineMax = in.forkSize() / 16;
        int rootMax = (in.forkSize() - 4) / 16;
        int leafMax = (bs - 72) / 16;
        int maxRecords = rootMax * leafMax;
        XfsTx tx = new XfsTx(dev);
        XfsAlloc alloc = new XfsAlloc(sb, tx);
        List<XfsAlloc.Run> runs =
                blocks == 0 ? List.of() : alloc.allocate(inodes.agOf(in.ino()), blocks, maxRecords, "file data");
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
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "writing a file of " + map.size() + " extents (a bmap "
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
                ptrs[i] = alloc.allocBlocks(inodes.agOf(in.ino()), 1, "bmap btree leaf");
            }
            b.putShort(176, (short) 1); // bb_level of the in-inode root
            b.putShort(178, (short) leaves);
            int first = 0;
            for (int i = 0; i < leaves; i++) {
                int count = map.size() / leaves + (i < map.size() % leaves ? 1 : 0);
                tx.put(
                        sb.fsbToByte(ptrs[i]),
                        bmbtLeaf(
                                in.ino(),
                                ptrs[i],
                                i > 0 ? ptrs[i - 1] : -1,
                                i + 1 < leaves ? ptrs[i + 1] : -1,
                                map.subList(first, first + count)));
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
        inodes.stageInode(tx, in.ino(), raw);
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
}
