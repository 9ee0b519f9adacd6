package dev.linuximage.core.volume;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parser for the LVM2 text metadata format ({@code lvm2/lib/format_text/import-export}: sections
 * {@code name { ... }}, assignments {@code key = value}, values are integers, quoted strings or lists
 * {@code [v, v]}; {@code #} starts a comment). Sections become {@link Map}s (insertion order kept), lists become
 * {@link List}s, numbers {@link Long}s and strings {@link String}s. Depth and size are bounded: metadata is hostile.
 */
public final class LvmText {
    static final int MAX_DEPTH = 32;
    static final int MAX_ITEMS = 200_000;

    private final String s;
    private int pos;
    private int items;

    private LvmText(String s) {
        this.s = s;
    }

    /** Parses a metadata text; the result is the top-level section. */
    public static Map<String, Object> parse(String text) throws LvmException {
        LvmText p = new LvmText(text);
        Map<String, Object> top = p.section(0, true);
        return top;
    }

    private Map<String, Object> section(int depth, boolean top) throws LvmException {
        if (depth > MAX_DEPTH) {
            throw err("sections nested deeper than " + MAX_DEPTH);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        while (true) {
            skipSpace();
            if (pos >= s.length()) {
                if (top) {
                    return m;
                }
                throw err("unterminated section");
            }
            char c = s.charAt(pos);
            if (c == '}') {
                if (top) {
                    throw err("unexpected '}'");
                }
                pos++;
                return m;
            }
            if (c == '\0') {
                // Metadata text in the circular buffer is NUL-terminated.
                if (top) {
                    return m;
                }
                throw err("NUL inside a section");
            }
            String key = identifier();
            skipSpace();
            if (pos >= s.length()) {
                throw err("missing '=' or '{' after " + key);
            }
            char d = s.charAt(pos);
            if (d == '{') {
                pos++;
                m.put(key, section(depth + 1, false));
            } else if (d == '=') {
                pos++;
                skipSpace();
                m.put(key, value(depth + 1));
            } else {
                throw err("expected '=' or '{' after " + key + ", found '" + d + "'");
            }
            if (++items > MAX_ITEMS) {
                throw err("more than " + MAX_ITEMS + " items");
            }
        }
    }

    private Object value(int depth) throws LvmException {
        if (pos >= s.length()) {
            throw err("missing value");
        }
        char c = s.charAt(pos);
        if (c == '"') {
            return string();
        }
        if (c == '[') {
            if (depth > MAX_DEPTH) {
                throw err("lists nested deeper than " + MAX_DEPTH);
            }
            pos++;
            List<Object> list = new ArrayList<>();
            while (true) {
                skipSpace();
                if (pos >= s.length()) {
                    throw err("unterminated list");
                }
                if (s.charAt(pos) == ']') {
                    pos++;
                    return list;
                }
                list.add(value(depth + 1));
                if (++items > MAX_ITEMS) {
                    throw err("more than " + MAX_ITEMS + " items");
                }
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                }
            }
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            int start = pos;
            pos++;
            while (pos < s.length() && (Character.isDigit(s.charAt(pos)) || s.charAt(pos) == '.')) {
                pos++;
            }
            String num = s.substring(start, pos);
            if (num.contains(".")) {
                return num; // floats appear only in fields we do not interpret
            }
            try {
                return Long.parseLong(num);
            } catch (NumberFormatException e) {
                throw err("bad number " + num);
            }
        }
        throw err("unexpected character '" + c + "' in value");
    }

    private String string() throws LvmException {
        pos++;
        StringBuilder b = new StringBuilder();
        while (pos < s.length()) {
            char c = s.charAt(pos++);
            if (c == '"') {
                return b.toString();
            }
            if (c == '\\' && pos < s.length()) {
                c = s.charAt(pos++);
            }
            b.append(c);
        }
        throw err("unterminated string");
    }

    private String identifier() throws LvmException {
        int start = pos;
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.' || c == '+') {
                pos++;
            } else {
                break;
            }
        }
        if (start == pos) {
            throw err("expected a name, found '" + s.charAt(pos) + "'");
        }
        return s.substring(start, pos);
    }

    private void skipSpace() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == '#') {
                while (pos < s.length() && s.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                pos++;
            } else {
                return;
            }
        }
    }

    private LvmException err(String what) {
        return new LvmException("LVM2 metadata text: " + what + " at character " + pos);
    }
}
