package dev.linuximage.core.initramfs.kmod;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The text module indexes depmod writes ({@code modules.dep}, {@code modules.alias}, {@code modules.symbols},
 * {@code modules.softdep}) and their binary forms in kmod's index format ({@link KmodIndexWriter}), as libkmod looks
 * them up: {@code modules.dep.bin} maps a module name to its whole {@code modules.dep} line, {@code modules.alias.bin}
 * an alias pattern to a module name, {@code modules.symbols.bin} {@code symbol:<name>} to a module name.
 */
public final class ModuleIndexes {
    /** Largest text index accepted when merging. */
    public static final int MAX_TEXT = 32 << 20;

    private ModuleIndexes() {}

    /**
     * One {@code modules.dep} line: {@code path: dep1 dep2 ...}, paths relative to {@code /lib/modules/<version>};
     * dependencies listed so that each module comes before the modules it needs (modprobe loads from the end).
     */
    public record DepLine(String path, List<String> deps) {
        public String moduleName() {
            return ModuleFile.moduleName(path);
        }

        public String line() {
            StringBuilder sb = new StringBuilder(path).append(':');
            for (String d : deps) {
                sb.append(' ').append(d);
            }
            return sb.toString();
        }
    }

    /** Parses {@code modules.dep} text: module name to its line, in file order (later duplicates are ignored). */
    public static LinkedHashMap<String, DepLine> parseDep(String text) throws KmodException {
        checkSize(text, "modules.dep");
        LinkedHashMap<String, DepLine> out = new LinkedHashMap<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new KmodException("modules.dep", "line without 'path:' : " + abbreviate(line));
            }
            String path = line.substring(0, colon).strip();
            String rest = line.substring(colon + 1).strip();
            List<String> deps = rest.isEmpty() ? List.of() : Arrays.asList(rest.split("\\s+"));
            out.putIfAbsent(ModuleFile.moduleName(path), new DepLine(path, List.copyOf(deps)));
        }
        return out;
    }

    /** An {@code alias <pattern> <module>} line (modules.alias, modules.symbols). */
    public record Alias(String pattern, String module) {
        public String line() {
            return "alias " + pattern + " " + module;
        }
    }

    /** Parses {@code alias <pattern> <module>} lines; comments, blank and malformed lines are dropped. */
    public static List<Alias> parseAliases(String text, String file) throws KmodException {
        checkSize(text, file);
        List<Alias> out = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String[] f = raw.strip().split("\\s+");
            if (f.length == 3 && f[0].equals("alias")) {
                out.add(new Alias(f[1], ModuleFile.normalise(f[2])));
            }
        }
        return out;
    }

    /** Text of {@code modules.dep} for the given lines. */
    public static String depText(Iterable<DepLine> lines) {
        StringBuilder sb = new StringBuilder();
        for (DepLine l : lines) {
            sb.append(l.line()).append('\n');
        }
        return sb.toString();
    }

    public static String aliasText(List<Alias> aliases, String header) {
        StringBuilder sb = new StringBuilder(header);
        for (Alias a : aliases) {
            sb.append(a.line()).append('\n');
        }
        return sb.toString();
    }

    /**
     * The binary indexes for the given text indexes. Priorities follow depmod: the module's position in
     * {@code modules.dep}. Aliases whose pattern cannot be stored (non-ASCII) are left out of the binary index, as
     * depmod leaves them out.
     *
     * @return file name ({@code modules.dep.bin}, ...) to content
     */
    public static Map<String, byte[]> binaries(
            LinkedHashMap<String, DepLine> dep, List<Alias> aliases, List<Alias> symbols) throws KmodException {
        Map<String, Integer> order = new LinkedHashMap<>();
        KmodIndexWriter depIdx = new KmodIndexWriter();
        int i = 0;
        for (Map.Entry<String, DepLine> e : dep.entrySet()) {
            order.put(e.getKey(), i);
            if (KmodIndexWriter.validKey(e.getKey())) {
                depIdx.add(e.getKey(), e.getValue().line(), i);
            }
            i++;
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put("modules.dep.bin", depIdx.toBytes());
        out.put("modules.alias.bin", aliasIndex(aliases, order, true).toBytes());
        out.put("modules.symbols.bin", aliasIndex(symbols, order, false).toBytes());
        return out;
    }

    private static KmodIndexWriter aliasIndex(List<Alias> aliases, Map<String, Integer> order, boolean normalise)
            throws KmodException {
        KmodIndexWriter w = new KmodIndexWriter();
        for (Alias a : aliases) {
            String key = normalise ? aliasNormalise(a.pattern()) : a.pattern();
            if (key != null && KmodIndexWriter.validKey(key)) {
                w.add(key, a.module(), order.getOrDefault(a.module(), order.size()));
            }
        }
        return w;
    }

    /**
     * The key form of an alias in {@code modules.alias.bin}: {@code -} becomes {@code _} outside bracket
     * expressions, because modprobe normalises the alias it looks up the same way (libkmod {@code alias_normalize};
     * depmod normalises before inserting). Returns null for an unbalanced bracket, which kmod refuses too.
     */
    public static String aliasNormalise(String alias) {
        StringBuilder sb = new StringBuilder(alias.length());
        for (int i = 0; i < alias.length(); i++) {
            char c = alias.charAt(i);
            if (c == '-') {
                sb.append('_');
            } else if (c == ']') {
                return null;
            } else if (c == '[') {
                int end = alias.indexOf(']', i);
                if (end < 0) {
                    return null;
                }
                sb.append(alias, i, end + 1);
                i = end;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void checkSize(String text, String file) throws KmodException {
        if (text.length() > MAX_TEXT) {
            throw new KmodException(file, "larger than " + MAX_TEXT + " bytes");
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}
