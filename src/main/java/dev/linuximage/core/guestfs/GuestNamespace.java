package dev.linuximage.core.guestfs;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.FileSystems;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The guest's mount namespace: the volumes of a {@link DiskScan}, the file systems opened on them (once each), and
 * which file system serves which guest mount point, as the guest's own {@code /etc/fstab} (fstab(5)) assembles them.
 * Holds no path resolution ({@link GuestPaths}) and reads no file itself.
 */
final class GuestNamespace implements AutoCloseable {
    /** fstab types that never name a file system on this disk (swap, network, pseudo and virtual file systems). */
    static final Set<String> IGNORED_TYPES = Set.of(
            "swap",
            "nfs",
            "nfs4",
            "cifs",
            "smb3",
            "tmpfs",
            "proc",
            "sysfs",
            "devpts",
            "devtmpfs",
            "debugfs",
            "securityfs",
            "cgroup",
            "cgroup2",
            "hugetlbfs",
            "mqueue",
            "fuse",
            "sshfs",
            "glusterfs",
            "ceph",
            "9p",
            "virtiofs",
            "none",
            "ramfs",
            "overlay",
            "autofs",
            "binfmt_misc",
            "efivarfs",
            "pstore",
            "bpf",
            "tracefs",
            "configfs",
            "fusectl",
            "rpc_pipefs");
    /** /dev/sda2, /dev/vda2, /dev/xvda2, /dev/hda2, /dev/nvme0n1p2, /dev/mmcblk0p2: the number picks the part. */
    private static final Pattern PARTITION_DEVICE =
            Pattern.compile("/dev/(?:[shv]d[a-z]|xvd[a-z]|nvme\\d+n\\d+p|mmcblk\\d+p)(\\d+)");

    private static final Pattern WHOLE_DISK_DEVICE = Pattern.compile("/dev/(?:[shv]d[a-z]|xvd[a-z]|nvme\\d+n\\d+)");

    private final DiskScan scan;
    private final boolean writable;
    private final String rootVolume;
    private final Map<String, FileSystem> openFs = new LinkedHashMap<>();
    private final Map<String, String> readOnlyReasons = new HashMap<>();
    private final Map<String, FileSystem> mounts = new HashMap<>();
    private final Map<String, String> mountVolumes = new LinkedHashMap<>();
    private final List<MountEntry> mountEntries = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    /** @param writable open the file systems for writing (false for audits and dry runs) */
    GuestNamespace(DiskScan scan, boolean writable, String rootVolume) {
        this.scan = scan;
        this.writable = writable;
        this.rootVolume = rootVolume;
        this.warnings.addAll(scan.warnings());
    }

    static String describe(DiskScan scan) {
        StringBuilder b = new StringBuilder();
        for (Volume v : scan.volumes()) {
            b.append(b.length() == 0 ? "" : ", ").append(v.name()).append('=').append(v.content());
        }
        return b.toString();
    }

    static boolean isFs(Volume v) {
        return FileSystems.PROBES.stream().anyMatch(p -> p.type().equals(v.content()));
    }

    DiskScan scan() {
        return scan;
    }

    String rootVolume() {
        return rootVolume;
    }

    List<MountEntry> mountEntries() {
        return List.copyOf(mountEntries);
    }

    Map<String, String> mountedVolumes() {
        return Map.copyOf(mountVolumes);
    }

    List<String> warnings() {
        return List.copyOf(warnings);
    }

    void warn(String warning) {
        warnings.add(warning);
    }

    /** The file system mounted at the normalized guest path {@code mountPoint}, or null. */
    FileSystem mountedAt(String mountPoint) {
        return mounts.get(mountPoint);
    }

    /** Resolution over this namespace's mounts. */
    GuestPaths paths() {
        return new GuestPaths(mounts::get, p -> false);
    }

    /** The file system of a volume, opened on first use (for writing when the guest is writable). */
    FileSystem fsOf(Volume v) throws IOException {
        FileSystem fs = openFs.get(v.name());
        if (fs == null) {
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
    void checkFsWritable(FileSystem fs) throws IOException {
        if (fs.writable()) {
            return;
        }
        for (Map.Entry<String, FileSystem> e : openFs.entrySet()) {
            if (e.getValue() == fs && readOnlyReasons.containsKey(e.getKey())) {
                throw new UnsupportedFsFeatureException(
                        fs.type(), "writing to " + e.getKey() + " (" + readOnlyReasons.get(e.getKey()) + ")");
            }
        }
    }

    void mountRoot(Volume v) throws IOException {
        mounts.put("/", fsOf(v));
        mountVolumes.put("/", v.name());
    }

    /** Mounts what the lines of the guest's fstab name; each line's fate is kept in {@link #mountEntries()}. */
    void mountFstab(List<Fstab.Line> fstab) throws IOException {
        for (Fstab.Line l : fstab) {
            String mp = GuestPaths.normalize(l.file());
            String type = l.type().toLowerCase(Locale.ROOT);
            List<String> opts = List.of(l.options().split(","));
            if (IGNORED_TYPES.contains(type)
                    || opts.contains("bind")
                    || l.file().equals("none")
                    || !l.file().startsWith("/")) {
                mountEntries.add(new MountEntry(
                        l.spec(),
                        l.file(),
                        l.type(),
                        l.options(),
                        "",
                        "ignored: " + (opts.contains("bind") ? "bind mount" : type + " is not on this disk")));
                continue;
            }
            Optional<Volume> v = findVolume(l.spec());
            if (v.isEmpty()) {
                mountEntries.add(new MountEntry(
                        l.spec(), l.file(), l.type(), l.options(), "", "unresolved: no volume matches " + l.spec()));
                if (!opts.contains("nofail") && !opts.contains("noauto")) {
                    warnings.add("fstab: " + l.spec() + " for " + l.file() + " matches no volume on this disk");
                }
                continue;
            }
            if (!isFs(v.get())) {
                mountEntries.add(new MountEntry(
                        l.spec(),
                        l.file(),
                        l.type(),
                        l.options(),
                        v.get().name(),
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
            mountEntries.add(new MountEntry(
                    l.spec(), l.file(), l.type(), l.options(), v.get().name(), "mounted"));
        }
    }

    /** Finds a volume by an fstab spec or a device name: UUID=, LABEL=, PARTUUID=, PARTLABEL=, /dev/... */
    Optional<Volume> findVolume(String spec) throws IOException {
        String s = spec.strip();
        if (s.length() > 1 && s.startsWith("\"") && s.endsWith("\"")) {
            s = s.substring(1, s.length() - 1);
        }
        for (String[] p : new String[][] {
            {"/dev/disk/by-uuid/", "UUID="},
            {"/dev/disk/by-label/", "LABEL="},
            {"/dev/disk/by-partuuid/", "PARTUUID="},
            {"/dev/disk/by-partlabel/", "PARTLABEL="}
        }) {
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
            return upper.startsWith("UUID=")
                    ? fs.uuid().equalsIgnoreCase(val)
                    : fs.label().equals(val);
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
            Matcher m = PARTITION_DEVICE.matcher(s);
            if (m.matches()) {
                return Integer.parseInt(m.group(1)) == v.partition().number();
            }
            if (s.matches("\\d+")) {
                return Integer.parseInt(s) == v.partition().number();
            }
        } else if (WHOLE_DISK_DEVICE.matcher(s).matches()) {
            return v.name().equals("disk");
        }
        return false;
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
