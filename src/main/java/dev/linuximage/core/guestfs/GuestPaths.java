package dev.linuximage.core.guestfs;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles.Type;
import dev.linuximage.core.fs.GuestPathException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Path resolution inside the guest root, component by component, never by the host: {@code ..} stops at the guest
 * root, absolute symlink targets restart at the guest root, more than {@value #MAX_LINKS} symlinks in one resolution
 * is a {@link GuestPathException}, and mount points are crossed by their guest path. Nothing outside the disk can be
 * reached because every lookup goes through a {@link FileSystem} on the disk's bytes.
 *
 * <p>Why a separate class: the dry-run view ({@link DryRunFiles}) resolves with the same rules while hiding the paths
 * it has replaced or deleted, so both views agree on what a path names.
 */
final class GuestPaths {
    /** The limit Linux puts on symlinks followed in one lookup (path_resolution(7): 40). */
    static final int MAX_LINKS = 40;
    /** PATH_MAX of Linux, in bytes (characters here). */
    static final int PATH_MAX = 4096;

    private final Function<String, FileSystem> mounts;
    private final Predicate<String> hidden;

    /**
     * @param mounts the file system mounted at a normalized guest path, or null ({@code "/"} must be mounted)
     * @param hidden resolved guest paths to treat as absent (the dry-run overlay's); never the root
     */
    GuestPaths(Function<String, FileSystem> mounts, Predicate<String> hidden) {
        this.mounts = mounts;
        this.hidden = hidden;
    }

    /** Resolution over one file system as the root and nothing hidden (probing a volume for a root). */
    static GuestPaths over(FileSystem root) {
        return new GuestPaths(p -> p.equals("/") ? root : null, p -> false);
    }

    /** The same mounts with {@code hidden} paths treated as absent. */
    GuestPaths hiding(Predicate<String> hidden) {
        return new GuestPaths(mounts, hidden);
    }

    /** A resolved location: {@code node} is empty when the last component does not exist (parent does). */
    record Loc(
            FileSystem fs,
            Optional<FileSystem.Node> node,
            FileSystem parentFs,
            FileSystem.Node parent,
            String name,
            String path) {}

    private record Dir(FileSystem fs, FileSystem.Node node, String path) {}

    /** Lexical normalization: {@code .} and empty components dropped, {@code ..} never above {@code /}. */
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

    static String child(String dir, String name) {
        return dir.equals("/") ? "/" + name : dir + "/" + name;
    }

    /**
     * Resolves {@code path} in the guest. Returns empty when an intermediate component is missing; when only the
     * last is missing, returns a location without node (so callers can create it). {@link Loc#path()} is the
     * resolved path: symlinks of the intermediate components (and of the last when followed) replaced.
     */
    Optional<Loc> resolve(String path, boolean followLast) throws IOException {
        if (!path.startsWith("/")) {
            throw new GuestPathException(path, "not an absolute guest path");
        }
        if (path.length() > PATH_MAX) {
            throw new GuestPathException(path.substring(0, 64) + "...", "longer than PATH_MAX");
        }
        Deque<String> todo = new ArrayDeque<>(List.of(path.split("/")));
        Deque<Dir> stack = new ArrayDeque<>();
        FileSystem rootFs = mounts.apply("/");
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
            if (hidden.test(childPath)) {
                n = Optional.empty(); // dry-run: deleted or created-but-not-written
            } else {
                n = dir.fs().lookup(dir.node(), c);
            }
            FileSystem fs = dir.fs();
            FileSystem mounted = mounts.apply(childPath);
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
                    throw new GuestPathException(
                            path, "more than " + MAX_LINKS + " symbolic links (a loop or an over-long chain)");
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
}
