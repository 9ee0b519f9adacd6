package dev.linuximage.core.fs.ext4;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The inline_data feature (kernel {@code Documentation/filesystems/ext4/inlinedata.rst}, {@code fs/ext4/inline.c}): a
 * small file's or directory's content lives in the inode itself, the first 60 bytes in {@code i_block} and the rest
 * in the {@code system.data} in-inode extended attribute ({@link InodeXattrs}). Reads that content, rewrites an inline
 * file in place while it fits, and converts a file or directory to a block-mapped one (as the kernel does when the
 * inline space is full) otherwise.
 */
final class InlineData {
    private final Volume vol;
    private final Superblock sb;
    private final BlockMapping mapping;

    InlineData(Volume vol, BlockMapping mapping) {
        this.vol = vol;
        this.sb = vol.sb;
        this.mapping = mapping;
    }

    /** The whole content of an inline-data inode: i_block (60 bytes) then the system.data xattr value. */
    byte[] inlineData(Inode i) throws IOException {
        byte[] extra = InodeXattrs.value(i, sb.inodeSize, InodeXattrs.INDEX_SYSTEM, "data", sb.typeName());
        long size = i.size();
        int total = (int) Math.min(size, Inode.I_BLOCK_LEN + (extra == null ? 0 : extra.length));
        byte[] out = new byte[total];
        System.arraycopy(i.raw, Inode.I_BLOCK, out, 0, Math.min(total, Inode.I_BLOCK_LEN));
        if (total > Inode.I_BLOCK_LEN) {
            System.arraycopy(extra, 0, out, Inode.I_BLOCK_LEN, total - Inode.I_BLOCK_LEN);
        }
        return out;
    }

    /** The position of the {@code system.data} entry among the inode's in-inode xattrs; corrupt when missing. */
    private static int systemData(Inode i, List<InodeXattrs.Entry> xs) throws Ext4CorruptException {
        for (int k = 0; k < xs.size(); k++) {
            if (xs.get(k).is(InodeXattrs.INDEX_SYSTEM, InodeXattrs.DATA)) {
                return k;
            }
        }
        throw new Ext4CorruptException("inline_data inode " + i.ino + " has no system.data attribute");
    }

    /**
     * New content for an inline_data file (kernel {@code inline.c}): the first 60 bytes go to i_block, the rest to
     * the {@code system.data} in-inode xattr. When that no longer fits next to the inode's other in-inode xattrs,
     * the file becomes a regular mapped file, as the kernel converts it on a large write: system.data removed (the
     * other xattrs kept), EXT4_INLINE_DATA_FL cleared, EXTENTS_FL set (block map without the extents feature), data
     * written to newly allocated blocks.
     */
    void replaceInline(Inode i, byte[] content) throws IOException {
        List<InodeXattrs.Entry> xs = new ArrayList<>(InodeXattrs.parse(i, sb.typeName()));
        int at = systemData(i, xs);
        InodeXattrs.Entry old = xs.get(at);
        byte[] rest = content.length > Inode.I_BLOCK_LEN
                ? Arrays.copyOfRange(content, Inode.I_BLOCK_LEN, content.length)
                : new byte[0];
        xs.set(at, new InodeXattrs.Entry(old.index(), old.name(), rest, 0));
        Arrays.fill(i.raw, Inode.I_BLOCK, Inode.I_BLOCK + Inode.I_BLOCK_LEN, (byte) 0);
        if (content.length <= Inode.I_BLOCK_LEN + rest.length && InodeXattrs.fits(i, xs)) {
            System.arraycopy(content, 0, i.raw, Inode.I_BLOCK, Math.min(content.length, Inode.I_BLOCK_LEN));
            InodeXattrs.write(i, xs);
            i.setSize(content.length);
            return;
        }
        xs.remove(at);
        InodeXattrs.write(i, xs);
        leaveInline(i);
        mapping.setContent(i, content);
    }

    /** Clears EXT4_INLINE_DATA_FL and gives the inode an empty mapping (extent header, or zeroed block map). */
    private void leaveInline(Inode i) {
        Arrays.fill(i.raw, Inode.I_BLOCK, Inode.I_BLOCK + Inode.I_BLOCK_LEN, (byte) 0);
        i.setFlags(i.flags() & ~Inode.FL_INLINE_DATA);
        if (sb.has(Superblock.INCOMPAT_EXTENTS)) {
            i.setFlags(i.flags() | Inode.FL_EXTENTS);
            FileMap.putExtentNode(i.raw, Inode.I_BLOCK, List.of(), 4, 0);
        }
    }

    /**
     * Turns an inline_data directory into a one-block directory before it is changed (the kernel does the same when
     * the inline space is full, {@code ext4_convert_inline_data_nolock}): {@code .}, {@code ..} and every live
     * entry, in order, in a new block (with its checksum tail); system.data removed, the inline flag cleared.
     */
    void convertDir(Inode dir, Directories dirs) throws IOException {
        List<Dirents.Dirent> live = new ArrayList<>();
        long[] parent = {0};
        dirs.scanDir(dir, sl -> {
            Dirents.Dirent d = sl.dirent();
            if (sl.lblk() == -1 && sl.block().length == 12) {
                parent[0] = d.inode(); // the synthetic '..' from i_block's first word
            } else if (d.inode() != 0) {
                live.add(d);
            }
            return false;
        });
        if (parent[0] < 1 || parent[0] > sb.inodesCount) {
            throw new Ext4CorruptException("inline directory inode " + dir.ino + " has parent inode " + parent[0]);
        }
        int end = sb.blockSize - dirs.tailSize();
        byte[] blk = new byte[sb.blockSize];
        Dirents.put(blk, 0, dir.ino, 12, new byte[] {'.'}, Dirents.FT_DIR, sb.filetype());
        int off = 12;
        int prevLen = 12;
        int prevOff = 0;
        List<Object[]> all = new ArrayList<>();
        all.add(new Object[] {parent[0], new byte[] {'.', '.'}, Dirents.FT_DIR});
        for (Dirents.Dirent d : live) {
            all.add(new Object[] {d.inode(), d.name(), d.type()});
        }
        for (Object[] e : all) {
            byte[] name = (byte[]) e[1];
            int len = Dirents.recLenFor(name.length);
            if (off + len > end) {
                throw new Ext4CorruptException("inline directory inode " + dir.ino + " does not fit one block");
            }
            Dirents.put(blk, off, (Long) e[0], len, name, (Integer) e[2], sb.filetype());
            prevOff = off;
            prevLen = len;
            off += len;
        }
        Dirents.putRecLen(blk, prevOff + 4, prevLen + (end - off));
        List<InodeXattrs.Entry> xs = new ArrayList<>(InodeXattrs.parse(dir, sb.typeName()));
        xs.remove(systemData(dir, xs));
        InodeXattrs.write(dir, xs);
        leaveInline(dir);
        long goal = mapping.goalFor(dir.ino);
        List<long[]> runs = mapping.allocData(goal, 1);
        long tree = mapping.buildMapping(dir, runs, goal);
        dir.setBlocks512((1 + tree + mapping.aclBlocks(dir)) * mapping.sectorsPerBlock());
        dir.setSize(sb.blockSize);
        dirs.stageDirBlock(dir, runs.get(0)[0], blk);
        vol.stageInode(dir);
    }
}
