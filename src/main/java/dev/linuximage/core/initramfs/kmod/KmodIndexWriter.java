package dev.linuximage.core.initramfs.kmod;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes kmod's binary index format (the {@code modules.*.bin} files libkmod reads), implemented from the format
 * description in kmod's {@code libkmod/libkmod-index.c}:
 *
 * <pre>
 *   u32 magic = 0xB007F457; u32 version = 0x00020001 (major 2, minor 1); u32 root node offset
 *   node, at (offset &amp; 0x0FFFFFFF), fields present per the offset's flag bits:
 *     0x80000000 PREFIX: char prefix[] NUL-terminated (the label after the child character)
 *     0x20000000 CHILDS: u8 first; u8 last; u32 child[last - first + 1] (0 = no child)
 *     0x40000000 VALUES: u32 count; { u32 priority; char value[] NUL-terminated } [count], by priority
 * </pre>
 * All integers are big-endian ("network order"). The trie is a Patricia trie: a node that has no values and a single
 * child is merged into its child's prefix. Keys are 7-bit ASCII without NUL (kmod indexes children by characters
 * below 128 and refuses others too). Children are written before their parent so every offset is known when the
 * parent is written; the header's root offset is patched last.
 */
public final class KmodIndexWriter {
    static final int MAGIC = 0xB007F457;
    static final int VERSION = 0x00020001;
    static final int FLAG_PREFIX = 0x80000000;
    static final int FLAG_VALUES = 0x40000000;
    static final int FLAG_CHILDS = 0x20000000;
    static final int OFFSET_MASK = 0x0FFFFFFF;
    /** Longest key accepted. */
    public static final int MAX_KEY = 4096;

    private final Node root = new Node();
    private int keys;

    private static final class Node {
        final TreeMap<Character, Node> children = new TreeMap<>();
        final List<Value> values = new ArrayList<>(1);
    }

    private record Value(long priority, String value, int seq) {}

    private int seq;

    /** True when {@code key} can be stored: 1..{@value #MAX_KEY} chars, each in 1..127. */
    public static boolean validKey(String key) {
        if (key.isEmpty() || key.length() > MAX_KEY) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == 0 || c >= 128) {
                return false;
            }
        }
        return true;
    }

    /**
     * Adds a value under {@code key}. Values of one key are kept in increasing {@code priority} (an unsigned 32-bit
     * number), insertion order among equal priorities.
     */
    public void add(String key, String value, long priority) throws KmodException {
        if (!validKey(key)) {
            throw new KmodException("index.key", "key not storable in a kmod index: " + abbreviate(key));
        }
        if (value.indexOf('\0') >= 0) {
            throw new KmodException("index.value", "value contains NUL");
        }
        if (priority < 0 || priority > 0xffffffffL) {
            throw new KmodException("index.priority", priority + " outside u32");
        }
        Node n = root;
        for (int i = 0; i < key.length(); i++) {
            n = n.children.computeIfAbsent(key.charAt(i), c -> new Node());
        }
        n.values.add(new Value(priority, value, seq++));
        keys++;
    }

    public int size() {
        return keys;
    }

    /** The complete index file. */
    public byte[] toBytes() throws KmodException {
        Out out = new Out();
        out.u32(MAGIC);
        out.u32(VERSION);
        out.u32(0); // root offset, patched below
        int rootOffset = write(root, out);
        byte[] b = out.toByteArray();
        put32(b, 8, rootOffset);
        return b;
    }

    /** Writes the subtree whose label starts at {@code n}; returns its offset word (offset | flags). */
    private int write(Node start, Out out) throws KmodException {
        StringBuilder prefix = new StringBuilder();
        Node n = start;
        while (n.values.isEmpty() && n.children.size() == 1) {
            Map.Entry<Character, Node> only = n.children.firstEntry();
            prefix.append(only.getKey());
            n = only.getValue();
        }
        int first = 0;
        int last = -1;
        int[] childOffsets = null;
        if (!n.children.isEmpty()) {
            first = n.children.firstKey();
            last = n.children.lastKey();
            childOffsets = new int[last - first + 1];
            for (Map.Entry<Character, Node> c : n.children.entrySet()) {
                childOffsets[c.getKey() - first] = write(c.getValue(), out);
            }
        }
        int offset = out.size();
        if (offset > OFFSET_MASK) {
            throw new KmodException("index.size", "index larger than 256 MiB");
        }
        int flags = 0;
        if (prefix.length() > 0) {
            flags |= FLAG_PREFIX;
            out.writeBytes(prefix.toString().getBytes(StandardCharsets.US_ASCII));
            out.write(0);
        }
        if (childOffsets != null) {
            flags |= FLAG_CHILDS;
            out.write(first);
            out.write(last);
            for (int c : childOffsets) {
                out.u32(c);
            }
        }
        if (!n.values.isEmpty()) {
            flags |= FLAG_VALUES;
            List<Value> vs = new ArrayList<>(n.values);
            vs.sort(Comparator.comparingLong(Value::priority).thenComparingInt(Value::seq));
            out.u32(vs.size());
            for (Value v : vs) {
                out.u32((int) v.priority());
                out.writeBytes(v.value().getBytes(StandardCharsets.UTF_8));
                out.write(0);
            }
        }
        if (flags == 0) {
            // an empty index: the root has neither values nor children
            return 0;
        }
        return offset | flags;
    }

    private static void put32(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 24);
        b[p + 1] = (byte) (v >>> 16);
        b[p + 2] = (byte) (v >>> 8);
        b[p + 3] = (byte) v;
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    private static final class Out extends ByteArrayOutputStream {
        void u32(int v) {
            write(v >>> 24);
            write(v >>> 16);
            write(v >>> 8);
            write(v);
        }
    }
}
