package dev.linuximage.core.guestfs;

import java.util.ArrayList;
import java.util.List;

/** fstab(5) parsing: whitespace-separated fields, {@code #} comments, octal escapes like {@code \040}. */
public final class Fstab {
    /** @param spec fs_spec; @param file fs_file (mount point); @param type fs_vfstype; @param options fs_mntops */
    public record Line(String spec, String file, String type, String options) {}

    private Fstab() {}

    public static List<Line> parse(String text) {
        List<Line> out = new ArrayList<>();
        for (String raw : text.split("\n", -1)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            if (f.length < 2) {
                continue;
            }
            out.add(new Line(
                    unescape(f[0]), unescape(f[1]), f.length > 2 ? f[2] : "auto", f.length > 3 ? f[3] : "defaults"));
        }
        return out;
    }

    static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
