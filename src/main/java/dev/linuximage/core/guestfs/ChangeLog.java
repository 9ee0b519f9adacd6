package dev.linuximage.core.guestfs;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

/**
 * Every change made (or, in dry-run mode, that would be made) to a guest, in order; the patch layer puts it in its
 * reports. Thread-safe append.
 */
public final class ChangeLog {
    /** Text files up to this size (bytes, before and after) get a line diff. */
    public static final int DIFF_LIMIT = 64 * 1024;
    static final int MAX_DIFF_LINES = 2000;

    /**
     * @param path      guest path
     * @param operation {@code create}, {@code modify}, {@code delete}, {@code mkdir}, {@code symlink}, {@code chmod}
     * @param before    SHA-256 (hex) of the old content, or empty
     * @param after     SHA-256 (hex) of the new content, or empty
     * @param diff      a line diff ({@code -}/{@code +} lines with {@code @@ line N} headers) for small text files, or
     *                  a description ({@code mode 0644 -> 0600}, {@code -> target}); may be empty
     * @param applied   false in dry-run mode
     */
    public record Change(String path, String operation, String before, String after, String diff, boolean applied) {
    }

    private final List<Change> changes = Collections.synchronizedList(new ArrayList<>());

    public void add(Change c) {
        changes.add(c);
    }

    public List<Change> changes() {
        synchronized (changes) {
            return List.copyOf(changes);
        }
    }

    public static String sha256(byte[] b) {
        if (b == null) {
            return "";
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A line diff when both sides are small UTF-8 text, else empty. */
    public static String diff(byte[] before, byte[] after) {
        String a = text(before == null ? new byte[0] : before);
        String b = text(after == null ? new byte[0] : after);
        if (a == null || b == null) {
            return "";
        }
        String[] x = a.isEmpty() ? new String[0] : a.split("\n", -1);
        String[] y = b.isEmpty() ? new String[0] : b.split("\n", -1);
        if (x.length > MAX_DIFF_LINES || y.length > MAX_DIFF_LINES) {
            return "";
        }
        // Longest common subsequence table (bounded by MAX_DIFF_LINES^2 ints).
        int[][] l = new int[x.length + 1][y.length + 1];
        for (int i = x.length - 1; i >= 0; i--) {
            for (int j = y.length - 1; j >= 0; j--) {
                l[i][j] = x[i].equals(y[j]) ? l[i + 1][j + 1] + 1 : Math.max(l[i + 1][j], l[i][j + 1]);
            }
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        int j = 0;
        boolean inHunk = false;
        while (i < x.length || j < y.length) {
            if (i < x.length && j < y.length && x[i].equals(y[j])) {
                i++;
                j++;
                inHunk = false;
                continue;
            }
            if (!inHunk) {
                out.append("@@ line ").append(i + 1).append('\n');
                inHunk = true;
            }
            if (j < y.length && (i == x.length || l[i][j + 1] >= l[i + 1][j])) {
                out.append('+').append(y[j++]).append('\n');
            } else {
                out.append('-').append(x[i++]).append('\n');
            }
        }
        return out.toString();
    }

    private static String text(byte[] b) {
        if (b.length > DIFF_LIMIT) {
            return null;
        }
        for (byte v : b) {
            if (v == 0) {
                return null;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
