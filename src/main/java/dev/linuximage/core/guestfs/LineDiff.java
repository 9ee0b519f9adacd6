package dev.linuximage.core.guestfs;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The line diff of the change log, in its two renderings: {@link #hunks} (an ordered edit script with line numbers,
 * for the {@code guest} commands) and {@link #net} (the lines removed and added as multisets, what the report's
 * changes show: a line that only moved is no change there). Both compare lines as exact strings.
 */
public final class LineDiff {
    /** Text up to this size (bytes, before and after) gets {@link #hunks}. */
    public static final int HUNKS_LIMIT = 64 * 1024;
    /** More lines than this on either side get no {@link #hunks}: the LCS table is (lines + 1)² ints. */
    static final int HUNKS_MAX_LINES = 2000;

    private LineDiff() {}

    /**
     * An edit script of {@code -}/{@code +} lines under {@code @@ line N} headers (N: 1-based line of
     * {@code before}), by longest common subsequence; empty unless both sides are NUL-free UTF-8 of at most
     * {@link #HUNKS_LIMIT} bytes and {@link #HUNKS_MAX_LINES} lines. {@code null} is empty content.
     */
    public static String hunks(byte[] before, byte[] after) {
        String a = text(before == null ? new byte[0] : before);
        String b = text(after == null ? new byte[0] : after);
        if (a == null || b == null) {
            return "";
        }
        String[] x = a.isEmpty() ? new String[0] : a.split("\n", -1);
        String[] y = b.isEmpty() ? new String[0] : b.split("\n", -1);
        if (x.length > HUNKS_MAX_LINES || y.length > HUNKS_MAX_LINES) {
            return "";
        }
        // Longest common subsequence table (bounded by HUNKS_MAX_LINES^2 ints).
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

    /**
     * The lines removed and added.
     *
     * @param removed lines of {@code before} beyond their count in {@code after}, in order of appearance (of a line
     *                present n times before and m &lt; n times after, the last n - m occurrences)
     * @param added   likewise for {@code after}
     */
    public record Net(List<String> removed, List<String> added) {}

    /** The lines removed and added as multisets: linear time and memory, no size limit beyond the inputs'. */
    public static Net net(List<String> before, List<String> after) {
        return new Net(beyond(before, count(after)), beyond(after, count(before)));
    }

    private static List<String> beyond(List<String> lines, Map<String, Integer> other) {
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            if (other.merge(l, -1, Integer::sum) < 0) {
                out.add(l);
            }
        }
        return out;
    }

    private static Map<String, Integer> count(List<String> lines) {
        Map<String, Integer> m = new HashMap<>();
        lines.forEach(l -> m.merge(l, 1, Integer::sum));
        return m;
    }

    private static String text(byte[] b) {
        if (b.length > HUNKS_LIMIT) {
            return null;
        }
        for (byte v : b) {
            if (v == 0) {
                return null;
            }
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
