package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.LittleEndian;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The extended attributes stored inside a large inode (kernel {@code Documentation/filesystems/ext4/attributes.rst},
 * "Extended attributes in the inode"): after {@code 128 + i_extra_isize} comes the le32 magic 0xEA020000, then
 * entries ({@code struct ext4_xattr_entry}: u8 name_len, u8 name_index, le16 value_offs, le32 value_inum, le32
 * value_size, le32 hash, name; each padded to 4 bytes) ended by four zero bytes; values sit at the end of the inode,
 * each padded to 4 bytes, their offsets counted from the first entry. Parsed fully and re-serialised from scratch,
 * so a rewrite can never leave overlapping or dangling values.
 */
final class InodeXattrs {
    static final int MAGIC = 0xEA020000;
    /** name_index of the {@code system.} namespace, which holds inline data as {@code system.data}. */
    static final int INDEX_SYSTEM = 7;

    static final byte[] DATA = {'d', 'a', 't', 'a'};

    /** One entry; {@code hash} is kept as found (the kernel writes 0 for in-inode entries). */
    record Entry(int index, byte[] name, byte[] value, int hash) {
        boolean is(int idx, byte[] n) {
            return index == idx && Arrays.equals(name, n);
        }
    }

    private InodeXattrs() {}

    private static int pad4(int n) {
        return (n + 3) & ~3;
    }

    /** First byte of the entries (after the magic), or -1 when the inode has no room for in-inode attributes. */
    static int firstEntry(Inode i) {
        int start = 128 + i.extraIsize();
        return i.raw.length > 128 && start + 8 <= i.raw.length ? start + 4 : -1;
    }

    /**
     * The in-inode attributes, in on-disk order; empty when there is no magic. Every entry and value is checked to
     * lie inside the inode before it is copied.
     */
    static List<Entry> parse(Inode i, String type) throws Ext4CorruptException, UnsupportedFsFeatureException {
        List<Entry> out = new ArrayList<>();
        int first = firstEntry(i);
        byte[] raw = i.raw;
        if (first < 0 || LittleEndian.i32(raw, first - 4) != MAGIC) {
            return out;
        }
        int region = raw.length - first;
        int p = first;
        while (true) {
            if (p + 4 > raw.length) {
                throw new Ext4CorruptException("inode " + i.ino + " in-inode xattr list runs past the inode");
            }
            if (LittleEndian.i32(raw, p) == 0) {
                return out;
            }
            if (p + 16 > raw.length) {
                throw new Ext4CorruptException("inode " + i.ino + " in-inode xattr entry runs past the inode");
            }
            int nameLen = LittleEndian.u8(raw, p);
            int idx = LittleEndian.u8(raw, p + 1);
            int valOffs = LittleEndian.u16(raw, p + 2);
            long valInum = LittleEndian.u32(raw, p + 4);
            long valSize = LittleEndian.u32(raw, p + 8);
            int hash = LittleEndian.i32(raw, p + 12);
            if (p + 16 + nameLen > raw.length) {
                throw new Ext4CorruptException("inode " + i.ino + " in-inode xattr name runs past the inode");
            }
            if (valInum != 0) {
                throw new UnsupportedFsFeatureException(type, "xattr value in an ea_inode (inode " + i.ino + ")");
            }
            if (valSize > region || valOffs + valSize > region) {
                throw new Ext4CorruptException("inode " + i.ino + " in-inode xattr value " + valOffs + "+" + valSize
                        + " outside the " + region + "-byte attribute area");
            }
            byte[] name = Arrays.copyOfRange(raw, p + 16, p + 16 + nameLen);
            byte[] value = Arrays.copyOfRange(raw, first + valOffs, first + valOffs + (int) valSize);
            out.add(new Entry(idx, name, value, hash));
            p += pad4(16 + nameLen);
        }
    }

    /** Bytes the entries and values need (excluding the magic). */
    static int needed(List<Entry> entries) {
        int n = 4; // terminator
        for (Entry e : entries) {
            n += pad4(16 + e.name().length) + pad4(e.value().length);
        }
        return n;
    }

    /** True when {@code entries} fit the inode's attribute area. */
    static boolean fits(Inode i, List<Entry> entries) {
        int first = firstEntry(i);
        return first >= 0 && needed(entries) <= i.raw.length - first;
    }

    /**
     * Rewrites the whole attribute area of {@code i}: magic, entries in order, terminator, values packed from the
     * end of the inode downwards (an empty value gets the current lowest offset, as mke2fs writes it).
     */
    static void write(Inode i, List<Entry> entries) {
        if (!fits(i, entries)) {
            throw new IllegalStateException("in-inode xattrs do not fit inode " + i.ino);
        }
        int first = firstEntry(i);
        byte[] raw = i.raw;
        Arrays.fill(raw, first - 4, raw.length, (byte) 0);
        LittleEndian.put32(raw, first - 4, MAGIC);
        int p = first;
        int minOffs = raw.length - first;
        for (Entry e : entries) {
            minOffs -= pad4(e.value().length);
            LittleEndian.put8(raw, p, e.name().length);
            LittleEndian.put8(raw, p + 1, e.index());
            LittleEndian.put16(raw, p + 2, minOffs);
            LittleEndian.put32(raw, p + 4, 0);
            LittleEndian.put32(raw, p + 8, e.value().length);
            LittleEndian.put32(raw, p + 12, e.hash());
            System.arraycopy(e.name(), 0, raw, p + 16, e.name().length);
            System.arraycopy(e.value(), 0, raw, first + minOffs, e.value().length);
            p += pad4(16 + e.name().length);
        }
        // p .. p+4 stays zero: the terminator
    }

    /**
     * Value of the in-inode extended attribute {@code (index, name)} (kernel {@code attributes.rst}: magic
     * 0xEA020000 after i_extra_isize, entries, values addressed relative to the first entry), or null.
     */
    static byte[] value(Inode i, int inodeSize, int index, String name, String type) throws IOException {
        if (inodeSize <= 128) {
            return null;
        }
        byte[] raw = i.raw;
        int start = 128 + i.extraIsize();
        if (start + 4 > raw.length || LittleEndian.i32(raw, start) != MAGIC) {
            return null;
        }
        int first = start + 4;
        int p = first;
        byte[] want = name.getBytes(StandardCharsets.US_ASCII);
        while (p + 16 <= raw.length && LittleEndian.i32(raw, p) != 0) {
            int nameLen = LittleEndian.u8(raw, p);
            int idx = LittleEndian.u8(raw, p + 1);
            int valOffs = LittleEndian.u16(raw, p + 2);
            long valInum = LittleEndian.u32(raw, p + 4);
            long valSize = LittleEndian.u32(raw, p + 8);
            if (p + 16 + nameLen > raw.length) {
                throw new Ext4CorruptException("inode " + i.ino + " in-inode xattr name runs past the inode");
            }
            if (idx == index
                    && nameLen == want.length
                    && Arrays.equals(Arrays.copyOfRange(raw, p + 16, p + 16 + nameLen), want)) {
                if (valInum != 0) {
                    throw new UnsupportedFsFeatureException(type, "xattr value in an ea_inode (inode " + i.ino + ")");
                }
                if (valSize > raw.length || first + valOffs + valSize > raw.length) {
                    throw new Ext4CorruptException("inode " + i.ino + " in-inode xattr value " + valOffs + "+" + valSize
                            + " outside the inode");
                }
                return Arrays.copyOfRange(raw, first + valOffs, (int) (first + valOffs + valSize));
            }
            p += (16 + nameLen + 3) & ~3;
        }
        return null;
    }
}
