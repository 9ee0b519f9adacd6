package dev.linuximage.core.format.ova;

import dev.linuximage.core.format.Check;
import dev.linuximage.core.format.FormatException;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal, bounded reader of a tar archive's member index (POSIX ustar, with pax {@code path}/{@code size}
 * records and GNU long names): regular files with their data offsets, so members are read in place, never
 * extracted. Header checksums are verified; sizes are checked against the archive.
 */
final class TarIndex {
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    static final String LABEL = "ova";

    static final int MAX_ENTRIES = 4096;

    record Entry(String name, long offset, long size) {}

    private TarIndex() {}

    static boolean probe(byte[] head) {
        // a whole 512-byte header is needed before the checksum can be tested (found by FormatFuzzTest)
        return head.length >= 512
                && new String(head, 257, 5, StandardCharsets.ISO_8859_1).equals("ustar")
                && checksumOk(head);
    }

    static List<Entry> read(ByteSource tar) throws IOException {
        List<Entry> out = new ArrayList<>();
        long pos = 0;
        long size = tar.size();
        String longName = null;
        Long paxSize = null;
        while (pos + 512 <= size) {
            byte[] h = tar.readBytes(pos, 512);
            if (allZero(h)) {
                break;
            }
            Check.that(checksumOk(h), LABEL, "tar header checksum", pos, "bad tar header checksum");
            String name = cstr(h, 0, 100);
            String prefix = new String(h, 257, 5, StandardCharsets.ISO_8859_1).equals("ustar") ? cstr(h, 345, 155) : "";
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
            long len = number(h, 124, 12, pos);
            if (paxSize != null) {
                len = paxSize;
            }
            char type = (char) h[156];
            long data = pos + 512;
            Check.within(LABEL, "tar member " + name, data, len, size);
            switch (type) {
                case 'x' -> {
                    Check.that(len <= 64 * 1024, LABEL, "pax header size", len, "too large");
                    String pax = new String(tar.readBytes(data, (int) len), StandardCharsets.UTF_8);
                    for (String rec : pax.split("\n")) {
                        int sp = rec.indexOf(' ');
                        int eq = rec.indexOf('=');
                        if (sp > 0 && eq > sp) {
                            String k = rec.substring(sp + 1, eq);
                            String v = rec.substring(eq + 1);
                            if (k.equals("path")) {
                                longName = v;
                            } else if (k.equals("size")) {
                                try {
                                    paxSize = Long.parseLong(v);
                                } catch (NumberFormatException e) {
                                    throw new FormatException(LABEL, "pax size", v, "not a number");
                                }
                            }
                        }
                    }
                }
                case 'L' -> {
                    Check.that(len <= 4096, LABEL, "GNU long name size", len, "too large");
                    longName = cstr(tar.readBytes(data, (int) len), 0, (int) len);
                }
                case 'g' -> {
                    // global pax header: nothing we need
                }
                default -> {
                    if (type == '0' || type == '\0') {
                        out.add(new Entry(longName != null ? longName : name, data, len));
                        Check.that(out.size() <= MAX_ENTRIES, LABEL, "tar members", out.size(), "too many members");
                    }
                    longName = null;
                    paxSize = null;
                }
            }
            if (type == 'x' || type == 'L') {
                paxSize = type == 'x' ? paxSize : null;
            }
            long next = data + (len + 511) / 512 * 512;
            Check.that(next > pos, LABEL, "tar member size", len, "no progress");
            pos = next;
        }
        return out;
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    static boolean checksumOk(byte[] h) {
        long stored;
        try {
            stored = parseOctal(h, 148, 8);
        } catch (NumberFormatException e) {
            return false;
        }
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xFF);
        }
        return sum == stored;
    }

    private static long number(byte[] h, int off, int len, long where) throws FormatException {
        if ((h[off] & 0x80) != 0) {
            // base-256 (GNU) for sizes of 8 GiB and more
            long v = h[off] & 0x7F;
            for (int i = 1; i < len; i++) {
                Check.that(v < (1L << 55), LABEL, "tar size", where, "size overflows");
                v = (v << 8) | (h[off + i] & 0xFF);
            }
            return v;
        }
        try {
            return parseOctal(h, off, len);
        } catch (NumberFormatException e) {
            throw new FormatException(LABEL, "tar size", where, "not an octal number");
        }
    }

    private static long parseOctal(byte[] h, int off, int len) {
        String s = new String(h, off, len, StandardCharsets.ISO_8859_1)
                .replace('\0', ' ')
                .trim();
        if (s.isEmpty()) {
            return 0;
        }
        if (s.length() > 21) {
            throw new NumberFormatException(s);
        }
        return Long.parseLong(s, 8);
    }

    private static String cstr(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }
}
