package dev.linuximage.core.fs.ext4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Applies each change both to our ext4 writer (by guest path) and to a host directory that models the expected
 * result, so that oracles (debugfs rdump, e2fsck) can be compared with the model afterwards.
 */
final class Mirror {
    final FileSystem fs;
    final Path model;

    Mirror(FileSystem fs, Path model) {
        this.fs = fs;
        this.model = model;
    }

    FileSystem.Node resolve(String path) throws IOException {
        FileSystem.Node n = fs.root();
        for (String c : path.split("/")) {
            if (c.isEmpty()) {
                continue;
            }
            n = fs.lookup(n, c).orElseThrow(() -> new NoSuchFileException(path));
        }
        return n;
    }

    static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i <= 0 ? "/" : path.substring(0, i);
    }

    static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    Path host(String path) {
        return model.resolve(path.substring(1));
    }

    void write(String path, byte[] content) throws IOException {
        fs.replaceContent(resolve(path), content);
        Files.write(host(path), content);
    }

    void create(String path, byte[] content, int mode, int uid, int gid) throws IOException {
        fs.createFile(resolve(parent(path)), name(path), mode, uid, gid, content);
        Path h = host(path);
        Files.write(h, content);
        hostAttrs(h, mode, uid, gid);
    }

    void mkdir(String path, int mode, int uid, int gid) throws IOException {
        fs.mkdir(resolve(parent(path)), name(path), mode, uid, gid);
        Path h = host(path);
        Files.createDirectory(h);
        hostAttrs(h, mode, uid, gid);
    }

    void symlink(String path, String target) throws IOException {
        fs.symlink(resolve(parent(path)), name(path), target, 0, 0);
        Files.createSymbolicLink(host(path), Path.of(target));
    }

    void unlink(String path) throws IOException {
        fs.unlink(resolve(parent(path)), name(path));
        Files.delete(host(path));
    }

    void rename(String from, String to) throws IOException {
        fs.rename(resolve(parent(from)), name(from), resolve(parent(to)), name(to));
        Files.move(host(from), host(to), StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
    }

    void setAttributes(String path, Integer mode, Integer uid, Integer gid, Long mtime) throws IOException {
        fs.setAttributes(resolve(path), mode, uid, gid, mtime);
        Path h = host(path);
        if (mode != null) {
            Files.setPosixFilePermissions(h, perms(mode));
            Files.setAttribute(h, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
        }
        if (uid != null) {
            Files.setAttribute(h, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        }
        if (gid != null) {
            Files.setAttribute(h, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        }
        if (mtime != null) {
            Files.setLastModifiedTime(h, FileTime.fromMillis(mtime * 1000));
        }
    }

    private static void hostAttrs(Path h, int mode, int uid, int gid) throws IOException {
        Files.setAttribute(h, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(h, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(h, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
    }

    static Set<PosixFilePermission> perms(int mode) {
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
        for (int i = 0; i < 9; i++) {
            if ((mode & (1 << i)) != 0) {
                s.add(order[i]);
            }
        }
        return s;
    }

    /** Copies a host tree (preserving hard links, symlinks, modes and owners) with cp -a. */
    static void copyTree(Path from, Path to) throws Exception {
        Tools.Result r = Tools.command(java.util.List.of("cp", "-a", from.toString(), to.toString()))
                .exec();
        assertThat(r.exit()).as("cp -a: " + r.err()).isZero();
    }

    /**
     * Compares the model with debugfs's rdump of the image: names, types, file contents, symlink targets, modes
     * and owners (rdump does not keep hard links, so link counts are not compared here; e2fsck checks them).
     */
    static void assertDumpMatches(Path model, Path img, Path dumpDir) throws Exception {
        Files.createDirectories(dumpDir);
        Tools.Result r = Ext4Oracle.debugfs(img, "rdump / " + dumpDir);
        assertThat(r.exit()).isZero();
        compareHost(model, dumpDir, "/");
    }

    private static void compareHost(Path want, Path got, String path) throws IOException {
        Set<String> w = new java.util.TreeSet<>();
        Set<String> g = new java.util.TreeSet<>();
        try (var s = Files.list(want)) {
            s.forEach(p -> w.add(p.getFileName().toString()));
        }
        try (var s = Files.list(got)) {
            s.forEach(p -> g.add(p.getFileName().toString()));
        }
        if (path.equals("/")) {
            w.remove("lost+found");
            g.remove("lost+found");
        }
        assertThat(g).as("debugfs rdump entries of " + path).containsExactlyElementsOf(w);
        for (String n : w) {
            Path a = want.resolve(n);
            Path b = got.resolve(n);
            String p = path + n;
            if (Files.isSymbolicLink(a)) {
                assertThat(Files.isSymbolicLink(b)).as(p + " is a symlink").isTrue();
                assertThat(Files.readSymbolicLink(b)).as(p).isEqualTo(Files.readSymbolicLink(a));
                continue;
            }
            // rdump restores permissions without set-uid/gid bits: those are checked with debugfs stat instead
            int modeMask = ~06000;
            assertThat((Integer) Files.getAttribute(b, "unix:mode", LinkOption.NOFOLLOW_LINKS) & modeMask)
                    .as(p + " mode")
                    .isEqualTo((Integer) Files.getAttribute(a, "unix:mode", LinkOption.NOFOLLOW_LINKS) & modeMask);
            assertThat(Files.getAttribute(b, "unix:uid", LinkOption.NOFOLLOW_LINKS))
                    .as(p + " uid")
                    .isEqualTo(Files.getAttribute(a, "unix:uid", LinkOption.NOFOLLOW_LINKS));
            assertThat(Files.getAttribute(b, "unix:gid", LinkOption.NOFOLLOW_LINKS))
                    .as(p + " gid")
                    .isEqualTo(Files.getAttribute(a, "unix:gid", LinkOption.NOFOLLOW_LINKS));
            if (Files.isDirectory(a)) {
                assertThat(Files.isDirectory(b)).as(p + " is a directory").isTrue();
                compareHost(a, b, p + "/");
            } else {
                assertThat(Files.readAllBytes(b)).as("content of " + p).isEqualTo(Files.readAllBytes(a));
            }
        }
    }
}
