package dev.linuximage.core.fs.fat;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.LittleEndian;
import dev.linuximage.core.io.WritableByteSource;
import dev.linuximage.core.report.BadInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * FAT12/16/32 with VFAT long names, read and write, without mounting (Microsoft "FAT: General Overview of On-Disk
 * Format" 1.03; all on-disk integers little-endian).
 *
 * <p>Node ids are the byte offset (within the volume) of a file's 32-byte short directory entry; the root is id 0.
 * Ids are valid until the entry is renamed or removed. FAT has no owners or permission bits (they come from the
 * mount options): nodes report {@code 0755}/{@code 0644} root-owned, and {@link #setAttributes} only honours
 * {@code mtime}. Every FAT copy is written on each change, and the FAT32 FSInfo free count is kept exact.
 *
 * <p>Structure: this class is the facade (boot sector, nodes, file data, the order of writes); {@link FatTable} holds
 * the allocation table, chains and FSInfo; {@link FatDirectory} the directory entries, long names and short names.
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
    private final int clusterBytes;
    private final int fatType;
    private final String uuid;
    private String label;
    private final FatTable table;
    private final FatDirectory dirs;

    private FatFileSystem(ByteSource dev, boolean writable, byte[] bs) throws IOException {
        this.dev = dev;
        this.writable = writable;
        Bpb b = Bpb.parse(bs, dev.size());
        int bps = b.bytesPerSector();
        this.clusterBytes = b.bytesPerSector() * b.sectorsPerCluster();
        long rootDirOffset = (b.reservedSectors() + (long) b.numFats() * b.fatSectors()) * bps;
        long dataOffset = rootDirOffset + (((long) b.rootEntries() * 32 + bps - 1) / bps) * bps;
        long clusterCount = b.clusterCount();
        this.fatType = b.fatType();
        long rootCluster = b.rootCluster();
        this.uuid = String.format(Locale.ROOT, "%04X-%04X", (b.volumeId() >>> 16) & 0xffff, b.volumeId() & 0xffff);
        this.label = b.label();
        this.table = new FatTable(dev, b, dataOffset);
        this.dirs = new FatDirectory(dev, writable, table, b, rootDirOffset, dataOffset);
        if (fatType == 32 && (rootCluster < 2 || rootCluster > clusterCount + 1)) {
            throw new FatCorruptException(
                    "vfat: BPB root cluster " + rootCluster + " outside 2.." + (clusterCount + 1));
        }
        String volumeLabel = dirs.volumeLabel();
        if (volumeLabel != null) {
            label = volumeLabel;
        }
        table.readFsInfoHint();
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
        return table.countFree() * clusterBytes;
    }

    @Override
    public boolean writable() {
        return writable;
    }

    // ---- nodes --------------------------------------------------------------------------------------------------

    private Node rootNode() {
        return new Node(0, GuestFiles.Type.DIRECTORY, 0, 0755, 0, 0, 0, 1);
    }

    private Node nodeOf(FatDirectory.RawEntry e) {
        boolean dir = (e.attr() & ATTR_DIR) != 0;
        return new Node(
                e.shortOffset(),
                dir ? GuestFiles.Type.DIRECTORY : GuestFiles.Type.FILE,
                dir ? 0 : e.size(),
                dir ? 0755 : 0644,
                0,
                0,
                e.mtime(),
                1);
    }

    @Override
    public Node root() {
        return rootNode();
    }

    @Override
    public Optional<Node> lookup(Node dir, String name) throws IOException {
        return dirs.find(dirs.dirData(dir), name).map(this::nodeOf);
    }

    @Override
    public List<Entry> list(Node dir) throws IOException {
        List<Entry> out = new ArrayList<>();
        for (FatDirectory.RawEntry e : dirs.entries(dirs.dirData(dir))) {
            out.add(new Entry(
                    e.name(),
                    e.shortOffset(),
                    (e.attr() & ATTR_DIR) != 0 ? GuestFiles.Type.DIRECTORY : GuestFiles.Type.FILE));
        }
        return out;
    }

    /** The node behind an entry from {@link #list}: its 32-byte short entry read by id, not a name search. */
    @Override
    public Optional<Node> node(Node dir, Entry entry) throws IOException {
        byte[] e = dirs.entryAt(entry.id());
        boolean isDir = (e[11] & ATTR_DIR) != 0;
        return Optional.of(new Node(
                entry.id(),
                isDir ? GuestFiles.Type.DIRECTORY : GuestFiles.Type.FILE,
                isDir ? 0 : LittleEndian.u32(e, 28),
                isDir ? 0755 : 0644,
                0,
                0,
                FatDirectory.dosTime(LittleEndian.u16(e, 24), LittleEndian.u16(e, 22)),
                1));
    }

    @Override
    public int read(Node file, long offset, ByteBuffer dst) throws IOException {
        byte[] e = dirs.entryAt(file.id());
        if ((e[11] & ATTR_DIR) != 0) {
            throw new IOException("vfat: node " + file.id() + " is a directory");
        }
        long size = LittleEndian.u32(e, 28);
        if (offset >= size) {
            return -1;
        }
        List<Long> ch = table.chain(dirs.cluster(e), "file at entry " + file.id());
        if ((long) ch.size() * clusterBytes < size) {
            throw new FatCorruptException("vfat: file at entry " + file.id() + ": size " + size
                    + " exceeds its chain of " + ch.size() + " clusters");
        }
        int total = 0;
        while (dst.hasRemaining() && offset < size) {
            int idx = (int) (offset / clusterBytes);
            int within = (int) (offset % clusterBytes);
            int n = (int) Math.min(Math.min(dst.remaining(), clusterBytes - within), size - offset);
            ByteBuffer view = dst.slice().limit(n);
            dev.readFully(table.clusterOffset(ch.get(idx)) + within, view);
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
        return dirs.writeDevice();
    }

    /** Writes {@code content} into newly allocated clusters; returns the first cluster (0 for empty content). */
    private List<Long> writeData(byte[] content) throws IOException {
        WritableByteSource w = writeDevice();
        long n = (content.length + (long) clusterBytes - 1) / clusterBytes;
        List<Long> ch = table.allocate(n);
        for (int i = 0; i < ch.size(); i++) {
            byte[] buf = new byte[clusterBytes];
            System.arraycopy(
                    content, i * clusterBytes, buf, 0, Math.min(clusterBytes, content.length - i * clusterBytes));
            w.write(table.clusterOffset(ch.get(i)), ByteBuffer.wrap(buf));
        }
        return ch;
    }

    @Override
    public void replaceContent(Node file, byte[] content) throws IOException {
        WritableByteSource w = writeDevice();
        byte[] e = dirs.entryAt(file.id());
        if ((e[11] & ATTR_DIR) != 0) {
            throw new IOException("vfat: cannot replace the content of a directory");
        }
        if (Integer.toUnsignedLong(content.length) > 0xffffffffL) {
            throw BadInputException.unsupported("vfat: file too large");
        }
        List<Long> old = table.chain(dirs.cluster(e), "file at entry " + file.id());
        // New data first, then the entry, then free the old chain: a crash leaves either version intact.
        List<Long> ch = writeData(content);
        table.writeFat();
        long first = ch.isEmpty() ? 0 : ch.get(0);
        dirs.setCluster(e, first);
        LittleEndian.put32(e, 28, content.length);
        FatDirectory.stamp(e, System.currentTimeMillis() / 1000);
        w.write(file.id(), ByteBuffer.wrap(e));
        table.freeChain(old);
        table.writeFat();
    }

    @Override
    public Node createFile(Node dir, String name, int mode, int uid, int gid, byte[] content) throws IOException {
        writeDevice();
        List<Long> ch = writeData(content);
        table.writeFat();
        long off = dirs.addEntry(
                dir,
                name,
                ATTR_ARCHIVE,
                ch.isEmpty() ? 0 : ch.get(0),
                content.length,
                System.currentTimeMillis() / 1000);
        byte[] e = dirs.entryAt(off);
        return new Node(
                off,
                GuestFiles.Type.FILE,
                content.length,
                0644,
                0,
                0,
                FatDirectory.dosTime(LittleEndian.u16(e, 24), LittleEndian.u16(e, 22)),
                1);
    }

    @Override
    public Node mkdir(Node dir, String name, int mode, int uid, int gid) throws IOException {
        WritableByteSource w = writeDevice();
        long parentCluster = dirs.dirCluster(dir);
        long now = System.currentTimeMillis() / 1000;
        List<Long> ch = table.allocate(1);
        long c = ch.get(0);
        byte[] buf = new byte[clusterBytes];
        byte[] dot = dirs.dirEntry(FatNames.pad(".", ""), ATTR_DIR, c, 0, now);
        // §6.7: ".." of a directory whose parent is the root holds cluster 0, also on FAT32.
        byte[] dotdot = dirs.dirEntry(FatNames.pad("..", ""), ATTR_DIR, dir.id() == 0 ? 0 : parentCluster, 0, now);
        System.arraycopy(dot, 0, buf, 0, 32);
        System.arraycopy(dotdot, 0, buf, 32, 32);
        w.write(table.clusterOffset(c), ByteBuffer.wrap(buf));
        table.writeFat();
        long off = dirs.addEntry(dir, name, ATTR_DIR, c, 0, now);
        return nodeOf(new FatDirectory.RawEntry(
                name,
                "",
                off,
                0,
                0,
                ATTR_DIR,
                c,
                0,
                FatDirectory.dosTime(FatDirectory.toDos(now)[0], FatDirectory.toDos(now)[1])));
    }

    @Override
    public Node symlink(Node dir, String name, String target, int uid, int gid) throws IOException {
        throw new UnsupportedFsFeatureException("vfat", "symlinks (FAT has none)");
    }

    @Override
    public void unlink(Node dir, String name) throws IOException {
        writeDevice();
        FatDirectory.DirData d = dirs.dirData(dir);
        FatDirectory.RawEntry e =
                dirs.find(d, name).orElseThrow(() -> new java.nio.file.NoSuchFileException("vfat: " + name));
        if ((e.attr() & ATTR_DIR) != 0) {
            if (!dirs.entries(dirs.readDir(e.cluster(), false)).isEmpty()) {
                throw new java.nio.file.DirectoryNotEmptyException("vfat: " + name);
            }
        }
        List<Long> ch = table.chain(e.cluster(), name);
        dirs.removeSlots(d, e);
        table.freeChain(ch);
        table.writeFat();
    }

    @Override
    public void rename(Node fromDir, String fromName, Node toDir, String toName) throws IOException {
        WritableByteSource w = writeDevice();
        FatDirectory.DirData from = dirs.dirData(fromDir);
        FatDirectory.RawEntry e =
                dirs.find(from, fromName).orElseThrow(() -> new java.nio.file.NoSuchFileException("vfat: " + fromName));
        boolean isDir = (e.attr() & ATTR_DIR) != 0;
        Optional<FatDirectory.RawEntry> target = dirs.find(dirs.dirData(toDir), toName);
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
        dirs.removeSlots(from, e);
        long off = dirs.addEntry(toDir, toName, old[11] & 0xff, e.cluster(), LittleEndian.u32(old, 28), e.mtime());
        // Keep the original creation time and flags.
        byte[] ne = dev.readBytes(off, 32);
        System.arraycopy(old, 12, ne, 12, 20 - 12);
        System.arraycopy(old, 22, ne, 22, 4);
        w.write(off, ByteBuffer.wrap(ne));
        if (isDir && fromDir.id() != toDir.id() && e.cluster() != 0) {
            long parent = toDir.id() == 0 ? 0 : dirs.dirCluster(toDir);
            byte[] dd = dev.readBytes(table.clusterOffset(e.cluster()) + 32, 32);
            dirs.setCluster(dd, parent);
            w.write(table.clusterOffset(e.cluster()) + 32, ByteBuffer.wrap(dd));
        }
        table.writeFat();
    }

    @Override
    public void setAttributes(Node node, Integer mode, Integer uid, Integer gid, Long mtime) throws IOException {
        WritableByteSource w = writeDevice();
        if (node.id() == 0 || mtime == null) {
            return; // FAT keeps no mode/owner; the root has no entry
        }
        byte[] e = dirs.entryAt(node.id());
        int[] dt = FatDirectory.toDos(mtime);
        LittleEndian.put16(e, 22, dt[1]);
        LittleEndian.put16(e, 24, dt[0]);
        w.write(node.id(), ByteBuffer.wrap(e));
    }

    @Override
    public void flush() throws IOException {
        if (writable) {
            table.writeFat();
            ((WritableByteSource) dev).flush();
        }
    }

    @Override
    public void close() throws IOException {
        flush();
    }
}
