package dev.linuximage.core.guestfs;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.FileSystems;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.GuestPathException;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.report.BadInputException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link GuestFiles} over a disk, the facade of the storage engine: partitions and logical volumes are probed, the
 * root file system is the one holding {@code /etc/fstab} and a release file ({@link #RELEASE_FILES}), and the guest's
 * own fstab assembles the namespace ({@link GuestNamespace}).
 *
 * <p>Path resolution ({@link GuestPaths}) is done in the guest, component by component, never by the host:
 * {@code ..} stops at the guest root, absolute symlink targets restart at the guest root, more than
 * {@value #MAX_LINKS} symlinks in one resolution is a {@link GuestPathException}, and mount points are crossed by
 * their guest path. Operations go through a stack of {@link GuestLayer} layers: the volumes ({@link VolumeFiles}),
 * then in a dry run the overlay ({@link DryRunFiles}), then, when opened with a {@link ChangeLog}, the recording of
 * each file operation ({@link RecordingFiles}).
 */
public final class GuestDisk implements GuestFiles {
    public static final int MAX_LINKS = GuestPaths.MAX_LINKS;

    /**
     * Files that identify a Linux root file system: os-release(5), and the release files of distributions older than
     * it (RHEL/CentOS 6 have only {@code /etc/redhat-release}, SLES 11 {@code /etc/SuSE-release}).
     */
    static final List<String> RELEASE_FILES = List.of(
            "/etc/os-release",
            "/usr/lib/os-release",
            "/etc/redhat-release",
            "/etc/system-release",
            "/etc/SuSE-release",
            "/etc/lsb-release",
            "/etc/alpine-release",
            "/etc/arch-release",
            "/etc/debian_version");

    private final GuestNamespace ns;
    private final ChangeLog changeLog;
    private final GuestLayer files;

    private GuestDisk(GuestNamespace ns, GuestOptions options, ChangeLog log) {
        this.ns = ns;
        this.changeLog = log;
        GuestLayer t = new VolumeFiles(ns, options.writable() && !options.dryRun(), options.readCapBytes());
        if (options.dryRun()) {
            t = new DryRunFiles(t, ns, options.writable());
        }
        this.files = log != null ? new RecordingFiles(t, log, !options.dryRun(), options.readCapBytes()) : t;
    }

    private static GuestDisk create(DiskScan scan, GuestOptions options, ChangeLog log, String rootVolume) {
        return new GuestDisk(
                new GuestNamespace(scan, options.writable() && !options.dryRun(), rootVolume), options, log);
    }

    /** Opens the guest on {@code disk}: finds the root file system and mounts what the guest's fstab names. */
    public static GuestDisk open(ByteSource disk, GuestOptions options) throws IOException {
        return open(disk, options, null);
    }

    /**
     * As {@link #open(ByteSource, GuestOptions)}, recording each file operation in {@code log} (none when null).
     */
    public static GuestDisk open(ByteSource disk, GuestOptions options, ChangeLog log) throws IOException {
        DiskScan scan = DiskScan.scan(disk);
        List<String> problems = new ArrayList<>();
        IOException corrupt = null;
        for (Volume v : scan.volumes()) {
            if (v.source() == null || !GuestNamespace.isFs(v)) {
                continue;
            }
            FileSystem fs;
            try {
                fs = FileSystems.probe(v.source(), false).orElse(null);
            } catch (IOException e) {
                problems.add(v.name() + ": " + e.getMessage());
                if (corrupt == null
                        && BadInputException.in(e) != null
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
                root = isRoot(GuestPaths.over(fs));
            } finally {
                fs.close();
            }
            if (root) {
                GuestDisk g = create(scan, options, log, v.name());
                problems.forEach(g.ns::warn);
                g.ns.mountRoot(v);
                g.mountFstab();
                return g;
            }
        }
        throw new GuestPathException(
                "/",
                "no file system on this disk holds /etc/fstab and a release file "
                        + "(volumes: " + GuestNamespace.describe(scan)
                        + (problems.isEmpty() ? "" : "; problems: " + problems)
                        + ")",
                corrupt);
    }

    /** True when {@code /etc/fstab} and one of {@link #RELEASE_FILES} exist (not followed) under this root. */
    private static boolean isRoot(GuestPaths probe) throws IOException {
        if (!exists(probe, "/etc/fstab")) {
            return false;
        }
        for (String f : RELEASE_FILES) {
            if (exists(probe, f)) {
                return true;
            }
        }
        return false;
    }

    private static boolean exists(GuestPaths probe, String path) throws IOException {
        return probe.resolve(path, false).flatMap(GuestPaths.Loc::node).isPresent();
    }

    /** Opens one volume as the guest root without reading any fstab ({@code --partition N}, {@code --fs DEV}). */
    public static GuestDisk openVolume(ByteSource disk, String device, GuestOptions options) throws IOException {
        return openVolume(disk, device, options, null);
    }

    /** As {@link #openVolume(ByteSource, String, GuestOptions)}, recording each file operation in {@code log}. */
    public static GuestDisk openVolume(ByteSource disk, String device, GuestOptions options, ChangeLog log)
            throws IOException {
        DiskScan scan = DiskScan.scan(disk);
        GuestDisk g = create(scan, options, log, device);
        Volume v = g.findVolume(device)
                .orElseThrow(() -> new GuestPathException(
                        device, "no such volume (volumes: " + GuestNamespace.describe(scan) + ")"));
        if (!GuestNamespace.isFs(v)) {
            throw new GuestPathException(
                    device, "volume " + v.name() + " holds " + v.content() + ", not a supported file system");
        }
        g.ns.mountRoot(v);
        return g;
    }

    private void mountFstab() throws IOException {
        Optional<FileInfo> f = stat("/etc/fstab");
        if (f.isEmpty() || f.get().type() != Type.FILE) {
            return;
        }
        ns.mountFstab(Fstab.parse(new String(read("/etc/fstab"), StandardCharsets.UTF_8)));
    }

    /** Finds a volume by an fstab spec or a device name: UUID=, LABEL=, PARTUUID=, PARTLABEL=, /dev/... */
    public Optional<Volume> findVolume(String spec) throws IOException {
        return ns.findVolume(spec);
    }

    // ---- accessors for inspect/reporting ------------------------------------------------------------------------

    public DiskScan scan() {
        return ns.scan();
    }

    public String rootVolume() {
        return ns.rootVolume();
    }

    public List<MountEntry> mountEntries() {
        return ns.mountEntries();
    }

    /** Guest mount point → volume name for everything mounted (root included). */
    public Map<String, String> mountedVolumes() {
        return ns.mountedVolumes();
    }

    public List<String> warnings() {
        return ns.warnings();
    }

    /** The log this guest records its file operations in, or null when opened without one. */
    public ChangeLog changeLog() {
        return changeLog;
    }

    /** The opened file system of a volume (read-only unless the guest is writable). */
    public FileSystem fileSystem(Volume v) throws IOException {
        return ns.fsOf(v);
    }

    // ---- GuestFiles, through the layers -------------------------------------------------------------------------

    @Override
    public Optional<FileInfo> stat(String path) throws IOException {
        return files.stat(path);
    }

    @Override
    public Optional<FileInfo> lstat(String path) throws IOException {
        return files.lstat(path);
    }

    @Override
    public byte[] read(String path) throws IOException {
        return files.read(path);
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
    public long copyTo(String path, OutputStream out) throws IOException {
        return files.copyTo(path, out);
    }

    @Override
    public List<DirEntry> list(String path) throws IOException {
        return files.list(path);
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
        files.list(path, details, visitor);
    }

    @Override
    public String readLink(String path) throws IOException {
        return files.readLink(path);
    }

    @Override
    public boolean readOnly() {
        return files.readOnly();
    }

    @Override
    public void write(String path, byte[] content) throws IOException {
        files.write(path, content);
    }

    @Override
    public void write(String path, byte[] content, int mode, int uid, int gid) throws IOException {
        files.write(path, content, mode, uid, gid);
    }

    @Override
    public void mkdirs(String path, int mode) throws IOException {
        files.mkdirs(path, mode);
    }

    @Override
    public void symlink(String path, String target) throws IOException {
        files.symlink(path, target);
    }

    @Override
    public boolean delete(String path) throws IOException {
        return files.delete(path);
    }

    @Override
    public void chmod(String path, int mode) throws IOException {
        files.chmod(path, mode);
    }

    @Override
    public void close() throws IOException {
        ns.close();
    }
}
