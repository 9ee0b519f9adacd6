package dev.linuximage.core.io;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one grammar for sizes on every command line and in a spec: a positive whole number, optionally followed by
 * {@code K}, {@code M}, {@code G} or {@code T} (always binary: 1 K = 1024 bytes), an optional {@code i} and an
 * optional {@code B}, in any case: {@code 1023G}, {@code 1023Gi}, {@code 1023GiB}, {@code 512m}, {@code 4096},
 * {@code 4096B}. Kubernetes quantities ({@code 64Gi}) and qemu-img sizes ({@code 64G}) both read as users expect.
 */
public final class Sizes {
    private static final Pattern SIZE =
            Pattern.compile("(\\d{1,19})\\s*(?:([KMGT])(?:i)?)?B?", Pattern.CASE_INSENSITIVE);
    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private Sizes() {}

    /**
     * @return the size in bytes
     * @throws IllegalArgumentException naming the text when it is not a size, is zero or exceeds 2^63-1 bytes
     */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size: '" + text + "' (bytes, or a whole number with a K/M/G/T"
                    + " suffix, binary: 1023G = 1023Gi)");
        }
        int shift = m.group(2) == null
                ? 0
                : switch (Character.toUpperCase(m.group(2).charAt(0))) {
                    case 'K' -> 10;
                    case 'M' -> 20;
                    case 'G' -> 30;
                    default -> 40;
                };
        long v;
        try {
            v = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size out of range: '" + text + "'");
        }
        if (v <= 0 || v > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("size out of range: '" + text + "' (must be positive and below 8 EiB)");
        }
        return v << shift;
    }

    /**
     * A size for people: bytes below 1 KiB, else the largest binary unit with one decimal ({@code 1.5 GiB}), or none
     * when exact ({@code 64 MiB}).
     */
    public static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        int unit = -1;
        double v = bytes;
        while (v >= 1024 && unit < UNITS.length - 1) {
            v /= 1024;
            unit++;
        }
        long whole = 1L << (10 * (unit + 1));
        if (bytes % whole == 0) {
            return (bytes / whole) + " " + UNITS[unit];
        }
        return String.format(Locale.ROOT, "%.1f %s", v, UNITS[unit]);
    }
}
