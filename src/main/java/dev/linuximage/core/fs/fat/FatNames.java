package dev.linuximage.core.fs.fat;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * 8.3 short names and VFAT long-name helpers (Microsoft "FAT: General Overview of On-Disk Format" 1.03, §6 and §7).
 */
final class FatNames {
    /** Characters not allowed in a short name besides those below 0x20 (§6.1). */
    private static final String ILLEGAL_SHORT = "\"*+,./:;<=>?[\\]|";
    /** Characters not allowed in a long name (§7). */
    private static final String ILLEGAL_LONG = "\"*/:<>?\\|";

    private FatNames() {}

    /** The checksum stored in every LFN entry of a set: rotate right and add over the 11 short-name bytes. */
    static int checksum(byte[] shortName, int off) {
        int sum = 0;
        for (int i = 0; i < 11; i++) {
            sum = (((sum & 1) << 7) | ((sum & 0xff) >>> 1)) + (shortName[off + i] & 0xff);
            sum &= 0xff;
        }
        return sum;
    }

    static void checkLongName(String name) {
        if (name.isEmpty() || name.length() > 255 || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("vfat: invalid file name '" + name + "'");
        }
        for (char c : name.toCharArray()) {
            if (c < 0x20 || ILLEGAL_LONG.indexOf(c) >= 0) {
                throw new IllegalArgumentException("vfat: file name '" + name + "' contains an illegal character");
            }
        }
        if (name.endsWith(" ") || name.endsWith(".")) {
            throw new IllegalArgumentException("vfat: file name '" + name + "' ends with a space or dot");
        }
    }

    /** The 11-byte short name if {@code name} is already a valid upper-case 8.3 name, else {@code null}. */
    static byte[] exactShort(String name) {
        int dot = name.lastIndexOf('.');
        String base = dot < 0 ? name : name.substring(0, dot);
        String ext = dot < 0 ? "" : name.substring(dot + 1);
        if (base.isEmpty() || base.length() > 8 || ext.length() > 3 || (dot >= 0 && ext.isEmpty())) {
            return null;
        }
        for (char c : (base + ext).toCharArray()) {
            if (c <= 0x20 || c >= 0x7f || ILLEGAL_SHORT.indexOf(c) >= 0 || Character.isLowerCase(c)) {
                return null;
            }
        }
        return pad(base, ext);
    }

    /**
     * Generates a unique short name with a numeric tail ({@code LONGNA~1.TXT}) for a long name (§7.4 "basis name"
     * algorithm, simplified: invalid characters become {@code _}).
     */
    static byte[] generateShort(String name, Set<String> existing) {
        String upper = name.toUpperCase(Locale.ROOT);
        int dot = upper.lastIndexOf('.');
        String base = dot <= 0 ? upper : upper.substring(0, dot);
        String ext = dot <= 0 ? "" : upper.substring(dot + 1);
        base = clean(base);
        ext = clean(ext);
        if (ext.length() > 3) {
            ext = ext.substring(0, 3);
        }
        if (base.isEmpty()) {
            base = "_";
        }
        for (int n = 1; n < 1_000_000; n++) {
            String tail = "~" + n;
            String b = base.length() + tail.length() > 8 ? base.substring(0, 8 - tail.length()) : base;
            byte[] candidate = pad(b + tail, ext);
            if (!existing.contains(new String(candidate, StandardCharsets.ISO_8859_1))) {
                return candidate;
            }
        }
        throw new IllegalStateException("vfat: no free short name for " + name);
    }

    private static String clean(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == ' ' || c == '.') {
                continue; // spaces and embedded dots are dropped from the basis name
            }
            if (c < 0x20 || c >= 0x7f || ILLEGAL_SHORT.indexOf(c) >= 0) {
                b.append('_');
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    static byte[] pad(String base, String ext) {
        byte[] out = new byte[11];
        java.util.Arrays.fill(out, (byte) ' ');
        byte[] b = base.getBytes(StandardCharsets.ISO_8859_1);
        byte[] e = ext.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(b, 0, out, 0, Math.min(8, b.length));
        System.arraycopy(e, 0, out, 8, Math.min(3, e.length));
        return out;
    }

    /** The display form of an 11-byte short name, honouring the NT lower-case flags (byte 12: 0x08 base, 0x10 ext). */
    static String display(byte[] e, int off, int ntFlags) {
        byte[] raw = java.util.Arrays.copyOfRange(e, off, off + 11);
        if ((raw[0] & 0xff) == 0x05) {
            raw[0] = (byte) 0xe5; // §6.1: 0x05 stands for a leading 0xE5 (KANJI lead byte)
        }
        String base = new String(raw, 0, 8, StandardCharsets.ISO_8859_1).stripTrailing();
        String ext = new String(raw, 8, 3, StandardCharsets.ISO_8859_1).stripTrailing();
        if ((ntFlags & 0x08) != 0) {
            base = base.toLowerCase(Locale.ROOT);
        }
        if ((ntFlags & 0x10) != 0) {
            ext = ext.toLowerCase(Locale.ROOT);
        }
        return ext.isEmpty() ? base : base + "." + ext;
    }
}
