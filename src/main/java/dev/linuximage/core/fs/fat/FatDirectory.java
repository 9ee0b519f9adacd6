package dev.linuximage.core.fs.fat;

import static dev.linuximage.core.fs.fat.FatFileSystem.ATTR_DIR;
import static dev.linuximage.core.fs.fat.FatFileSystem.ATTR_LFN;
import static dev.linuximage.core.fs.fat.FatFileSystem.ATTR_VOLUME;
import static dev.linuximage.core.fs.fat.FatFileSystem.MAX_DIR_ENTRIES;

import dev.linuximage.core.fs.FileSystem.Node;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.LittleEndian;
import dev.linuximage.core.io.WritableByteSource;
import dev.linuximage.core.report.BadInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * FAT directories (Microsoft FAT spec §6 and §7): the fixed FAT12/16 root or a cluster chain of 32-byte entries;
 * parsing short entries with their VFAT long-name sets (§7, checksum-matched), the volume label, DOS date/time
 * (§6.3, read and written as UTC), and writing entry sets: short-name generation ({@link FatNames}), LFN slots
 * stored last part first, free-slot search, growing a directory by one cluster, removal by 0xE5. All on-disk
 * integers little-endian. Node ids are the byte offset of a file's short entry (see {@link FatFileSystem}).
 */
final class FatDirectory {
    private final ByteSource dev;
    private final boolean writable;
    private final FatTable table;
    private final int fatType;
    private final long rootCluster;
    private final long rootDirOffset;
    private final int rootEntries;
    private final long dataOffset;
    private final int clusterBytes;

    FatDirectory(ByteSource dev, boolean writable, FatTable table, Bpb b, long rootDirOffset, long dataOffset) {
        this.dev = dev;
        this.writable = writable;
        this.table = table;
        this.fatType = b.fatType();
        this.rootCluster = b.rootCluster();
        this.rootDirOffset = rootDirOffset;
        this.rootEntries = b.rootEntries();
        this.dataOffset = dataOffset;
        this.clusterBytes = b.bytesPerSector() * b.sectorsPerCluster();
    }

    WritableByteSource writeDevice() throws IOException {
        if (!writable) {
            throw new UnsupportedFsFeatureException("vfat", "writing: opened read-only");
        }
        return (WritableByteSource) dev;
    }

    /** A directory's raw bytes and where each 32-byte slot lives on the volume. */
    record DirData(byte[] bytes, long[] slotOffsets, long firstCluster, boolean fixedRoot) {}

    record RawEntry(
            String name,
            String shortName,
            long shortOffset,
            int firstSlot,
            int shortSlot,
            int attr,
            long cluster,
            long size,
            long mtime) {}

    DirData readDir(long firstCluster, boolean isRoot) throws IOException {
        if (isRoot && fatType != 32) {
            byte[] b = dev.readBytes(rootDirOffset, rootEntries * 32);
            long[] offs = new long[rootEntries];
            for (int i = 0; i < rootEntries; i++) {
                offs[i] = rootDirOffset + i * 32L;
            }
            return new DirData(b, offs, 0, true);
        }
        List<Long> ch = table.chain(firstCluster, "directory at cluster " + firstCluster);
        long bytes = (long) ch.size() * clusterBytes;
        if (bytes > (long) MAX_DIR_ENTRIES * 32) {
            throw new FatCorruptException(
                    "vfat: directory at cluster " + firstCluster + " exceeds " + MAX_DIR_ENTRIES + " entries");
        }
        byte[] b = new byte[(int) bytes];
        long[] offs = new long[(int) (bytes / 32)];
        int per = clusterBytes / 32;
        for (int i = 0; i < ch.size(); i++) {
            long off = table.clusterOffset(ch.get(i));
            dev.readFully(off, ByteBuffer.wrap(b, i * clusterBytes, clusterBytes));
            for (int k = 0; k < per; k++) {
                offs[i * per + k] = off + k * 32L;
            }
        }
        return new DirData(b, offs, firstCluster, false);
    }

    List<RawEntry> entries(DirData d) {
        List<RawEntry> out = new ArrayList<>();
        byte[] b = d.bytes();
        StringBuilder lfn = null;
        char[][] parts = null;
        int lfnStart = -1;
        int expectSeq = 0;
        int lfnSum = -1;
        for (int i = 0; i < d.slotOffsets().length; i++) {
            int o = i * 32;
            int first = b[o] & 0xff;
            if (first == 0) {
                break;
            }
            if (first == 0xe5) {
                parts = null;
                continue;
            }
            int attr = b[o + 11] & 0xff;
            if ((attr & 0x3f) == ATTR_LFN) {
                int seq = first & 0x1f;
                if ((first & 0x40) != 0) {
                    if (seq < 1 || seq > 20) {
                        parts = null;
                        continue;
                    }
                    parts = new char[seq][];
                    lfnStart = i;
                    expectSeq = seq;
                    lfnSum = b[o + 13] & 0xff;
                } else if (parts == null || seq != expectSeq || (b[o + 13] & 0xff) != lfnSum) {
                    parts = null;
                    continue;
                }
                char[] cs = new char[13];
                int[] pos = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
                for (int k = 0; k < 13; k++) {
                    cs[k] = (char) ((b[o + pos[k]] & 0xff) | (b[o + pos[k] + 1] & 0xff) << 8);
                }
                parts[seq - 1] = cs;
                expectSeq = seq - 1;
                continue;
            }
            if ((attr & ATTR_VOLUME) != 0) {
                parts = null;
                continue;
            }
            String shortName = FatNames.display(b, o, b[o + 12] & 0xff);
            String name = shortName;
            int firstSlot = i;
            if (parts != null && expectSeq == 0 && FatNames.checksum(b, o) == lfnSum) {
                StringBuilder sb = new StringBuilder();
                outer:
                for (char[] p : parts) {
                    for (char c : p) {
                        if (c == 0) {
                            break outer;
                        }
                        sb.append(c);
                    }
                }
                name = sb.toString();
                firstSlot = lfnStart;
            }
            parts = null;
            if (name.equals(".") || name.equals("..")) {
                continue;
            }
            long cluster =
                    (LittleEndian.u16(b, o + 26)) | (fatType == 32 ? (long) LittleEndian.u16(b, o + 20) << 16 : 0);
            out.add(new RawEntry(
                    name,
                    new String(b, o, 11, StandardCharsets.ISO_8859_1),
                    d.slotOffsets()[i],
                    firstSlot,
                    i,
                    attr,
                    cluster,
                    LittleEndian.u32(b, o + 28),
                    dosTime(LittleEndian.u16(b, o + 24), LittleEndian.u16(b, o + 22))));
        }
        return out;
    }

    /** The root directory's volume label entry (§6.1 ATTR_VOLUME_ID), trailing spaces stripped, or null. */
    String volumeLabel() throws IOException {
        DirData d = readDir(rootCluster, true);
        byte[] b = d.bytes();
        for (int i = 0; i < d.slotOffsets().length; i++) {
            int o = i * 32;
            int first = b[o] & 0xff;
            if (first == 0) {
                break;
            }
            int attr = b[o + 11] & 0xff;
            if (first != 0xe5 && (attr & 0x3f) != ATTR_LFN && (attr & ATTR_VOLUME) != 0) {
                return new String(b, o, 11, StandardCharsets.ISO_8859_1).stripTrailing();
            }
        }
        return null;
    }

    static long dosTime(int date, int time) {
        if (date == 0) {
            return 0;
        }
        int year = 1980 + (date >>> 9);
        int month = Math.max(1, Math.min(12, (date >>> 5) & 0xf));
        int day = Math.max(1, Math.min(28 + 3, date & 0x1f));
        int h = Math.min(23, time >>> 11);
        int m = Math.min(59, (time >>> 5) & 0x3f);
        int s = Math.min(59, (time & 0x1f) * 2);
        try {
            return LocalDateTime.of(year, month, day, h, m, s).toEpochSecond(ZoneOffset.UTC);
        } catch (java.time.DateTimeException e) {
            return 0;
        }
    }

    static int[] toDos(long epoch) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(Math.max(315532800L, epoch), 0, ZoneOffset.UTC);
        int date = ((t.getYear() - 1980) << 9) | (t.getMonthValue() << 5) | t.getDayOfMonth();
        int time = (t.getHour() << 11) | (t.getMinute() << 5) | (t.getSecond() / 2);
        return new int[] {date, time};
    }

    /** Reads the short entry behind a node id and returns its first cluster; checks the node is a directory. */
    long dirCluster(Node dir) throws IOException {
        if (dir.id() == 0) {
            return fatType == 32 ? rootCluster : 0;
        }
        byte[] e = entryAt(dir.id());
        if ((e[11] & ATTR_DIR) == 0) {
            throw new IOException("vfat: node " + dir.id() + " is not a directory");
        }
        return cluster(e);
    }

    byte[] entryAt(long id) throws IOException {
        if (id < dataOffset && (id < rootDirOffset || fatType == 32) || id % 32 != 0 || id > dev.size() - 32) {
            throw new IOException("vfat: stale or invalid node id " + id);
        }
        byte[] e = dev.readBytes(id, 32);
        if ((e[0] & 0xff) == 0 || (e[0] & 0xff) == 0xe5 || (e[11] & 0x3f) == ATTR_LFN) {
            throw new IOException("vfat: node " + id + " no longer exists");
        }
        return e;
    }

    long cluster(byte[] e) {
        return LittleEndian.u16(e, 26) | (fatType == 32 ? (long) LittleEndian.u16(e, 20) << 16 : 0);
    }

    DirData dirData(Node dir) throws IOException {
        return readDir(dirCluster(dir), dir.id() == 0);
    }

    Optional<RawEntry> find(DirData d, String name) {
        for (RawEntry e : entries(d)) {
            // FAT names are case-insensitive (case-preserving for long names).
            if (e.name().equalsIgnoreCase(name)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    void setCluster(byte[] e, long c) {
        LittleEndian.put16(e, 26, (int) (c & 0xffff));
        LittleEndian.put16(e, 20, fatType == 32 ? (int) (c >>> 16) : 0);
    }

    static void stamp(byte[] e, long epoch) {
        int[] dt = toDos(epoch);
        LittleEndian.put16(e, 22, dt[1]);
        LittleEndian.put16(e, 24, dt[0]);
        LittleEndian.put16(e, 18, dt[0]); // last access date
    }

    byte[] dirEntry(byte[] shortName, int attr, long cluster, long size, long epoch) {
        byte[] e = new byte[32];
        System.arraycopy(shortName, 0, e, 0, 11);
        e[11] = (byte) attr;
        setCluster(e, cluster);
        LittleEndian.put32(e, 28, size);
        int[] dt = toDos(epoch);
        LittleEndian.put16(e, 14, dt[1]);
        LittleEndian.put16(e, 16, dt[0]);
        stamp(e, epoch);
        return e;
    }

    /** Adds a directory entry set (LFN entries + short entry); returns the short entry's byte offset. */
    long addEntry(Node dir, String name, int attr, long cluster, long size, long epoch) throws IOException {
        WritableByteSource w = writeDevice();
        FatNames.checkLongName(name);
        DirData d = dirData(dir);
        List<RawEntry> existing = entries(d);
        Set<String> shorts = new HashSet<>();
        for (RawEntry e : existing) {
            if (e.name().equalsIgnoreCase(name)) {
                throw new java.nio.file.FileAlreadyExistsException("vfat: " + name + " already exists");
            }
            shorts.add(e.shortName());
        }
        byte[] shortName = FatNames.exactShort(name);
        boolean needLfn = shortName == null;
        if (needLfn) {
            shortName = FatNames.generateShort(name, shorts);
        } else if (shorts.contains(new String(shortName, StandardCharsets.ISO_8859_1))) {
            throw new java.nio.file.FileAlreadyExistsException("vfat: " + name + " already exists");
        }
        int lfnCount = needLfn ? (name.length() + 12) / 13 : 0;
        int need = lfnCount + 1;
        int slot = findFreeSlots(d, need);
        if (slot < 0) {
            d = growDir(dir, d);
            slot = findFreeSlots(d, need);
            if (slot < 0) {
                throw BadInputException.unsupported("vfat: directory full");
            }
        }
        int sum = FatNames.checksum(shortName, 0);
        for (int k = 0; k < lfnCount; k++) {
            int seq = lfnCount - k; // entries are stored last-part first (§7.2)
            byte[] l = new byte[32];
            l[0] = (byte) (seq | (k == 0 ? 0x40 : 0));
            l[11] = ATTR_LFN;
            l[13] = (byte) sum;
            int[] pos = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
            for (int j = 0; j < 13; j++) {
                int ci = (seq - 1) * 13 + j;
                int ch = ci < name.length() ? name.charAt(ci) : ci == name.length() ? 0 : 0xffff;
                LittleEndian.put16(l, pos[j], ch);
            }
            w.write(d.slotOffsets()[slot + k], ByteBuffer.wrap(l));
        }
        boolean atEnd = (d.bytes()[(slot + need - 1) * 32] & 0xff) == 0;
        byte[] e = dirEntry(shortName, attr, cluster, size, epoch);
        long off = d.slotOffsets()[slot + lfnCount];
        w.write(off, ByteBuffer.wrap(e));
        int next = slot + need;
        if (atEnd && next < d.slotOffsets().length && d.bytes()[next * 32] != 0) {
            // We used the free tail after the end marker: keep a 0x00 end marker after our entries so stale bytes
            // beyond it (allowed there by §6.1) never become visible entries.
            w.write(d.slotOffsets()[next], ByteBuffer.wrap(new byte[] {0}));
        }
        return off;
    }

    /** First index of {@code n} consecutive free slots (0xE5 or after the 0x00 end marker), or -1. */
    private int findFreeSlots(DirData d, int n) {
        byte[] b = d.bytes();
        int run = 0;
        for (int i = 0; i < d.slotOffsets().length; i++) {
            int first = b[i * 32] & 0xff;
            if (first == 0) {
                // Everything from the end marker on is free; keep a 0x00 after our entries unless the dir ends.
                return d.slotOffsets().length - (i - run) >= n ? i - run : -1;
            }
            run = first == 0xe5 ? run + 1 : 0;
            if (run == n) {
                return i - n + 1;
            }
        }
        return -1;
    }

    private DirData growDir(Node dir, DirData d) throws IOException {
        if (d.fixedRoot()) {
            throw BadInputException.unsupported(
                    "vfat: root directory full (FAT" + fatType + " has a fixed root of " + rootEntries + " entries)");
        }
        if (d.slotOffsets().length + clusterBytes / 32 > MAX_DIR_ENTRIES) {
            throw BadInputException.unsupported("vfat: directory would exceed " + MAX_DIR_ENTRIES + " entries");
        }
        WritableByteSource w = writeDevice();
        List<Long> ch = table.chain(d.firstCluster(), "directory");
        long c = table.allocate(1).get(0);
        table.fatSet(ch.get(ch.size() - 1), c);
        w.write(table.clusterOffset(c), ByteBuffer.wrap(new byte[clusterBytes]));
        table.writeFat();
        return readDir(d.firstCluster(), false);
    }

    void removeSlots(DirData d, RawEntry e) throws IOException {
        WritableByteSource w = writeDevice();
        for (int i = e.firstSlot(); i <= e.shortSlot(); i++) {
            w.write(d.slotOffsets()[i], ByteBuffer.wrap(new byte[] {(byte) 0xe5}));
        }
    }
}
