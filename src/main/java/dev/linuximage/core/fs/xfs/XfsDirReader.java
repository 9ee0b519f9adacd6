package dev.linuximage.core.fs.xfs;

import static dev.linuximage.core.fs.xfs.XfsInodes.FMT_LOCAL;
import static dev.linuximage.core.fs.xfs.XfsInodes.S_IFDIR;

import dev.linuximage.core.fs.xfs.XfsBmap.Extent;
import dev.linuximage.core.fs.xfs.XfsInodes.Inode;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Walks the entries of a directory (XFS Algorithms &amp; Data Structures 3rd ed. §18): the short-form fork in the
 * inode, or the data blocks ({@code XDB3} single-block, {@code XDD3} leaf/node data, CRC32C at byte 4, owner at 40)
 * below {@link #DIR_LEAF_OFFSET}, one directory block at a time, so memory stays one block whatever the directory
 * size. Integers are big-endian. The leaf/node hash index is not needed to list or look up by scanning.
 */
final class XfsDirReader {
    /** Directory data blocks live below this byte offset of a directory (§18.4, XFS_DIR2_LEAF_OFFSET). */
    static final long DIR_LEAF_OFFSET = 32L << 30;

    private final ByteSource dev;
    private final XfsSuperblock sb;
    private final XfsBmap bmap;

    XfsDirReader(ByteSource dev, XfsSuperblock sb, XfsBmap bmap) {
        this.dev = dev;
        this.sb = sb;
        this.bmap = bmap;
    }

    /** One directory entry: its name (UTF-8 decoded), inode number and file type (0 without the ftype feature). */
    record DirEnt(String name, long ino, int ftype) {}

    /** Receives the entries of a directory one at a time; returns false to stop the walk. */
    @FunctionalInterface
    interface DirEntSink {
        boolean accept(DirEnt e) throws IOException;
    }

    /** Largest number of entries one directory walk visits before the directory is taken for corrupt. */
    private static final long MAX_DIR_ENTRIES = 10_000_000;

    /** Every entry of {@code dir} (without "." and ".."), for writers that look at all of them. */
    List<DirEnt> dirEntries(Inode dir) throws IOException {
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
    void walkDir(Inode dir, DirEntSink sink) throws IOException {
        if (dir.type() != S_IFDIR) {
            throw new IOException("xfs: inode " + dir.ino() + " is not a directory");
        }
        if (dir.format() == FMT_LOCAL) {
            shortForm(dir, sink);
            return;
        }
        int dbs = sb.dirBlockSize();
        int fsbPerDirBlock = dbs / sb.blockSize();
        List<Extent> ext = bmap.extents(dir);
        long limitBlock = DIR_LEAF_OFFSET / sb.blockSize();
        long[] seen = {0};
        DirEntSink counting = e -> {
            if (++seen[0] > MAX_DIR_ENTRIES) {
                throw new XfsCorruptException(
                        "xfs: directory " + dir.ino() + " too large (more than " + MAX_DIR_ENTRIES + " entries)");
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
                    dev.readFully(
                            sb.fsbToByte(e.startBlock() + (fb - e.startOff()) + k),
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
            throw new XfsCorruptException(
                    "xfs: short-form directory " + dir.ino() + ": size " + dir.size() + " invalid");
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
            throw new XfsCorruptException(
                    "xfs: directory " + dirIno + ": data block hdr.magic bad: 0x" + Integer.toHexString(magic));
        }
        XfsTx.checkCrc(blk, 4, "directory " + dirIno + " data block");
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
}
