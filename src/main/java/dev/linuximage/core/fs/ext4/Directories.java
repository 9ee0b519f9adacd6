package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.LittleEndian;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Directory operations on linear and htree directories (kernel {@code Documentation/filesystems/ext4/directory.rst}):
 * the block-by-block scan, name lookup (hashed through {@link Htree} when the directory is indexed, else linear),
 * adding an entry (dropping the htree index first, growing the directory by one block when no record has room),
 * removing one, rewriting {@code ..}. Records are parsed and written by {@link Dirents}; leaf blocks are staged with
 * their metadata_csum tail. Inline directories are read in place and converted by {@link InlineData} before any
 * change.
 */
final class Directories {
    static final long MAX_DIR_BYTES = 1L << 31;

    private final Volume vol;
    private final Superblock sb;
    private final Groups groups;
    private final BlockMapping mapping;
    private final InlineData inline;
    /** Lookups that found an htree index unusable and scanned linearly instead (for tests and diagnostics). */
    long htreeFallbacks;
    /** Why the last fallback happened. */
    String lastHtreeFallback;

    Directories(Volume vol, BlockMapping mapping, InlineData inline) {
        this.vol = vol;
        this.sb = vol.sb;
        this.groups = vol.groups;
        this.mapping = mapping;
        this.inline = inline;
    }

    /** A located entry: in block {@code pblk} (0 for inline), at {@code dirent.offset()}, previous at prevOffset. */
    record Slot(long lblk, long pblk, byte[] block, Dirents.Dirent dirent, int prevOffset) {}

    interface SlotVisitor {
        /** Returns true to stop. */
        boolean visit(Slot s) throws IOException;
    }

    void scanDir(Inode dir, SlotVisitor v) throws IOException {
        if (!dir.isDir()) {
            throw new NotDirectoryException("inode " + dir.ino);
        }
        String where = "directory inode " + dir.ino;
        if (dir.hasFlag(Inode.FL_INLINE_DATA)) {
            byte[] iblock = Arrays.copyOfRange(dir.raw, Inode.I_BLOCK, Inode.I_BLOCK + Inode.I_BLOCK_LEN);
            long parent = LittleEndian.u32(iblock, 0);
            byte[] fake = new byte[12];
            Dirents.Dirent dd =
                    new Dirents.Dirent(0, parent, 12, 2, Dirents.FT_DIR, "..".getBytes(StandardCharsets.US_ASCII));
            if (v.visit(new Slot(-1, 0, fake, dd, -1))) {
                return;
            }
            for (Dirents.Dirent d : Dirents.parse(iblock, 4, Inode.I_BLOCK_LEN, sb.blockSize, sb.filetype(), where)) {
                if (v.visit(new Slot(-1, 0, iblock, d, -1))) {
                    return;
                }
            }
            byte[] extra = InodeXattrs.value(dir, sb.inodeSize, InodeXattrs.INDEX_SYSTEM, "data", sb.typeName());
            if (extra != null && extra.length > 0) {
                for (Dirents.Dirent d : Dirents.parse(extra, 0, extra.length, sb.blockSize, sb.filetype(), where)) {
                    if (v.visit(new Slot(-2, 0, extra, d, -1))) {
                        return;
                    }
                }
            }
            return;
        }
        long size = dir.size();
        if (size % sb.blockSize != 0 || size > MAX_DIR_BYTES) {
            throw new Ext4CorruptException(
                    where + " i_size " + size + " (not a multiple of " + sb.blockSize + " or too large)");
        }
        long nblocks = size / sb.blockSize;
        for (long l = 0; l < nblocks; l++) {
            FileMap.Run run = mapping.map.find(dir, l);
            if (run.physical() == 0 || run.uninit()) {
                continue;
            }
            byte[] blk = vol.readBlock(run.physical());
            int prev = -1;
            for (Dirents.Dirent d :
                    Dirents.parse(blk, 0, sb.blockSize, sb.blockSize, sb.filetype(), where + " block " + l)) {
                if (v.visit(new Slot(l, run.physical(), blk, d, prev))) {
                    return;
                }
                prev = d.offset();
            }
        }
    }

    static byte[] checkName(String name) throws IOException {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        if (b.length == 0 || b.length > 255 || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new IOException("ext4: invalid file name '" + name + "'");
        }
        return b;
    }

    /**
     * Finds {@code name} in {@code dir}: through the htree index when the directory has one (a few block reads), else
     * by the linear scan. An index that fails a structural check is not trusted: the lookup falls back to the
     * linear scan, which validates every record (see {@link Htree}); a dx checksum mismatch is an
     * {@link Ext4CorruptException}. {@code .} and {@code ..} live in block 0, which the linear scan reads first.
     */
    Slot find(Inode dir, byte[] name) throws IOException {
        if (dir.isDir()
                && !isDotName(name)
                && dir.hasFlag(Inode.FL_INDEX)
                && !dir.hasFlag(Inode.FL_INLINE_DATA)
                && sb.hasCompat(Superblock.COMPAT_DIR_INDEX)) {
            try {
                return findHashed(dir, name);
            } catch (Htree.BadIndexException e) {
                htreeFallbacks++;
                lastHtreeFallback = e.getMessage();
            }
        }
        return findLinear(dir, name);
    }

    private Slot findHashed(Inode dir, byte[] name) throws IOException, Htree.BadIndexException {
        String where = "directory inode " + dir.ino;
        int bs = sb.blockSize;
        long size = dir.size();
        if (size % bs != 0 || size > MAX_DIR_BYTES) {
            throw new Ext4CorruptException(where + " i_size " + size + " (not a multiple of " + bs + " or too large)");
        }
        long nblocks = size / bs;
        if (nblocks < 2) {
            throw new Htree.BadIndexException(where + ": indexed directory of " + nblocks + " block(s)");
        }
        Htree.DirBlocks blocks = l -> {
            FileMap.Run run = mapping.map.find(dir, l);
            return run.physical() == 0 || run.uninit() ? null : vol.readBlock(run.physical());
        };
        byte[] root = blocks.read(0);
        if (root == null) {
            throw new Htree.BadIndexException(where + ": dx root block is a hole");
        }
        Htree.Params params = new Htree.Params(
                bs,
                nblocks,
                sb.metadataCsum(),
                dir.csumSeed(sb.csumSeed),
                sb.has(Superblock.INCOMPAT_LARGEDIR),
                sb.unsignedHash(),
                sb.hashSeed(),
                where);
        Htree cursor = Htree.probe(blocks, params, root, name);
        for (long leaf = cursor.nextLeaf(); leaf >= 0; leaf = cursor.nextLeaf()) {
            FileMap.Run run = mapping.map.find(dir, leaf);
            if (run.physical() == 0 || run.uninit()) {
                throw new Htree.BadIndexException(where + ": htree leaf " + leaf + " is a hole");
            }
            byte[] blk = vol.readBlock(run.physical());
            int prev = -1;
            for (Dirents.Dirent d : Dirents.parse(blk, 0, bs, bs, sb.filetype(), where + " block " + leaf)) {
                if (d.inode() != 0 && d.nameEquals(name)) {
                    return new Slot(leaf, run.physical(), blk, d, prev);
                }
                prev = d.offset();
            }
        }
        return null;
    }

    /**
     * Linear lookup. Used directly before adding a name: an add drops the htree index (reading every block anyway),
     * and a linear check cannot be misled by an index that does not match its leaves into creating a duplicate.
     */
    Slot findLinear(Inode dir, byte[] name) throws IOException {
        Slot[] found = new Slot[1];
        scanDir(dir, s -> {
            if (s.dirent().inode() != 0 && s.dirent().nameEquals(name)) {
                found[0] = s;
                return true;
            }
            return false;
        });
        return found[0];
    }

    static boolean isDotName(byte[] n) {
        return (n.length == 1 && n[0] == '.') || (n.length == 2 && n[0] == '.' && n[1] == '.');
    }

    int tailSize() {
        return sb.metadataCsum() ? Dirents.TAIL_SIZE : 0;
    }

    /** Stages a leaf directory block, refreshing its metadata_csum tail. */
    void stageDirBlock(Inode dir, long pblk, byte[] blk) throws IOException {
        if (sb.metadataCsum()) {
            if (!Dirents.hasTail(blk)) {
                Dirents.putTail(blk);
            }
            int off = sb.blockSize - Dirents.TAIL_SIZE;
            LittleEndian.put32(blk, off + 8, Crc.crc32c(dir.csumSeed(sb.csumSeed), blk, 0, off));
        }
        vol.stageBlock(pblk, blk);
    }

    private void checkTailFor(Inode dir, byte[] blk, long lblk) throws IOException {
        if (sb.metadataCsum() && !Dirents.hasTail(blk)) {
            throw new UnsupportedFsFeatureException(
                    sb.typeName(), "directory inode " + dir.ino + " block " + lblk + " without a checksum tail");
        }
    }

    /** Returns {@code d}, converted to a block directory first when it is an inline_data directory. */
    private Inode blockDir(Inode d) throws IOException {
        if (!d.hasFlag(Inode.FL_INLINE_DATA)) {
            return d;
        }
        inline.convertDir(d, this);
        return vol.readInode(d.ino);
    }

    /** Adds {@code name -> ino} to directory {@code dirIno}, growing it by one block when no record has room. */
    void addEntry(long dirIno, byte[] name, long ino, int ft) throws IOException {
        Inode dir = blockDir(vol.readInode(dirIno));
        if (dir.hasFlag(Inode.FL_INDEX)) {
            dropIndex(dir);
            dir = vol.readInode(dirIno);
        }
        int need = Dirents.recLenFor(name.length);
        int end = sb.blockSize - tailSize();
        long nblocks = dir.size() / sb.blockSize;
        for (long l = 0; l < nblocks; l++) {
            FileMap.Run run = mapping.map.find(dir, l);
            if (run.physical() == 0) {
                continue;
            }
            byte[] blk = vol.readBlock(run.physical());
            checkTailFor(dir, blk, l);
            for (Dirents.Dirent e : Dirents.parse(blk, 0, end, sb.blockSize, sb.filetype(), "directory " + dirIno)) {
                int used = e.inode() == 0 ? 0 : Dirents.recLenFor(e.nameLen());
                if (e.recLen() - used >= need) {
                    if (e.inode() == 0) {
                        Arrays.fill(blk, e.offset() + 8, e.offset() + e.recLen(), (byte) 0);
                        Dirents.put(blk, e.offset(), ino, e.recLen(), name, ft, sb.filetype());
                    } else {
                        Dirents.putRecLen(blk, e.offset() + 4, used);
                        int at = e.offset() + used;
                        Arrays.fill(blk, at, e.offset() + e.recLen(), (byte) 0);
                        Dirents.put(blk, at, ino, e.recLen() - used, name, ft, sb.filetype());
                    }
                    stageDirBlock(dir, run.physical(), blk);
                    Ext4FileSystem.touch(dir);
                    vol.stageInode(dir);
                    return;
                }
            }
        }
        // grow the directory by one block
        if ((nblocks + 1) * sb.blockSize > MAX_DIR_BYTES) {
            throw new Ext4NoSpaceException("directory inode " + dirIno + " reached its maximum size");
        }
        FileMap.Layout lay = mapping.map.layout(dir, mapping.maxMapEntries(dir));
        List<long[]> runs = new ArrayList<>();
        long expect = 0;
        for (FileMap.Run r : lay.runs()) {
            if (r.logical() != expect || r.uninit()) {
                throw new UnsupportedFsFeatureException(sb.typeName(), "directory inode " + dirIno + " with holes");
            }
            runs.add(new long[] {r.physical(), r.length()});
            expect += r.length();
        }
        if (expect != nblocks) {
            throw new Ext4CorruptException(
                    "directory inode " + dirIno + " maps " + expect + " blocks, i_size says " + nblocks);
        }
        long goal =
                runs.isEmpty() ? mapping.goalFor(dirIno) : runs.get(runs.size() - 1)[0] + runs.get(runs.size() - 1)[1];
        List<long[]> fresh = mapping.allocData(goal, 1);
        long newBlock = fresh.get(0)[0];
        long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
        if (last != null && last[0] + last[1] == newBlock) {
            last[1]++;
        } else {
            runs.add(new long[] {newBlock, 1});
        }
        for (long b : lay.treeBlocks()) {
            groups.freeBlocks(b, 1);
        }
        long tree = mapping.buildMapping(dir, runs, goal);
        dir.setBlocks512((nblocks + 1 + tree + mapping.aclBlocks(dir)) * mapping.sectorsPerBlock());
        dir.setSize((nblocks + 1) * sb.blockSize);
        byte[] blk = new byte[sb.blockSize];
        Dirents.put(blk, 0, ino, end, name, ft, sb.filetype());
        stageDirBlock(dir, newBlock, blk);
        Ext4FileSystem.touch(dir);
        vol.stageInode(dir);
    }

    /**
     * Drops the htree index of {@code dir} (see the class comment): clears EXT4_INDEX_FL, turns the dx root into a
     * block with {@code .} and {@code ..} only and every dx interior node (a fake empty entry spanning the block)
     * into an empty directory block with a checksum tail.
     */
    private void dropIndex(Inode dir) throws IOException {
        long nblocks = dir.size() / sb.blockSize;
        int end = sb.blockSize - tailSize();
        for (long l = 0; l < nblocks; l++) {
            FileMap.Run run = mapping.map.find(dir, l);
            if (run.physical() == 0) {
                continue;
            }
            byte[] blk = vol.readBlock(run.physical());
            if (l == 0) {
                List<Dirents.Dirent> ds = Dirents.parse(
                        blk, 0, sb.blockSize, sb.blockSize, sb.filetype(), "dx root of directory " + dir.ino);
                if (ds.size() < 2
                        || ds.get(0).offset() != 0
                        || ds.get(0).recLen() != 12
                        || ds.get(1).offset() != 12
                        || ds.get(1).nameLen() != 2) {
                    throw new Ext4CorruptException("dx root of directory " + dir.ino + " lacks '.' and '..'");
                }
                byte[] fresh = new byte[sb.blockSize];
                System.arraycopy(blk, 0, fresh, 0, 12 + 8 + 4);
                Dirents.putRecLen(fresh, 12 + 4, end - 12);
                stageDirBlock(dir, run.physical(), fresh);
            } else {
                int first = Dirents.decodeRecLen(LittleEndian.u16(blk, 4), sb.blockSize);
                if (LittleEndian.u32(blk, 0) == 0 && first == sb.blockSize) {
                    byte[] fresh = new byte[sb.blockSize];
                    Dirents.putRecLen(fresh, 4, end);
                    stageDirBlock(dir, run.physical(), fresh);
                }
            }
        }
        dir.setFlags(dir.flags() & ~Inode.FL_INDEX);
        vol.stageInode(dir);
    }

    /** Removes the entry at slot {@code s} (merging into the previous record of its block). */
    void removeSlot(Inode dir, Slot s) throws IOException {
        if (dir.hasFlag(Inode.FL_INLINE_DATA)) {
            byte[] name = s.dirent().name();
            dir = blockDir(dir);
            s = findLinear(dir, name);
            if (s == null) {
                throw new Ext4CorruptException("entry vanished converting inline directory inode " + dir.ino);
            }
        }
        byte[] blk = vol.readBlock(s.pblk());
        checkTailFor(dir, blk, s.lblk());
        Dirents.Dirent e = s.dirent();
        if (s.prevOffset() >= 0) {
            int prevLen = Dirents.decodeRecLen(LittleEndian.u16(blk, s.prevOffset() + 4), sb.blockSize);
            Dirents.putRecLen(blk, s.prevOffset() + 4, prevLen + e.recLen());
        } else {
            LittleEndian.put32(blk, e.offset(), 0);
        }
        stageDirBlock(dir, s.pblk(), blk);
        Ext4FileSystem.touch(dir);
        vol.stageInode(dir);
    }

    boolean isEmptyDir(Inode d) throws IOException {
        boolean[] empty = {true};
        scanDir(d, s -> {
            if (s.dirent().inode() != 0 && !isDotName(s.dirent().name())) {
                empty[0] = false;
                return true;
            }
            return false;
        });
        return empty[0];
    }

    int fileTypeOf(Inode i) {
        if (!sb.filetype()) {
            return Dirents.FT_UNKNOWN;
        }
        return switch (i.fileType()) {
            case Inode.S_IFREG -> Dirents.FT_REG;
            case Inode.S_IFDIR -> Dirents.FT_DIR;
            case Inode.S_IFLNK -> Dirents.FT_SYMLINK;
            case 0x2000 -> 3;
            case 0x6000 -> 4;
            case 0x1000 -> 5;
            case 0xC000 -> 6;
            default -> Dirents.FT_UNKNOWN;
        };
    }

    /** Refuses moving directory {@code x} into itself or below itself (walks {@code ..} up from the target). */
    void checkNotAncestor(long x, long target) throws IOException {
        long cur = target;
        for (int steps = 0; steps < 65536; steps++) {
            if (cur == x) {
                throw new IOException("ext4: cannot move directory inode " + x + " into itself");
            }
            if (cur == Ext4FileSystem.ROOT_INO) {
                return;
            }
            Slot dd = find(vol.readInode(cur), new byte[] {'.', '.'});
            if (dd == null) {
                throw new Ext4CorruptException("directory inode " + cur + " has no '..'");
            }
            cur = dd.dirent().inode();
        }
        throw new Ext4CorruptException("'..' chain from inode " + target + " does not reach the root");
    }

    void setDotDot(long dirIno, long parent) throws IOException {
        Inode d = blockDir(vol.readInode(dirIno));
        if (d.hasFlag(Inode.FL_INDEX)) {
            dropIndex(d);
            d = vol.readInode(dirIno);
        }
        Slot s = find(d, new byte[] {'.', '.'});
        if (s == null || s.lblk() != 0) {
            throw new Ext4CorruptException("directory inode " + dirIno + " has no '..' in its first block");
        }
        byte[] blk = vol.readBlock(s.pblk());
        checkTailFor(d, blk, 0);
        LittleEndian.put32(blk, s.dirent().offset(), parent);
        stageDirBlock(d, s.pblk(), blk);
    }
}
