package dev.linuximage.core.guest;

import dev.linuximage.core.guestfs.Change;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every place a Linux guest's kernel command line is set, read and edited: {@code GRUB_CMDLINE_LINUX} (and
 * {@code _DEFAULT}) in {@code /etc/default/grub} and its {@code grub.d/*.cfg} drop-ins (sourced in that order, the
 * last assignment wins), {@code linux}/{@code linuxefi}/{@code linux16} lines of grub.cfg on /boot/grub, /boot/grub2
 * and the ESP, RHEL 8's {@code set kernelopts=} fallback, BLS {@code options} lines, grubenv {@code kernelopts}
 * and {@code /etc/kernel/cmdline}. Edits are minimal: only the argument text of the affected lines changes.
 */
public final class BootCmdline {
    private static final Pattern ASSIGN =
            Pattern.compile("^(\\s*(?:export\\s+)?)(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)=(.*)$");
    private static final Pattern LINUX = Pattern.compile("^(\\s*(?:linux|linuxefi|linux16)\\s+)(\\S+)(.*)$");
    private static final Pattern SET_KERNELOPTS = Pattern.compile("^(\\s*set\\s+kernelopts=)([\"']?)(.*?)\\2(\\s*)$");
    private static final Pattern OPTIONS = Pattern.compile("^(\\s*options\\s+)(.*)$");
    private static final Pattern BLS_LINUX = Pattern.compile("^\\s*linux\\s+(\\S+).*$");
    private static final Pattern ASSIGN_START =
            Pattern.compile("^\\s*(?:export\\s+)?GRUB_CMDLINE_LINUX(?:_DEFAULT)?=.*$");
    private static final Pattern VAR = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)\\}?");

    /** What inspection found: the sites, and files that could not be understood (reported, never rewritten). */
    public record Result(List<CmdlineSite> sites, List<String> problems) {}

    private BootCmdline() {}

    // ---------------------------------------------------------------- file discovery

    static List<String> defaultGrubFiles(GuestReader r) {
        List<String> out = new ArrayList<>();
        if (r.isFile("/etc/default/grub")) {
            out.add("/etc/default/grub");
        }
        out.addAll(r.paths("/etc/default/grub.d", n -> n.endsWith(".cfg")));
        return out;
    }

    static List<String> grubCfgFiles(GuestReader r) {
        List<String> c = new ArrayList<>(List.of("/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"));
        for (String d : r.paths("/boot/efi/EFI", n -> true)) {
            c.add(d + "/grub.cfg");
        }
        return dedupe(r, c);
    }

    static List<String> grubenvFiles(GuestReader r) {
        List<String> c = new ArrayList<>(List.of("/boot/grub2/grubenv", "/boot/grub/grubenv"));
        for (String d : r.paths("/boot/efi/EFI", n -> true)) {
            c.add(d + "/grubenv");
        }
        return dedupe(r, c);
    }

    /**
     * Where a BLS type #1 {@code $BOOT} can be mounted, in the order kernel-install and bootctl look for it
     * (systemd's Boot Loader Specification: the ESP or the XBOOTLDR partition; {@code kernel-install}(8):
     * {@code /efi}, {@code /boot}, {@code /boot/efi}). Fedora/RHEL keep {@code loader/entries} on /boot, Arch mounts the
     * ESP at /boot, Debian's systemd-boot and kernel-install write them to the ESP on /boot/efi.
     */
    static final List<String> BLS_ROOTS = List.of("/efi", "/boot", "/boot/efi");

    static List<String> blsFiles(GuestReader r) {
        List<String> out = new ArrayList<>();
        for (String root : BLS_ROOTS) {
            // a symlinked mount point (e.g. /efi -> boot/efi) names entries listed under their real place already
            if (r.readLink(root).isPresent()) {
                continue;
            }
            out.addAll(r.paths(root + "/loader/entries", n -> n.endsWith(".conf")));
        }
        return out;
    }

    /** Keeps regular files; drops a symlink whose target is another candidate (RHEL's grub2 -> ESP links). */
    private static List<String> dedupe(GuestReader r, List<String> candidates) {
        List<String> files = candidates.stream().filter(r::isFile).toList();
        List<String> out = new ArrayList<>();
        for (String f : files) {
            Optional<String> link = r.readLink(f);
            if (link.isPresent()) {
                String target = normalize(
                        link.get().startsWith("/") ? link.get() : f.substring(0, f.lastIndexOf('/') + 1) + link.get());
                if (files.contains(target)) {
                    continue;
                }
            }
            out.add(f);
        }
        return out;
    }

    static String normalize(String path) {
        List<String> parts = new ArrayList<>();
        for (String c : path.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.remove(parts.size() - 1);
                }
            } else {
                parts.add(c);
            }
        }
        return "/" + String.join("/", parts);
    }

    // ---------------------------------------------------------------- /etc/default/grub

    /** One {@code GRUB_CMDLINE_LINUX[_DEFAULT]=} assignment as written. */
    record Assignment(String file, int index, String prefix, String key, char quote, String content, String rest) {
        String render(String newContent) {
            char q = quote;
            if (q == 0 && newContent.contains(" ")) {
                q = '"';
            }
            String qs = q == 0 ? "" : String.valueOf(q);
            return prefix + key + "=" + qs + newContent + qs + rest;
        }
    }

    static Optional<Assignment> parseAssignment(String file, int index, String line) {
        Matcher m = ASSIGN.matcher(line);
        if (!m.matches()) {
            return Optional.empty();
        }
        String v = m.group(3);
        char q = 0;
        String content;
        String rest;
        if (!v.isEmpty() && (v.charAt(0) == '"' || v.charAt(0) == '\'')) {
            q = v.charAt(0);
            int end = closing(v, q);
            if (end < 0) {
                return Optional.empty(); // a multi-line value: not edited, reported by the check as unmatched
            }
            content = v.substring(1, end);
            rest = v.substring(end + 1);
        } else {
            int sp = 0;
            while (sp < v.length() && !Character.isWhitespace(v.charAt(sp))) {
                sp++;
            }
            content = v.substring(0, sp);
            rest = v.substring(sp);
        }
        return Optional.of(new Assignment(file, index, m.group(1), m.group(2), q, content, rest));
    }

    private static int closing(String v, char q) {
        for (int i = 1; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\' && q == '"') {
                i++;
            } else if (c == q) {
                return i;
            }
        }
        return -1;
    }

    static String expand(String content, char quote, Map<String, String> vars) {
        if (quote == '\'') {
            return content;
        }
        Matcher m = VAR.matcher(content);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String val = vars.get(m.group(1));
            m.appendReplacement(sb, Matcher.quoteReplacement(val != null ? val : m.group()));
        }
        m.appendTail(sb);
        return sb.toString().trim();
    }

    private static List<Assignment> assignments(GuestReader r, List<String> files) {
        List<Assignment> out = new ArrayList<>();
        for (String f : files) {
            List<String> lines = GuestReader.lines(r.text(f).orElse(""));
            for (int i = 0; i < lines.size(); i++) {
                parseAssignment(f, i, lines.get(i)).ifPresent(out::add);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- inspection

    public static Result inspect(GuestReader r) {
        List<CmdlineSite> sites = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> dg = defaultGrubFiles(r);
        problems.addAll(unparsable(r, dg));
        if (!dg.isEmpty()) {
            Map<String, String> vars = new HashMap<>();
            Assignment lastLinux = null;
            for (Assignment a : assignments(r, dg)) {
                String value = expand(a.content(), a.quote(), vars);
                vars.put(a.key(), value);
                if (a.key().equals("GRUB_CMDLINE_LINUX")) {
                    lastLinux = a;
                } else {
                    sites.add(new CmdlineSite(
                            CmdlineSite.Kind.DEFAULT_GRUB_EXTRA, a.file(), a.index() + 1, a.content(), value));
                }
            }
            if (lastLinux != null) {
                sites.add(new CmdlineSite(
                        CmdlineSite.Kind.DEFAULT_GRUB,
                        lastLinux.file(),
                        lastLinux.index() + 1,
                        lastLinux.content(),
                        vars.getOrDefault("GRUB_CMDLINE_LINUX", "")));
            } else if (r.isFile("/etc/default/grub")) {
                sites.add(new CmdlineSite(CmdlineSite.Kind.DEFAULT_GRUB, dg.get(0), 0, "", ""));
            }
            // else: only drop-ins that set no command line, without /etc/default/grub (grub-common's
            // grub.d/init-select.cfg stays on a Debian that boots with systemd-boot or extlinux): no GRUB command
            // line is configured here, so there is no place to judge or edit.
        }
        String kernelopts = null;
        for (String f : grubenvFiles(r)) {
            try {
                Map<String, String> env = GrubEnv.parse(r.files().read(f));
                String ko = env.get("kernelopts");
                if (ko != null) {
                    sites.add(new CmdlineSite(CmdlineSite.Kind.GRUBENV, f, 0, ko, ko));
                    if (kernelopts == null) {
                        kernelopts = ko;
                    }
                }
            } catch (IllegalArgumentException | IOException e) {
                problems.add(f + ": " + e.getMessage());
            }
        }
        List<String> cfgs = grubCfgFiles(r);
        if (kernelopts == null) {
            kernelopts = cfgKernelopts(r, cfgs);
        }
        Map<String, String> vars = kernelopts == null ? Map.of() : Map.of("kernelopts", kernelopts);
        for (String f : cfgs) {
            List<String> lines = GuestReader.lines(r.text(f).orElse(""));
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = LINUX.matcher(lines.get(i));
                if (m.matches()) {
                    String args = m.group(3).trim();
                    sites.add(new CmdlineSite(
                            CmdlineSite.Kind.GRUB_CFG, f, i + 1, args, expand(args, '"', vars), m.group(2)));
                }
                Matcher k = SET_KERNELOPTS.matcher(lines.get(i));
                if (k.matches()) {
                    sites.add(new CmdlineSite(CmdlineSite.Kind.GRUB_CFG_KERNELOPTS, f, i + 1, k.group(3), k.group(3)));
                }
            }
        }
        for (String f : blsFiles(r)) {
            List<String> lines = GuestReader.lines(r.text(f).orElse(""));
            String image = blsLinux(lines);
            boolean found = false;
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = OPTIONS.matcher(lines.get(i));
                if (m.matches()) {
                    found = true;
                    String args = m.group(2).trim();
                    sites.add(new CmdlineSite(CmdlineSite.Kind.BLS, f, i + 1, args, expand(args, '"', vars), image));
                }
            }
            if (!found) {
                sites.add(new CmdlineSite(CmdlineSite.Kind.BLS, f, 0, "", "", image));
            }
        }
        if (r.isFile("/etc/kernel/cmdline")) {
            String t = r.text("/etc/kernel/cmdline").orElse("").trim();
            sites.add(new CmdlineSite(CmdlineSite.Kind.KERNEL_CMDLINE, "/etc/kernel/cmdline", 1, t, t));
        }
        LegacyBootSites.inspect(r, sites, problems);
        return new Result(sites, problems);
    }

    /** The kernel image a BLS entry boots ({@code linux} key), or null. */
    static String blsLinux(List<String> lines) {
        for (String l : lines) {
            Matcher m = BLS_LINUX.matcher(l);
            if (m.matches()) {
                return m.group(1);
            }
        }
        return null;
    }

    /** Assignments this reader cannot edit safely (a quoted value spanning lines): reported, never rewritten. */
    static List<String> unparsable(GuestReader r, List<String> files) {
        List<String> out = new ArrayList<>();
        for (String f : files) {
            List<String> lines = GuestReader.lines(r.text(f).orElse(""));
            for (int i = 0; i < lines.size(); i++) {
                if (ASSIGN_START.matcher(lines.get(i)).matches()
                        && parseAssignment(f, i, lines.get(i)).isEmpty()) {
                    out.add(f + ": line " + (i + 1) + ": a GRUB_CMDLINE_LINUX value spanning several lines is not "
                            + "edited");
                }
            }
        }
        return out;
    }

    private static String cfgKernelopts(GuestReader r, List<String> cfgs) {
        for (String f : cfgs) {
            for (String l : GuestReader.lines(r.text(f).orElse(""))) {
                Matcher k = SET_KERNELOPTS.matcher(l);
                if (k.matches()) {
                    return k.group(3);
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- patching

    /** Applies the policy everywhere; each changed file is one change tagged {@code req}. */
    public static void patch(GuestEditor ed, CmdlinePolicy p, String req) throws IOException {
        patch(ed, p, image -> p, req);
    }

    /**
     * Applies {@code p} to the places every kernel boots with and {@code forKernel.apply(image)} to the entries that
     * boot one kernel image (grub.cfg {@code linux} lines, BLS entries; {@code image} as they name it, or null).
     */
    public static void patch(GuestEditor ed, CmdlinePolicy p, Function<String, CmdlinePolicy> forKernel, String req)
            throws IOException {
        GuestReader r = ed.reader();
        patchDefaultGrub(ed, p, req);
        String kernelopts = null;
        for (String f : grubenvFiles(r)) {
            Map<String, String> env;
            try {
                env = new LinkedHashMap<>(GrubEnv.parse(r.files().read(f)));
            } catch (IllegalArgumentException e) {
                continue; // malformed block: reported by inspection, never rewritten
            }
            String ko = env.get("kernelopts");
            if (ko == null) {
                continue;
            }
            String edited = p.edit(ko, true, null);
            if (kernelopts == null) {
                kernelopts = edited;
            }
            if (!edited.equals(ko)) {
                env.put("kernelopts", edited);
                byte[] block;
                try {
                    block = GrubEnv.format(env);
                } catch (IllegalArgumentException e) {
                    throw new IOException(f + ": " + e.getMessage());
                }
                r.files().write(f, block);
                ed.log().add(new Change(req, f, Change.Action.Modified, "kernelopts=" + ko, "kernelopts=" + edited));
            }
        }
        List<String> cfgs = grubCfgFiles(r);
        for (String f : cfgs) {
            editLines(
                    ed,
                    req,
                    f,
                    (line, ko) -> {
                        Matcher k = SET_KERNELOPTS.matcher(line);
                        if (k.matches()) {
                            String e = p.edit(k.group(3), true, null);
                            return k.group(1) + k.group(2) + e + k.group(2) + k.group(4);
                        }
                        return line;
                    },
                    null);
        }
        if (kernelopts == null) {
            kernelopts = cfgKernelopts(r, cfgs);
        }
        final String ko = kernelopts;
        for (String f : cfgs) {
            editLines(
                    ed,
                    req,
                    f,
                    (line, k) -> {
                        Matcher m = LINUX.matcher(line);
                        if (!m.matches()) {
                            return line;
                        }
                        String args = m.group(3).trim();
                        String e = forKernel.apply(m.group(2)).edit(args, true, others(args, k));
                        return e.equals(args) ? line : m.group(1) + m.group(2) + (e.isEmpty() ? "" : " " + e);
                    },
                    ko);
        }
        for (String f : blsFiles(r)) {
            String text = r.text(f).orElse("");
            CmdlinePolicy entry = forKernel.apply(blsLinux(GuestReader.lines(text)));
            boolean hasOptions = GuestReader.lines(text).stream()
                    .anyMatch(l -> OPTIONS.matcher(l).matches());
            if (!hasOptions) {
                String add = entry.edit("", true, null);
                ed.writeText(
                        req, f, text + (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + "options " + add + "\n");
                continue;
            }
            editLines(
                    ed,
                    req,
                    f,
                    (line, k) -> {
                        Matcher m = OPTIONS.matcher(line);
                        if (!m.matches()) {
                            return line;
                        }
                        String args = m.group(2).trim();
                        String e = entry.edit(args, true, others(args, k));
                        return e.equals(args) ? line : m.group(1) + e;
                    },
                    ko);
        }
        if (r.isFile("/etc/kernel/cmdline")) {
            String t = r.text("/etc/kernel/cmdline").orElse("");
            String e = p.edit(t.trim(), true, null);
            if (!e.equals(t.trim())) {
                ed.writeText(req, "/etc/kernel/cmdline", e + "\n");
            }
        }
        LegacyBootSites.patch(ed, p, req);
    }

    /** Tokens an argument string gets from {@code $kernelopts}, when it uses it and its value is known. */
    private static List<String> others(String args, String kernelopts) {
        if (kernelopts == null) {
            return null;
        }
        for (String t : KernelCmdline.tokens(args)) {
            if (t.equals("$kernelopts") || t.equals("${kernelopts}")) {
                return KernelCmdline.tokens(kernelopts);
            }
        }
        return null;
    }

    private interface LineEdit {
        String apply(String line, String kernelopts);
    }

    private static void editLines(GuestEditor ed, String req, String file, LineEdit edit, String kernelopts)
            throws IOException {
        Optional<String> text = ed.reader().text(file);
        if (text.isEmpty()) {
            return;
        }
        String t = text.get();
        boolean crlf = t.contains("\r\n");
        String sep = crlf ? "\r\n" : "\n";
        String[] lines = t.split("\r?\n", -1);
        boolean changed = false;
        for (int i = 0; i < lines.length; i++) {
            String e = edit.apply(lines[i], kernelopts);
            if (!e.equals(lines[i])) {
                lines[i] = e;
                changed = true;
            }
        }
        if (changed) {
            ed.writeText(req, file, String.join(sep, lines));
        }
    }

    private static void patchDefaultGrub(GuestEditor ed, CmdlinePolicy p, String req) throws IOException {
        GuestReader r = ed.reader();
        List<String> files = defaultGrubFiles(r);
        if (files.isEmpty()) {
            return;
        }
        List<String> bad = unparsable(r, files);
        if (!bad.isEmpty()) {
            // appending a new assignment would silently drop the arguments of the one we cannot parse
            throw new IOException(bad.get(0));
        }
        List<Assignment> all = assignments(r, files);
        Assignment last = null;
        for (Assignment a : all) {
            if (a.key().equals("GRUB_CMDLINE_LINUX")) {
                last = a;
            }
        }
        // Values of the variables as seen by the last GRUB_CMDLINE_LINUX assignment (for $GRUB_CMDLINE_LINUX refs).
        Map<String, String> vars = new HashMap<>();
        List<String> othersOfLast = null;
        for (Assignment a : all) {
            if (a == last) {
                List<String> o = new ArrayList<>();
                Matcher m = VAR.matcher(a.quote() == '\'' ? "" : a.content());
                while (m.find()) {
                    String v = vars.get(m.group(1));
                    if (v != null) {
                        o.addAll(KernelCmdline.tokens(v));
                    }
                }
                othersOfLast = o;
            }
            vars.put(a.key(), expand(a.content(), a.quote(), vars));
        }
        for (String f : files) {
            String text = r.text(f).orElse("");
            List<String> lines = new ArrayList<>(GuestReader.lines(text));
            boolean changed = false;
            for (int i = 0; i < lines.size(); i++) {
                Optional<Assignment> oa = parseAssignment(f, i, lines.get(i));
                if (oa.isEmpty()) {
                    continue;
                }
                Assignment a = oa.get();
                boolean isLast = last != null && last.file().equals(f) && last.index() == i;
                String e = p.edit(a.content(), isLast, isLast ? othersOfLast : null);
                if (!e.equals(a.content())) {
                    lines.set(i, a.render(e));
                    changed = true;
                }
            }
            String added = last == null && f.equals("/etc/default/grub") ? p.edit("", true, null) : "";
            if (!added.isEmpty()) { // nothing to add (a removal-only policy): no empty assignment either
                lines.add("GRUB_CMDLINE_LINUX=\"" + added + "\"");
                changed = true;
            }
            if (changed) {
                ed.writeText(req, f, String.join("\n", lines) + "\n");
            }
        }
    }

    /** Convenience for callers holding raw bytes. */
    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
