package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.LittleEndian;
import dev.linuximage.core.io.WritableByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Block and inode I/O of one ext4 file system: blocks of {@code sb.blockSize} bytes at {@code block * blockSize},
 * inodes of {@code sb.inodeSize} bytes in their group's inode table. Holds the running mutator's staged metadata blocks
 * and inodes, so that every read during planning sees what the mutator will write, and nothing reaches the disk
 * before planning succeeded ({@link #commit}: staged blocks, then inodes with their checksums, then bitmaps,
 * descriptors and superblock through {@link Groups#commit}).
 */
final class Volume {
    final ByteSource src;
    /** Null when opened read-only. */
    final WritableByteSource wsrc;

    final Superblock sb;
    final Groups groups;
    /** Metadata blocks and inodes staged by the running mutator; see {@link Ext4FileSystem}. */
    private final Map<Long, byte[]> pendingBlocks = new LinkedHashMap<>();

    private final Map<Long, byte[]> pendingInodes = new LinkedHashMap<>();

    Volume(ByteSource src, WritableByteSource wsrc, Superblock sb) {
        this.src = src;
        this.wsrc = wsrc;
        this.sb = sb;
        Groups.Dev dev = new Groups.Dev() {
            @Override
            public byte[] readBlock(long block) throws IOException {
                return readRawBlock(block);
            }

            @Override
            public void writeBlock(long block, byte[] data) throws IOException {
                writeRaw(block * sb.blockSize, data);
            }

            @Override
            public void readAt(long off, byte[] dst) throws IOException {
                src.readFully(off, ByteBuffer.wrap(dst));
            }

            @Override
            public void writeAt(long off, byte[] data) throws IOException {
                writeRaw(off, data);
            }
        };
        this.groups = new Groups(dev, sb);
    }

    private byte[] readRawBlock(long block) throws IOException {
        if (block < 0 || block >= sb.blocksCount) {
            throw new Ext4CorruptException("block " + block + " outside " + sb.blocksCount + " blocks");
        }
        byte[] b = new byte[sb.blockSize];
        src.readFully(block * sb.blockSize, ByteBuffer.wrap(b));
        return b;
    }

    /** A block, seen through the running mutator's staged writes. Returns a private copy. */
    byte[] readBlock(long block) throws IOException {
        byte[] p = pendingBlocks.get(block);
        return p != null ? p.clone() : readRawBlock(block);
    }

    void stageBlock(long block, byte[] data) {
        pendingBlocks.put(block, data.clone());
    }

    private void writeRaw(long off, byte[] data) throws IOException {
        wsrc.write(off, ByteBuffer.wrap(data));
    }

    private long inodeOffset(long ino) throws IOException {
        if (ino < 1 || ino > sb.inodesCount) {
            throw new Ext4CorruptException("inode number " + ino + " outside 1.." + sb.inodesCount);
        }
        long g = (ino - 1) / sb.inodesPerGroup;
        long idx = (ino - 1) % sb.inodesPerGroup;
        return groups.inodeTableOf(g) * sb.blockSize + idx * sb.inodeSize;
    }

    Inode readInode(long ino) throws IOException {
        byte[] p = pendingInodes.get(ino);
        if (p != null) {
            return new Inode(ino, p.clone());
        }
        long off = inodeOffset(ino);
        byte[] raw = new byte[sb.inodeSize];
        src.readFully(off, ByteBuffer.wrap(raw));
        Inode i = new Inode(ino, raw);
        if (sb.inodeSize > 128) {
            int extra = LittleEndian.u16(raw, 0x80);
            if (extra > sb.inodeSize - 128 || (extra & 3) != 0) {
                throw new Ext4CorruptException("inode " + ino + " i_extra_isize " + extra);
            }
        }
        if (sb.metadataCsum() && !i.checksumOk(sb.csumSeed)) {
            throw new Ext4CorruptException("inode " + ino + " checksum mismatch");
        }
        return i;
    }

    void stageInode(Inode i) {
        pendingInodes.put(i.ino, i.raw.clone());
    }

    /** Starts a mutator: nothing staged. */
    void begin() {
        pendingBlocks.clear();
        pendingInodes.clear();
    }

    /** Drops everything the failed mutator planned; the disk is untouched. */
    void abort() {
        pendingBlocks.clear();
        pendingInodes.clear();
        groups.rollback();
    }

    /** Write phase: staged metadata blocks, inodes (with checksums), then bitmaps, descriptors, superblock. */
    void commit() throws IOException {
        for (Map.Entry<Long, byte[]> e : pendingBlocks.entrySet()) {
            writeRaw(e.getKey() * sb.blockSize, e.getValue());
        }
        for (Map.Entry<Long, byte[]> e : pendingInodes.entrySet()) {
            Inode i = new Inode(e.getKey(), e.getValue());
            if (sb.metadataCsum()) {
                i.updateChecksum(sb.csumSeed);
            }
            writeRaw(inodeOffset(i.ino), i.raw);
        }
        pendingBlocks.clear();
        pendingInodes.clear();
        groups.commit();
    }
}
