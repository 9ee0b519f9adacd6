package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.LittleEndian;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Block mapping of inodes: reads a file's bytes through its extent tree or block map ({@link FileMap}), and writes a
 * whole new mapping (extent tree or ext2/3 block map, tree blocks allocated from {@link Groups} and staged with their
 * metadata_csum tails), frees one, and gives an inode new content. Block numbers are file-system blocks of
 * {@code sb.blockSize} bytes; all fields little-endian. Every write goes through the running mutator's staging in
 * {@link Volume} except file data, which lands in freshly allocated blocks before any metadata (see
 * {@link Ext4FileSystem}).
 */
final class BlockMapping {
    private final Volume vol;
    private final Superblock sb;
    private final Groups groups;
    final FileMap map;

    BlockMapping(Volume vol) {
        this.vol = vol;
        this.sb = vol.sb;
        this.groups = vol.groups;
        this.map = new FileMap(vol::readBlock, sb.blockSize, sb.blocksCount);
    }

    /** Reads {@code len} bytes at {@code offset} of a block-mapped inode into {@code dst}; holes read as zeros. */
    void readMapped(Inode i, long offset, int len, ByteBuffer dst) throws IOException {
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
                vol.src.readFully(run.physical() * bs + inBlock, slice);
                dst.position(dst.position() + n);
            }
            pos += n;
        }
    }

    /** Fast symlink: the target lives in i_block (no data blocks besides a possible xattr block). */
    boolean isFastSymlink(Inode i) {
        if (!i.isSymlink() || i.hasFlag(Inode.FL_INLINE_DATA)) {
            return false;
        }
        long aclSectors = i.fileAcl() != 0 ? sb.blockSize / 512 : 0;
        return i.blocks512() - aclSectors == 0 && i.size() < Inode.I_BLOCK_LEN;
    }

    long sectorsPerBlock() {
        return sb.blockSize / 512;
    }

    long goalFor(long ino) {
        long g = (ino - 1) / sb.inodesPerGroup;
        return groups.groupFirstBlock(Math.min(g, sb.groupCount - 1));
    }

    /** Allocates {@code n} data blocks near {@code goal}; pre-checks room for the mapping's tree blocks too. */
    List<long[]> allocData(long goal, long n) throws IOException {
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
    long buildMapping(Inode inode, List<long[]> runs, long goal) throws IOException {
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
            List<Long> blocks = FileMap.flatten(groups.allocBlocks(goal, nb));
            treeBlocks += nb;
            List<long[]> next = new ArrayList<>();
            for (int k = 0; k < nb; k++) {
                List<long[]> chunk = level.subList(k * per, Math.min(level.size(), (k + 1) * per));
                byte[] blk = new byte[sb.blockSize];
                FileMap.putExtentNode(blk, 0, chunk, per, depth);
                if (sb.metadataCsum()) {
                    int tail = 12 + 12 * per;
                    LittleEndian.put32(blk, tail, Crc.crc32c(inode.csumSeed(sb.csumSeed), blk, 0, tail));
                }
                vol.stageBlock(blocks.get(k), blk);
                next.add(new long[] {chunk.get(0)[0], blocks.get(k)});
            }
            level = next;
            depth++;
            if (depth > FileMap.MAX_DEPTH) {
                throw new Ext4CorruptException("extent tree would exceed depth " + FileMap.MAX_DEPTH);
            }
        }
        FileMap.putExtentNode(inode.raw, Inode.I_BLOCK, level, 4, depth);
        return treeBlocks;
    }

    private long buildBlockMap(Inode inode, List<long[]> runs, long goal) throws IOException {
        List<Long> phys = FileMap.flatten(runs);
        for (long p : phys) {
            if (p > 0xFFFFFFFFL) {
                throw new UnsupportedFsFeatureException(
                        sb.typeName(), "block map pointing above 2^32 (block " + p + ")");
            }
        }
        int n = phys.size();
        long meta = FileMap.indirectBlocks(n, sb.blockSize);
        List<Long> metaBlocks = meta == 0 ? List.of() : FileMap.flatten(groups.allocBlocks(goal, meta));
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
    private int fillIndirect(
            int level, List<Long> phys, int pos, List<Long> metaBlocks, int[] next, long[] out, int apb) {
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
        vol.stageBlock(blkNo, blk);
        return pos;
    }

    /** Frees every data and tree block of an inode's mapping. Returns the number of blocks freed. */
    long freeMapping(Inode i) throws IOException {
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

    long maxMapEntries(Inode i) {
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
                vol.wsrc.write(r[0] * bs + done, ByteBuffer.wrap(chunk, 0, len));
            }
            off += bytes;
        }
    }

    long aclBlocks(Inode i) {
        return i.fileAcl() != 0 ? 1 : 0;
    }

    /** Gives {@code inode} the content {@code content}: new blocks first, then the old ones are freed. */
    void setContent(Inode inode, byte[] content) throws IOException {
        long n = (content.length + (long) sb.blockSize - 1) / sb.blockSize;
        if (content.length > Integer.MAX_VALUE - 1L && !sb.hasRo(Superblock.RO_LARGE_FILE)) {
            throw new UnsupportedFsFeatureException(sb.typeName(), "file of 2 GiB or more without large_file");
        }
        long goal = goalFor(inode.ino);
        List<long[]> runs = allocData(goal, n);
        writeData(runs, content);
        freeMapping(inode);
        long tree = buildMapping(inode, runs, goal);
        inode.setBlocks512((n + tree + aclBlocks(inode)) * sectorsPerBlock());
        inode.setSize(content.length);
    }
}
