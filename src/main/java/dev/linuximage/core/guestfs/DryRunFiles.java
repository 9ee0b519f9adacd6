package dev.linuximage.core.guestfs;

import dev.linuximage.core.fs.GuestPathException;
import dev.linuximage.core.guestfs.GuestPaths.Loc;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Dry-run decorator ({@code --dry-run}): mutators write nothing to the wrapped (read-only) layer; file contents and
 * deletions go to an in-memory overlay keyed by resolved guest path, which the reads of the same session see. A
 * directory or symlink made in a dry run is not in the overlay (so a file under a new directory still has no
 * parent), exactly as before the split. Memory: the overlay holds what was written, each at most the read cap.
 */
final class DryRunFiles implements GuestLayer {
    private final GuestLayer disk;
    private final GuestNamespace ns;
    /** Resolved guest path → content ({@code null} = deleted). */
    private final Map<String, byte[]> overlay = new HashMap<>();

    private final GuestPaths paths;
    private final boolean writable;

    /**
     * @param disk     the layer below, opened read-only; paths that are not in the overlay are read from it
     * @param writable false: every mutator throws {@link ReadOnlyGuestException}, as on a real read-only guest
     */
    DryRunFiles(GuestLayer disk, GuestNamespace ns, boolean writable) {
        this.disk = disk;
        this.ns = ns;
        this.paths = ns.paths().hiding(overlay::containsKey);
        this.writable = writable;
    }

    /** The resolved location of an existing object (in the overlay or on the disk), else NoSuchFileException. */
    private Loc resolveExisting(String path, boolean follow) throws IOException {
        Optional<Loc> l = paths.resolve(path, follow);
        if (l.isEmpty() || (l.get().node().isEmpty() && overlay.get(l.get().path()) == null)) {
            throw new NoSuchFileException(path);
        }
        return l.get();
    }

    private static FileInfo overlayInfo(String path, byte[] content) {
        return new FileInfo(path, Type.FILE, content.length, 0644, 0, 0, System.currentTimeMillis() / 1000);
    }

    // ---- reads --------------------------------------------------------------------------------------------------

    @Override
    public Optional<FileInfo> stat(String path) throws IOException {
        return info(path, true);
    }

    @Override
    public Optional<FileInfo> lstat(String path) throws IOException {
        return info(path, false);
    }

    private Optional<FileInfo> info(String path, boolean follow) throws IOException {
        Optional<Loc> l = paths.resolve(path, follow);
        if (l.isEmpty()) {
            return Optional.empty();
        }
        Loc loc = l.get();
        if (overlay.containsKey(loc.path())) {
            byte[] c = overlay.get(loc.path());
            return c == null ? Optional.empty() : Optional.of(overlayInfo(path, c));
        }
        if (loc.node().isEmpty()) {
            return Optional.empty();
        }
        // the resolved path has no symlink left to follow and nothing hidden on it: the disk sees the same node
        return (follow ? disk.stat(loc.path()) : disk.lstat(loc.path()))
                .map(i -> new FileInfo(path, i.type(), i.size(), i.mode(), i.uid(), i.gid(), i.mtime()));
    }

    @Override
    public byte[] read(String path) throws IOException {
        Loc loc = resolveExisting(path, true);
        byte[] c = overlay.get(loc.path());
        return c != null ? c.clone() : disk.read(loc.path());
    }

    @Override
    public long copyTo(String path, OutputStream out) throws IOException {
        Loc loc = resolveExisting(path, true);
        byte[] c = overlay.get(loc.path());
        if (c != null) {
            out.write(c);
            return c.length;
        }
        return disk.copyTo(loc.path(), out);
    }

    @Override
    public List<DirEntry> list(String path) throws IOException {
        Loc loc = resolveExisting(path, true);
        List<DirEntry> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (DirEntry e : disk.list(loc.path())) {
            String p = GuestPaths.child(loc.path(), e.name());
            if (overlay.containsKey(p) && overlay.get(p) == null) {
                continue;
            }
            seen.add(e.name());
            out.add(e);
        }
        String prefix = GuestPaths.child(loc.path(), "");
        for (Map.Entry<String, byte[]> o : overlay.entrySet()) {
            String name = o.getKey().startsWith(prefix) ? o.getKey().substring(prefix.length()) : null;
            if (o.getValue() != null && name != null && name.indexOf('/') < 0 && seen.add(name)) {
                out.add(new DirEntry(name, Type.FILE));
            }
        }
        out.sort(Comparator.comparing(DirEntry::name));
        return out;
    }

    @Override
    public void list(String path, boolean details, GuestDisk.EntryVisitor visitor) throws IOException {
        Loc loc = resolveExisting(path, true);
        String prefix = GuestPaths.child(loc.path(), "");
        boolean[] stopped = {false};
        disk.list(loc.path(), details, (e, info) -> {
            if (overlay.containsKey(prefix + e.name())) {
                return true; // deletion or replacement: reported from the overlay below
            }
            if (!visitor.visit(e, info)) {
                stopped[0] = true;
                return false;
            }
            return true;
        });
        if (stopped[0]) {
            return;
        }
        for (Map.Entry<String, byte[]> o : overlay.entrySet()) {
            if (o.getValue() != null
                    && o.getKey().startsWith(prefix)
                    && o.getKey().indexOf('/', prefix.length()) < 0) {
                String name = o.getKey().substring(prefix.length());
                if (!visitor.visit(
                        new DirEntry(name, Type.FILE), details ? overlayInfo(o.getKey(), o.getValue()) : null)) {
                    return;
                }
            }
        }
    }

    @Override
    public String readLink(String path) throws IOException {
        Loc loc = resolveExisting(path, false);
        if (loc.node().isEmpty()) {
            throw new NoSuchFileException(path); // a file of this dry run is no symlink
        }
        return disk.readLink(loc.path());
    }

    // ---- writes: to the overlay only ----------------------------------------------------------------------------

    @Override
    public boolean readOnly() {
        return !writable;
    }

    private void checkWritable(String path) throws ReadOnlyGuestException {
        if (!writable) {
            throw new ReadOnlyGuestException(path);
        }
    }

    @Override
    public void write(String path, byte[] content) throws IOException {
        checkWritable(path);
        Loc loc = paths.resolve(path, true).orElseThrow(() -> new GuestPathException(path, "parent directory missing"));
        if (loc.node().isPresent() && loc.node().get().type() != Type.FILE) {
            throw new GuestPathException(
                    path,
                    "exists and is not a regular file (" + loc.node().get().type() + ")");
        }
        if (loc.node().isEmpty() && loc.name().isEmpty()) {
            throw new GuestPathException(path, "is a directory");
        }
        overlay.put(loc.path(), content.clone());
    }

    /** Mode and owner are not kept in the overlay: a dry-run file reads back as {@code 0644 root:root}. */
    @Override
    public void write(String path, byte[] content, int mode, int uid, int gid) throws IOException {
        write(path, content);
    }

    /** Checks each component as a real {@code mkdirs} would; creates nothing. */
    @Override
    public void mkdirs(String path, int mode) throws IOException {
        checkWritable(path);
        String cur = "/";
        for (String c : GuestPaths.normalize(path).split("/")) {
            if (c.isEmpty()) {
                continue;
            }
            cur = GuestPaths.child(cur, c);
            Optional<FileInfo> st = stat(cur);
            if (st.isPresent() && st.get().type() != Type.DIRECTORY) {
                throw new GuestPathException(path, cur + " exists and is not a directory");
            }
        }
    }

    /** Checks as a real {@code symlink} would; creates nothing. */
    @Override
    public void symlink(String path, String target) throws IOException {
        checkWritable(path);
        Loc loc =
                paths.resolve(path, false).orElseThrow(() -> new GuestPathException(path, "parent directory missing"));
        if (loc.node().isPresent() || loc.name().isEmpty()) {
            throw new FileAlreadyExistsException(path);
        }
    }

    @Override
    public boolean delete(String path) throws IOException {
        checkWritable(path);
        Optional<Loc> l = paths.resolve(path, false);
        if (l.isEmpty()) {
            return false;
        }
        Loc loc = l.get();
        boolean inOverlay = overlay.containsKey(loc.path());
        if ((inOverlay && overlay.get(loc.path()) == null) || (loc.node().isEmpty() && !inOverlay)) {
            return false;
        }
        if (loc.name().isEmpty() || ns.mountedAt(loc.path()) != null) {
            throw new GuestPathException(path, "is a mount point or the root");
        }
        overlay.put(loc.path(), null);
        return true;
    }

    /** Checks that the object exists; changes nothing. */
    @Override
    public void chmod(String path, int mode) throws IOException {
        checkWritable(path);
        Loc loc = resolveExisting(path, true);
        if (loc.node().isEmpty()) {
            throw new NoSuchFileException(path); // a file of this dry run has no inode to change
        }
    }

    @Override
    public void close() throws IOException {
        disk.close();
    }
}
