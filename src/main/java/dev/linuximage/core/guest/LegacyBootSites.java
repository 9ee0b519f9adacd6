package dev.linuximage.core.guest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Command-line sites of the boot loaders other than GRUB 2 (catalogue CMDLINE-CONSOLE: "grub legacy
 * ({@code grub.conf}/{@code menu.lst} {@code kernel} lines), extlinux/syslinux"), registered in
 * {@link BootCmdline#inspect} and {@link BootCmdline#patch}:
 * <ul>
 * <li>GRUB legacy (RHEL/CentOS 6, SLES 11, old Debian/Ubuntu): {@code /boot/grub/grub.conf},
 * {@code /boot/grub/menu.lst}, {@code /boot/efi/EFI/<vendor>/grub.conf} and the {@code /etc/grub.conf} link. Every
 * {@code title} entry boots with its {@code kernel} line's arguments; RHEL's grubby copies the default entry's
 * arguments into the entry of a newly installed kernel, so the file is both source and generated configuration.
 * Debian's legacy {@code update-grub} regenerates the entries from the {@code # kopt=} and {@code # defoptions=}
 * magic comments of menu.lst: they are edited too.</li>
 * <li>extlinux/syslinux (Alpine, some appliances): {@code /boot/extlinux/extlinux.conf}, {@code /boot/extlinux.conf},
 * {@code /extlinux.conf}, {@code /boot/syslinux/syslinux.cfg}: each {@code LABEL} of a Linux kernel boots with its
 * own {@code APPEND} line, else with the global {@code APPEND} (keywords are case-insensitive, syslinux.cfg(5)
 * "APPEND"; {@code APPEND -} means no arguments). Alpine's {@code update-extlinux} rewrites the file from
 * {@code default_kernel_opts} of {@code /etc/update-extlinux.conf}: that source is edited too.</li>
 * <li>SLES 11's perl-Bootloader writes the entry of a newly installed kernel with {@code DEFAULT_APPEND} of
 * {@code /etc/sysconfig/bootloader}: edited where GRUB legacy boots.</li>
 * </ul>
 * Edits change only the argument text of the affected lines (or add one {@code APPEND} line to a Linux label that
 * has none and inherits none).
 */
public final class LegacyBootSites {
    static final List<String> GRUB_LEGACY = List.of("/boot/grub/grub.conf", "/boot/grub/menu.lst", "/etc/grub.conf");
    static final List<String> EXTLINUX = List.of(
            "/boot/extlinux/extlinux.conf",
            "/boot/extlinux.conf",
            "/extlinux.conf",
            "/boot/syslinux/syslinux.cfg",
            "/boot/syslinux/extlinux.conf",
            "/boot/syslinux.cfg",
            "/syslinux.cfg");
    public static final String UPDATE_EXTLINUX = "/etc/update-extlinux.conf";
    /** SLES 11's perl-Bootloader writes new menu.lst entries with {@code DEFAULT_APPEND} of this file. */
    public static final String SUSE_BOOTLOADER = "/etc/sysconfig/bootloader";

    /** {@code kernel [--option...] /path args} (GRUB legacy accepts {@code =} after the command name, too). */
    private static final Pattern KERNEL = Pattern.compile("^(\\s*kernel(?:\\s+|\\s*=\\s*)(?:--\\S+\\s+)*)(\\S+)(.*)$");

    private static final Pattern KOPT = Pattern.compile("^(\\s*#\\s*(kopt|defoptions)=)(.*)$");
    private static final Pattern X_KEYWORD = Pattern.compile("^\\s*([A-Za-z]+)(?:\\s+(.*?))?\\s*$");
    private static final Pattern OPTS = Pattern.compile("^(\\s*default_kernel_opts=)([\"']?)(.*?)\\2(\\s*(?:#.*)?)$");
    private static final Pattern SUSE_APPEND = Pattern.compile("^(\\s*DEFAULT_APPEND=)([\"']?)(.*?)\\2(\\s*(?:#.*)?)$");
    /** syslinux modules and boot sectors, not Linux kernels (syslinux.cfg(5) "KERNEL" file-type by extension). */
    private static final Pattern NOT_LINUX = Pattern.compile("(?i).*\\.(c32|com|cbt|bs|bss|bin|0|img)$");

    private LegacyBootSites() {}

    // ------------------------------------------------------------------ discovery

    static List<String> grubLegacyFiles(GuestReader r) {
        List<String> c = new ArrayList<>(GRUB_LEGACY);
        for (String d : r.paths("/boot/efi/EFI", n -> true)) {
            c.add(d + "/grub.conf");
        }
        return dedupe(r, c);
    }

    static List<String> extlinuxFiles(GuestReader r) {
        return dedupe(r, EXTLINUX);
    }

    /**
     * The regular files among {@code candidates}, each once: a symlink is replaced by the file it leads to (RHEL's
     * {@code /etc/grub.conf -> ../boot/grub/grub.conf}, {@code menu.lst -> ./grub.conf}); edits go to the real file.
     */
    static List<String> dedupe(GuestReader r, List<String> candidates) {
        List<String> out = new ArrayList<>();
        for (String c : candidates) {
            if (!r.isFile(c)) {
                continue;
            }
            String real = resolve(r, c);
            if (real != null && !out.contains(real)) {
                out.add(real);
            }
        }
        return out;
    }

    /** Follows up to 8 symlinks inside the guest; null when the chain is too long or leaves regular files. */
    static String resolve(GuestReader r, String path) {
        String p = path;
        for (int i = 0; i < 8; i++) {
            Optional<String> link = r.readLink(p);
            if (link.isEmpty()) {
                return r.isFile(p) ? p : null;
            }
            String t = link.get();
            p = BootCmdline.normalize(t.startsWith("/") ? t : p.substring(0, p.lastIndexOf('/') + 1) + t);
        }
        return null;
    }

    // ------------------------------------------------------------------ inspection

    /** Adds the sites of grub legacy, extlinux and update-extlinux.conf. */
    static void inspect(GuestReader r, List<CmdlineSite> sites, List<String> problems) {
        for (String f : grubLegacyFiles(r)) {
            List<String> lines = GuestReader.lines(r.text(f).orElse(""));
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = KERNEL.matcher(lines.get(i));
                if (m.matches()) {
                    String args = m.group(3).trim();
                    sites.add(new CmdlineSite(CmdlineSite.Kind.GRUB_LEGACY, f, i + 1, args, args));
                    continue;
                }
                Matcher k = KOPT.matcher(lines.get(i));
                if (k.matches()) {
                    String args = k.group(3).trim();
                    sites.add(new CmdlineSite(
                            k.group(2).equals("kopt")
                                    ? CmdlineSite.Kind.GRUB_LEGACY_KOPT
                                    : CmdlineSite.Kind.GRUB_LEGACY_DEFOPTIONS,
                            f,
                            i + 1,
                            args,
                            args));
                }
            }
        }
        for (String f : extlinuxFiles(r)) {
            Extlinux x = Extlinux.parse(GuestReader.lines(r.text(f).orElse("")));
            for (int idx : x.appendSites()) {
                String args = x.args(idx);
                sites.add(new CmdlineSite(CmdlineSite.Kind.EXTLINUX, f, idx + 1, args, args.equals("-") ? "" : args));
            }
            for (Extlinux.Label l : x.labelsWithoutArgs()) {
                sites.add(new CmdlineSite(CmdlineSite.Kind.EXTLINUX, f, l.line() + 1, "", ""));
            }
        }
        source(r, UPDATE_EXTLINUX, OPTS, "default_kernel_opts=", CmdlineSite.Kind.EXTLINUX_SOURCE, sites, problems);
        // only where GRUB legacy boots: SLES 12+ keep the file but boot grub2 from /etc/default/grub
        if (!grubLegacyFiles(r).isEmpty()) {
            source(
                    r,
                    SUSE_BOOTLOADER,
                    SUSE_APPEND,
                    "DEFAULT_APPEND=",
                    CmdlineSite.Kind.SUSE_BOOTLOADER,
                    sites,
                    problems);
        }
    }

    private static void source(
            GuestReader r,
            String file,
            Pattern p,
            String key,
            CmdlineSite.Kind kind,
            List<CmdlineSite> sites,
            List<String> problems) {
        if (!r.isFile(file)) {
            return;
        }
        List<String> lines = GuestReader.lines(r.text(file).orElse(""));
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = p.matcher(lines.get(i));
            if (m.matches()) {
                sites.add(new CmdlineSite(kind, file, i + 1, m.group(3), m.group(3)));
            } else if (lines.get(i).trim().startsWith(key)) {
                problems.add(file + ": line " + (i + 1) + ": a " + key + " value this reader cannot edit safely");
            }
        }
    }

    /** One extlinux configuration: its labels and APPEND lines (0-based line indexes). */
    record Extlinux(List<String> lines, Integer globalAppend, List<Label> labels) {
        /**
         * A {@code LABEL} block.
         *
         * @param line   the LABEL line
         * @param kernel the KERNEL/LINUX line, or -1
         * @param append the block's own APPEND line, or -1
         * @param linux  whether the block boots a Linux kernel (not a .c32 module or boot sector)
         */
        record Label(int line, int kernel, int append, boolean linux) {}

        static Extlinux parse(List<String> lines) {
            Integer global = null;
            List<Label> labels = new ArrayList<>();
            int start = -1;
            int kernel = -1;
            int append = -1;
            boolean linux = false;
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = X_KEYWORD.matcher(lines.get(i));
                if (!m.matches()) {
                    continue;
                }
                String kw = m.group(1).toLowerCase(java.util.Locale.ROOT);
                String arg = m.group(2) == null ? "" : m.group(2);
                switch (kw) {
                    case "label" -> {
                        if (start >= 0) {
                            labels.add(new Label(start, kernel, append, linux));
                        }
                        start = i;
                        kernel = -1;
                        append = -1;
                        linux = false;
                    }
                    case "kernel", "linux" -> {
                        if (start >= 0) {
                            kernel = i;
                            linux = kw.equals("linux")
                                    || !NOT_LINUX.matcher(arg.split("\\s+")[0]).matches();
                        }
                    }
                    case "append" -> {
                        if (start < 0) {
                            global = i; // the last global APPEND wins
                        } else {
                            append = i;
                        }
                    }
                    default -> {
                        // other keywords (INITRD, MENU, DEFAULT, TIMEOUT, ...) do not carry the command line
                    }
                }
            }
            if (start >= 0) {
                labels.add(new Label(start, kernel, append, linux));
            }
            return new Extlinux(lines, global, labels);
        }

        String args(int idx) {
            Matcher m = X_KEYWORD.matcher(lines.get(idx));
            return m.matches() && m.group(2) != null ? m.group(2).trim() : "";
        }

        /** The APPEND lines a Linux kernel boots with: Linux labels' own, and the global one if some label inherits it. */
        List<Integer> appendSites() {
            List<Integer> out = new ArrayList<>();
            boolean inherited = labels.isEmpty();
            for (Label l : labels) {
                if (!l.linux()) {
                    continue;
                }
                if (l.append() >= 0) {
                    out.add(l.append());
                } else {
                    inherited = true;
                }
            }
            if (globalAppend != null && inherited) {
                out.add(0, globalAppend);
            }
            return out;
        }

        /** Linux labels with no APPEND of their own and no global one to inherit. */
        List<Label> labelsWithoutArgs() {
            if (globalAppend != null) {
                return List.of();
            }
            return labels.stream().filter(l -> l.linux() && l.append() < 0).toList();
        }
    }

    // ------------------------------------------------------------------ patching

    static void patch(GuestEditor ed, CmdlinePolicy p, String req) throws IOException {
        GuestReader r = ed.reader();
        for (String f : grubLegacyFiles(r)) {
            List<String> lines = new ArrayList<>(GuestReader.lines(r.text(f).orElse("")));
            boolean changed = false;
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i);
                Matcher m = KERNEL.matcher(l);
                String e = l;
                if (m.matches()) {
                    String args = m.group(3).trim();
                    String edited = p.edit(args, true, null);
                    e = edited.equals(args) ? l : m.group(1) + m.group(2) + (edited.isEmpty() ? "" : " " + edited);
                } else {
                    Matcher k = KOPT.matcher(l);
                    if (k.matches()) {
                        String args = k.group(3).trim();
                        String edited = p.edit(args, k.group(2).equals("kopt"), null);
                        e = edited.equals(args) ? l : k.group(1) + edited;
                    }
                }
                if (!e.equals(l)) {
                    lines.set(i, e);
                    changed = true;
                }
            }
            if (changed) {
                ed.writeText(req, f, join(r, f, lines));
            }
        }
        for (String f : extlinuxFiles(r)) {
            List<String> lines = new ArrayList<>(GuestReader.lines(r.text(f).orElse("")));
            Extlinux x = Extlinux.parse(lines);
            boolean changed = false;
            for (int idx : x.appendSites()) {
                String args = x.args(idx);
                String literal = args.equals("-") ? "" : args;
                String edited = p.edit(literal, true, null);
                if (!edited.equals(literal) || (args.equals("-") && !edited.isEmpty())) {
                    String l = lines.get(idx);
                    int at = l.toLowerCase(java.util.Locale.ROOT).indexOf("append");
                    lines.set(idx, l.substring(0, at + "append".length()) + " " + (edited.isEmpty() ? "-" : edited));
                    changed = true;
                }
            }
            // a Linux label with nothing to inherit gets its own APPEND, inserted bottom-up to keep indexes valid
            List<Extlinux.Label> bare = new ArrayList<>(x.labelsWithoutArgs());
            java.util.Collections.reverse(bare);
            for (Extlinux.Label l : bare) {
                int after = Math.max(l.line(), l.kernel());
                String indent = leading(lines.get(after));
                lines.add(after + 1, indent + "APPEND " + p.edit("", true, null));
                changed = true;
            }
            if (changed) {
                ed.writeText(req, f, join(r, f, lines));
            }
        }
        patchSource(ed, p, req, UPDATE_EXTLINUX, OPTS);
        if (!grubLegacyFiles(r).isEmpty()) {
            patchSource(ed, p, req, SUSE_BOOTLOADER, SUSE_APPEND);
        }
    }

    private static void patchSource(GuestEditor ed, CmdlinePolicy p, String req, String file, Pattern pattern)
            throws IOException {
        GuestReader r = ed.reader();
        if (!r.isFile(file)) {
            return;
        }
        List<String> lines = new ArrayList<>(GuestReader.lines(r.text(file).orElse("")));
        boolean changed = false;
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = pattern.matcher(lines.get(i));
            if (m.matches()) {
                String edited = p.edit(m.group(3), true, null);
                if (!edited.equals(m.group(3))) {
                    String q = m.group(2).isEmpty() && edited.contains(" ") ? "\"" : m.group(2);
                    lines.set(i, m.group(1) + q + edited + q + m.group(4));
                    changed = true;
                }
            }
        }
        if (changed) {
            ed.writeText(req, file, join(r, file, lines));
        }
    }

    private static String leading(String line) {
        int i = 0;
        while (i < line.length() && Character.isWhitespace(line.charAt(i))) {
            i++;
        }
        return line.substring(0, i);
    }

    /** Lines back to text, keeping the file's CRLF/LF convention and its final newline. */
    private static String join(GuestReader r, String f, List<String> lines) {
        String old = r.text(f).orElse("");
        boolean crlf = old.contains("\r\n");
        List<String> out = lines;
        if (crlf) {
            out = lines.stream().map(l -> l.endsWith("\r") ? l : l + "\r").toList();
        }
        return String.join("\n", out) + (old.isEmpty() || old.endsWith("\n") ? "\n" : "");
    }
}
