package dev.linuximage.core.guest;

import java.util.ArrayList;
import java.util.List;

/** Kernel command-line tokens: split (double quotes group), joined, matched. Pure functions. */
public final class KernelCmdline {
    private KernelCmdline() {}

    /** Splits on whitespace; a double-quoted part ({@code foo="a b"}) stays in one token with its quotes. */
    public static List<String> tokens(String args) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < args.length(); i++) {
            char c = args.charAt(i);
            if (c == '"') {
                quoted = !quoted;
                cur.append(c);
            } else if (!quoted && Character.isWhitespace(c)) {
                if (cur.length() > 0) {
                    out.add(cur.toString());
                    cur.setLength(0);
                }
            } else {
                cur.append(c);
            }
        }
        if (cur.length() > 0) {
            out.add(cur.toString());
        }
        return out;
    }

    public static String key(String token) {
        int i = token.indexOf('=');
        return i < 0 ? token : token.substring(0, i);
    }

    /** True for a grub variable reference such as {@code $kernelopts} or {@code ${extra_cmdline}}. */
    public static boolean isVariable(String token) {
        return token.startsWith("$");
    }

    /**
     * Whether {@code have} satisfies the wanted token: equal, or for {@code console=ttyS0} also a console on ttyS0
     * with options ({@code console=ttyS0,115200n8}).
     */
    public static boolean satisfies(String have, String want) {
        if (have.equals(want)) {
            return true;
        }
        return want.startsWith("console=") && have.startsWith(want + ",");
    }

    public static boolean contains(List<String> tokens, String want) {
        return tokens.stream().anyMatch(t -> satisfies(t, want));
    }

    /**
     * Whether {@code token} matches a removal pattern: {@code key=value} exactly, a bare {@code key} also
     * {@code key=*}, and {@code key>N} a {@code key=M} whose leading decimal number M exceeds N (how the kernel's
     * {@code simple_strtoul} and initramfs-tools read {@code rootdelay}); a value without leading digits never
     * matches {@code key>N}.
     */
    public static boolean matchesRemoval(String token, String pattern) {
        int gt = pattern.indexOf('>');
        if (gt > 0 && !pattern.contains("=") && pattern.substring(gt + 1).matches("[0-9]{1,18}")) {
            String k = pattern.substring(0, gt);
            if (!token.startsWith(k + "=")) {
                return false;
            }
            return exceeds(token.substring(k.length() + 1), Long.parseLong(pattern.substring(gt + 1)));
        }
        if (pattern.contains("=")) {
            return token.equals(pattern);
        }
        return token.equals(pattern) || token.startsWith(pattern + "=");
    }

    private static boolean exceeds(String value, long bound) {
        int i = 0;
        while (i < value.length() && Character.isDigit(value.charAt(i)) && value.charAt(i) < 128) {
            i++;
        }
        if (i == 0) {
            return false;
        }
        // more digits than a long holds is certainly above any bound
        return i > 18 || Long.parseLong(value.substring(0, i)) > bound;
    }
}
