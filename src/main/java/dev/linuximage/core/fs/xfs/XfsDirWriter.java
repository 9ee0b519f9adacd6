package dev.linuximage.core.fs.xfs;

import static dev.linuximage.core.fs.xfs.XfsDirReader.DIR_LEAF_OFFSET;
import static dev.linuximage.core.fs.xfs.XfsInodes.FMT_BTREE;
import static dev.linuximage.core.fs.xfs.XfsInodes.FMT_EXTENTS;
import static dev.linuximage.core.fs.xfs.XfsInodes.FMT_LOCAL;
import static dev.linuximage.core.fs.xfs.XfsInodes.putTime;

import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.fs.xfs.XfsBmap.Extent;
import dev.linuximage.core.fs.xfs.XfsInodes.Inode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Adds and removes directory entries (XFS Algorithms &amp; Data Structures 3rd ed. §18), all staged in an
 * {@link XfsTx}: short form in the inode (§18.2, converted to a single block when it overflows the fork),
 * single-block directories ({@code XDB3}, §18.3, rebuilt whole with {@link XfsDir#buildBlock}) and leaf form
 * (§18.4: a data block's free region plus the hash-sorted {@code LEAF1} block). Updates the parent directory's inode
 * (size, times, link count for a subdirectory). Integers are big-endian; CRC32C fields little-endian. Node form and
 * anything needing a new data or leaf block are refused by name.
 */
final class XfsDirWriter {
    private final XfsSuperblock sb;
    private final XfsInodes inodes;
    private final XfsBmap bmap;

    XfsDirWriter(XfsSuperblock sb, XfsInodes inodes, XfsBmap bmap) {
        this.sb = sb;
        this.inodes = inodes;
        this.bmap = bmap;
    }

    /** Adds {@code name -> ino} to a short-form or single-block directory and updates its times (and links). */
    void addEntry(XfsTx tx, XfsAlloc alloc, Inode dir, byte[] name, long ino, int ftype, long now) throws IOException {
        boolean ft = sb.hasFtype();
        byte[] raw = dir.raw().clone();
        ByteBuffer b = ByteBuffer.wrap(raw);
        int dbs = sb.dirBlockSize();
        if (dir.format() == FMT_LOCAL) {
            XfsDir.ShortForm sf = XfsDir.parseShortForm(
                    java.util.Arrays.copyOfRange(raw, 176, 176 + dir.forkSize()), (int) dir.size(), ft, dir.ino());
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
                    throw new UnsupportedFsFeatureException(
                            "xfs", "converting a short-form directory straight to " + "leaf form");
                }
                int fsbs = dbs / sb.blockSize();
                long fsb = alloc.allocBlocks(
                        inodes.agOf(dir.ino()), fsbs, "converting a short-form directory to block " + "form");
                long off0 = sb.fsbToByte(fsb);
                tx.put(off0, XfsDir.buildBlock(dbs, off0 / 512, 0, inodes.metaUuid(), dir.ino(), all, ft));
                bmap.setSingleExtent(raw, fsb, fsbs);
                b.putLong(56, dbs);
            }
        } else if ((dir.format() == FMT_EXTENTS || dir.format() == FMT_BTREE) && dir.size() > dbs) {
            addLeafEntry(tx, dir, name, ino, ftype);
        } else if (dir.format() == FMT_EXTENTS || dir.format() == FMT_BTREE) {
            DirBlock db = readBlockDir(tx, dir);
            List<XfsDir.Ent> all = new ArrayList<>(db.entries());
            all.add(new XfsDir.Ent(name, ino, ftype, 0));
            if (XfsDir.blockBytes(all, ft) > dbs) {
                throw new UnsupportedFsFeatureException(
                        "xfs",
                        "adding an entry to a full single-block directory " + "(inode " + dir.ino()
                                + "; converting to leaf form is not implemented)");
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
        inodes.stageInode(tx, dir.ino(), raw);
    }

    /** Removes {@code name} from a short-form or single-block directory; times (and links for a subdirectory). */
    void removeEntry(XfsTx tx, Inode dir, byte[] name, boolean isDir, long now) throws IOException {
        boolean ft = sb.hasFtype();
        byte[] raw = dir.raw().clone();
        ByteBuffer b = ByteBuffer.wrap(raw);
        if (dir.format() == FMT_LOCAL) {
            XfsDir.ShortForm sf = XfsDir.parseShortForm(
                    java.util.Arrays.copyOfRange(raw, 176, 176 + dir.forkSize()), (int) dir.size(), ft, dir.ino());
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
        inodes.stageInode(tx, dir.ino(), raw);
    }

    static final int LEAF1_MAGIC = 0x3df1;
    static final int DATA_MAGIC = 0x58444433; // XDD3

    /** Byte offsets of the file-system blocks of directory block {@code fb} (a file block number). */
    private long[] dirBlockMap(Inode dir, long fb) throws IOException {
        int fsbs = sb.dirBlockSize() / sb.blockSize();
        long[] map = new long[fsbs];
        for (int k = 0; k < fsbs; k++) {
            Extent e = XfsBmap.find(bmap.extents(dir), fb + k);
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
        for (Extent e : bmap.extents(dir)) {
            if (e.startOff() + e.count() > 2 * leafFb || (e.startOff() + e.count() > leafFb + fsbPerDb)) {
                throw new UnsupportedFsFeatureException(
                        "xfs", "adding entries to a node form directory (inode " + dir.ino() + ")");
            }
        }
        long[] leafMap = dirBlockMap(dir, leafFb);
        byte[] leaf = readDirBlock(tx, leafMap);
        ByteBuffer lb = ByteBuffer.wrap(leaf);
        if ((lb.getShort(8) & 0xffff) != LEAF1_MAGIC) {
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "adding entries to a node form directory (inode " + dir.ino() + ", leaf magic 0x"
                            + Integer.toHexString(lb.getShort(8) & 0xffff) + ")");
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
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "adding an entry to a leaf form directory whose data " + "blocks are full (inode " + dir.ino()
                            + "; adding a data block is not implemented)");
        }
        // the leaf after the insert: live entries plus the new one must fit before the bests array
        if (64 + (count - stale + 1) * 8L > bestsAt) {
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "adding an entry to a full directory leaf block (inode " + dir.ino()
                            + "; converting to node form is not implemented)");
        }
        long[] dataMap = dirBlockMap(dir, (long) db * fsbPerDb);
        byte[] data = readDirBlock(tx, dataMap);
        ByteBuffer d = ByteBuffer.wrap(data);
        if (d.getInt(0) != DATA_MAGIC || !XfsTx.crcOk(data, 4) || d.getLong(40) != dir.ino()) {
            throw new XfsCorruptException(
                    "xfs: directory " + dir.ino() + ": data block " + db + " magic/CRC/owner invalid");
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
            throw new XfsCorruptException(
                    "xfs: directory " + dir.ino() + ": data block " + db + " best free " + need + "+ bytes not found");
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
    private record DirBlock(long[] map, long lsn, byte[] uuid, List<XfsDir.Ent> entries) {}

    private DirBlock readBlockDir(XfsTx tx, Inode dir) throws IOException {
        if (dir.format() != FMT_EXTENTS && dir.format() != FMT_BTREE) {
            throw new XfsCorruptException("xfs: directory " + dir.ino() + ": data fork format " + dir.format());
        }
        int dbs = sb.dirBlockSize();
        int fsbs = dbs / sb.blockSize();
        long[] map = new long[fsbs];
        for (int k = 0; k < fsbs; k++) {
            Extent e = XfsBmap.find(bmap.extents(dir), k);
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
            throw new UnsupportedFsFeatureException(
                    "xfs",
                    "changing entries of a leaf or node form directory " + "(inode " + dir.ino()
                            + "; only short-form and single-block directories are written)");
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
        byte[] out = XfsDir.buildBlock(
                sb.dirBlockSize(), db.map()[0] / 512, db.lsn(), db.uuid(), dir.ino(), entries, sb.hasFtype());
        for (int k = 0; k < db.map().length; k++) {
            tx.put(db.map()[k], java.util.Arrays.copyOfRange(out, k * bs, (k + 1) * bs));
        }
    }
}
