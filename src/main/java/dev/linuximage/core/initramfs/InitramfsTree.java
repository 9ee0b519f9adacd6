package dev.linuximage.core.initramfs;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The file tree an initramfs unpacks to (later members override earlier entries, as in the kernel), with the
 * contents of a few small files captured during the single streaming pass. Paths are relative to the archive root.
 * Symlinks are resolved inside the archive only.
 */
public final class InitramfsTree {
    /** Largest captured file. */
    public static final int MAX_CAPTURE = 16 << 20;

    /** Type and symlink target of one path. */
    public record Node(char type, String linkTarget, long size) {}

    private final Map<String, Node> nodes;
    private final Map<String, byte[]> captured;
    /** Paths accepted for capture whose regular-file entry was over {@link #MAX_CAPTURE} (deferred reads only). */
    private final Set<String> oversized;

    private final InitramfsReader.Summary summary;
    /** Which captured files this tree shows ({@link #view}). */
    private final Predicate<String> shown;

    private InitramfsTree(
            Map<String, Node> nodes,
            Map<String, byte[]> captured,
            Set<String> oversized,
            InitramfsReader.Summary summary,
            Predicate<String> shown) {
        this.nodes = nodes;
        this.captured = captured;
        this.oversized = oversized;
        this.summary = summary;
        this.shown = shown;
    }

    /**
     * Reads {@code image}, keeping every path's type and the content of regular files accepted by {@code capture}
     * (each capped at {@link #MAX_CAPTURE} bytes).
     */
    public static InitramfsTree read(byte[] image, InitramfsReader reader, Predicate<String> capture)
            throws IOException {
        return read(image, reader, capture, false);
    }

    /**
     * As {@link #read(byte[], InitramfsReader, Predicate)}, but a file over {@link #MAX_CAPTURE} is only noted: the
     * {@link #view} whose predicate accepts it fails as {@link #read} with that predicate would have. For a tree
     * read once with the union of several readers' predicates ({@link InitramfsCache}).
     */
    static InitramfsTree read(byte[] image, InitramfsReader reader, Predicate<String> capture, boolean deferOversize)
            throws IOException {
        Map<String, Node> nodes = new HashMap<>();
        Map<String, byte[]> captured = new HashMap<>();
        Set<String> oversized = new HashSet<>();
        InitramfsReader.Summary summary = reader.read(image, (CpioEntry e, InputStream in) -> {
            nodes.put(e.path(), new Node(e.typeLetter(), e.linkTarget(), e.size()));
            if (e.isRegular() && capture.test(e.path())) {
                if (e.size() > MAX_CAPTURE) {
                    if (!deferOversize) {
                        throw oversize(e.path(), e.size());
                    }
                    oversized.add(e.path());
                    captured.remove(e.path());
                } else {
                    captured.put(e.path(), in.readAllBytes());
                }
            } else {
                captured.remove(e.path());
            }
        });
        return new InitramfsTree(
                Collections.unmodifiableMap(nodes),
                Collections.unmodifiableMap(captured),
                Collections.unmodifiableSet(oversized),
                summary,
                capture);
    }

    private static InitramfsException oversize(String path, long size) {
        return new InitramfsException("initramfs.capture", path + " is " + size + " bytes, over " + MAX_CAPTURE);
    }

    /**
     * This tree as {@link #read} with {@code capture} would have returned it: the same nodes, only the captured
     * files {@code capture} accepts. {@code capture} must accept no path this tree's own predicate rejects (those
     * files were not kept). Shares the data: no copy, no decoding.
     *
     * @throws InitramfsException when a file {@code capture} accepts was over {@link #MAX_CAPTURE}
     */
    public InitramfsTree view(Predicate<String> capture) throws InitramfsException {
        for (String p : oversized) {
            if (capture.test(p)) {
                throw oversize(p, nodes.get(p).size());
            }
        }
        return new InitramfsTree(nodes, captured, oversized, summary, shown.and(capture));
    }

    /** Rough heap bytes held by the nodes and captured files (for {@link InitramfsCache}'s bound). */
    long footprint() {
        long n = 256;
        for (Map.Entry<String, Node> e : nodes.entrySet()) {
            String t = e.getValue().linkTarget();
            n += 2L * e.getKey().length() + (t == null ? 0 : 2L * t.length()) + 160;
        }
        for (byte[] b : captured.values()) {
            n += b.length + 64;
        }
        return n;
    }

    public InitramfsReader.Summary summary() {
        return summary;
    }

    /** Every path's node (read-only). */
    public Map<String, Node> nodes() {
        return nodes;
    }

    public byte[] captured(String path) {
        return shown.test(path) ? captured.get(path) : null;
    }

    /**
     * Resolves {@code path} following symlinks inside the archive (absolute targets from the archive root,
     * {@code ..} stops at the root, at most 40 links). Components that do not exist are kept as they are.
     *
     * @return the canonical path
     */
    public String resolve(String path) throws InitramfsException {
        Deque<String> todo = new ArrayDeque<>();
        for (String c : path.split("/")) {
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
            String candidate = done.isEmpty() ? c : String.join("/", done) + "/" + c;
            Node n = nodes.get(candidate);
            if (n != null && n.type() == 'l') {
                if (++links > 40) {
                    throw new InitramfsException("initramfs.symlink", "too many links resolving " + path);
                }
                String target = n.linkTarget();
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
        return String.join("/", done);
    }

    /** Type of the path after resolution, or 0 if absent. */
    public char typeOf(String path) throws InitramfsException {
        Node n = nodes.get(resolve(path));
        return n == null ? 0 : n.type();
    }
}
