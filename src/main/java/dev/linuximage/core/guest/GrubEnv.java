package dev.linuximage.core.guest;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The GRUB environment block ({@code grubenv}): exactly 1024 bytes, a {@code # GRUB Environment Block} header line,
 * {@code name=value} lines, then {@code #} padding (GRUB's {@code grub-editenv} format). A file of another size or
 * without the header is refused, never rewritten.
 */
public final class GrubEnv {
    public static final int SIZE = 1024;
    public static final String HEADER = "# GRUB Environment Block\n";

    private GrubEnv() {}

    /** The variables, in order; throws IllegalArgumentException naming the problem when the block is malformed. */
    public static Map<String, String> parse(byte[] block) {
        if (block.length != SIZE) {
            throw new IllegalArgumentException("grubenv: size " + block.length + " bytes, expected " + SIZE);
        }
        String s = new String(block, StandardCharsets.ISO_8859_1);
        if (!s.startsWith(HEADER)) {
            throw new IllegalArgumentException("grubenv: missing '# GRUB Environment Block' header");
        }
        Map<String, String> vars = new LinkedHashMap<>();
        for (String line : s.substring(HEADER.length()).split("\n", -1)) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq > 0) {
                vars.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return vars;
    }

    /** Writes a block with the variables, padded with {@code #} to exactly 1024 bytes; refuses overflow. */
    public static byte[] format(Map<String, String> vars) {
        StringBuilder sb = new StringBuilder(HEADER);
        vars.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (head.length > SIZE) {
            throw new IllegalArgumentException(
                    "grubenv: " + head.length + " bytes of variables exceed the " + SIZE + "-byte block");
        }
        byte[] out = new byte[SIZE];
        System.arraycopy(head, 0, out, 0, head.length);
        java.util.Arrays.fill(out, head.length, SIZE, (byte) '#');
        return out;
    }
}
