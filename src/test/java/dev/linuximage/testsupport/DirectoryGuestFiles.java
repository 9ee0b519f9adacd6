package dev.linuximage.testsupport;

import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.GuestPathException;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A {@link GuestFiles} over a host directory, for tests. Every guest path is resolved component by component inside
 * the root: {@code ..} stops at the root, absolute symlink targets are re-anchored at the root, and host APIs are only
 * ever called on paths whose components were checked not to be symlinks (so nothing escapes the root). Owners are
 * not stored (tests run unprivileged); permission bits are.
 */
public final class DirectoryGuestFiles implements GuestFiles {
    private static final int MAX_LINKS = 40;
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private final Path root;
    private final boolean readOnly;
    private final long readCap;
    /** Counts every mutator call, refused or not (tests assert it stays 0 in read-only audits). */
    public final AtomicInteger mutations = new AtomicInteger();

    public DirectoryGuestFiles(Path root, boolean readOnly) {
        this(root, readOnly, 64L << 20);
    }

    public DirectoryGuestFiles(Path root, boolean readOnly, long readCap) {
        this.root = root.toAbsolutePath().normalize();
        this.readOnly = readOnly;
        this.readCap = readCap;
    }

    public Path root() {
        return root;
    }

    /** Resolves a guest path to a host path inside the root; the last component is followed only when asked. */
    Path resolve(String path, boolean followLast) throws IOException {
        if (path == null || !path.startsWith("/")) {
            throw new GuestPathException(String.valueOf(path), "not an absolute guest path");
        }
        Deque<String> todo = new ArrayDeque<>(split(path));
        List<String> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.pollFirst();
            if (c.equals("..")) {
                if (!done.isEmpty()) {
                    done.remove(done.size() - 1);
                }
                continue;
            }
            Path host = host(done).resolve(c);
            boolean last = todo.isEmpty();
            if (Files.isSymbolicLink(host) && (!last || followLast)) {
                if (++links > MAX_LINKS) {
                    throw new GuestPathException(path, "too many symlinks (loop?)");
                }
                String target = Files.readSymbolicLink(host).toString();
                List<String> t = split(target);
                for (int i = t.size() - 1; i >= 0; i--) {
                    todo.addFirst(t.get(i));
                }
                if (target.startsWith("/")) {
                    done.clear();
                }
                continue;
            }
            if (!last && Files.exists(host, NOFOLLOW) && !Files.isDirectory(host, NOFOLLOW)) {
                throw new GuestPathException(path, "'" + c + "' is not a directory");
            }
            done.add(c);
        }
        return host(done);
    }

    private Path host(List<String> comps) {
        Path p = root;
        for (String c : comps) {
            p = p.resolve(c);
        }
        return p;
    }

    private static List<String> split(String p) {
        List<String> out = new ArrayList<>();
        for (String c : p.split("/")) {
            if (!c.isEmpty() && !c.equals(".")) {
                out.add(c);
            }
        }
        return out;
    }

    private String guestPath(Path host) {
        String rel = root.relativize(host).toString();
        return "/" + rel;
    }

    private Optional<FileInfo> info(String path, Path host) throws IOException {
        if (!Files.exists(host, NOFOLLOW)) {
            return Optional.empty();
        }
        Map<String, Object> a = Files.readAttributes(host, "unix:mode,uid,gid,size,lastModifiedTime", NOFOLLOW);
        int mode = (Integer) a.get("mode");
        Type type = Files.isSymbolicLink(host)
                ? Type.SYMLINK
                : Files.isDirectory(host, NOFOLLOW)
                        ? Type.DIRECTORY
                        : Files.isRegularFile(host, NOFOLLOW) ? Type.FILE : Type.OTHER;
        long mtime = ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toMillis() / 1000;
        return Optional.of(new FileInfo(
                path, type, (Long) a.get("size"), mode & 07777, (Integer) a.get("uid"), (Integer) a.get("gid"), mtime));
    }

    @Override
    public Optional<FileInfo> stat(String path) throws IOException {
        return info(path, resolve(path, true));
    }

    @Override
    public Optional<FileInfo> lstat(String path) throws IOException {
        return info(path, resolve(path, false));
    }

    @Override
    public byte[] read(String path) throws IOException {
        Path h = resolve(path, true);
        if (!Files.isRegularFile(h, NOFOLLOW)) {
            throw new IOException("guest path " + path + ": not a regular file");
        }
        if (Files.size(h) > readCap) {
            throw new IOException("guest path " + path + ": larger than the read cap of " + readCap + " bytes");
        }
        return Files.readAllBytes(h);
    }

    @Override
    public List<DirEntry> list(String path) throws IOException {
        Path h = resolve(path, true);
        if (!Files.isDirectory(h, NOFOLLOW)) {
            throw new IOException("guest path " + path + ": not a directory");
        }
        List<DirEntry> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(h)) {
            for (Path p : (Iterable<Path>) s.sorted()::iterator) {
                Type t = Files.isSymbolicLink(p)
                        ? Type.SYMLINK
                        : Files.isDirectory(p, NOFOLLOW)
                                ? Type.DIRECTORY
                                : Files.isRegularFile(p, NOFOLLOW) ? Type.FILE : Type.OTHER;
                out.add(new DirEntry(p.getFileName().toString(), t));
            }
        }
        return out;
    }

    @Override
    public String readLink(String path) throws IOException {
        Path h = resolve(path, false);
        if (!Files.isSymbolicLink(h)) {
            throw new IOException("guest path " + path + ": not a symlink");
        }
        return Files.readSymbolicLink(h).toString();
    }

    private void mutating() throws IOException {
        mutations.incrementAndGet();
        if (readOnly) {
            throw new IOException("guest opened read-only");
        }
    }

    @Override
    public void write(String path, byte[] content) throws IOException {
        mutating();
        Path h = resolve(path, true);
        if (Files.exists(h, NOFOLLOW)) {
            if (!Files.isRegularFile(h, NOFOLLOW)) {
                throw new IOException("guest path " + path + ": not a regular file");
            }
            Files.write(h, content);
        } else {
            requireParentDir(path, h);
            Files.write(h, content);
            setMode(h, 0644);
        }
    }

    @Override
    public void write(String path, byte[] content, int mode, int uid, int gid) throws IOException {
        mutating();
        Path h = resolve(path, true);
        if (!Files.exists(h, NOFOLLOW)) {
            requireParentDir(path, h);
        } else if (!Files.isRegularFile(h, NOFOLLOW)) {
            throw new IOException("guest path " + path + ": not a regular file");
        }
        Files.write(h, content);
        setMode(h, mode);
    }

    private void requireParentDir(String path, Path h) throws IOException {
        if (!Files.isDirectory(h.getParent(), NOFOLLOW)) {
            throw new IOException("guest path " + path + ": parent directory missing");
        }
    }

    @Override
    public void mkdirs(String path, int mode) throws IOException {
        mutating();
        List<String> comps = split(path);
        StringBuilder g = new StringBuilder();
        for (String c : comps) {
            g.append('/').append(c);
            Path h = resolve(g.toString(), true);
            if (!Files.exists(h, NOFOLLOW)) {
                Files.createDirectory(h);
                setMode(h, mode);
            } else if (!Files.isDirectory(h, NOFOLLOW)) {
                throw new IOException("guest path " + g + ": not a directory");
            }
        }
    }

    @Override
    public void symlink(String path, String target) throws IOException {
        mutating();
        Path h = resolve(path, false);
        if (Files.exists(h, NOFOLLOW)) {
            throw new IOException("guest path " + path + ": exists");
        }
        requireParentDir(path, h);
        Files.createSymbolicLink(h, Path.of(target));
    }

    @Override
    public boolean delete(String path) throws IOException {
        mutating();
        Path h = resolve(path, false);
        if (!Files.exists(h, NOFOLLOW)) {
            return false;
        }
        try {
            Files.delete(h);
        } catch (DirectoryNotEmptyException e) {
            throw new IOException("guest path " + path + ": directory not empty");
        }
        return true;
    }

    @Override
    public void chmod(String path, int mode) throws IOException {
        mutating();
        setMode(resolve(path, true), mode);
    }

    private static void setMode(Path h, int mode) throws IOException {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE,
            PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE,
            PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ
        };
        for (int i = 0; i < order.length; i++) {
            if ((mode & (1 << i)) != 0) {
                s.add(order[i]);
            }
        }
        Files.setPosixFilePermissions(h, s);
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public void close() {}

    @Override
    public String toString() {
        return "DirectoryGuestFiles[" + root + (readOnly ? ", read-only" : "") + "]";
    }

    /** For assertions: the guest path of a host path under the root. */
    public String toGuest(Path host) {
        return guestPath(host);
    }
}
