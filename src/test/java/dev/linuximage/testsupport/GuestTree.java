package dev.linuximage.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.stream.Stream;

/** Builds a guest file tree in a host directory (test fixtures): files, directories and symlinks, as written. */
public final class GuestTree {
    private final Path root;

    public GuestTree(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    private Path host(String guestPath) {
        return root.resolve(guestPath.substring(1));
    }

    public GuestTree file(String path, String content) {
        return file(path, content, "rw-r--r--");
    }

    public GuestTree file(String path, String content, String perms) {
        return bytes(path, content.getBytes(StandardCharsets.UTF_8), perms);
    }

    public GuestTree bytes(String path, byte[] content, String perms) {
        try {
            Path h = host(path);
            Files.createDirectories(h.getParent());
            Files.write(h, content);
            Files.setPosixFilePermissions(h, PosixFilePermissions.fromString(perms));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public GuestTree dir(String path) {
        try {
            Files.createDirectories(host(path));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public GuestTree link(String path, String target) {
        try {
            Path h = host(path);
            Files.createDirectories(h.getParent());
            Files.createSymbolicLink(h, Path.of(target));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String read(String path) {
        try {
            return Files.readString(host(path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public boolean exists(String path) {
        return Files.exists(host(path), LinkOption.NOFOLLOW_LINKS);
    }

    public String readLink(String path) {
        try {
            return Files.readSymbolicLink(host(path)).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A digest of every path, type, mode, link target and content under the root (to prove nothing changed). */
    public String digest() {
        try (Stream<Path> s = Files.walk(root)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Path p : (Iterable<Path>) s.sorted()::iterator) {
                md.update(root.relativize(p).toString().getBytes(StandardCharsets.UTF_8));
                if (Files.isSymbolicLink(p)) {
                    md.update(("->" + Files.readSymbolicLink(p)).getBytes(StandardCharsets.UTF_8));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    md.update(Files.readAllBytes(p));
                    md.update(PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS))
                            .getBytes(StandardCharsets.UTF_8));
                } else {
                    md.update((byte) 'd');
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
