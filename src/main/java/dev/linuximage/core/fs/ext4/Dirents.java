package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.io.LittleEndian;
import java.util.ArrayList;
import java.util.List;

/**
 * Linear directory entries ({@code struct ext4_dir_entry_2}, kernel {@code directory.rst}): inode (le32), rec_len
 * (le16), name_len (u8; u16 without the filetype feature), file_type (u8), name. Pure functions over a byte range;
 * every record is bounds-checked before its name is read.
 */
final class Dirents {
    static final int FT_UNKNOWN = 0;
    static final int FT_REG = 1;
    static final int FT_DIR = 2;
    static final int FT_SYMLINK = 7;
    /** file_type of the metadata_csum tail pseudo-entry (struct ext4_dir_entry_tail). */
    static final int FT_CSUM = 0xDE;

    static final int TAIL_SIZE = 12;

    /** One entry at byte {@code offset} of its block (or inline region). */
    record Dirent(int offset, long inode, int recLen, int nameLen, int type, byte[] name) {
        String nameString() {
            return new String(name, java.nio.charset.StandardCharsets.UTF_8);
        }

        boolean nameEquals(byte[] other) {
            return java.util.Arrays.equals(name, other);
        }
    }

    private Dirents() {}

    /** Minimal record length for a name of {@code nameLen} bytes (8-byte header, 4-byte aligned). */
    static int recLenFor(int nameLen) {
        return (8 + nameLen + 3) & ~3;
    }

    static int decodeRecLen(int raw, int blockSize) {
        if (blockSize >= 65536 && (raw == 65535 || raw == 0)) {
            return 65536;
        }
        return raw;
    }

    static void putRecLen(byte[] b, int off, int len) {
        LittleEndian.put16(b, off, len >= 65536 ? 65535 : len);
    }

    /**
     * Parses entries in {@code [start, end)} of {@code b}. Throws on any record that does not fit: rec_len below 12
     * or not a multiple of 4, name longer than its record, record crossing {@code end}.
     */
    static List<Dirent> parse(byte[] b, int start, int end, int blockSize, boolean filetype, String where)
            throws Ext4CorruptException {
        if (start < 0 || end > b.length || start > end) {
            throw new Ext4CorruptException(where + ": directory region " + start + ".." + end + " outside buffer");
        }
        List<Dirent> out = new ArrayList<>();
        int off = start;
        while (off < end) {
            if (end - off < 8) {
                throw new Ext4CorruptException(where + ": truncated directory entry at offset " + off);
            }
            long ino = LittleEndian.u32(b, off);
            int recLen = decodeRecLen(LittleEndian.u16(b, off + 4), blockSize);
            int nameLen = filetype ? LittleEndian.u8(b, off + 6) : LittleEndian.u16(b, off + 6) & 0xFF;
            int type = filetype ? LittleEndian.u8(b, off + 7) : FT_UNKNOWN;
            if (recLen < 12 || (recLen & 3) != 0 || recLen > end - off) {
                if (!(recLen == 8 && nameLen == 0 && ino == 0 && recLen <= end - off)) {
                    throw new Ext4CorruptException(where + ": directory entry at offset " + off + " rec_len " + recLen
                            + " (region ends at " + end + ")");
                }
            }
            if (8 + nameLen > recLen) {
                throw new Ext4CorruptException(where + ": directory entry at offset " + off + " name_len " + nameLen
                        + " exceeds rec_len " + recLen);
            }
            if (ino != 0 && nameLen == 0) {
                throw new Ext4CorruptException(
                        where + ": directory entry at offset " + off + " for inode " + ino + " has an empty name");
            }
            byte[] name = new byte[nameLen];
            System.arraycopy(b, off + 8, name, 0, nameLen);
            out.add(new Dirent(off, ino, recLen, nameLen, type, name));
            off += recLen;
        }
        return out;
    }

    /** Writes an entry header and name at {@code off} (the record's rec_len is {@code recLen}). */
    static void put(byte[] b, int off, long ino, int recLen, byte[] name, int type, boolean filetype) {
        LittleEndian.put32(b, off, ino);
        putRecLen(b, off + 4, recLen);
        if (filetype) {
            LittleEndian.put8(b, off + 6, name.length);
            LittleEndian.put8(b, off + 7, type);
        } else {
            LittleEndian.put16(b, off + 6, name.length);
        }
        System.arraycopy(name, 0, b, off + 8, name.length);
    }

    /** Writes the metadata_csum tail pseudo-entry in the last 12 bytes (checksum filled in later). */
    static void putTail(byte[] b) {
        int off = b.length - TAIL_SIZE;
        java.util.Arrays.fill(b, off, b.length, (byte) 0);
        LittleEndian.put16(b, off + 4, TAIL_SIZE);
        LittleEndian.put8(b, off + 7, FT_CSUM);
    }

    static boolean hasTail(byte[] b) {
        int off = b.length - TAIL_SIZE;
        return LittleEndian.u32(b, off) == 0
                && LittleEndian.u16(b, off + 4) == TAIL_SIZE
                && LittleEndian.u8(b, off + 6) == 0
                && LittleEndian.u8(b, off + 7) == FT_CSUM;
    }
}
