package dev.linuximage.core.initramfs.testing;

import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.GuestPathException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A {@link GuestFiles} over a host directory, for tests of the initramfs area. Guest paths are resolved component by
 * component inside {@code root}: symlinks are followed by hand, absolute targets re-anchored at the root, {@code ..}
 * stops at the root, so nothing outside the root is ever read or written.
 */
public final class DirectoryGuestFiles implements GuestFiles {
    private static final int MAX_LINKS = 40;
    private final Path root;
    private final boolean readOnly;
    private final long readCap;

    public DirectoryGuestFiles(Path root, boolean readOnly) {
        this.root = root.toAbsolutePath().normalize();
        this.readOnly = readOnly;
        this.readCap = 512L << 20;
    }

    /** Host path of a guest path; {@code followLast} follows a final symlink. */
    Path resolve(String guestPath, boolean followLast) throws IOException {
        if (!guestPath.startsWith("/")) {
            throw new GuestPathException(guestPath, "not absolute");
        }
        Deque<String> todo = new ArrayDeque<>();
        for (String c : guestPath.split("/")) {
            todo.addLast(c);
        }
        Deque<String> done = new ArrayDeque<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.pollFirst();
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                done.pollLast();
                continue;
            }
            Path host = host(done).resolve(c);
            boolean last = todo.stream().allMatch(x -> x.isEmpty() || x.equals("."));
            if (Files.isSymbolicLink(host) && (!last || followLast)) {
                if (++links > MAX_LINKS) {
                    throw new GuestPathException(guestPath, "too many symlinks");
                }
                String target = Files.readSymbolicLink(host).toString();
                String[] parts = target.split("/");
                for (int i = parts.length - 1; i >= 0; i--) {
                    todo.addFirst(parts[i]);
                }
                if (target.startsWith("/")) {
                    done.clear();
                }
                continue;
            }
            done.addLast(c);
        }
        return host(done);
    }

    private Path host(Deque<String> parts) {
        Path p = root;
        for (String s : parts) {
            p = p.resolve(s);
        }
        return p;
    }

    private Optional<FileInfo> info(String path, Path h) throws IOException {
        if (!Files.exists(h, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        PosixFileAttributes a = Files.readAttributes(h, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Type t = a.isSymbolicLink() ? Type.SYMLINK : a.isDirectory() ? Type.DIRECTORY : a.isRegularFile() ? Type.FILE
                : Type.OTHER;
        int mode = 0;
        for (PosixFilePermission p : a.permissions()) {
            mode |= 1 << (8 - p.ordinal());
        }
        return Optional.of(new FileInfo(path, t, a.size(), mode, 0, 0, a.lastModifiedTime().toMillis() / 1000));
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
        if (!Files.isRegularFile(h, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(path + ": not a regular file");
        }
        if (Files.size(h) > readCap) {
            throw new IOException(path + ": larger than the read cap");
        }
        return Files.readAllBytes(h);
    }

    @Override
    public List<DirEntry> list(String path) throws IOException {
        Path h = resolve(path, true);
        List<DirEntry> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(h)) {
            for (Path p : (Iterable<Path>) s.sorted()::iterator) {
                Type t = Files.isSymbolicLink(p) ? Type.SYMLINK : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                        ? Type.DIRECTORY : Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Type.FILE : Type.OTHER;
                out.add(new DirEntry(p.getFileName().toString(), t));
            }
        }
        return out;
    }

    @Override
    public String readLink(String path) throws IOException {
        return Files.readSymbolicLink(resolve(path, false)).toString();
    }

    private void writable() throws IOException {
        if (readOnly) {
            throw new IOException("read-only guest");
        }
    }

    @Override
    public void write(String path, byte[] content) throws IOException {
        writable();
        Path h = resolve(path, true);
        if (Files.exists(h)) {
            // replace the content in place: mode, owner and links are kept
            Files.write(h, content);
        } else {
            Files.write(h, content);
            Files.setPosixFilePermissions(h, perms(0644));
        }
    }

    @Override
    public void write(String path, byte[] content, int mode, int uid, int gid) throws IOException {
        writable();
        Path h = resolve(path, true);
        Files.write(h, content);
        Files.setPosixFilePermissions(h, perms(mode));
    }

    @Override
    public void mkdirs(String path, int mode) throws IOException {
        writable();
        Files.createDirectories(resolve(path, true));
    }

    @Override
    public void symlink(String path, String target) throws IOException {
        writable();
        Files.createSymbolicLink(resolve(path, false), Path.of(target));
    }

    @Override
    public boolean delete(String path) throws IOException {
        writable();
        return Files.deleteIfExists(resolve(path, false));
    }

    @Override
    public void chmod(String path, int mode) throws IOException {
        writable();
        Files.setPosixFilePermissions(resolve(path, true), perms(mode));
    }

    private static Set<PosixFilePermission> perms(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission p : PosixFilePermission.values()) {
            if ((mode & (1 << (8 - p.ordinal()))) != 0) {
                s.add(p);
            }
        }
        return s;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public void close() {
    }
}
