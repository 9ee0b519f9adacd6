package dev.linuximage.core.fs.xfs;

import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Inode and block allocation inside existing AG structures, staged in an {@link XfsTx} (XFS Algorithms &amp; Data
 * Structures 3rd ed. §15 "Allocation Groups": AGF §15.2, free-space B+trees §15.3, AGI §15.4, inode B+trees §15.5).
 *
 * <p>What it does, and nothing more:
 * <ul>
 *   <li>Inodes: takes a free inode of a chunk, allocating a new full 64-inode chunk in an AG without free inodes
 *   first (xfs_ialloc_ag_alloc: see {@code newChunk}): clears its bit in the inobt
 *   record (any depth: a leaf record changes in place, keys do not), updates or removes the finobt record (removal
 *   only when the finobt root is a leaf, so no merge or key update is needed), decrements AGI freecount and the
 *   superblock's {@code sb_ifree}.</li>
 *   <li>Blocks ({@link #allocate}): the best-fitting free extent of one AG, or when none is large enough several,
 *   largest first over all AGs, each taken from its start in AGs whose bnobt and cntbt roots are leaves (AGF level
 *   1): both leaves lose or shrink one record per taken extent (the cntbt record moves to its new sorted place
 *   inside the same leaf), so neither tree ever splits or merges; AGF freeblks/longest and {@code sb_fdblocks}
 *   follow. Freeing merges with free neighbours and inserts at most one record per leaf (refused when full). The AGFL is not touched. Refused with rmapbt (the reverse map would need a new
 *   record). A fresh extent is unshared, so the reflink refcount btree needs no change.</li>
 * </ul>
 * Short-form btree blocks (v5) have a 56-byte header: magic, level, numrecs, left/right sibling, blkno, lsn, uuid,
 * owner (AG number), CRC at byte 52.
 */
final class XfsAlloc {
    static final int AGF_MAGIC = 0x58414746;
    static final int AGI_MAGIC = 0x58414749;
    static final int IBT_MAGIC = 0x49414233; // IAB3
    static final int FIBT_MAGIC = 0x46494233; // FIB3
    static final int BNO_MAGIC = 0x41423342; // AB3B
    static final int CNT_MAGIC = 0x41423343; // AB3C
    static final int SHORT_HDR = 56;
    /** An AG keeps at least this fraction (1/64) of its blocks free after we allocate (kernel per-AG reserves). */
    static final int RESERVE_SHIFT = 6;

    static final int NULL_AGBLOCK = -1;

    private final XfsSuperblock sb;
    private final XfsTx tx;

    XfsAlloc(XfsSuperblock sb, XfsTx tx) {
        this.sb = sb;
        this.tx = tx;
    }

    long agBase(int ag) {
        return (long) ag * sb.agBlocks() * sb.blockSize();
    }

    private long agbToByte(int ag, long agbno) throws IOException {
        if (agbno <= 0 || agbno >= sb.agBlocks()) {
            throw new XfsCorruptException("xfs: AG " + ag + " block " + agbno + " outside the AG");
        }
        return sb.fsbToByte(((long) ag << sb.agBlkLog()) | agbno);
    }

    private byte[] header(int ag, int sector, int magic, int crcOff, String what) throws IOException {
        byte[] h = tx.read(agBase(ag) + (long) sector * sb.sectSize(), sb.sectSize());
        ByteBuffer b = ByteBuffer.wrap(h);
        if (b.getInt(0) != magic) {
            throw new XfsCorruptException(
                    "xfs: AG " + ag + " " + what + ": magicnum 0x" + Integer.toHexString(b.getInt(0)) + " bad");
        }
        if (!XfsTx.crcOk(h, crcOff)) {
            throw new XfsCorruptException("xfs: AG " + ag + " " + what + ": crc: CRC32C mismatch");
        }
        if (b.getInt(8) != ag) {
            throw new XfsCorruptException("xfs: AG " + ag + " " + what + ": seqno " + b.getInt(8));
        }
        return h;
    }

    private void putHeader(int ag, int sector, byte[] h, int crcOff) throws IOException {
        XfsTx.setCrc(h, crcOff);
        tx.put(agBase(ag) + (long) sector * sb.sectSize(), h);
    }

    /** A verified short-form btree block (magic, CRC, level, owner, numrecs bound). */
    private byte[] btreeBlock(int ag, long agbno, int magic, int level, int recSize, String what) throws IOException {
        byte[] blk = tx.read(agbToByte(ag, agbno), sb.blockSize());
        ByteBuffer b = ByteBuffer.wrap(blk);
        if (b.getInt(0) != magic) {
            throw new XfsCorruptException("xfs: AG " + ag + " " + what + " block " + agbno + ": bb_magic bad");
        }
        if (!XfsTx.crcOk(blk, 52)) {
            throw new XfsCorruptException("xfs: AG " + ag + " " + what + " block " + agbno + ": bb_crc mismatch");
        }
        if ((b.getShort(4) & 0xffff) != level || b.getInt(48) != ag) {
            throw new XfsCorruptException("xfs: AG " + ag + " " + what + " block " + agbno + ": level/owner mismatch");
        }
        int max = level == 0 ? (sb.blockSize() - SHORT_HDR) / recSize : (sb.blockSize() - SHORT_HDR) / 8;
        if ((b.getShort(6) & 0xffff) > max) {
            throw new XfsCorruptException("xfs: AG " + ag + " " + what + " block " + agbno + ": numrecs too large");
        }
        return blk;
    }

    private void putBtreeBlock(int ag, long agbno, byte[] blk) throws IOException {
        XfsTx.setCrc(blk, 52);
        tx.put(agbToByte(ag, agbno), blk);
    }

    // ---- superblock counters ------------------------------------------------------------------------------------

    /** Adds to the primary superblock's {@code sb_ifree} (byte 136) and {@code sb_fdblocks} (byte 144). */
    void superblockDelta(long ifree, long fdblocks) throws IOException {
        byte[] s = tx.read(0, sb.sectSize());
        ByteBuffer b = ByteBuffer.wrap(s);
        long fi = b.getLong(136) + ifree;
        long fd = b.getLong(144) + fdblocks;
        if (fi < 0 || fd < 0) {
            throw new XfsCorruptException(
                    "xfs: superblock free counters would go negative (ifree " + fi + ", fdblocks " + fd + ")");
        }
        b.putLong(136, fi);
        b.putLong(144, fd);
        XfsTx.setCrc(s, 224);
        tx.put(0, s);
    }

    // ---- inodes -------------------------------------------------------------------------------------------------

    /** A free inode slot found in an inobt record. */
    private record Pick(long leafAgbno, int index, int startIno, int bit) {}

    /**
     * Allocates one free inode from an existing chunk, AG {@code preferAg} first. {@code isFreeOnDisk} confirms the
     * inode core on disk is really unused (mode 0) before we hand it out.
     */
    long allocInode(int preferAg, InodeCheck isFreeOnDisk) throws IOException {
        boolean finobt = (sb.roCompat() & XfsSuperblock.RO_COMPAT_FINOBT) != 0;
        boolean sparse = (sb.incompat() & XfsSuperblock.INCOMPAT_SPINODES) != 0;
        String why = null;
        for (int k = 0; k < sb.agCount(); k++) {
            int ag = (preferAg + k) % sb.agCount();
            byte[] agi = header(ag, 2, AGI_MAGIC, 312, "AGI");
            ByteBuffer a = ByteBuffer.wrap(agi);
            if (a.getInt(28) == 0) {
                // like xfs_dialloc: an AG without free inodes but with space gets a new chunk before other AGs
                String no = newChunk(ag, agi);
                if (no != null) {
                    why = (why == null ? "" : why + "; ") + "AG " + ag + ": " + no;
                    continue;
                }
            }
            int flevel = finobt ? a.getInt(332) : 0;
            Pick p = findFreeInode(ag, a.getInt(20), a.getInt(24), sparse, finobt && flevel > 1, isFreeOnDisk);
            if (p == null) {
                why = (why == null ? "" : why + "; ") + "AG " + ag
                        + " has free inodes only in records a multi-level finobt would have to drop";
                continue;
            }
            // inobt leaf: clear the free bit, one less free inode (the record's key, startino, is unchanged)
            byte[] leaf = btreeBlock(ag, p.leafAgbno(), IBT_MAGIC, 0, 16, "inobt");
            int newFree = takeBit(ByteBuffer.wrap(leaf), SHORT_HDR + p.index() * 16, p.bit(), sparse);
            putBtreeBlock(ag, p.leafAgbno(), leaf);
            if (finobt) {
                updateFinobt(ag, a.getInt(328), flevel, p, newFree, sparse);
            }
            a.putInt(28, a.getInt(28) - 1);
            putHeader(ag, 2, agi, 312);
            superblockDelta(-1, 0);
            long agino = (p.startIno() & 0xffffffffL) + p.bit();
            return ((long) ag << (sb.agBlkLog() + sb.inopbLog())) | agino;
        }
        throw new UnsupportedFsFeatureException(
                "xfs",
                "creating an inode: no free inode in an existing inode chunk"
                        + " and no new inode chunk could be allocated" + (why != null ? " (" + why + ")" : ""));
    }

    // ---- new inode chunks ---------------------------------------------------------------------------------------

    /** {@code sb_versionnum} bit: inode chunks are aligned to {@code sb_inoalignmt} (XFS_SB_VERSION_ALIGNBIT). */
    static final int VERSION_ALIGNBIT = 0x0080;

    static final int NULL_AGINO = -1;

    /**
     * Allocates and stages one full 64-inode chunk in AG {@code ag} the way xfs_ialloc_ag_alloc does (libxfs
     * xfs_ialloc.c; XFS Algorithms &amp; Data Structures §15.4-15.5), or returns why it cannot (then nothing is
     * staged). Placement: right after the last allocated chunk ({@code agi_newino}) when that is free, else the
     * free position nearest the inobt root, aligned to {@code sb_inoalignmt} blocks (the inode cluster alignment;
     * with sparse inodes mkfs sets it to the chunk size, so a full chunk is always a valid record). Only full chunks
     * are allocated (sparse-inode filesystems take full chunks too; their record is holemask 0, count 64). The
     * {@code sb_imax_pct} inode limit is kept. The blocks leave both free-space btrees (a free extent may be split
     * in two), every inode of the chunk is initialised as the kernel's xfs_ialloc_inode_init does (magic, version 3,
     * generation, di_next_unlinked = NULLAGINO, di_ino, meta UUID, CRC), the all-free record goes into the inobt and,
     * with the feature, the finobt (a leaf with room; keys on the path updated when it becomes a leaf's first),
     * AGI count/freecount/newino and the superblock's icount/ifree grow by 64.
     */
    private String newChunk(int ag, byte[] agi) throws IOException {
        if ((sb.roCompat() & XfsSuperblock.RO_COMPAT_RMAPBT) != 0) {
            return "a new inode chunk needs an rmapbt record (the rmapbt feature is not updated by this writer)";
        }
        boolean finobt = (sb.roCompat() & XfsSuperblock.RO_COMPAT_FINOBT) != 0;
        boolean sparse = (sb.incompat() & XfsSuperblock.INCOMPAT_SPINODES) != 0;
        int inopb = sb.inopBlock();
        if (inopb > 64) {
            return "inode chunks of blocks holding " + inopb + " inodes (more than one 64-inode record per block)";
        }
        int chunkBlocks = 64 / inopb;
        ByteBuffer a = ByteBuffer.wrap(agi);
        ByteBuffer s = ByteBuffer.wrap(tx.read(0, sb.sectSize()));
        // xfs_ialloc_setup_geometry: at most imax_pct percent of the data blocks hold inodes, in whole chunks
        int imaxPct = s.get(127) & 0xff;
        if (imaxPct != 0) {
            long icount = 0;
            for (int k = 0; k < sb.agCount(); k++) {
                icount += k == ag
                        ? a.getInt(16) & 0xffffffffL
                        : ByteBuffer.wrap(header(k, 2, AGI_MAGIC, 312, "AGI")).getInt(16) & 0xffffffffL;
            }
            long max = sb.dblocks() * imaxPct / 100 / chunkBlocks * chunkBlocks * inopb;
            if (icount + 64 > max) {
                return "the inode limit is reached (imaxpct " + imaxPct + "%: at most " + max + " inodes, " + icount
                        + " allocated)";
            }
        }
        int versionNum = s.getShort(100) & 0xffff;
        long inoAlign = s.getInt(180) & 0xffffffffL;
        long align = (versionNum & VERSION_ALIGNBIT) != 0 && inoAlign > 0 ? inoAlign : 1;
        if (inoAlign > sb.agBlocks()) {
            throw new IOException("xfs: sb_inoalignmt " + inoAlign + " larger than an AG");
        }
        long agLen = a.getInt(12) & 0xffffffffL;
        long expectLen = ag == sb.agCount() - 1 ? sb.dblocks() - (long) ag * sb.agBlocks() : sb.agBlocks();
        if (agLen != expectLen) {
            throw new IOException("xfs: AG " + ag + " AGI length " + agLen + ", geometry says " + expectLen);
        }
        ByteBuffer f = ByteBuffer.wrap(header(ag, 1, AGF_MAGIC, 216, "AGF"));
        if (f.getInt(28) != 1 || f.getInt(32) != 1) {
            return "free-space btrees have more than one level (multi-level bnobt/cntbt updates are not implemented)";
        }
        long freeblks = f.getInt(52) & 0xffffffffL;
        if (freeblks < chunkBlocks + (sb.agBlocks() >> RESERVE_SHIFT)) {
            return "a chunk of " + chunkBlocks + " blocks would leave less than 1/64 of the AG free";
        }
        ByteBuffer c = ByteBuffer.wrap(btreeBlock(ag, f.getInt(20) & 0xffffffffL, CNT_MAGIC, 0, 8, "cntbt"));
        int n = c.getShort(6) & 0xffff;
        long newino = a.getInt(32) & 0xffffffffL;
        long exact = newino == (NULL_AGINO & 0xffffffffL) ? -1 : (newino >>> sb.inopbLog()) + chunkBlocks;
        long root = a.getInt(20) & 0xffffffffL;
        Free pick = null;
        long at = -1;
        long bestDist = Long.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            long st = c.getInt(SHORT_HDR + i * 8) & 0xffffffffL;
            long len = c.getInt(SHORT_HDR + i * 8 + 4) & 0xffffffffL;
            if (st == 0 || len == 0 || st + len > agLen) {
                throw new IOException("xfs: AG " + ag + " cntbt record " + st + "+" + len + " outside the AG");
            }
            if (len < chunkBlocks) {
                continue;
            }
            if (exact >= 0 && exact % align == 0 && st <= exact && exact + chunkBlocks <= st + len) {
                pick = new Free(ag, st, len);
                at = exact;
                break;
            }
            long first = (st + align - 1) / align * align;
            long last = (st + len - chunkBlocks) / align * align;
            if (first > last) {
                continue;
            }
            long pos = Math.min(Math.max(root / align * align, first), last);
            long dist = Math.abs(pos - root);
            if (dist < bestDist || (dist == bestDist && pos < at)) {
                bestDist = dist;
                pick = new Free(ag, st, len);
                at = pos;
            }
        }
        if (pick == null) {
            return "no free extent holds a chunk of " + chunkBlocks + " blocks aligned to " + align + " blocks "
                    + "(sparse inode chunks are not allocated by this writer)";
        }
        long startino = at << sb.inopbLog();
        Ins ib;
        Ins fb = null;
        try {
            ib = planInsert(ag, a.getInt(20), a.getInt(24), IBT_MAGIC, "inobt", startino);
            if (finobt) {
                fb = planInsert(ag, a.getInt(328), a.getInt(332), FIBT_MAGIC, "finobt", startino);
            }
            takeRange(pick, at, chunkBlocks); // the first staged change: it may still refuse (leaf full)
        } catch (UnsupportedFsFeatureException e) {
            return e.getMessage().replaceFirst("^xfs: unsupported ", "");
        }
        // the inode buffers (xfs_ialloc_inode_init): zeroed, then each inode stamped and checksummed
        byte[] uuid = metaUuid(s);
        int gen = new java.security.SecureRandom().nextInt();
        long base = agbToByte(ag, at);
        for (int i = 0; i < 64; i++) {
            byte[] raw = new byte[sb.inodeSize()];
            ByteBuffer b = ByteBuffer.wrap(raw);
            b.putShort(0, (short) 0x494e);
            raw[4] = 3;
            b.putInt(92, gen);
            b.putInt(96, NULL_AGINO);
            b.putLong(152, ((long) ag << (sb.agBlkLog() + sb.inopbLog())) | (startino + i));
            System.arraycopy(uuid, 0, raw, 160, 16);
            XfsTx.setCrc(raw, 100);
            tx.put(base + (long) i * sb.inodeSize(), raw);
        }
        byte[] rec = new byte[16];
        ByteBuffer r = ByteBuffer.wrap(rec);
        r.putInt(0, (int) startino);
        if (sparse) {
            r.putShort(4, (short) 0); // holemask: no holes
            rec[6] = 64; // count
            rec[7] = 64; // freecount
        } else {
            r.putInt(4, 64);
        }
        r.putLong(8, -1L); // every inode free
        applyInsert(ag, IBT_MAGIC, "inobt", ib, rec);
        if (fb != null) {
            applyInsert(ag, FIBT_MAGIC, "finobt", fb, rec);
        }
        a.putInt(16, a.getInt(16) + 64);
        a.putInt(28, a.getInt(28) + 64);
        a.putInt(32, (int) startino);
        putHeader(ag, 2, agi, 312);
        superblockInodes(64);
        superblockDelta(64, 0);
        return null;
    }

    /** The UUID stamped into v5 metadata: {@code sb_meta_uuid} (byte 248) with the meta-uuid feature, else sb_uuid. */
    private byte[] metaUuid(ByteBuffer s) {
        int off = (sb.incompat() & XfsSuperblock.INCOMPAT_META_UUID) != 0 ? 248 : 32;
        byte[] u = new byte[16];
        s.get(off, u);
        return u;
    }

    /** Adds to the primary superblock's {@code sb_icount} (byte 128). */
    private void superblockInodes(long delta) throws IOException {
        byte[] s = tx.read(0, sb.sectSize());
        ByteBuffer b = ByteBuffer.wrap(s);
        b.putLong(128, b.getLong(128) + delta);
        XfsTx.setCrc(s, 224);
        tx.put(0, s);
    }

    /** Where a record goes in an inode btree: the node path (block, child index per level, root first) and leaf. */
    private record Ins(long[] nodes, int[] index, long leaf, int pos, long key) {}

    /**
     * Finds the leaf and position for a new record with {@code startino} in an inode btree (keys: startino, 4-byte
     * block pointers). Refused when that leaf is full (a btree split is not implemented).
     */
    private Ins planInsert(int ag, int root, int levels, int magic, String what, long startino) throws IOException {
        if (levels < 1 || levels > 9) {
            throw new IOException("xfs: AG " + ag + " " + what + " level " + levels + " invalid");
        }
        int maxKeys = (sb.blockSize() - SHORT_HDR) / 8;
        long[] nodes = new long[levels - 1];
        int[] index = new int[levels - 1];
        long agbno = root & 0xffffffffL;
        for (int level = levels - 1, k = 0; level > 0; level--, k++) {
            ByteBuffer b = ByteBuffer.wrap(btreeBlock(ag, agbno, magic, level, 16, what));
            int n = b.getShort(6) & 0xffff;
            if (n == 0) {
                throw new IOException("xfs: AG " + ag + " " + what + " node " + agbno + " is empty");
            }
            int pick = 0;
            for (int i = 0; i < n && (b.getInt(SHORT_HDR + i * 4) & 0xffffffffL) <= startino; i++) {
                pick = i;
            }
            nodes[k] = agbno;
            index[k] = pick;
            agbno = b.getInt(SHORT_HDR + maxKeys * 4 + pick * 4) & 0xffffffffL;
        }
        ByteBuffer b = ByteBuffer.wrap(btreeBlock(ag, agbno, magic, 0, 16, what));
        int n = b.getShort(6) & 0xffff;
        if (n >= (sb.blockSize() - SHORT_HDR) / 16) {
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "inserting a new inode chunk's record into a full " + what
                            + " leaf (btree splits are not implemented)");
        }
        int pos = 0;
        while (pos < n && (b.getInt(SHORT_HDR + pos * 16) & 0xffffffffL) < startino) {
            pos++;
        }
        if (pos < n && (b.getInt(SHORT_HDR + pos * 16) & 0xffffffffL) < startino + 64) {
            throw new IOException("xfs: AG " + ag + " " + what + " already has a record at " + startino);
        }
        if (pos > 0 && (b.getInt(SHORT_HDR + (pos - 1) * 16) & 0xffffffffL) + 64 > startino) {
            throw new IOException("xfs: AG " + ag + " " + what + " record overlaps new chunk " + startino);
        }
        return new Ins(nodes, index, agbno, pos, startino);
    }

    private void applyInsert(int ag, int magic, String what, Ins ins, byte[] rec) throws IOException {
        byte[] leaf = btreeBlock(ag, ins.leaf(), magic, 0, 16, what);
        ByteBuffer b = ByteBuffer.wrap(leaf);
        int n = b.getShort(6) & 0xffff;
        int r = SHORT_HDR + ins.pos() * 16;
        System.arraycopy(leaf, r, leaf, r + 16, (n - ins.pos()) * 16);
        System.arraycopy(rec, 0, leaf, r, 16);
        b.putShort(6, (short) (n + 1));
        putBtreeBlock(ag, ins.leaf(), leaf);
        if (ins.pos() != 0) {
            return;
        }
        // the leaf's lowest key changed: update it upwards while the child is its parent's first (§15.5 keys)
        for (int k = ins.nodes().length - 1; k >= 0; k--) {
            int level = ins.nodes().length - k;
            byte[] node = btreeBlock(ag, ins.nodes()[k], magic, level, 16, what);
            ByteBuffer nb = ByteBuffer.wrap(node);
            nb.putInt(SHORT_HDR + ins.index()[k] * 4, (int) ins.key());
            putBtreeBlock(ag, ins.nodes()[k], node);
            if (ins.index()[k] != 0) {
                break;
            }
        }
    }

    /**
     * Takes blocks {@code [at, at + len)} out of free extent {@code f} (both single-leaf free-space btrees, AGF
     * freeblks/longest, sb_fdblocks). The extent may keep a left and a right remainder: then the bnobt gains a record
     * and the cntbt one; refused (before anything is staged) when a leaf has no room for it.
     */
    private void takeRange(Free f, long at, long len) throws IOException {
        int ag = f.ag();
        byte[] agf = header(ag, 1, AGF_MAGIC, 216, "AGF");
        ByteBuffer a = ByteBuffer.wrap(agf);
        if (a.getInt(28) != 1 || a.getInt(32) != 1) {
            throw new IOException("xfs: internal: AG " + ag + " free-space btrees changed depth");
        }
        long left = at - f.start();
        long right = f.start() + f.len() - at - len;
        long freeblks = a.getInt(52) & 0xffffffffL;
        if (left < 0 || right < 0 || len < 1 || len > freeblks) {
            throw new IOException("xfs: internal: taking " + at + "+" + len + " of free extent " + f);
        }
        long bnoRoot = a.getInt(16) & 0xffffffffL;
        long cntRoot = a.getInt(20) & 0xffffffffL;
        byte[] bno = btreeBlock(ag, bnoRoot, BNO_MAGIC, 0, 8, "bnobt");
        byte[] cnt = btreeBlock(ag, cntRoot, CNT_MAGIC, 0, 8, "cntbt");
        ByteBuffer bb = ByteBuffer.wrap(bno);
        ByteBuffer c = ByteBuffer.wrap(cnt);
        int bn = bb.getShort(6) & 0xffff;
        int cn = c.getShort(6) & 0xffff;
        int idx = -1;
        for (int i = 0; i < bn && idx < 0; i++) {
            if ((bb.getInt(SHORT_HDR + i * 8) & 0xffffffffL) == f.start()) {
                idx = i;
            }
        }
        if (idx < 0 || (bb.getInt(SHORT_HDR + idx * 8 + 4) & 0xffffffffL) != f.len()) {
            throw new IOException(
                    "xfs: AG " + ag + " bnobt and cntbt disagree on free extent " + f.start() + "+" + f.len());
        }
        int maxrecs = (sb.blockSize() - SHORT_HDR) / 8;
        if (left > 0 && right > 0 && (bn >= maxrecs || cn >= maxrecs)) {
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "splitting a free extent of AG " + ag + " whose bnobt or "
                            + "cntbt leaf is full (btree splits are not implemented)");
        }
        removeCnt(c, cnt, f.len(), f.start(), ag);
        if (left > 0) {
            bb.putInt(SHORT_HDR + idx * 8 + 4, (int) left);
            if (right > 0) {
                System.arraycopy(bno, SHORT_HDR + (idx + 1) * 8, bno, SHORT_HDR + (idx + 2) * 8, (bn - idx - 1) * 8);
                bb.putInt(SHORT_HDR + (idx + 1) * 8, (int) (at + len));
                bb.putInt(SHORT_HDR + (idx + 1) * 8 + 4, (int) right);
                bb.putShort(6, (short) (bn + 1));
            }
            insertCnt(c, cnt, f.start(), left);
        } else if (right > 0) {
            bb.putInt(SHORT_HDR + idx * 8, (int) (at + len));
            bb.putInt(SHORT_HDR + idx * 8 + 4, (int) right);
        } else {
            removeRec(bno, idx, bn, 8);
        }
        if (right > 0) {
            insertCnt(c, cnt, at + len, right);
        }
        putBtreeBlock(ag, bnoRoot, bno);
        putBtreeBlock(ag, cntRoot, cnt);
        int after = c.getShort(6) & 0xffff;
        a.putInt(52, (int) (freeblks - len));
        a.putInt(56, after == 0 ? 0 : c.getInt(SHORT_HDR + (after - 1) * 8 + 4));
        putHeader(ag, 1, agf, 216);
        superblockDelta(0, -len);
    }

    /** Inserts (start, len) at its (blockcount, startblock) place in a cntbt leaf that has room. */
    private static void insertCnt(ByteBuffer c, byte[] cnt, long start, long len) {
        int n = c.getShort(6) & 0xffff;
        int pos = 0;
        while (pos < n && compareCnt(c, pos, len, start) < 0) {
            pos++;
        }
        System.arraycopy(cnt, SHORT_HDR + pos * 8, cnt, SHORT_HDR + (pos + 1) * 8, (n - pos) * 8);
        c.putInt(SHORT_HDR + pos * 8, (int) start);
        c.putInt(SHORT_HDR + pos * 8 + 4, (int) len);
        c.putShort(6, (short) (n + 1));
    }

    interface InodeCheck {
        void check(long ino) throws IOException;
    }

    private Pick findFreeInode(int ag, int root, int levels, boolean sparse, boolean needTwo, InodeCheck check)
            throws IOException {
        if (levels < 1 || levels > 9) {
            throw new XfsCorruptException("xfs: AG " + ag + " inobt level " + levels + " invalid");
        }
        long agbno = root & 0xffffffffL;
        for (int level = levels - 1; level > 0; level--) { // leftmost leaf
            byte[] node = btreeBlock(ag, agbno, IBT_MAGIC, level, 16, "inobt");
            int maxrecs = (sb.blockSize() - SHORT_HDR) / 8;
            if ((ByteBuffer.wrap(node).getShort(6) & 0xffff) == 0) {
                throw new XfsCorruptException("xfs: AG " + ag + " inobt node " + agbno + " is empty");
            }
            agbno = ByteBuffer.wrap(node).getInt(SHORT_HDR + maxrecs * 4) & 0xffffffffL;
        }
        long limit = (long) sb.agBlocks(); // a leaf chain cannot be longer than the AG
        for (long steps = 0; agbno != (NULL_AGBLOCK & 0xffffffffL); steps++) {
            if (steps > limit) {
                throw new XfsCorruptException("xfs: AG " + ag + " inobt leaf chain loops");
            }
            byte[] leaf = btreeBlock(ag, agbno, IBT_MAGIC, 0, 16, "inobt");
            ByteBuffer b = ByteBuffer.wrap(leaf);
            int n = b.getShort(6) & 0xffff;
            for (int i = 0; i < n; i++) {
                int r = SHORT_HDR + i * 16;
                int freecount = sparse ? leaf[r + 7] & 0xff : b.getInt(r + 4);
                if (freecount == 0 || (needTwo && freecount < 2)) {
                    continue;
                }
                long free = b.getLong(r + 8);
                int holes = sparse ? b.getShort(r + 4) & 0xffff : 0;
                for (int bit = 0; bit < 64; bit++) {
                    if ((free >>> bit & 1) != 0 && (holes >>> (bit / 4) & 1) == 0) {
                        int startIno = b.getInt(r);
                        long ino = ((long) ag << (sb.agBlkLog() + sb.inopbLog())) | ((startIno & 0xffffffffL) + bit);
                        check.check(ino);
                        return new Pick(agbno, i, startIno, bit);
                    }
                }
                throw new XfsCorruptException("xfs: AG " + ag + " inobt record " + b.getInt(r) + ": freecount "
                        + freecount + " but no free inode in its mask");
            }
            agbno = b.getInt(12) & 0xffffffffL;
        }
        return null;
    }

    /** Clears free bit {@code bit} of the inobt/finobt record at {@code r}; returns the new freecount. */
    private static int takeBit(ByteBuffer b, int r, int bit, boolean sparse) throws IOException {
        long free = b.getLong(r + 8);
        if ((free >>> bit & 1) == 0) {
            throw new XfsCorruptException("xfs: inode btree record " + b.getInt(r) + ": inode " + bit + " not free");
        }
        b.putLong(r + 8, free & ~(1L << bit));
        int fc = sparse ? b.get(r + 7) & 0xff : b.getInt(r + 4);
        if (fc == 0) {
            throw new XfsCorruptException("xfs: inode btree record " + b.getInt(r) + ": freecount already 0");
        }
        if (sparse) {
            b.put(r + 7, (byte) (fc - 1));
        } else {
            b.putInt(r + 4, fc - 1);
        }
        return fc - 1;
    }

    private void updateFinobt(int ag, int root, int levels, Pick p, int newFree, boolean sparse) throws IOException {
        if (levels < 1 || levels > 9) {
            throw new XfsCorruptException("xfs: AG " + ag + " finobt level " + levels + " invalid");
        }
        long agbno = root & 0xffffffffL;
        int maxKeys = (sb.blockSize() - SHORT_HDR) / 8;
        for (int level = levels - 1; level > 0; level--) { // descend by key: the last key <= startino
            byte[] node = btreeBlock(ag, agbno, FIBT_MAGIC, level, 16, "finobt");
            ByteBuffer b = ByteBuffer.wrap(node);
            int n = b.getShort(6) & 0xffff;
            int pick = -1;
            for (int i = 0; i < n && Integer.compareUnsigned(b.getInt(SHORT_HDR + i * 4), p.startIno()) <= 0; i++) {
                pick = i;
            }
            if (pick < 0) {
                throw new XfsCorruptException("xfs: AG " + ag + " finobt has no record for chunk " + p.startIno());
            }
            agbno = b.getInt(SHORT_HDR + maxKeys * 4 + pick * 4) & 0xffffffffL;
        }
        byte[] leaf = btreeBlock(ag, agbno, FIBT_MAGIC, 0, 16, "finobt");
        ByteBuffer b = ByteBuffer.wrap(leaf);
        int n = b.getShort(6) & 0xffff;
        for (int i = 0; i < n; i++) {
            int r = SHORT_HDR + i * 16;
            if (b.getInt(r) != p.startIno()) {
                continue;
            }
            int fc = takeBit(b, r, p.bit(), sparse);
            if (fc != newFree) {
                throw new XfsCorruptException("xfs: AG " + ag + " finobt and inobt disagree on chunk " + p.startIno());
            }
            if (fc == 0) {
                if (levels > 1) {
                    throw new UnsupportedFsFeatureException("xfs", "removing a record from a multi-level finobt");
                }
                // root leaf: drop the record (no minimum record count for a root)
                System.arraycopy(leaf, r + 16, leaf, r, (n - i - 1) * 16);
                java.util.Arrays.fill(leaf, SHORT_HDR + (n - 1) * 16, SHORT_HDR + n * 16, (byte) 0);
                b.putShort(6, (short) (n - 1));
            }
            putBtreeBlock(ag, agbno, leaf);
            return;
        }
        throw new XfsCorruptException("xfs: AG " + ag + " finobt has no record for chunk " + p.startIno()
                + " although the inobt says it has free inodes");
    }

    // ---- blocks -------------------------------------------------------------------------------------------------

    /** One allocated run of blocks: first fs block number ({@code agno << agblklog | agbno}) and length in blocks. */
    record Run(long fsb, long len) {}

    /** A free extent as recorded in an AG's cntbt (AG block number, length in blocks). */
    private record Free(int ag, long start, long len) {}

    /**
     * Allocates {@code count} contiguous blocks, AG {@code preferAg} first; returns the first fs block number
     * ({@code agno << agblklog | agbno}).
     */
    long allocBlocks(int preferAg, int count, String purpose) throws IOException {
        return allocate(preferAg, count, 1, purpose).get(0).fsb();
    }

    /**
     * Allocates {@code count} blocks as at most {@code maxRuns} extents. One extent when an AG has a free extent that
     * large (the best fit: the smallest such cntbt record, AG {@code preferAg} first); otherwise several, largest
     * free extents first over all AGs (the kernel's fallback when no single extent fits is likewise to take what the
     * by-size btree offers, xfs_alloc_ag_vextent_size). Each run is the start of one free extent: a wholly used
     * extent loses its bnobt and cntbt records, a partly used one keeps its remainder (bnobt record shrunk in place,
     * cntbt record moved to its sorted place), so neither single-leaf tree ever splits. Every AG keeps at least 1/64
     * of its blocks free. Refused (named, nothing staged) with rmapbt, when the AGs that could give blocks have
     * multi-level free-space btrees, when free space is short, or when more than {@code maxRuns} extents are needed.
     */
    List<Run> allocate(int preferAg, long count, int maxRuns, String purpose) throws IOException {
        if ((sb.roCompat() & XfsSuperblock.RO_COMPAT_RMAPBT) != 0) {
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "block allocation (" + purpose + ") with the rmapbt "
                            + "feature (the reverse-mapping btree is not updated by this writer)");
        }
        if (count < 1 || maxRuns < 1) {
            throw new IOException("xfs: internal: allocation of " + count + " blocks in " + maxRuns + " runs");
        }
        StringBuilder why = new StringBuilder();
        List<Free> all = new ArrayList<>();
        long[] budget = new long[sb.agCount()];
        Free best = null;
        for (int k = 0; k < sb.agCount(); k++) {
            int ag = (preferAg + k) % sb.agCount();
            ByteBuffer a = ByteBuffer.wrap(header(ag, 1, AGF_MAGIC, 216, "AGF"));
            if (a.getInt(28) != 1 || a.getInt(32) != 1) {
                why.append("; AG ")
                        .append(ag)
                        .append(": free-space btrees have more than one level (multi-level "
                                + "bnobt/cntbt updates are not implemented)");
                continue;
            }
            long freeblks = a.getInt(52) & 0xffffffffL;
            budget[ag] = freeblks - (sb.agBlocks() >> RESERVE_SHIFT);
            if (budget[ag] <= 0) {
                why.append("; AG ").append(ag).append(": less than 1/64 of the AG free");
                budget[ag] = 0;
                continue;
            }
            ByteBuffer c = ByteBuffer.wrap(btreeBlock(ag, a.getInt(20) & 0xffffffffL, CNT_MAGIC, 0, 8, "cntbt"));
            int n = c.getShort(6) & 0xffff;
            long sum = 0;
            for (int i = 0; i < n; i++) { // sorted by (blockcount, startblock): the first that fits is the best fit
                long start = c.getInt(SHORT_HDR + i * 8) & 0xffffffffL;
                long len = c.getInt(SHORT_HDR + i * 8 + 4) & 0xffffffffL;
                if (start == 0 || len == 0 || start + len > sb.agBlocks()) {
                    throw new XfsCorruptException(
                            "xfs: AG " + ag + " cntbt record " + start + "+" + len + " outside the AG");
                }
                sum += len;
                Free f = new Free(ag, start, len);
                all.add(f);
                if (best == null && len >= count && count <= budget[ag]) {
                    best = f;
                }
            }
            if (sum != freeblks) {
                throw new XfsCorruptException(
                        "xfs: AG " + ag + " cntbt holds " + sum + " free blocks, AGF freeblks says " + freeblks);
            }
        }
        if (best != null) {
            take(best, count);
            return List.of(new Run(fsb(best), count));
        }
        if (maxRuns == 1) {
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "block allocation (" + purpose + ", " + count
                            + " contiguous blocks): no AG has a free extent that large" + why);
        }
        // largest first; among equals the preferred AG's, then lower block numbers
        all.sort((x, y) -> x.len() != y.len()
                ? Long.compare(y.len(), x.len())
                : x.ag() != y.ag()
                        ? Integer.compare(
                                Math.floorMod(x.ag() - preferAg, sb.agCount()),
                                Math.floorMod(y.ag() - preferAg, sb.agCount()))
                        : Long.compare(x.start(), y.start()));
        List<Free> plan = new ArrayList<>();
        List<Long> takes = new ArrayList<>();
        long left = count;
        for (Free f : all) {
            if (left == 0) {
                break;
            }
            long t = Math.min(Math.min(f.len(), left), budget[f.ag()]);
            if (t > 0) {
                plan.add(f);
                takes.add(t);
                budget[f.ag()] -= t;
                left -= t;
            }
        }
        if (left > 0) {
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "block allocation (" + purpose + ", " + count
                            + " blocks): not enough free space (" + (count - left)
                            + " blocks usable while every AG keeps"
                            + " 1/64 free)" + why);
        }
        if (plan.size() > maxRuns) {
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "block allocation (" + purpose + ", " + count
                            + " blocks): free space is so fragmented that " + plan.size()
                            + " extents would be needed, more"
                            + " than the " + maxRuns + " the file's mapping can hold");
        }
        List<Run> out = new ArrayList<>();
        for (int i = 0; i < plan.size(); i++) {
            take(plan.get(i), takes.get(i));
            out.add(new Run(fsb(plan.get(i)), takes.get(i)));
        }
        return out;
    }

    private long fsb(Free f) {
        return ((long) f.ag() << sb.agBlkLog()) | f.start();
    }

    /**
     * Takes the first {@code t} blocks of free extent {@code f} out of both single-leaf free-space btrees of its AG
     * and the AGF/superblock counters (§15.3: a bnobt record keeps its startblock order when it only moves right;
     * a cntbt record is re-sorted by (blockcount, startblock)).
     */
    private void take(Free f, long t) throws IOException {
        int ag = f.ag();
        byte[] agf = header(ag, 1, AGF_MAGIC, 216, "AGF");
        ByteBuffer a = ByteBuffer.wrap(agf);
        long bnoRoot = a.getInt(16) & 0xffffffffL;
        long cntRoot = a.getInt(20) & 0xffffffffL;
        if (a.getInt(28) != 1 || a.getInt(32) != 1) {
            throw new IOException("xfs: internal: AG " + ag + " free-space btrees changed depth");
        }
        long freeblks = a.getInt(52) & 0xffffffffL;
        if (t < 1 || t > f.len() || t > freeblks) {
            throw new IOException("xfs: internal: taking " + t + " blocks of free extent " + f);
        }
        byte[] cnt = btreeBlock(ag, cntRoot, CNT_MAGIC, 0, 8, "cntbt");
        ByteBuffer c = ByteBuffer.wrap(cnt);
        int n = c.getShort(6) & 0xffff;
        int hit = -1;
        for (int i = 0; i < n && hit < 0; i++) {
            if (compareCnt(c, i, f.len(), f.start()) == 0) {
                hit = i;
            }
        }
        byte[] bno = btreeBlock(ag, bnoRoot, BNO_MAGIC, 0, 8, "bnobt");
        ByteBuffer bb = ByteBuffer.wrap(bno);
        int bn = bb.getShort(6) & 0xffff;
        int at = -1;
        for (int i = 0; i < bn && at < 0; i++) {
            if ((bb.getInt(SHORT_HDR + i * 8) & 0xffffffffL) == f.start()) {
                at = i;
            }
        }
        if (hit < 0 || at < 0 || (bb.getInt(SHORT_HDR + at * 8 + 4) & 0xffffffffL) != f.len()) {
            throw new XfsCorruptException(
                    "xfs: AG " + ag + " bnobt and cntbt disagree on free extent " + f.start() + "+" + f.len());
        }
        long newStart = f.start() + t;
        long newLen = f.len() - t;
        if (newLen > 0) {
            bb.putInt(SHORT_HDR + at * 8, (int) newStart);
            bb.putInt(SHORT_HDR + at * 8 + 4, (int) newLen);
        } else {
            removeRec(bno, at, bn, 8);
        }
        removeRec(cnt, hit, n, 8);
        n--;
        if (newLen > 0) {
            insertCnt(c, cnt, newStart, newLen);
            n++;
        }
        putBtreeBlock(ag, bnoRoot, bno);
        putBtreeBlock(ag, cntRoot, cnt);
        a.putInt(52, (int) (freeblks - t));
        a.putInt(56, n == 0 ? 0 : c.getInt(SHORT_HDR + (n - 1) * 8 + 4)); // longest = last by count
        putHeader(ag, 1, agf, 216);
        superblockDelta(0, -t);
    }
    /** Returns inode {@code ino} to its chunk: inobt bit set, finobt record updated or inserted, AGI, sb_ifree. */
    void freeInode(long ino) throws IOException {
        boolean finobt = (sb.roCompat() & XfsSuperblock.RO_COMPAT_FINOBT) != 0;
        boolean sparse = (sb.incompat() & XfsSuperblock.INCOMPAT_SPINODES) != 0;
        int ag = (int) (ino >>> (sb.agBlkLog() + sb.inopbLog()));
        long agino = ino & ((1L << (sb.agBlkLog() + sb.inopbLog())) - 1);
        byte[] agi = header(ag, 2, AGI_MAGIC, 312, "AGI");
        ByteBuffer a = ByteBuffer.wrap(agi);
        long leafAgbno = descend(ag, a.getInt(20), a.getInt(24), IBT_MAGIC, "inobt", agino);
        byte[] leaf = btreeBlock(ag, leafAgbno, IBT_MAGIC, 0, 16, "inobt");
        ByteBuffer b = ByteBuffer.wrap(leaf);
        int r = findChunk(b, agino);
        if (r < 0) {
            throw new XfsCorruptException("xfs: inode " + ino + " has no inobt record");
        }
        int startIno = b.getInt(r);
        int bit = (int) (agino - (startIno & 0xffffffffL));
        int before = giveBit(b, r, bit, sparse);
        putBtreeBlock(ag, leafAgbno, leaf);
        if (finobt) {
            long fAgbno = descend(ag, a.getInt(328), a.getInt(332), FIBT_MAGIC, "finobt", agino);
            byte[] fleaf = btreeBlock(ag, fAgbno, FIBT_MAGIC, 0, 16, "finobt");
            ByteBuffer f = ByteBuffer.wrap(fleaf);
            int fr = findChunk(f, agino);
            if (before > 0) {
                if (fr < 0) {
                    throw new XfsCorruptException("xfs: AG " + ag + " finobt lacks chunk " + startIno);
                }
                giveBit(f, fr, bit, sparse);
            } else {
                if (fr >= 0) {
                    throw new XfsCorruptException("xfs: AG " + ag + " finobt has full chunk " + startIno);
                }
                int n = f.getShort(6) & 0xffff;
                if (a.getInt(332) != 1 || n >= (sb.blockSize() - SHORT_HDR) / 16) {
                    throw new UnsupportedFsFeatureException(
                            "xfs",
                            "inserting a record into a finobt that is not a "
                                    + "single leaf with room (btree splits are not implemented)");
                }
                int pos = 0;
                while (pos < n && Integer.compareUnsigned(f.getInt(SHORT_HDR + pos * 16), startIno) < 0) {
                    pos++;
                }
                System.arraycopy(fleaf, SHORT_HDR + pos * 16, fleaf, SHORT_HDR + (pos + 1) * 16, (n - pos) * 16);
                System.arraycopy(leaf, r, fleaf, SHORT_HDR + pos * 16, 16); // the updated inobt record
                f.putShort(6, (short) (n + 1));
            }
            putBtreeBlock(ag, fAgbno, fleaf);
        }
        a.putInt(28, a.getInt(28) + 1);
        putHeader(ag, 2, agi, 312);
        superblockDelta(1, 0);
    }

    /** Leaf holding {@code key} in an inode btree (keys: startino; the last key not above {@code key}). */
    private long descend(int ag, int root, int levels, int magic, String what, long key) throws IOException {
        if (levels < 1 || levels > 9) {
            throw new XfsCorruptException("xfs: AG " + ag + " " + what + " level " + levels + " invalid");
        }
        long agbno = root & 0xffffffffL;
        int maxKeys = (sb.blockSize() - SHORT_HDR) / 8;
        for (int level = levels - 1; level > 0; level--) {
            ByteBuffer b = ByteBuffer.wrap(btreeBlock(ag, agbno, magic, level, 16, what));
            int n = b.getShort(6) & 0xffff;
            int pick = 0;
            for (int i = 0; i < n && (b.getInt(SHORT_HDR + i * 4) & 0xffffffffL) <= key; i++) {
                pick = i;
            }
            if (n == 0) {
                throw new XfsCorruptException("xfs: AG " + ag + " " + what + " node " + agbno + " is empty");
            }
            agbno = b.getInt(SHORT_HDR + maxKeys * 4 + pick * 4) & 0xffffffffL;
        }
        return agbno;
    }

    private static int findChunk(ByteBuffer b, long agino) {
        int n = b.getShort(6) & 0xffff;
        for (int i = 0; i < n; i++) {
            long start = b.getInt(SHORT_HDR + i * 16) & 0xffffffffL;
            if (agino >= start && agino < start + 64) {
                return SHORT_HDR + i * 16;
            }
        }
        return -1;
    }

    /** Sets free bit {@code bit} of the record at {@code r}; returns the freecount before. */
    private static int giveBit(ByteBuffer b, int r, int bit, boolean sparse) throws IOException {
        long free = b.getLong(r + 8);
        int holes = sparse ? b.getShort(r + 4) & 0xffff : 0;
        if ((free >>> bit & 1) != 0 || (holes >>> (bit / 4) & 1) != 0) {
            throw new XfsCorruptException(
                    "xfs: inode btree record " + b.getInt(r) + ": inode " + bit + " already free");
        }
        b.putLong(r + 8, free | (1L << bit));
        int fc = sparse ? b.get(r + 7) & 0xff : b.getInt(r + 4);
        if (fc >= 64) {
            throw new XfsCorruptException("xfs: inode btree record " + b.getInt(r) + ": freecount " + fc);
        }
        if (sparse) {
            b.put(r + 7, (byte) (fc + 1));
        } else {
            b.putInt(r + 4, fc + 1);
        }
        return fc;
    }

    /**
     * Returns {@code count} blocks at fs block {@code fsb} to the free-space btrees of their AG (single-leaf bnobt
     * and cntbt only), merging with free neighbours as the allocator expects (§15.3: free extents never touch).
     */
    void freeBlocks(long fsb, long count, String purpose) throws IOException {
        if ((sb.roCompat() & XfsSuperblock.RO_COMPAT_RMAPBT) != 0) {
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "freeing blocks (" + purpose + ") with the rmapbt "
                            + "feature (the reverse-mapping btree is not updated by this writer)");
        }
        int ag = (int) (fsb >>> sb.agBlkLog());
        long agbno = fsb & ((1L << sb.agBlkLog()) - 1);
        if (ag >= sb.agCount() || agbno == 0 || count < 1 || agbno + count > sb.agBlocks()) {
            throw new XfsCorruptException("xfs: freeing " + count + " blocks at " + fsb + ": outside the AG");
        }
        byte[] agf = header(ag, 1, AGF_MAGIC, 216, "AGF");
        ByteBuffer a = ByteBuffer.wrap(agf);
        if (a.getInt(28) != 1 || a.getInt(32) != 1) {
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "freeing blocks (" + purpose + ") in AG " + ag + " whose "
                            + "free-space btrees have more than one level (btree merges/splits are not implemented)");
        }
        long bnoRoot = a.getInt(16) & 0xffffffffL;
        long cntRoot = a.getInt(20) & 0xffffffffL;
        byte[] bno = btreeBlock(ag, bnoRoot, BNO_MAGIC, 0, 8, "bnobt");
        byte[] cnt = btreeBlock(ag, cntRoot, CNT_MAGIC, 0, 8, "cntbt");
        ByteBuffer bb = ByteBuffer.wrap(bno);
        ByteBuffer c = ByteBuffer.wrap(cnt);
        int n = bb.getShort(6) & 0xffff;
        int pos = 0; // first record starting after agbno
        while (pos < n && (bb.getInt(SHORT_HDR + pos * 8) & 0xffffffffL) < agbno) {
            pos++;
        }
        long newStart = agbno;
        long newLen = count;
        boolean left = false;
        boolean right = false;
        if (pos > 0) {
            long ls = bb.getInt(SHORT_HDR + (pos - 1) * 8) & 0xffffffffL;
            long ll = bb.getInt(SHORT_HDR + (pos - 1) * 8 + 4) & 0xffffffffL;
            if (ls + ll > agbno) {
                throw new XfsCorruptException("xfs: AG " + ag + " blocks " + agbno + "+" + count + " are already free");
            }
            if (ls + ll == agbno) {
                left = true;
                newStart = ls;
                newLen += ll;
                removeCnt(c, cnt, ll, ls, ag);
            }
        }
        if (pos < n) {
            long rs = bb.getInt(SHORT_HDR + pos * 8) & 0xffffffffL;
            long rl = bb.getInt(SHORT_HDR + pos * 8 + 4) & 0xffffffffL;
            if (agbno + count > rs) {
                throw new XfsCorruptException("xfs: AG " + ag + " blocks " + agbno + "+" + count + " are already free");
            }
            if (agbno + count == rs) {
                right = true;
                newLen += rl;
                removeCnt(c, cnt, rl, rs, ag);
            }
        }
        int maxrecs = (sb.blockSize() - SHORT_HDR) / 8;
        if (left && right) {
            removeRec(bno, pos, n, 8);
            bb.putInt(SHORT_HDR + (pos - 1) * 8 + 4, (int) newLen);
        } else if (left) {
            bb.putInt(SHORT_HDR + (pos - 1) * 8 + 4, (int) newLen);
        } else if (right) {
            bb.putInt(SHORT_HDR + pos * 8, (int) newStart);
            bb.putInt(SHORT_HDR + pos * 8 + 4, (int) newLen);
        } else {
            if (n >= maxrecs) {
                throw new UnsupportedFsFeatureException(
                        "xfs",
                        "freeing blocks (" + purpose + "): the bnobt leaf of AG " + ag
                                + " is full (btree splits are not implemented)");
            }
            System.arraycopy(bno, SHORT_HDR + pos * 8, bno, SHORT_HDR + (pos + 1) * 8, (n - pos) * 8);
            bb.putInt(SHORT_HDR + pos * 8, (int) newStart);
            bb.putInt(SHORT_HDR + pos * 8 + 4, (int) newLen);
            bb.putShort(6, (short) (n + 1));
        }
        int cn = c.getShort(6) & 0xffff;
        if (cn >= maxrecs) {
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "freeing blocks (" + purpose + "): the cntbt leaf of AG " + ag
                            + " is full (btree splits are not implemented)");
        }
        insertCnt(c, cnt, newStart, newLen);
        putBtreeBlock(ag, bnoRoot, bno);
        putBtreeBlock(ag, cntRoot, cnt);
        a.putInt(52, a.getInt(52) + (int) count);
        a.putInt(56, c.getInt(SHORT_HDR + cn * 8 + 4)); // longest: the last record by count
        putHeader(ag, 1, agf, 216);
        superblockDelta(0, count);
    }

    private static void removeCnt(ByteBuffer c, byte[] cnt, long len, long start, int ag) throws IOException {
        int n = c.getShort(6) & 0xffff;
        for (int i = 0; i < n; i++) {
            if (compareCnt(c, i, len, start) == 0) {
                removeRec(cnt, i, n, 8);
                return;
            }
        }
        throw new XfsCorruptException("xfs: AG " + ag + " cntbt lacks free extent " + start + "+" + len);
    }

    private static int compareCnt(ByteBuffer c, int i, long len, long start) {
        long l = c.getInt(SHORT_HDR + i * 8 + 4) & 0xffffffffL;
        long s = c.getInt(SHORT_HDR + i * 8) & 0xffffffffL;
        return l != len ? Long.compare(l, len) : Long.compare(s, start);
    }

    private static void removeRec(byte[] blk, int i, int n, int recSize) {
        int r = SHORT_HDR + i * recSize;
        System.arraycopy(blk, r + recSize, blk, r, (n - i - 1) * recSize);
        java.util.Arrays.fill(blk, SHORT_HDR + (n - 1) * recSize, SHORT_HDR + n * recSize, (byte) 0);
        ByteBuffer.wrap(blk).putShort(6, (short) (n - 1));
    }
}
