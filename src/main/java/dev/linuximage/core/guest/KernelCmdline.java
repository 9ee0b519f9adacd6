package dev.linuximage.core.guest;

import java.util.ArrayList;
import java.util.List;

/** Kernel command-line tokens: split (double quotes group), joined, matched. Pure functions. */
public final class KernelCmdline {
    private KernelCmdline() {
    }

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

    /** Whether {@code token} matches a removal pattern: {@code key=value} exactly, a bare {@code key} also {@code key=*}. */
    public static boolean matchesRemoval(String token, String pattern) {
        if (pattern.contains("=")) {
            return token.equals(pattern);
        }
        return token.equals(pattern) || token.startsWith(pattern + "=");
    }
}
