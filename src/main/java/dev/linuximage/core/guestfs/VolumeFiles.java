package dev.linuximage.core.guestfs;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestPathException;
import dev.linuximage.core.guestfs.GuestPaths.Loc;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The bottom of a {@link GuestDisk} stack: every operation goes straight to the file systems of the
 * {@link GuestNamespace}, through {@link GuestPaths}; no dry run, no change recording (those are decorators).
 */
final class VolumeFiles implements GuestLayer {
    /** Chunk of {@link #copyTo}, in bytes: bounded memory whatever the file size. */
    private static final int COPY_CHUNK = 1 << 20;

    private final GuestNamespace ns;
    private final GuestPaths paths;
    private final boolean writable;
    private final long readCapBytes;

    /**
     * @param writable     false: every mutator throws {@link ReadOnlyGuestException}
     * @param readCapBytes largest file {@link #read} returns, in bytes
     */
    VolumeFiles(GuestNamespace ns, boolean writable, long readCapBytes) {
        this.ns = ns;
        this.paths = ns.paths();
        this.writable = writable;
        this.readCapBytes = readCapBytes;
    }

    private Loc resolveExisting(String path, boolean follow) throws IOException {
        Optional<Loc> l = paths.resolve(path, follow);
        if (l.isEmpty() || l.get().node().isEmpty()) {
            throw new NoSuchFileException(path);
        }
        return l.get();
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
        if (l.isEmpty() || l.get().node().isEmpty()) {
            return Optional.empty();
        }
        FileSystem.Node n = l.get().node().get();
        return Optional.of(new FileInfo(path, n.type(), n.size(), n.mode(), n.uid(), n.gid(), n.mtime()));
    }

    @Override
    public byte[] read(String path) throws IOException {
        Loc loc = resolveExisting(path, true);
        FileSystem.Node n = loc.node().get();
        if (n.type() != Type.FILE) {
            throw new GuestPathException(path, "not a regular file (" + n.type() + ")");
        }
        if (n.size() > readCapBytes) {
            throw new GuestPathException(
                    path, "file of " + n.size() + " bytes exceeds the read cap of " + readCapBytes + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate((int) n.size());
        while (b.hasRemaining()) {
            int r = loc.fs().read(n, b.position(), b);
            if (r <= 0) {
                throw new EOFException(
                        "guest path " + path + ": file ended at " + b.position() + " of " + n.size() + " bytes");
            }
        }
        return b.array();
    }

    @Override
    public long copyTo(String path, OutputStream out) throws IOException {
        Loc loc = resolveExisting(path, true);
        FileSystem.Node n = loc.node().get();
        if (n.type() != Type.FILE) {
            throw new GuestPathException(path, "not a regular file (" + n.type() + ")");
        }
        long max = loc.fs().maxFileBytes();
        if (n.size() < 0 || n.size() > max) {
            throw new GuestPathException(
                    path,
                    "inode size " + Long.toUnsignedString(n.size()) + " bytes exceeds the "
                            + loc.fs().type() + " maximum file size of " + max
                            + " bytes for this geometry: corrupt size");
        }
        long cap = Math.max(0, loc.fs().totalBytes());
        long end = Math.min(n.size(), cap);
        ByteBuffer b = ByteBuffer.allocate(COPY_CHUNK);
        long off = 0;
        while (off < end) {
            b.clear();
            b.limit((int) Math.min(b.capacity(), end - off));
            int r = loc.fs().read(n, off, b);
            if (r <= 0) {
                throw new EOFException("guest path " + path + ": file ended at " + off);
            }
            out.write(b.array(), 0, r);
            off += r;
        }
        if (end < n.size()) {
            out.flush();
            throw new GuestPathException(
                    path,
                    "stopped after " + end + " bytes: the inode claims "
                            + n.size() + " bytes, more than its " + loc.fs().type() + " file system holds (" + cap
                            + " bytes); the rest can only be holes or a corrupt size");
        }
        return off;
    }

    private Loc directory(String path) throws IOException {
        Loc loc = resolveExisting(path, true);
        if (loc.node().get().type() != Type.DIRECTORY) {
            throw new GuestPathException(path, "not a directory");
        }
        return loc;
    }

    @Override
    public List<DirEntry> list(String path) throws IOException {
        Loc loc = directory(path);
        List<DirEntry> out = new ArrayList<>();
        for (FileSystem.Entry e : loc.fs().list(loc.node().get())) {
            out.add(new DirEntry(e.name(), e.type()));
        }
        out.sort(Comparator.comparing(DirEntry::name));
        return out;
    }

    @Override
    public void list(String path, boolean details, GuestDisk.EntryVisitor visitor) throws IOException {
        Loc loc = directory(path);
        FileSystem fs = loc.fs();
        FileSystem.Node n = loc.node().get();
        String dirPath = loc.path();
        fs.forEachEntry(n, e -> {
            FileInfo info = null;
            if (details) {
                String p = GuestPaths.child(dirPath, e.name());
                FileSystem mounted = ns.mountedAt(p);
                Optional<FileSystem.Node> c = mounted != null ? Optional.of(mounted.root()) : fs.node(n, e);
                if (c.isPresent()) {
                    FileSystem.Node cn = c.get();
                    info = new FileInfo(p, cn.type(), cn.size(), cn.mode(), cn.uid(), cn.gid(), cn.mtime());
                }
            }
            return visitor.visit(new DirEntry(e.name(), e.type()), info);
        });
    }

    @Override
    public String readLink(String path) throws IOException {
        Loc loc = resolveExisting(path, false);
        FileSystem.Node n = loc.node().get();
        if (n.type() != Type.SYMLINK) {
            throw new GuestPathException(path, "not a symbolic link");
        }
        return loc.fs().readLink(n);
    }

    // ---- writes -------------------------------------------------------------------------------------------------

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
        write(path, content, null, null, null);
    }

    @Override
    public void write(String path, byte[] content, int mode, int uid, int gid) throws IOException {
        write(path, content, Integer.valueOf(mode), Integer.valueOf(uid), Integer.valueOf(gid));
    }

    private void write(String path, byte[] content, Integer mode, Integer uid, Integer gid) throws IOException {
        checkWritable(path);
        Loc loc = paths.resolve(path, true).orElseThrow(() -> new GuestPathException(path, "parent directory missing"));
        if (loc.node().isPresent()) {
            FileSystem.Node n = loc.node().get();
            if (n.type() != Type.FILE) {
                throw new GuestPathException(path, "exists and is not a regular file (" + n.type() + ")");
            }
            ns.checkFsWritable(loc.fs());
            loc.fs().replaceContent(n, content);
            if (mode != null || uid != null || gid != null) {
                loc.fs().setAttributes(loc.fs().lookup(loc.parent(), loc.name()).orElse(n), mode, uid, gid, null);
            }
            loc.fs().flush();
            return;
        }
        if (loc.name().isEmpty()) {
            throw new GuestPathException(path, "is a directory");
        }
        ns.checkFsWritable(loc.parentFs());
        loc.parentFs()
                .createFile(
                        loc.parent(),
                        loc.name(),
                        mode != null ? mode : 0644,
                        uid != null ? uid : 0,
                        gid != null ? gid : 0,
                        content);
        loc.parentFs().flush();
    }

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
            if (st.isPresent()) {
                if (st.get().type() != Type.DIRECTORY) {
                    throw new GuestPathException(path, cur + " exists and is not a directory");
                }
                continue;
            }
            Loc loc = paths.resolve(cur, true).orElseThrow(() -> new GuestPathException(path, "parent vanished"));
            ns.checkFsWritable(loc.parentFs());
            loc.parentFs().mkdir(loc.parent(), loc.name(), mode & 07777, 0, 0);
            loc.parentFs().flush();
        }
    }

    @Override
    public void symlink(String path, String target) throws IOException {
        checkWritable(path);
        Loc loc =
                paths.resolve(path, false).orElseThrow(() -> new GuestPathException(path, "parent directory missing"));
        if (loc.node().isPresent() || loc.name().isEmpty()) {
            throw new FileAlreadyExistsException(path);
        }
        ns.checkFsWritable(loc.parentFs());
        loc.parentFs().symlink(loc.parent(), loc.name(), target, 0, 0);
        loc.parentFs().flush();
    }

    @Override
    public boolean delete(String path) throws IOException {
        checkWritable(path);
        Optional<Loc> l = paths.resolve(path, false);
        if (l.isEmpty() || l.get().node().isEmpty()) {
            return false;
        }
        Loc loc = l.get();
        if (loc.name().isEmpty() || ns.mountedAt(loc.path()) != null) {
            throw new GuestPathException(path, "is a mount point or the root");
        }
        ns.checkFsWritable(loc.parentFs());
        loc.parentFs().unlink(loc.parent(), loc.name());
        loc.parentFs().flush();
        return true;
    }

    @Override
    public void chmod(String path, int mode) throws IOException {
        checkWritable(path);
        Loc loc = resolveExisting(path, true);
        ns.checkFsWritable(loc.fs());
        loc.fs().setAttributes(loc.node().get(), mode & 07777, null, null, null);
        loc.fs().flush();
    }

    /** The file systems belong to the {@link GuestNamespace}, which the facade closes. */
    @Override
    public void close() {}
}
