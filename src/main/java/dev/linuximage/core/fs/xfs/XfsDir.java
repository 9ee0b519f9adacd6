package dev.linuximage.core.fs.xfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Pure functions over XFS v5 directory formats (XFS Algorithms &amp; Data Structures 3rd ed. §18): the name hash
 * (§18 "Directory and Attribute Hashing"), short-form directories (§18.2) and single-block directories (§18.3). All
 * integers big-endian.
 */
final class XfsDir {
    static final int BLOCK_MAGIC = 0x58444233; // XDB3
    static final int HDR = 64;
    static final int FT_REG = 1;
    static final int FT_DIR = 2;
    static final int FT_SYMLINK = 7;

    private XfsDir() {}

    /** One entry; {@code offset} is the entry's byte offset in the (virtual) data block. */
    record Ent(byte[] name, long ino, int ftype, int offset) {}

    /**
     * The directory name hash: 7-bit rotations of the running hash, folding in the name four bytes at a time with
     * the bytes at shifts 21/14/7/0, then the 1..3 remaining bytes the same way (§18, "xfs_da_hashname").
     */
    static int hash(byte[] name) {
        int h = 0;
        int i = 0;
        for (; name.length - i >= 4; i += 4) {
            h = ((name[i] & 0xff) << 21)
                    ^ ((name[i + 1] & 0xff) << 14)
                    ^ ((name[i + 2] & 0xff) << 7)
                    ^ (name[i + 3] & 0xff)
                    ^ Integer.rotateLeft(h, 28);
        }
        int rest = name.length - i;
        int tail = 0;
        for (int k = 0; k < rest; k++) {
            tail |= (name[i + k] & 0xff) << (7 * (rest - 1 - k));
        }
        return rest == 0 ? h : tail ^ Integer.rotateLeft(h, 7 * rest);
    }

    /** Size of a data-block entry: ino(8) namelen(1) name [ftype(1)] tag(2), rounded up to 8 (§18.3). */
    static int dataEntSize(int nameLen, boolean ftype) {
        return (8 + 1 + nameLen + (ftype ? 1 : 0) + 2 + 7) & ~7;
    }

    /** First entry offset after the data header and the "." and ".." entries (XFS_DIR3_DATA_FIRST_OFFSET). */
    static int firstOffset(boolean ftype) {
        return HDR + dataEntSize(1, ftype) + dataEntSize(2, ftype);
    }

    // ---- short form ---------------------------------------------------------------------------------------------

    /** A parsed short-form directory: parent inode, whether inode numbers are 8 bytes, entries in order. */
    record ShortForm(long parent, boolean i8, List<Ent> entries) {}

    static ShortForm parseShortForm(byte[] fork, int size, boolean ftype, long dirIno) throws IOException {
        if (size < 6 || size > fork.length) {
            throw new XfsCorruptException("xfs: short-form directory " + dirIno + ": size " + size + " invalid");
        }
        ByteBuffer b = ByteBuffer.wrap(fork);
        int count = fork[0] & 0xff;
        int i8count = fork[1] & 0xff;
        int inoLen = i8count > 0 ? 8 : 4;
        long parent = inoLen == 8 ? b.getLong(2) : b.getInt(2) & 0xffffffffL;
        int p = 2 + inoLen;
        List<Ent> out = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            if (p + 3 > size) {
                throw new XfsCorruptException("xfs: short-form directory " + dirIno + ": entry " + k + " overruns");
            }
            int nameLen = fork[p] & 0xff;
            int off = b.getShort(p + 1) & 0xffff;
            int entLen = 3 + nameLen + (ftype ? 1 : 0) + inoLen;
            if (nameLen == 0 || p + entLen > size) {
                throw new XfsCorruptException("xfs: short-form directory " + dirIno + ": entry " + k + " overruns");
            }
            byte[] name = Arrays.copyOfRange(fork, p + 3, p + 3 + nameLen);
            int q = p + 3 + nameLen;
            int ft = ftype ? fork[q++] & 0xff : 0;
            long ino = inoLen == 8 ? b.getLong(q) : b.getInt(q) & 0xffffffffL;
            out.add(new Ent(name, ino, ft, off));
            p += entLen;
        }
        if (p != size) {
            throw new XfsCorruptException(
                    "xfs: short-form directory " + dirIno + ": entries end at " + p + ", size " + size);
        }
        return new ShortForm(parent, i8count > 0, out);
    }

    /** Serialised size of a short-form directory with 4-byte inode numbers. */
    static int shortFormSize(List<Ent> entries, boolean ftype) {
        int n = 6;
        for (Ent e : entries) {
            n += 3 + e.name().length + (ftype ? 1 : 0) + 4;
        }
        return n;
    }

    /** Serialises a short-form directory with 4-byte inode numbers (every ino must be below 2^32). */
    static byte[] buildShortForm(long parent, List<Ent> entries, boolean ftype) {
        byte[] out = new byte[shortFormSize(entries, ftype)];
        ByteBuffer b = ByteBuffer.wrap(out);
        out[0] = (byte) entries.size();
        out[1] = 0;
        b.putInt(2, (int) parent);
        int p = 6;
        for (Ent e : entries) {
            out[p] = (byte) e.name().length;
            b.putShort(p + 1, (short) e.offset());
            System.arraycopy(e.name(), 0, out, p + 3, e.name().length);
            int q = p + 3 + e.name().length;
            if (ftype) {
                out[q++] = (byte) e.ftype();
            }
            b.putInt(q, (int) e.ino());
            p = q + 4;
        }
        return out;
    }

    // ---- single-block directories -------------------------------------------------------------------------------

    /** Every entry of an XDB3 block including "." and ".."; the caller has checked magic, CRC and owner. */
    static List<Ent> parseBlock(byte[] blk, boolean ftype, long dirIno) throws IOException {
        return parseEntries(blk, blockEntriesEnd(blk, dirIno), ftype, dirIno);
    }

    /** Where the entries of an XDB3 block end: before the leaf array and the tail (count validated). */
    static int blockEntriesEnd(byte[] blk, long dirIno) throws IOException {
        long count = ByteBuffer.wrap(blk).getInt(blk.length - 8) & 0xffffffffL;
        if (count > blk.length / 8) {
            throw new XfsCorruptException("xfs: directory " + dirIno + ": block tail count " + count + " invalid");
        }
        return (int) (blk.length - 8 - count * 8);
    }

    /**
     * Walks the data entries and free regions of a directory data block (XDB3 or XDD3) from the 64-byte header to
     * {@code end}, validating every length, and returns every entry including "." and "..".
     */
    static List<Ent> parseEntries(byte[] blk, int end, boolean ftype, long dirIno) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(blk);
        List<Ent> out = new ArrayList<>();
        int p = HDR;
        while (p + 8 <= end) {
            if ((b.getShort(p) & 0xffff) == 0xffff) {
                int len = b.getShort(p + 2) & 0xffff;
                if (len < 8 || len % 8 != 0 || p + len > end) {
                    throw new XfsCorruptException(
                            "xfs: directory " + dirIno + ": free region of " + len + " bytes invalid");
                }
                p += len;
                continue;
            }
            int nameLen = blk[p + 8] & 0xff;
            int len = dataEntSize(nameLen, ftype);
            if (nameLen == 0 || p + len > end) {
                throw new XfsCorruptException("xfs: directory " + dirIno + ": entry at " + p + " overruns the block");
            }
            out.add(new Ent(
                    Arrays.copyOfRange(blk, p + 9, p + 9 + nameLen),
                    b.getLong(p),
                    ftype ? blk[p + 9 + nameLen] & 0xff : 0,
                    p));
            p += len;
        }
        return out;
    }

    /** Bytes a single-block directory with these entries needs: header, entries, leaf (8 each), tail (8). */
    static long blockBytes(List<Ent> entries, boolean ftype) {
        long n = HDR + 8;
        for (Ent e : entries) {
            n += dataEntSize(e.name().length, ftype) + 8;
        }
        return n;
    }

    /**
     * Builds an XDB3 block from scratch: header (magic, CRC, blkno, lsn, uuid, owner, bestfree), the entries packed
     * from byte 64 in the given order ("." and ".." first), one free region for the rest, the leaf array sorted by
     * hash (address = byte offset / 8) and the tail (count, stale = 0), then the CRC at byte 4.
     *
     * @param daddr  512-byte sector of the block's first file-system block
     * @param uuid   16-byte metadata UUID
     */
    static byte[] buildBlock(int size, long daddr, long lsn, byte[] uuid, long owner, List<Ent> entries, boolean ftype)
            throws IOException {
        if (blockBytes(entries, ftype) > size) {
            throw new IOException("xfs: internal: directory block overflow");
        }
        byte[] blk = new byte[size];
        ByteBuffer b = ByteBuffer.wrap(blk);
        b.putInt(0, BLOCK_MAGIC);
        b.putLong(8, daddr);
        b.putLong(16, lsn);
        System.arraycopy(uuid, 0, blk, 24, 16);
        b.putLong(40, owner);
        int n = entries.size();
        long[] leaf = new long[n];
        int p = HDR;
        for (int i = 0; i < n; i++) {
            Ent e = entries.get(i);
            int len = dataEntSize(e.name().length, ftype);
            b.putLong(p, e.ino());
            blk[p + 8] = (byte) e.name().length;
            System.arraycopy(e.name(), 0, blk, p + 9, e.name().length);
            if (ftype) {
                blk[p + 9 + e.name().length] = (byte) e.ftype();
            }
            b.putShort(p + len - 2, (short) p);
            // hash in the high 32 bits with the sign bit flipped, so a signed sort orders hashes as unsigned
            leaf[i] = (((hash(e.name()) & 0xffffffffL) << 32) | (p >>> 3)) ^ Long.MIN_VALUE;
            p += len;
        }
        int leafStart = size - 8 - n * 8;
        int free = leafStart - p;
        if (free >= 8) {
            b.putShort(p, (short) 0xffff);
            b.putShort(p + 2, (short) free);
            b.putShort(p + free - 2, (short) p);
            b.putShort(48, (short) p); // bestfree[0]: offset, length (the only free region)
            b.putShort(50, (short) free);
        }
        Arrays.sort(leaf);
        for (int i = 0; i < n; i++) {
            long v = leaf[i] ^ Long.MIN_VALUE;
            b.putInt(leafStart + i * 8, (int) (v >>> 32));
            b.putInt(leafStart + i * 8 + 4, (int) v);
        }
        b.putInt(size - 8, n);
        b.putInt(size - 4, 0);
        XfsTx.setCrc(blk, 4);
        return blk;
    }
}
