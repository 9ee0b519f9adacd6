package dev.linuximage.core.fs.fat;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.report.BadInputException;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.WritableByteSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * FAT12/16/32 with VFAT long names, read and write, without mounting (Microsoft "FAT: General Overview of On-Disk
 * Format" 1.03; all on-disk integers little-endian).
 *
 * <p>Node ids are the byte offset (within the volume) of a file's 32-byte short directory entry; the root is id 0.
 * Ids are valid until the entry is renamed or removed. FAT has no owners or permission bits (they come from the
 * mount options): nodes report {@code 0755}/{@code 0644} root-owned, and {@link #setAttributes} only honours
 * {@code mtime}. Every FAT copy is written on each change, and the FAT32 FSInfo free count is kept exact.
 */
public final class FatFileSystem implements FileSystem {
    static final int ATTR_RO = 0x01;
    static final int ATTR_VOLUME = 0x08;
    static final int ATTR_DIR = 0x10;
    static final int ATTR_ARCHIVE = 0x20;
    static final int ATTR_LFN = 0x0f;
    /** Largest FAT we hold in memory (a 2 TiB FAT32 volume with 32 KiB clusters has a 256 MiB FAT: refused). */
    static final long MAX_FAT_BYTES = 64L << 20;
    /** FAT spec §6: a directory holds at most 65536 entries. */
    static final int MAX_DIR_ENTRIES = 65536;

    private final ByteSource dev;
    private final boolean writable;
    private final int bps;
    private final int clusterBytes;
    private final long reserved;
    private final int numFats;
    private final long fatSectors;
    private final long rootDirOffset;
    private final int rootEntries;
    private final long dataOffset;
    private final long clusterCount;
    private final int fatType;
    private final long rootCluster;
    private final int fsInfoSector;
    private final String uuid;
    private String label;
    private final byte[] fat;
    private final BitSet dirtyFatSectors = new BitSet();
    private long freeClusters = -1;
    private long nextFreeHint = 2;

    private FatFileSystem(ByteSource dev, boolean writable, byte[] bs) throws IOException {
        this.dev = dev;
        this.writable = writable;
        Bpb b = Bpb.parse(bs, dev.size());
        this.bps = b.bytesPerSector();
        this.clusterBytes = b.bytesPerSector() * b.sectorsPerCluster();
        this.reserved = b.reservedSectors();
        this.numFats = b.numFats();
        this.fatSectors = b.fatSectors();
        this.rootEntries = b.rootEntries();
        this.rootDirOffset = (reserved + (long) numFats * fatSectors) * bps;
        this.dataOffset = rootDirOffset + (((long) rootEntries * 32 + bps - 1) / bps) * bps;
        this.clusterCount = b.clusterCount();
        this.fatType = b.fatType();
        this.rootCluster = b.rootCluster();
        this.fsInfoSector = b.fsInfoSector();
        this.uuid = String.format(Locale.ROOT, "%04X-%04X", (b.volumeId() >>> 16) & 0xffff, b.volumeId() & 0xffff);
        this.label = b.label();
        long fatBytes = fatSectors * bps;
        if (fatBytes > MAX_FAT_BYTES) {
            throw new UnsupportedFsFeatureException("vfat", "FAT of " + fatBytes + " bytes (limit " + MAX_FAT_BYTES
                    + ")");
        }
        this.fat = dev.readBytes(reserved * bps, (int) fatBytes);
        if (fatType == 32 && (rootCluster < 2 || rootCluster > clusterCount + 1)) {
            throw new FatCorruptException("vfat: BPB root cluster " + rootCluster + " outside 2.." + (clusterCount + 1));
        }
        readVolumeLabel();
        if (fatType == 32 && fsInfoSector > 0 && fsInfoSector < reserved) {
            // start from the volume's own FSInfo next-free hint (byte 492, little-endian; 0xFFFFFFFF = unknown,
            // Microsoft FAT spec "FSInfo Sector Structure"), so a session that ends with the same allocation
            // writes the same FSInfo back: an unchanged volume stays byte-identical
            byte[] fi = dev.readBytes((long) fsInfoSector * bps, 512);
            if (le32(fi, 0) == 0x41615252L && le32(fi, 484) == 0x61417272L && validCluster(le32(fi, 492))) {
                nextFreeHint = le32(fi, 492);
            }
        }
    }

    /**
     * True when {@code dev} starts with a FAT boot sector: its BPB passes the checks of {@link Bpb#parse}, or it
     * fails them but the sector still carries every FAT signature (jump EB/E9, 0x55AA, and {@code BS_FilSysType}
     * "FAT..." at byte 54 or, FAT32, byte 82, as mkfs.fat and every formatter write it). The latter is a damaged FAT
     * volume: it is recognised so that opening it names the bad BPB field (exit 3), instead of the volume vanishing
     * and the guest's /boot/efi reading as empty (issue 13).
     */
    public static boolean probe(ByteSource dev) throws IOException {
        if (dev.size() < 512) {
            return false;
        }
        byte[] s = dev.readBytes(0, 512);
        try {
            Bpb.parse(s, dev.size());
            return true;
        } catch (IOException e) {
            return damagedFatSignature(s);
        }
    }

    private static boolean damagedFatSignature(byte[] s) {
        int jump = s[0] & 0xff;
        boolean signed = (s[510] & 0xff) == 0x55 && (s[511] & 0xff) == 0xaa;
        return signed && (jump == 0xeb || jump == 0xe9) && (fatType(s, 54) || fatType(s, 82));
    }

    private static boolean fatType(byte[] s, int at) {
        return s[at] == 'F' && s[at + 1] == 'A' && s[at + 2] == 'T';
    }

    /** Opens the FAT volume; {@code writable} requires a {@link WritableByteSource}. */
    public static FatFileSystem open(ByteSource dev, boolean writable) throws IOException {
        if (writable && !(dev instanceof WritableByteSource)) {
            throw new IOException("vfat: device is not writable");
        }
        if (dev.size() < 512) {
            throw new FatCorruptException("vfat: device of " + dev.size() + " bytes is smaller than a boot sector");
        }
        return new FatFileSystem(dev, writable, dev.readBytes(0, 512));
    }

    /** 12, 16 or 32. */
    public int fatBits() {
        return fatType;
    }

    @Override
    public String type() {
        return "vfat";
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public String uuid() {
        return uuid;
    }

    @Override
    public long totalBytes() {
        return dev.size();
    }

    @Override
    public long freeBytes() {
        return countFree() * clusterBytes;
    }

    private long countFree() {
        if (freeClusters < 0) {
            long n = 0;
            for (long c = 2; c < clusterCount + 2; c++) {
                if (fatGet(c) == 0) {
                    n++;
                }
            }
            freeClusters = n;
        }
        return freeClusters;
    }

    @Override
    public boolean writable() {
        return writable;
    }

    // ---- FAT access ---------------------------------------------------------------------------------------------

    long fatGet(long c) {
        switch (fatType) {
            case 12 -> {
                int o = (int) (c + c / 2);
                int v = (fat[o] & 0xff) | (fat[o + 1] & 0xff) << 8;
                return (c & 1) == 0 ? v & 0xfff : v >>> 4;
            }
            case 16 -> {
                int o = (int) (c * 2);
                return (fat[o] & 0xff) | (fat[o + 1] & 0xff) << 8;
            }
            default -> {
                int o = (int) (c * 4);
                return ((fat[o] & 0xffL) | (fat[o + 1] & 0xffL) << 8 | (fat[o + 2] & 0xffL) << 16
                        | (fat[o + 3] & 0xffL) << 24) & 0x0fffffffL;
            }
        }
    }

    void fatSet(long c, long v) {
        int o;
        switch (fatType) {
            case 12 -> {
                o = (int) (c + c / 2);
                int old = (fat[o] & 0xff) | (fat[o + 1] & 0xff) << 8;
                int nv = (c & 1) == 0 ? (old & 0xf000) | (int) (v & 0xfff) : (old & 0x000f) | (int) ((v & 0xfff) << 4);
                fat[o] = (byte) nv;
                fat[o + 1] = (byte) (nv >>> 8);
                dirtyFatSectors.set((o + 1) / bps);
            }
            case 16 -> {
                o = (int) (c * 2);
                fat[o] = (byte) v;
                fat[o + 1] = (byte) (v >>> 8);
                dirtyFatSectors.set((o + 1) / bps);
            }
            default -> {
                o = (int) (c * 4);
                // §4: the high 4 bits of a FAT32 entry are reserved and must be preserved.
                long nv = (v & 0x0fffffffL) | ((fat[o + 3] & 0xf0L) << 24);
                fat[o] = (byte) nv;
                fat[o + 1] = (byte) (nv >>> 8);
                fat[o + 2] = (byte) (nv >>> 16);
                fat[o + 3] = (byte) (nv >>> 24);
            }
        }
        dirtyFatSectors.set(o / bps);
    }

    private long eoc() {
        return fatType == 12 ? 0xfff : fatType == 16 ? 0xffff : 0x0fffffff;
    }

    private boolean isEoc(long v) {
        return v >= (fatType == 12 ? 0xff8 : fatType == 16 ? 0xfff8 : 0x0ffffff8L);
    }

    private boolean validCluster(long c) {
        return c >= 2 && c < clusterCount + 2;
    }

    /** The cluster chain from {@code first}; loop- and bounds-safe (typed error naming the cluster). */
    List<Long> chain(long first, String what) throws IOException {
        List<Long> out = new ArrayList<>();
        if (first == 0) {
            return out;
        }
        long c = first;
        while (true) {
            if (!validCluster(c)) {
                throw new FatCorruptException("vfat: " + what + ": cluster " + c + " outside 2.." + (clusterCount + 1));
            }
            if (out.size() > clusterCount) {
                throw new FatCorruptException("vfat: " + what + ": cluster chain loops (at cluster " + c + ")");
            }
            out.add(c);
            long next = fatGet(c);
            if (isEoc(next)) {
                return out;
            }
            if (next == 0 || next == (fatType == 12 ? 0xff7 : fatType == 16 ? 0xfff7 : 0x0ffffff7L)) {
                throw new FatCorruptException("vfat: " + what + ": cluster chain hits a " + (next == 0 ? "free" : "bad")
                        + " cluster after " + c);
            }
            c = next;
        }
    }

    long clusterOffset(long c) {
        return dataOffset + (c - 2) * clusterBytes;
    }

    private List<Long> allocate(long n) throws IOException {
        if (n > countFree()) {
            throw BadInputException.unsupported("vfat: no space left (" + n + " clusters needed, " + countFree() + " free)");
        }
        List<Long> got = new ArrayList<>();
        long c = validCluster(nextFreeHint) ? nextFreeHint : 2;
        long scanned = 0;
        while (got.size() < n && scanned < clusterCount) {
            if (fatGet(c) == 0) {
                got.add(c);
            }
            c = c + 1 >= clusterCount + 2 ? 2 : c + 1;
            scanned++;
        }
        if (got.size() < n) {
            throw BadInputException.unsupported("vfat: no space left");
        }
        for (int i = 0; i < got.size(); i++) {
            fatSet(got.get(i), i + 1 < got.size() ? got.get(i + 1) : eoc());
        }
        freeClusters -= n;
        nextFreeHint = c;
        return got;
    }

    private void freeChain(List<Long> chain) {
        for (long c : chain) {
            fatSet(c, 0);
        }
        if (freeClusters >= 0) {
            freeClusters += chain.size();
        }
    }

    /** Writes the dirty FAT sectors to every FAT copy, then the FSInfo counters (FAT32). */
    private void writeFat() throws IOException {
        WritableByteSource w = (WritableByteSource) dev;
        for (int s = dirtyFatSectors.nextSetBit(0); s >= 0; s = dirtyFatSectors.nextSetBit(s + 1)) {
            for (int copy = 0; copy < numFats; copy++) {
                long off = (reserved + copy * fatSectors) * bps + (long) s * bps;
                w.write(off, ByteBuffer.wrap(fat, s * bps, bps));
            }
        }
        dirtyFatSectors.clear();
        if (fatType == 32 && fsInfoSector > 0 && fsInfoSector < reserved) {
            byte[] fi = dev.readBytes((long) fsInfoSector * bps, 512);
            if (le32(fi, 0) == 0x41615252L && le32(fi, 484) == 0x61417272L) {
                byte[] before = fi.clone();
                put32(fi, 488, countFree());
                put32(fi, 492, validCluster(nextFreeHint) ? nextFreeHint : 0xffffffffL);
                if (!java.util.Arrays.equals(before, fi)) {
                    w.write((long) fsInfoSector * bps, ByteBuffer.wrap(fi));
                }
            }
        }
    }

    // ---- directories --------------------------------------------------------------------------------------------

    /** A directory's raw bytes and where each 32-byte slot lives on the volume. */
    private record DirData(byte[] bytes, long[] slotOffsets, long firstCluster, boolean fixedRoot) {
    }

    private record RawEntry(String name, String shortName, long shortOffset, int firstSlot, int shortSlot, int attr,
                            long cluster, long size, long mtime) {
    }

    private DirData readDir(long firstCluster, boolean isRoot) throws IOException {
        if (isRoot && fatType != 32) {
            byte[] b = dev.readBytes(rootDirOffset, rootEntries * 32);
            long[] offs = new long[rootEntries];
            for (int i = 0; i < rootEntries; i++) {
                offs[i] = rootDirOffset + i * 32L;
            }
            return new DirData(b, offs, 0, true);
        }
        List<Long> ch = chain(firstCluster, "directory at cluster " + firstCluster);
        long bytes = (long) ch.size() * clusterBytes;
        if (bytes > (long) MAX_DIR_ENTRIES * 32) {
            throw new FatCorruptException("vfat: directory at cluster " + firstCluster + " exceeds " + MAX_DIR_ENTRIES
                    + " entries");
        }
        byte[] b = new byte[(int) bytes];
        long[] offs = new long[(int) (bytes / 32)];
        int per = clusterBytes / 32;
        for (int i = 0; i < ch.size(); i++) {
            long off = clusterOffset(ch.get(i));
            dev.readFully(off, ByteBuffer.wrap(b, i * clusterBytes, clusterBytes));
            for (int k = 0; k < per; k++) {
                offs[i * per + k] = off + k * 32L;
            }
        }
        return new DirData(b, offs, firstCluster, false);
    }

    private List<RawEntry> entries(DirData d) {
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
            long cluster = (le16(b, o + 26)) | (fatType == 32 ? (long) le16(b, o + 20) << 16 : 0);
            out.add(new RawEntry(name, new String(b, o, 11, StandardCharsets.ISO_8859_1), d.slotOffsets()[i],
                    firstSlot, i, attr, cluster, le32(b, o + 28), dosTime(le16(b, o + 24), le16(b, o + 22))));
        }
        return out;
    }

    private void readVolumeLabel() throws IOException {
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
                label = new String(b, o, 11, StandardCharsets.ISO_8859_1).stripTrailing();
                return;
            }
        }
    }

    private static long dosTime(int date, int time) {
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

    private static int[] toDos(long epoch) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(Math.max(315532800L, epoch), 0, ZoneOffset.UTC);
        int date = ((t.getYear() - 1980) << 9) | (t.getMonthValue() << 5) | t.getDayOfMonth();
        int time = (t.getHour() << 11) | (t.getMinute() << 5) | (t.getSecond() / 2);
        return new int[] {date, time};
    }

    // ---- nodes --------------------------------------------------------------------------------------------------

    private Node rootNode() {
        return new Node(0, GuestFiles.Type.DIRECTORY, 0, 0755, 0, 0, 0, 1);
    }

    private Node nodeOf(RawEntry e) {
        boolean dir = (e.attr() & ATTR_DIR) != 0;
        return new Node(e.shortOffset(), dir ? GuestFiles.Type.DIRECTORY : GuestFiles.Type.FILE,
                dir ? 0 : e.size(), dir ? 0755 : 0644, 0, 0, e.mtime(), 1);
    }

    /** Reads the short entry behind a node id and returns its first cluster; checks the node is a directory. */
    private long dirCluster(Node dir) throws IOException {
        if (dir.id() == 0) {
            return fatType == 32 ? rootCluster : 0;
        }
        byte[] e = entryAt(dir.id());
        if ((e[11] & ATTR_DIR) == 0) {
            throw new IOException("vfat: node " + dir.id() + " is not a directory");
        }
        return cluster(e);
    }

    private byte[] entryAt(long id) throws IOException {
        if (id < dataOffset && (id < rootDirOffset || fatType == 32) || id % 32 != 0 || id > dev.size() - 32) {
            throw new IOException("vfat: stale or invalid node id " + id);
        }
        byte[] e = dev.readBytes(id, 32);
        if ((e[0] & 0xff) == 0 || (e[0] & 0xff) == 0xe5 || (e[11] & 0x3f) == ATTR_LFN) {
            throw new IOException("vfat: node " + id + " no longer exists");
        }
        return e;
    }

    private long cluster(byte[] e) {
        return le16(e, 26) | (fatType == 32 ? (long) le16(e, 20) << 16 : 0);
    }

    private DirData dirData(Node dir) throws IOException {
        return readDir(dirCluster(dir), dir.id() == 0);
    }

    @Override
    public Node root() {
        return rootNode();
    }

    @Override
    public Optional<Node> lookup(Node dir, String name) throws IOException {
        return find(dirData(dir), name).map(this::nodeOf);
    }

    private Optional<RawEntry> find(DirData d, String name) {
        for (RawEntry e : entries(d)) {
            // FAT names are case-insensitive (case-preserving for long names).
            if (e.name().equalsIgnoreCase(name)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    @Override
    public List<Entry> list(Node dir) throws IOException {
        List<Entry> out = new ArrayList<>();
        for (RawEntry e : entries(dirData(dir))) {
            out.add(new Entry(e.name(), e.shortOffset(),
                    (e.attr() & ATTR_DIR) != 0 ? GuestFiles.Type.DIRECTORY : GuestFiles.Type.FILE));
        }
        return out;
    }

    /** The node behind an entry from {@link #list}: its 32-byte short entry read by id, not a name search. */
    @Override
    public Optional<Node> node(Node dir, Entry entry) throws IOException {
        byte[] e = entryAt(entry.id());
        boolean isDir = (e[11] & ATTR_DIR) != 0;
        return Optional.of(new Node(entry.id(), isDir ? GuestFiles.Type.DIRECTORY : GuestFiles.Type.FILE,
                isDir ? 0 : le32(e, 28), isDir ? 0755 : 0644, 0, 0, dosTime(le16(e, 24), le16(e, 22)), 1));
    }

    @Override
    public int read(Node file, long offset, ByteBuffer dst) throws IOException {
        byte[] e = entryAt(file.id());
        if ((e[11] & ATTR_DIR) != 0) {
            throw new IOException("vfat: node " + file.id() + " is a directory");
        }
        long size = le32(e, 28);
        if (offset >= size) {
            return -1;
        }
        List<Long> ch = chain(cluster(e), "file at entry " + file.id());
        if ((long) ch.size() * clusterBytes < size) {
            throw new FatCorruptException("vfat: file at entry " + file.id() + ": size " + size + " exceeds its chain of "
                    + ch.size() + " clusters");
        }
        int total = 0;
        while (dst.hasRemaining() && offset < size) {
            int idx = (int) (offset / clusterBytes);
            int within = (int) (offset % clusterBytes);
            int n = (int) Math.min(Math.min(dst.remaining(), clusterBytes - within), size - offset);
            ByteBuffer view = dst.slice().limit(n);
            dev.readFully(clusterOffset(ch.get(idx)) + within, view);
            dst.position(dst.position() + n);
            offset += n;
            total += n;
        }
        return total;
    }

    @Override
    public String readLink(Node symlink) throws IOException {
        throw new UnsupportedFsFeatureException("vfat", "symlinks (FAT has none)");
    }

    // ---- writing ------------------------------------------------------------------------------------------------

    private WritableByteSource writeDevice() throws IOException {
        if (!writable) {
            throw new UnsupportedFsFeatureException("vfat", "writing: opened read-only");
        }
        return (WritableByteSource) dev;
    }

    /** Writes {@code content} into newly allocated clusters; returns the first cluster (0 for empty content). */
    private List<Long> writeData(byte[] content) throws IOException {
        WritableByteSource w = writeDevice();
        long n = (content.length + (long) clusterBytes - 1) / clusterBytes;
        List<Long> ch = allocate(n);
        for (int i = 0; i < ch.size(); i++) {
            byte[] buf = new byte[clusterBytes];
            System.arraycopy(content, i * clusterBytes, buf, 0, Math.min(clusterBytes, content.length
                    - i * clusterBytes));
            w.write(clusterOffset(ch.get(i)), ByteBuffer.wrap(buf));
        }
        return ch;
    }

    @Override
    public void replaceContent(Node file, byte[] content) throws IOException {
        WritableByteSource w = writeDevice();
        byte[] e = entryAt(file.id());
        if ((e[11] & ATTR_DIR) != 0) {
            throw new IOException("vfat: cannot replace the content of a directory");
        }
        if (Integer.toUnsignedLong(content.length) > 0xffffffffL) {
            throw BadInputException.unsupported("vfat: file too large");
        }
        List<Long> old = chain(cluster(e), "file at entry " + file.id());
        // New data first, then the entry, then free the old chain: a crash leaves either version intact.
        List<Long> ch = writeData(content);
        writeFat();
        long first = ch.isEmpty() ? 0 : ch.get(0);
        setCluster(e, first);
        put32(e, 28, content.length);
        stamp(e, System.currentTimeMillis() / 1000);
        w.write(file.id(), ByteBuffer.wrap(e));
        freeChain(old);
        writeFat();
    }

    private void setCluster(byte[] e, long c) {
        put16(e, 26, (int) (c & 0xffff));
        put16(e, 20, fatType == 32 ? (int) (c >>> 16) : 0);
    }

    private static void stamp(byte[] e, long epoch) {
        int[] dt = toDos(epoch);
        put16(e, 22, dt[1]);
        put16(e, 24, dt[0]);
        put16(e, 18, dt[0]); // last access date
    }

    @Override
    public Node createFile(Node dir, String name, int mode, int uid, int gid, byte[] content) throws IOException {
        writeDevice();
        List<Long> ch = writeData(content);
        writeFat();
        long off = addEntry(dir, name, ATTR_ARCHIVE, ch.isEmpty() ? 0 : ch.get(0), content.length,
                System.currentTimeMillis() / 1000);
        byte[] e = entryAt(off);
        return new Node(off, GuestFiles.Type.FILE, content.length, 0644, 0, 0, dosTime(le16(e, 24), le16(e, 22)), 1);
    }

    @Override
    public Node mkdir(Node dir, String name, int mode, int uid, int gid) throws IOException {
        WritableByteSource w = writeDevice();
        long parentCluster = dirCluster(dir);
        long now = System.currentTimeMillis() / 1000;
        List<Long> ch = allocate(1);
        long c = ch.get(0);
        byte[] buf = new byte[clusterBytes];
        byte[] dot = dirEntry(FatNames.pad(".", ""), ATTR_DIR, c, 0, now);
        // §6.7: ".." of a directory whose parent is the root holds cluster 0, also on FAT32.
        byte[] dotdot = dirEntry(FatNames.pad("..", ""), ATTR_DIR, dir.id() == 0 ? 0 : parentCluster, 0, now);
        System.arraycopy(dot, 0, buf, 0, 32);
        System.arraycopy(dotdot, 0, buf, 32, 32);
        w.write(clusterOffset(c), ByteBuffer.wrap(buf));
        writeFat();
        long off = addEntry(dir, name, ATTR_DIR, c, 0, now);
        return nodeOf(new RawEntry(name, "", off, 0, 0, ATTR_DIR, c, 0, dosTime(toDos(now)[0], toDos(now)[1])));
    }

    private byte[] dirEntry(byte[] shortName, int attr, long cluster, long size, long epoch) {
        byte[] e = new byte[32];
        System.arraycopy(shortName, 0, e, 0, 11);
        e[11] = (byte) attr;
        setCluster(e, cluster);
        put32(e, 28, size);
        int[] dt = toDos(epoch);
        put16(e, 14, dt[1]);
        put16(e, 16, dt[0]);
        stamp(e, epoch);
        return e;
    }

    @Override
    public Node symlink(Node dir, String name, String target, int uid, int gid) throws IOException {
        throw new UnsupportedFsFeatureException("vfat", "symlinks (FAT has none)");
    }

    /** Adds a directory entry set (LFN entries + short entry); returns the short entry's byte offset. */
    private long addEntry(Node dir, String name, int attr, long cluster, long size, long epoch) throws IOException {
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
                put16(l, pos[j], ch);
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
            throw BadInputException.unsupported("vfat: root directory full (FAT" + fatType + " has a fixed root of " + rootEntries
                    + " entries)");
        }
        if (d.slotOffsets().length + clusterBytes / 32 > MAX_DIR_ENTRIES) {
            throw BadInputException.unsupported("vfat: directory would exceed " + MAX_DIR_ENTRIES + " entries");
        }
        WritableByteSource w = writeDevice();
        List<Long> ch = chain(d.firstCluster(), "directory");
        long c = allocate(1).get(0);
        fatSet(ch.get(ch.size() - 1), c);
        w.write(clusterOffset(c), ByteBuffer.wrap(new byte[clusterBytes]));
        writeFat();
        return readDir(d.firstCluster(), false);
    }

    @Override
    public void unlink(Node dir, String name) throws IOException {
        writeDevice();
        DirData d = dirData(dir);
        RawEntry e = find(d, name).orElseThrow(() -> new java.nio.file.NoSuchFileException("vfat: " + name));
        if ((e.attr() & ATTR_DIR) != 0) {
            if (!entries(readDir(e.cluster(), false)).isEmpty()) {
                throw new java.nio.file.DirectoryNotEmptyException("vfat: " + name);
            }
        }
        List<Long> ch = chain(e.cluster(), name);
        removeSlots(d, e);
        freeChain(ch);
        writeFat();
    }

    private void removeSlots(DirData d, RawEntry e) throws IOException {
        WritableByteSource w = writeDevice();
        for (int i = e.firstSlot(); i <= e.shortSlot(); i++) {
            w.write(d.slotOffsets()[i], ByteBuffer.wrap(new byte[] {(byte) 0xe5}));
        }
    }

    @Override
    public void rename(Node fromDir, String fromName, Node toDir, String toName) throws IOException {
        WritableByteSource w = writeDevice();
        DirData from = dirData(fromDir);
        RawEntry e = find(from, fromName).orElseThrow(() -> new java.nio.file.NoSuchFileException("vfat: "
                + fromName));
        boolean isDir = (e.attr() & ATTR_DIR) != 0;
        Optional<RawEntry> target = find(dirData(toDir), toName);
        if (target.isPresent()) {
            if (target.get().shortOffset() == e.shortOffset()) {
                if (fromName.equals(toName)) {
                    return;
                }
            } else if ((target.get().attr() & ATTR_DIR) != 0 || isDir) {
                throw new java.nio.file.FileAlreadyExistsException("vfat: " + toName + " exists");
            } else {
                unlink(toDir, toName);
            }
        }
        byte[] old = dev.readBytes(e.shortOffset(), 32);
        removeSlots(from, e);
        long off = addEntry(toDir, toName, old[11] & 0xff, e.cluster(), le32(old, 28), e.mtime());
        // Keep the original creation time and flags.
        byte[] ne = dev.readBytes(off, 32);
        System.arraycopy(old, 12, ne, 12, 20 - 12);
        System.arraycopy(old, 22, ne, 22, 4);
        w.write(off, ByteBuffer.wrap(ne));
        if (isDir && fromDir.id() != toDir.id() && e.cluster() != 0) {
            long parent = toDir.id() == 0 ? 0 : dirCluster(toDir);
            byte[] dd = dev.readBytes(clusterOffset(e.cluster()) + 32, 32);
            setCluster(dd, parent);
            w.write(clusterOffset(e.cluster()) + 32, ByteBuffer.wrap(dd));
        }
        writeFat();
    }

    @Override
    public void setAttributes(Node node, Integer mode, Integer uid, Integer gid, Long mtime) throws IOException {
        WritableByteSource w = writeDevice();
        if (node.id() == 0 || mtime == null) {
            return; // FAT keeps no mode/owner; the root has no entry
        }
        byte[] e = entryAt(node.id());
        int[] dt = toDos(mtime);
        put16(e, 22, dt[1]);
        put16(e, 24, dt[0]);
        w.write(node.id(), ByteBuffer.wrap(e));
    }

    @Override
    public void flush() throws IOException {
        if (writable) {
            writeFat();
            ((WritableByteSource) dev).flush();
        }
    }

    @Override
    public void close() throws IOException {
        flush();
    }

    // ---- little-endian helpers ----------------------------------------------------------------------------------

    static int le16(byte[] b, int o) {
        return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8;
    }

    static long le32(byte[] b, int o) {
        return (b[o] & 0xffL) | (b[o + 1] & 0xffL) << 8 | (b[o + 2] & 0xffL) << 16 | (b[o + 3] & 0xffL) << 24;
    }

    static void put16(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
    }

    static void put32(byte[] b, int o, long v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
        b[o + 2] = (byte) (v >>> 16);
        b[o + 3] = (byte) (v >>> 24);
    }
}
