package dev.linuximage.core.guestfs;

import dev.linuximage.core.report.BadInputException;
import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.FileSystems;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.GuestPathException;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.Sha256;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@link GuestFiles} over a disk: partitions and logical volumes are probed, the root file system is the one holding
 * {@code /etc/fstab} and a release file ({@link #RELEASE_FILES}), and the guest's own fstab assembles the namespace.
 *
 * <p>Path resolution is done here, component by component, never by the host: {@code ..} stops at the guest root,
 * absolute symlink targets restart at the guest root, more than {@value #MAX_LINKS} symlinks in one resolution is a
 * {@link GuestPathException}, and mount points are crossed by their guest path. Nothing outside the disk can be
 * reached because every lookup goes through a {@link FileSystem} on the disk's bytes.
 */
public final class GuestDisk implements GuestFiles {
    public static final int MAX_LINKS = 40;
    static final Set<String> IGNORED_TYPES = Set.of("swap", "nfs", "nfs4", "cifs", "smb3", "tmpfs", "proc", "sysfs",
            "devpts", "devtmpfs", "debugfs", "securityfs", "cgroup", "cgroup2", "hugetlbfs", "mqueue", "fuse",
            "sshfs", "glusterfs", "ceph", "9p", "virtiofs", "none", "ramfs", "overlay", "autofs", "binfmt_misc",
            "efivarfs", "pstore", "bpf", "tracefs", "configfs", "fusectl", "rpc_pipefs");

    private final DiskScan scan;
    private final GuestOptions options;
    private final ChangeLog changeLog;
    private final Map<String, FileSystem> openFs = new LinkedHashMap<>();
    private final Map<String, FileSystem> mounts = new HashMap<>();
    private final Map<String, String> mountVolumes = new LinkedHashMap<>();
    private final List<MountEntry> mountEntries = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final String rootVolume;
    /** Dry-run overlay: resolved guest path → content ({@code null} = deleted). */
    private final Map<String, byte[]> overlay = new HashMap<>();
    private final Map<String, String> readOnlyReasons = new HashMap<>();

    private GuestDisk(DiskScan scan, GuestOptions options, ChangeLog log, String rootVolume) {
        this.scan = scan;
        this.options = options;
        this.changeLog = log;
        this.rootVolume = rootVolume;
        this.warnings.addAll(scan.warnings());
    }

    /** Opens the guest on {@code disk}: finds the root file system and mounts what the guest's fstab names. */
    public static GuestDisk open(ByteSource disk, GuestOptions options, ChangeLog log) throws IOException {
        DiskScan scan = DiskScan.scan(disk);
        List<String> problems = new ArrayList<>();
        IOException corrupt = null;
        for (Volume v : scan.volumes()) {
            if (v.source() == null || !isFs(v)) {
                continue;
            }
            FileSystem fs;
            try {
                fs = FileSystems.probe(v.source(), false).orElse(null);
            } catch (IOException e) {
                problems.add(v.name() + ": " + e.getMessage());
                if (corrupt == null && BadInputException.in(e) != null
                        && BadInputException.in(e).reason() == BadInputException.Reason.CORRUPT_IMAGE) {
                    corrupt = e;
                }
                continue;
            }
            if (fs == null) {
                continue;
            }
            boolean root;
            try {
                GuestDisk probe = new GuestDisk(scan, GuestOptions.readOnly(), new ChangeLog(), v.name());
                probe.mounts.put("/", fs);
                root = probe.lstat("/etc/fstab").isPresent() && hasReleaseFile(probe);
            } finally {
                fs.close();
            }
            if (root) {
                GuestDisk g = new GuestDisk(scan, options, log, v.name());
                g.warnings.addAll(problems);
                g.mountRoot(v);
                g.mountFstab();
                return g;
            }
        }
        throw new GuestPathException("/", "no file system on this disk holds /etc/fstab and a release file "
                + "(volumes: " + describe(scan) + (problems.isEmpty() ? "" : "; problems: " + problems) + ")", corrupt);
    }

    /**
     * Files that identify a Linux root file system: os-release(5), and the release files of distributions older than
     * it (RHEL/CentOS 6 have only {@code /etc/redhat-release}, SLES 11 {@code /etc/SuSE-release}).
     */
    static final List<String> RELEASE_FILES = List.of("/etc/os-release", "/usr/lib/os-release", "/etc/redhat-release",
            "/etc/system-release", "/etc/SuSE-release", "/etc/lsb-release", "/etc/alpine-release", "/etc/arch-release",
            "/etc/debian_version");

    private static boolean hasReleaseFile(GuestDisk probe) throws IOException {
        for (String f : RELEASE_FILES) {
            if (probe.lstat(f).isPresent()) {
                return true;
            }
        }
        return false;
    }

    /** Opens one volume as the guest root without reading any fstab ({@code --partition N}, {@code --fs DEV}). */
    public static GuestDisk openVolume(ByteSource disk, String device, GuestOptions options, ChangeLog log)
            throws IOException {
        DiskScan scan = DiskScan.scan(disk);
        GuestDisk g = new GuestDisk(scan, options, log, device);
        Volume v = g.findVolume(device).orElseThrow(() -> new GuestPathException(device,
                "no such volume (volumes: " + describe(scan) + ")"));
        if (!isFs(v)) {
            throw new GuestPathException(device, "volume " + v.name() + " holds " + v.content()
                    + ", not a supported file system");
        }
        g.mountRoot(v);
        return g;
    }

    static String describe(DiskScan scan) {
        StringBuilder b = new StringBuilder();
        for (Volume v : scan.volumes()) {
            b.append(b.length() == 0 ? "" : ", ").append(v.name()).append('=').append(v.content());
        }
        return b.toString();
    }

    private static boolean isFs(Volume v) {
        return FileSystems.PROBES.stream().anyMatch(p -> p.type().equals(v.content()));
    }

    private FileSystem fsOf(Volume v) throws IOException {
        FileSystem fs = openFs.get(v.name());
        if (fs == null) {
            boolean writable = options.writable() && !options.dryRun();
            try {
                fs = FileSystems.probe(v.source(), writable).orElse(null);
            } catch (UnsupportedFsFeatureException e) {
                if (!writable) {
                    throw e;
                }
                // e.g. an XFS log that needs recovery: still readable; writes name this reason.
                fs = FileSystems.probe(v.source(), false).orElse(null);
                readOnlyReasons.put(v.name(), e.getMessage());
                warnings.add(v.name() + " opened read-only: " + e.getMessage());
            }
            if (fs == null) {
                throw new IOException(v.name() + ": file system no longer recognised");
            }
            openFs.put(v.name(), fs);
        }
        return fs;
    }

    /** Throws the reason a file system could not be opened for writing, if it could not. */
    private void checkFsWritable(FileSystem fs) throws IOException {
        if (options.dryRun() || fs.writable()) {
            return;
        }
        for (Map.Entry<String, FileSystem> e : openFs.entrySet()) {
            if (e.getValue() == fs && readOnlyReasons.containsKey(e.getKey())) {
                throw new UnsupportedFsFeatureException(fs.type(), "writing to " + e.getKey() + " ("
                        + readOnlyReasons.get(e.getKey()) + ")");
            }
        }
    }

    private void mountRoot(Volume v) throws IOException {
        mounts.put("/", fsOf(v));
        mountVolumes.put("/", v.name());
    }

    private void mountFstab() throws IOException {
        Optional<FileInfo> f = stat("/etc/fstab");
        if (f.isEmpty() || f.get().type() != Type.FILE) {
            return;
        }
        for (Fstab.Line l : Fstab.parse(new String(read("/etc/fstab"), StandardCharsets.UTF_8))) {
            String mp = normalize(l.file());
            String type = l.type().toLowerCase(Locale.ROOT);
            List<String> opts = List.of(l.options().split(","));
            if (IGNORED_TYPES.contains(type) || opts.contains("bind") || l.file().equals("none")
                    || !l.file().startsWith("/")) {
                mountEntries.add(new MountEntry(l.spec(), l.file(), l.type(), l.options(), "", "ignored: "
                        + (opts.contains("bind") ? "bind mount" : type + " is not on this disk")));
                continue;
            }
            Optional<Volume> v = findVolume(l.spec());
            if (v.isEmpty()) {
                mountEntries.add(new MountEntry(l.spec(), l.file(), l.type(), l.options(), "",
                        "unresolved: no volume matches " + l.spec()));
                if (!opts.contains("nofail") && !opts.contains("noauto")) {
                    warnings.add("fstab: " + l.spec() + " for " + l.file() + " matches no volume on this disk");
                }
                continue;
            }
            if (!isFs(v.get())) {
                mountEntries.add(new MountEntry(l.spec(), l.file(), l.type(), l.options(), v.get().name(),
                        "unresolved: " + v.get().name() + " holds " + v.get().content()));
                continue;
            }
            if (mp.equals("/")) {
                if (!v.get().name().equals(rootVolume)) {
                    warnings.add("fstab names " + v.get().name() + " as / but the root was found on " + rootVolume);
                }
                mountEntries.add(new MountEntry(l.spec(), l.file(), l.type(), l.options(), rootVolume, "mounted"));
                continue;
            }
            mounts.put(mp, fsOf(v.get()));
            mountVolumes.put(mp, v.get().name());
            mountEntries.add(new MountEntry(l.spec(), l.file(), l.type(), l.options(), v.get().name(), "mounted"));
        }
    }

    /** Finds a volume by an fstab spec or a device name: UUID=, LABEL=, PARTUUID=, PARTLABEL=, /dev/... */
    public Optional<Volume> findVolume(String spec) throws IOException {
        String s = spec.strip();
        if (s.length() > 1 && s.startsWith("\"") && s.endsWith("\"")) {
            s = s.substring(1, s.length() - 1);
        }
        for (String[] p : new String[][] {{"/dev/disk/by-uuid/", "UUID="}, {"/dev/disk/by-label/", "LABEL="},
                {"/dev/disk/by-partuuid/", "PARTUUID="}, {"/dev/disk/by-partlabel/", "PARTLABEL="}}) {
            if (s.startsWith(p[0])) {
                s = p[1] + s.substring(p[0].length());
            }
        }
        for (Volume v : scan.volumes()) {
            if (matches(v, s)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    private boolean matches(Volume v, String s) throws IOException {
        String upper = s.toUpperCase(Locale.ROOT);
        if (upper.startsWith("UUID=") || upper.startsWith("LABEL=")) {
            if (!isFs(v) || v.source() == null) {
                return false;
            }
            FileSystem fs = fsOf(v);
            String val = s.substring(s.indexOf('=') + 1);
            return upper.startsWith("UUID=") ? fs.uuid().equalsIgnoreCase(val) : fs.label().equals(val);
        }
        if (upper.startsWith("PARTUUID=")) {
            return v.partition() != null && v.partition().partUuid().equalsIgnoreCase(s.substring(9));
        }
        if (upper.startsWith("PARTLABEL=")) {
            return v.partition() != null && v.partition().name().equals(s.substring(10));
        }
        if (v.name().equals(s)) {
            return true;
        }
        if (v.lv() != null) {
            return s.equals(v.lv().devPath()) || s.equals(v.lv().mapperPath());
        }
        if (v.partition() != null) {
            // /dev/sda2, /dev/vda2, /dev/xvda2, /dev/hda2, /dev/nvme0n1p2, /dev/mmcblk0p2: the number picks the part.
            java.util.regex.Matcher m = java.util.regex.Pattern
                    .compile("/dev/(?:[shv]d[a-z]|xvd[a-z]|nvme\\d+n\\d+p|mmcblk\\d+p)(\\d+)").matcher(s);
            if (m.matches()) {
                return Integer.parseInt(m.group(1)) == v.partition().number();
            }
            if (s.matches("\\d+")) {
                return Integer.parseInt(s) == v.partition().number();
            }
        } else if (s.matches("/dev/(?:[shv]d[a-z]|xvd[a-z]|nvme\\d+n\\d+)")) {
            return v.name().equals("disk");
        }
        return false;
    }

    // ---- accessors for inspect/reporting ------------------------------------------------------------------------

    public DiskScan scan() {
        return scan;
    }

    public String rootVolume() {
        return rootVolume;
    }

    public List<MountEntry> mountEntries() {
        return List.copyOf(mountEntries);
    }

    /** Guest mount point → volume name for everything mounted (root included). */
    public Map<String, String> mountedVolumes() {
        return Map.copyOf(mountVolumes);
    }

    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    public ChangeLog changeLog() {
        return changeLog;
    }

    /** The opened file system of a volume (read-only unless the guest is writable). */
    public FileSystem fileSystem(Volume v) throws IOException {
        return fsOf(v);
    }

    // ---- resolution ---------------------------------------------------------------------------------------------

    /** A resolved location: {@code node} is empty when the last component does not exist (parent does). */
    record Loc(FileSystem fs, Optional<FileSystem.Node> node, FileSystem parentFs, FileSystem.Node parent,
               String name, String path) {
    }

    private record Dir(FileSystem fs, FileSystem.Node node, String path) {
    }

    static String normalize(String p) {
        Deque<String> parts = new ArrayDeque<>();
        for (String c : p.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                parts.pollLast();
            } else {
                parts.addLast(c);
            }
        }
        return "/" + String.join("/", parts);
    }

    private static String child(String dir, String name) {
        return dir.equals("/") ? "/" + name : dir + "/" + name;
    }

    /**
     * Resolves {@code path} in the guest. Returns empty when an intermediate component is missing; when only the
     * last is missing, returns a location without node (so callers can create it).
     */
    Optional<Loc> resolve(String path, boolean followLast) throws IOException {
        if (!path.startsWith("/")) {
            throw new GuestPathException(path, "not an absolute guest path");
        }
        if (path.length() > 4096) {
            throw new GuestPathException(path.substring(0, 64) + "...", "longer than PATH_MAX");
        }
        Deque<String> todo = new ArrayDeque<>(List.of(path.split("/")));
        Deque<Dir> stack = new ArrayDeque<>();
        FileSystem rootFs = mounts.get("/");
        stack.push(new Dir(rootFs, rootFs.root(), "/"));
        int links = 0;
        while (true) {
            String c = todo.pollFirst();
            if (c == null) {
                Dir d = stack.peek();
                return Optional.of(new Loc(d.fs(), Optional.of(d.node()), d.fs(), d.node(), "", d.path()));
            }
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (stack.size() > 1) {
                    stack.pop(); // ".." never climbs above the guest root
                }
                continue;
            }
            Dir dir = stack.peek();
            if (dir.node().type() != Type.DIRECTORY) {
                throw new GuestPathException(path, dir.path() + " is not a directory");
            }
            boolean last = todo.stream().allMatch(s -> s.isEmpty() || s.equals("."));
            String childPath = child(dir.path(), c);
            Optional<FileSystem.Node> n;
            if (overlay.containsKey(childPath)) {
                n = Optional.empty(); // dry-run: deleted or created-but-not-written
            } else {
                n = dir.fs().lookup(dir.node(), c);
            }
            FileSystem fs = dir.fs();
            FileSystem mounted = mounts.get(childPath);
            if (mounted != null && n.isPresent()) {
                fs = mounted;
                n = Optional.of(mounted.root());
            }
            if (n.isEmpty()) {
                if (last) {
                    return Optional.of(new Loc(dir.fs(), Optional.empty(), dir.fs(), dir.node(), c, childPath));
                }
                return Optional.empty();
            }
            FileSystem.Node node = n.get();
            if (node.type() == Type.SYMLINK && (!last || followLast)) {
                if (++links > MAX_LINKS) {
                    throw new GuestPathException(path, "more than " + MAX_LINKS
                            + " symbolic links (a loop or an over-long chain)");
                }
                String target = fs.readLink(node);
                if (target.isEmpty()) {
                    throw new GuestPathException(path, "empty symlink at " + childPath);
                }
                List<String> parts = List.of(target.split("/"));
                for (int k = parts.size() - 1; k >= 0; k--) {
                    todo.addFirst(parts.get(k));
                }
                if (target.startsWith("/")) {
                    // Absolute targets are re-anchored at the guest root, never the host's.
                    while (stack.size() > 1) {
                        stack.pop();
                    }
                }
                continue;
            }
            if (last) {
                return Optional.of(new Loc(fs, Optional.of(node), dir.fs(), dir.node(), c, childPath));
            }
            stack.push(new Dir(fs, node, childPath));
        }
    }

    private Loc resolveExisting(String path, boolean follow) throws IOException {
        Optional<Loc> l = resolve(path, follow);
        if (l.isEmpty() || (l.get().node().isEmpty() && !overlay.containsKey(l.get().path()))
                || (overlay.containsKey(l.get().path()) && overlay.get(l.get().path()) == null)) {
            throw new java.nio.file.NoSuchFileException(path);
        }
        return l.get();
    }

    // ---- GuestFiles: reads --------------------------------------------------------------------------------------

    @Override
    public Optional<FileInfo> stat(String path) throws IOException {
        return info(path, true);
    }

    @Override
    public Optional<FileInfo> lstat(String path) throws IOException {
        return info(path, false);
    }

    private Optional<FileInfo> info(String path, boolean follow) throws IOException {
        Optional<Loc> l = resolve(path, follow);
        if (l.isEmpty()) {
            return Optional.empty();
        }
        Loc loc = l.get();
        if (overlay.containsKey(loc.path())) {
            byte[] c = overlay.get(loc.path());
            return c == null ? Optional.empty() : Optional.of(new FileInfo(path, Type.FILE, c.length, 0644, 0, 0,
                    System.currentTimeMillis() / 1000));
        }
        if (loc.node().isEmpty()) {
            return Optional.empty();
        }
        FileSystem.Node n = loc.node().get();
        return Optional.of(new FileInfo(path, n.type(), n.size(), n.mode(), n.uid(), n.gid(), n.mtime()));
    }

    @Override
    public byte[] read(String path) throws IOException {
        Loc loc = resolveExisting(path, true);
        if (overlay.containsKey(loc.path())) {
            return overlay.get(loc.path()).clone();
        }
        FileSystem.Node n = loc.node().get();
        if (n.type() != Type.FILE) {
            throw new GuestPathException(path, "not a regular file (" + n.type() + ")");
        }
        if (n.size() > options.readCapBytes()) {
            throw new GuestPathException(path, "file of " + n.size() + " bytes exceeds the read cap of "
                    + options.readCapBytes() + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate((int) n.size());
        while (b.hasRemaining()) {
            int r = loc.fs().read(n, b.position(), b);
            if (r <= 0) {
                throw new java.io.EOFException("guest path " + path + ": file ended at " + b.position() + " of "
                        + n.size() + " bytes");
            }
        }
        return b.array();
    }

    /**
     * Streams a file in 1 MiB chunks to {@code out} (for {@code guest cat}); bounded memory. The inode's size is not
     * trusted: a size beyond what the file system's format can represent ({@link FileSystem#maxFileBytes}) is refused
     * before anything is written, and at most the file system's own size ({@link FileSystem#totalBytes}) is streamed
     * — a file larger than its file system is sparse (or its size corrupt), so past that point only zeros of holes
     * (or a forged size) would follow; the stream then stops with {@link GuestPathException} naming both sizes.
     * Errors of {@code out} propagate at once (a closed pipe ends the copy).
     *
     * @return the bytes written
     */
    public long copyTo(String path, java.io.OutputStream out) throws IOException {
        Loc loc = resolveExisting(path, true);
        if (overlay.containsKey(loc.path())) {
            out.write(overlay.get(loc.path()));
            return overlay.get(loc.path()).length;
        }
        FileSystem.Node n = loc.node().get();
        if (n.type() != Type.FILE) {
            throw new GuestPathException(path, "not a regular file (" + n.type() + ")");
        }
        long max = loc.fs().maxFileBytes();
        if (n.size() < 0 || n.size() > max) {
            throw new GuestPathException(path, "inode size " + Long.toUnsignedString(n.size()) + " bytes exceeds the "
                    + loc.fs().type() + " maximum file size of " + max + " bytes for this geometry: corrupt size");
        }
        long cap = Math.max(0, loc.fs().totalBytes());
        long end = Math.min(n.size(), cap);
        ByteBuffer b = ByteBuffer.allocate(1 << 20);
        long off = 0;
        while (off < end) {
            b.clear();
            b.limit((int) Math.min(b.capacity(), end - off));
            int r = loc.fs().read(n, off, b);
            if (r <= 0) {
                throw new java.io.EOFException("guest path " + path + ": file ended at " + off);
            }
            out.write(b.array(), 0, r);
            off += r;
        }
        if (end < n.size()) {
            out.flush();
            throw new GuestPathException(path, "stopped after " + end + " bytes: the inode claims "
                    + n.size() + " bytes, more than its " + loc.fs().type() + " file system holds (" + cap
                    + " bytes); the rest can only be holes or a corrupt size");
        }
        return off;
    }

    @Override
    public List<DirEntry> list(String path) throws IOException {
        Loc loc = resolveExisting(path, true);
        FileSystem.Node n = loc.node().orElseThrow(() -> new java.nio.file.NoSuchFileException(path));
        if (n.type() != Type.DIRECTORY) {
            throw new GuestPathException(path, "not a directory");
        }
        List<DirEntry> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (FileSystem.Entry e : loc.fs().list(n)) {
            String p = child(loc.path(), e.name());
            if (overlay.containsKey(p) && overlay.get(p) == null) {
                continue;
            }
            seen.add(e.name());
            out.add(new DirEntry(e.name(), e.type()));
        }
        String prefix = child(loc.path(), "");
        for (Map.Entry<String, byte[]> o : overlay.entrySet()) {
            if (o.getValue() != null && o.getKey().startsWith(prefix)
                    && o.getKey().indexOf('/', prefix.length()) < 0 && seen.add(o.getKey().substring(prefix.length()))) {
                out.add(new DirEntry(o.getKey().substring(prefix.length()), Type.FILE));
            }
        }
        out.sort(Comparator.comparing(DirEntry::name));
        return out;
    }

    /** Receives one directory entry of {@link #list(String, boolean, EntryVisitor)}; returns false to stop. */
    @FunctionalInterface
    public interface EntryVisitor {
        /**
         * @param entry the entry (name, type)
         * @param info  its metadata, not followed (a symlink is a symlink), when details were asked for; else null
         */
        boolean visit(DirEntry entry, FileInfo info) throws IOException;
    }

    /**
     * Streams the entries of a directory (symlinks to it followed), without {@code .} and {@code ..}, in on-disk
     * order (not sorted: sorting needs the whole list), for {@code guest ls}. The directory is resolved once; with
     * {@code details} each entry's metadata is read by its id (one inode read) instead of resolving its path from the
     * root, and a mount point inside the directory reports the mounted file system's root, as {@link #lstat} does.
     * Memory is bounded by one directory block of the file system whatever the number of entries.
     */
    public void list(String path, boolean details, EntryVisitor visitor) throws IOException {
        Loc loc = resolveExisting(path, true);
        FileSystem.Node n = loc.node().orElseThrow(() -> new java.nio.file.NoSuchFileException(path));
        if (n.type() != Type.DIRECTORY) {
            throw new GuestPathException(path, "not a directory");
        }
        FileSystem fs = loc.fs();
        String dirPath = loc.path();
        boolean[] stopped = {false};
        fs.forEachEntry(n, e -> {
            String p = child(dirPath, e.name());
            if (overlay.containsKey(p)) {
                return true; // dry-run deletion or replacement: reported from the overlay below
            }
            FileInfo info = null;
            if (details) {
                FileSystem mounted = mounts.get(p);
                Optional<FileSystem.Node> c = mounted != null ? Optional.of(mounted.root()) : fs.node(n, e);
                if (c.isPresent()) {
                    FileSystem.Node cn = c.get();
                    info = new FileInfo(p, cn.type(), cn.size(), cn.mode(), cn.uid(), cn.gid(), cn.mtime());
                }
            }
            if (!visitor.visit(new DirEntry(e.name(), e.type()), info)) {
                stopped[0] = true;
                return false;
            }
            return true;
        });
        if (stopped[0]) {
            return;
        }
        String prefix = child(dirPath, "");
        for (Map.Entry<String, byte[]> o : overlay.entrySet()) {
            if (o.getValue() != null && o.getKey().startsWith(prefix) && o.getKey().indexOf('/', prefix.length()) < 0) {
                String name = o.getKey().substring(prefix.length());
                FileInfo info = details ? new FileInfo(o.getKey(), Type.FILE, o.getValue().length, 0644, 0, 0,
                        System.currentTimeMillis() / 1000) : null;
                if (!visitor.visit(new DirEntry(name, Type.FILE), info)) {
                    return;
                }
            }
        }
    }

    @Override
    public String readLink(String path) throws IOException {
        Loc loc = resolveExisting(path, false);
        FileSystem.Node n = loc.node().orElseThrow(() -> new java.nio.file.NoSuchFileException(path));
        if (n.type() != Type.SYMLINK) {
            throw new GuestPathException(path, "not a symbolic link");
        }
        return loc.fs().readLink(n);
    }

    // ---- GuestFiles: writes -------------------------------------------------------------------------------------

    @Override
    public boolean readOnly() {
        return !options.writable();
    }

    private void checkWritable(String path) throws ReadOnlyGuestException {
        if (!options.writable()) {
            throw new ReadOnlyGuestException(path);
        }
    }

    private void record(String path, Change.Action action, byte[] before, byte[] after, String diff) {
        changeLog.add(Change.ofFile(path, action, before == null ? "" : Sha256.hex(before),
                after == null ? "" : Sha256.hex(after), diff != null ? diff : LineDiff.hunks(before, after),
                !options.dryRun()));
    }

    @Override
    public void write(String path, byte[] content) throws IOException {
        write(path, content, null, null, null);
    }

    @Override
    public void write(String path, byte[] content, int mode, int uid, int gid) throws IOException {
        write(path, content, Integer.valueOf(mode), Integer.valueOf(uid), Integer.valueOf(gid));
    }

    private void write(String path, byte[] content, Integer mode, Integer uid, Integer gid) throws IOException {
        checkWritable(path);
        Loc loc = resolve(path, true).orElseThrow(() -> new GuestPathException(path, "parent directory missing"));
        boolean inOverlay = overlay.containsKey(loc.path());
        if (loc.node().isPresent() && !inOverlay) {
            FileSystem.Node n = loc.node().get();
            if (n.type() != Type.FILE) {
                throw new GuestPathException(path, "exists and is not a regular file (" + n.type() + ")");
            }
            byte[] before = n.size() <= options.readCapBytes() ? read(path) : null;
            if (options.dryRun()) {
                record(path, Change.Action.Modified, before, content, null);
                overlay.put(loc.path(), content.clone());
                return;
            }
            checkFsWritable(loc.fs());
            loc.fs().replaceContent(n, content);
            if (mode != null || uid != null || gid != null) {
                loc.fs().setAttributes(loc.fs().lookup(loc.parent(), loc.name()).orElse(n), mode, uid, gid, null);
            }
            loc.fs().flush();
            record(path, Change.Action.Modified, before, content, null); // only what really happened is recorded
            return;
        }
        if (loc.name().isEmpty()) {
            throw new GuestPathException(path, "is a directory");
        }
        byte[] before = inOverlay ? overlay.get(loc.path()) : null;
        if (options.dryRun()) {
            record(path, before != null ? Change.Action.Modified : Change.Action.Created, before, content, null);
            overlay.put(loc.path(), content.clone());
            return;
        }
        checkFsWritable(loc.parentFs());
        loc.parentFs().createFile(loc.parent(), loc.name(), mode != null ? mode : 0644, uid != null ? uid : 0,
                gid != null ? gid : 0, content);
        loc.parentFs().flush();
        record(path, Change.Action.Created, null, content, null);
    }

    @Override
    public void mkdirs(String path, int mode) throws IOException {
        checkWritable(path);
        String norm = normalize(path);
        String cur = "/";
        for (String c : norm.split("/")) {
            if (c.isEmpty()) {
                continue;
            }
            cur = child(cur, c);
            Optional<FileInfo> st = stat(cur);
            if (st.isPresent()) {
                if (st.get().type() != Type.DIRECTORY) {
                    throw new GuestPathException(path, cur + " exists and is not a directory");
                }
                continue;
            }
            String what = String.format(Locale.ROOT, "mode %04o", mode & 07777);
            if (options.dryRun()) {
                record(cur, Change.Action.DirCreated, null, null, what);
                continue; // later components cannot be resolved either; each is recorded
            }
            Loc loc = resolve(cur, true).orElseThrow(() -> new GuestPathException(path, "parent vanished"));
            checkFsWritable(loc.parentFs());
            loc.parentFs().mkdir(loc.parent(), loc.name(), mode & 07777, 0, 0);
            loc.parentFs().flush();
            record(cur, Change.Action.DirCreated, null, null, what);
        }
    }

    @Override
    public void symlink(String path, String target) throws IOException {
        checkWritable(path);
        Loc loc = resolve(path, false).orElseThrow(() -> new GuestPathException(path, "parent directory missing"));
        if (loc.node().isPresent() || loc.name().isEmpty()) {
            throw new java.nio.file.FileAlreadyExistsException(path);
        }
        if (!options.dryRun()) {
            checkFsWritable(loc.parentFs());
            loc.parentFs().symlink(loc.parent(), loc.name(), target, 0, 0);
            loc.parentFs().flush();
        }
        record(path, Change.Action.Symlinked, null, null, "-> " + target);
    }

    @Override
    public boolean delete(String path) throws IOException {
        checkWritable(path);
        Optional<Loc> l = resolve(path, false);
        if (l.isEmpty()) {
            return false;
        }
        Loc loc = l.get();
        boolean inOverlay = overlay.containsKey(loc.path());
        if (inOverlay && overlay.get(loc.path()) == null) {
            return false;
        }
        if (loc.node().isEmpty() && !inOverlay) {
            return false;
        }
        if (loc.name().isEmpty() || mounts.containsKey(loc.path())) {
            throw new GuestPathException(path, "is a mount point or the root");
        }
        byte[] before = null;
        if (loc.node().isPresent() && loc.node().get().type() == Type.FILE
                && loc.node().get().size() <= LineDiff.HUNKS_LIMIT) {
            before = read(path);
        }
        if (options.dryRun()) {
            record(path, Change.Action.Deleted, before, null, "");
            overlay.put(loc.path(), null);
            return true;
        }
        checkFsWritable(loc.parentFs());
        loc.parentFs().unlink(loc.parent(), loc.name());
        loc.parentFs().flush();
        record(path, Change.Action.Deleted, before, null, "");
        return true;
    }

    @Override
    public void chmod(String path, int mode) throws IOException {
        checkWritable(path);
        Loc loc = resolveExisting(path, true);
        FileSystem.Node n = loc.node().orElseThrow(() -> new java.nio.file.NoSuchFileException(path));
        if (!options.dryRun()) {
            checkFsWritable(loc.fs());
            loc.fs().setAttributes(n, mode & 07777, null, null, null);
            loc.fs().flush();
        }
        record(path, Change.Action.ModeChanged, null, null,
                String.format(Locale.ROOT, "mode %04o -> %04o", n.mode(), mode & 07777));
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (FileSystem fs : openFs.values()) {
            try {
                fs.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        openFs.clear();
        if (first != null) {
            throw first;
        }
    }
}
