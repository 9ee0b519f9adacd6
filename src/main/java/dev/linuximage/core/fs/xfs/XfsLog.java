package dev.linuximage.core.fs.xfs;

import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Decides whether the internal XFS log is clean (XFS Algorithms &amp; Data Structures §14 "Journaling Log"; the head
 * search mirrors xlog_find_head/xlog_find_tail): every 512-byte log block starts with its cycle number (or, for a
 * record header, the magic {@code 0xFEEDBABE} followed by the cycle). The head is where the cycle number drops; the
 * last record before it must be an unmount record (one operation with {@code XLOG_UNMOUNT_TRANS}).
 * Reads O(log n) blocks plus at most {@link #MAX_BACK_SCAN} blocks backwards.
 */
final class XfsLog {
    static final int MAGIC = 0xfeedbabe;
    static final int UNMOUNT_TRANS = 0x20;
    /** A log record is at most 256 KiB (XLOG_MAX_RECORD_BSIZE) plus headers: 600 blocks is generous. */
    static final int MAX_BACK_SCAN = 600;

    private XfsLog() {}

    static boolean isClean(ByteSource dev, XfsSuperblock sb) throws IOException {
        long base = sb.fsbToByte(sb.logStart());
        long nbb = (long) sb.logBlocks() * sb.blockSize() / 512;
        if (nbb < 2 || base + nbb * 512 > dev.size()) {
            throw new XfsCorruptException("xfs: internal log sb_logstart+sb_logblocks " + sb.logStart() + "+"
                    + sb.logBlocks() + " outside the device");
        }
        long first = cycle(dev, base, 0);
        long last = cycle(dev, base, nbb - 1);
        long head;
        if (first == last) {
            head = 0; // the whole log carries one cycle: the head wrapped to block 0
        } else {
            long lo = 0;
            long hi = nbb - 1; // invariant: cycle(hi) == last, the first block of the older cycle is in (lo, hi]
            while (hi - lo > 1) {
                long mid = (lo + hi) >>> 1;
                if (cycle(dev, base, mid) == last) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            head = hi;
        }
        for (int back = 1; back <= MAX_BACK_SCAN && back <= nbb; back++) {
            long blk = Math.floorMod(head - back, nbb);
            ByteBuffer h = ByteBuffer.wrap(dev.readBytes(base + blk * 512, 512));
            if (h.getInt(0) != MAGIC) {
                continue;
            }
            int version = h.getInt(8);
            int numOps = h.getInt(40);
            int hSize = h.getInt(320);
            int hblks = 1;
            if ((version & 2) != 0 && hSize > 32768) {
                hblks = (hSize + 32767) / 32768;
            }
            if (numOps != 1) {
                return false;
            }
            long opBlk = Math.floorMod(blk + hblks, nbb);
            byte[] op = dev.readBytes(base + opBlk * 512, 16);
            return (op[9] & UNMOUNT_TRANS) != 0;
        }
        return false;
    }

    private static long cycle(ByteSource dev, long base, long blk) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(dev.readBytes(base + blk * 512, 8));
        int w = b.getInt(0);
        return (w == MAGIC ? b.getInt(4) : w) & 0xffffffffL;
    }
}
