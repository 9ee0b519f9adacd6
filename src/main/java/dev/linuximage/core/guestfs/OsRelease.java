package dev.linuximage.core.guestfs;

import java.util.LinkedHashMap;
import java.util.Map;

/** os-release(5) parsing: {@code KEY=value} lines, values optionally quoted with shell-style escapes. */
public final class OsRelease {
    private OsRelease() {}

    public static Map<String, String> parse(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            int eq = line.indexOf('=');
            if (line.startsWith("#") || eq <= 0) {
                continue;
            }
            String k = line.substring(0, eq);
            String v = line.substring(eq + 1);
            if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
                v = v.substring(1, v.length() - 1).replaceAll("\\\\([\"\\\\$`])", "$1");
            }
            m.put(k, v);
        }
        return m;
    }
}
