package dev.linuximage.core.initramfs;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
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

    private final Map<String, Node> nodes = new HashMap<>();
    private final Map<String, byte[]> captured = new HashMap<>();
    private InitramfsReader.Summary summary;

    private InitramfsTree() {}

    /**
     * Reads {@code image}, keeping every path's type and the content of regular files accepted by {@code capture}
     * (each capped at {@link #MAX_CAPTURE} bytes).
     */
    public static InitramfsTree read(byte[] image, InitramfsReader reader, Predicate<String> capture)
            throws IOException {
        InitramfsTree t = new InitramfsTree();
        t.summary = reader.read(image, (CpioEntry e, InputStream in) -> {
            t.nodes.put(e.path(), new Node(e.typeLetter(), e.linkTarget(), e.size()));
            if (e.isRegular() && capture.test(e.path())) {
                if (e.size() > MAX_CAPTURE) {
                    throw new InitramfsException(
                            "initramfs.capture", e.path() + " is " + e.size() + " bytes, over " + MAX_CAPTURE);
                }
                t.captured.put(e.path(), in.readAllBytes());
            } else {
                t.captured.remove(e.path());
            }
        });
        return t;
    }

    public InitramfsReader.Summary summary() {
        return summary;
    }

    public Map<String, Node> nodes() {
        return nodes;
    }

    public byte[] captured(String path) {
        return captured.get(path);
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
