package dev.linuximage.core.guest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * KERNEL-HV-DRIVERS, second half: the Hyper-V modules must survive the next initramfs rebuild (a kernel update runs
 * the guest's generator, which writes a fresh image without the modules we added). Per generator found in the guest,
 * whether it would include {@code hv_vmbus}, {@code hv_storvsc}, {@code hv_netvsc} by itself, whether they are
 * configured, and the edit that configures them:
 * <ul>
 *   <li>initramfs-tools: {@code MODULES=most} (the default) copies {@code kernel/drivers/scsi} and
 *       {@code kernel/drivers/net} with their dependencies ({@code hook-functions auto_add_modules}), which covers
 *       all three; {@code dep}, {@code list} and {@code netboot} do not. Repair: one line per module in
 *       {@code /etc/initramfs-tools/modules} (read by {@code mkinitramfs} with {@code modules.d/*}).</li>
 *   <li>dracut: unless {@code hostonly="no"} is the last {@code hostonly} setting (dracut.conf(5): files of
 *       {@code /etc/dracut.conf.d} and {@code /usr/lib/dracut/dracut.conf.d} read in name order after
 *       {@code /etc/dracut.conf}, the {@code /etc} file replacing a same-named one), a host-only image holds only
 *       the build host's drivers. Repair: drop-in {@code /etc/dracut.conf.d/90-linuximage-hyperv.conf} with
 *       {@code add_drivers+=" hv_vmbus hv_storvsc hv_netvsc "} (leading and trailing spaces, as the man page
 *       asks).</li>
 *   <li>mkinitcpio: the {@code autodetect} hook keeps only the build host's modules. Repair: {@code MODULES+=(...)}
 *       in the drop-in {@code /etc/mkinitcpio.conf.d/linuximage-hyperv.conf} when that directory exists
 *       (mkinitcpio.conf(5): drop-ins are read after the main file), else the names added to the one-line
 *       {@code MODULES=(...)} of {@code /etc/mkinitcpio.conf}.</li>
 *   <li>Alpine mkinitfs: the image holds the files of the features named in {@code features="..."} of
 *       {@code /etc/mkinitfs/mkinitfs.conf}; each feature's {@code features.d/<name>.modules} lists globs relative
 *       to {@code /lib/modules/<version>}. Repair: {@code /etc/mkinitfs/features.d/linuximage-hyperv.modules}
 *       with the three modules' in-tree paths, and {@code linuximage-hyperv} added to {@code features}.</li>
 * </ul>
 * Every repair is idempotent: a second run finds the modules configured and writes nothing.
 */
public final class HvDriverPersistence {
    public static final String DRACUT_DROPIN = "/etc/dracut.conf.d/90-linuximage-hyperv.conf";
    public static final String ITOOLS_MODULES = "/etc/initramfs-tools/modules";
    public static final String MKINITCPIO_CONF = "/etc/mkinitcpio.conf";
    public static final String MKINITCPIO_DROPIN = "/etc/mkinitcpio.conf.d/linuximage-hyperv.conf";
    public static final String MKINITFS_CONF = "/etc/mkinitfs/mkinitfs.conf";
    public static final String MKINITFS_FEATURE = "linuximage-hyperv";
    public static final String MKINITFS_FEATURE_FILE = "/etc/mkinitfs/features.d/" + MKINITFS_FEATURE + ".modules";
    /** In-tree paths of the modules under {@code /lib/modules/<version>} (drivers/hv, drivers/scsi, drivers/net/hyperv). */
    static final Map<String, String> TREE_PATH = Map.of(
            "hv_vmbus", "kernel/drivers/hv/hv_vmbus.ko",
            "hv_storvsc", "kernel/drivers/scsi/hv_storvsc.ko",
            "hv_netvsc", "kernel/drivers/net/hyperv/hv_netvsc.ko",
            "hv_utils", "kernel/drivers/hv/hv_utils.ko");

    private static final int MAX_CONF_FILES = 500;
    private static final Pattern MKINITCPIO_MODULES =
            Pattern.compile("^(\\s*MODULES\\s*\\+?=\\s*)(\\((.*)\\)|\"(.*)\")\\s*(#.*)?$");

    public enum Generator {
        INITRAMFS_TOOLS("initramfs-tools"),
        DRACUT("dracut"),
        MKINITCPIO("mkinitcpio"),
        MKINITFS("mkinitfs");

        private final String label;

        Generator(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * What one generator would do with the Hyper-V modules at its next run.
     *
     * @param hostOnly whether it leaves out modules the build host does not use (then they must be configured)
     * @param why      the setting that decides {@code hostOnly}, with its file
     * @param missing  modules not configured for this generator (empty when persisted)
     * @param file     the file the repair writes (or that already configures them)
     */
    public record Status(Generator generator, boolean hostOnly, String why, List<String> missing, String file) {
        /** True when the next rebuild would drop some of the modules. */
        public boolean atRisk() {
            return hostOnly && !missing.isEmpty();
        }
    }

    private HvDriverPersistence() {}

    /** The generators installed in the guest, recognised by their programs and configuration directories. */
    public static List<Generator> detect(GuestReader r) {
        List<Generator> out = new ArrayList<>();
        if (r.isDir("/usr/share/initramfs-tools") || r.isFile("/etc/initramfs-tools/initramfs.conf")) {
            out.add(Generator.INITRAMFS_TOOLS);
        }
        if (r.isDir("/usr/lib/dracut/modules.d")
                || r.isFile("/usr/bin/dracut")
                || r.isFile("/usr/sbin/dracut")
                || r.isFile("/sbin/dracut")) {
            out.add(Generator.DRACUT);
        }
        if (r.isFile(MKINITCPIO_CONF) || r.isFile("/usr/bin/mkinitcpio")) {
            out.add(Generator.MKINITCPIO);
        }
        if (r.isFile(MKINITFS_CONF) || r.isFile("/sbin/mkinitfs") || r.isFile("/usr/sbin/mkinitfs")) {
            out.add(Generator.MKINITFS);
        }
        return out;
    }

    /** The status of every generator found. */
    public static List<Status> status(GuestReader r, List<String> modules) {
        List<Status> out = new ArrayList<>();
        for (Generator g : detect(r)) {
            out.add(
                    switch (g) {
                        case INITRAMFS_TOOLS -> initramfsTools(r, modules);
                        case DRACUT -> dracut(r, modules);
                        case MKINITCPIO -> mkinitcpio(r, modules);
                        case MKINITFS -> mkinitfs(r, modules);
                    });
        }
        return out;
    }

    /**
     * Configures the modules for every host-only generator whose configuration lacks them ({@link Status#atRisk()},
     * exactly what the check fails on); a generator that includes them by itself is left alone.
     */
    public static void apply(GuestEditor ed, String req, List<String> modules) throws IOException {
        GuestReader r = ed.reader();
        for (Status s : status(r, modules)) {
            if (!s.atRisk()) {
                continue;
            }
            switch (s.generator()) {
                case INITRAMFS_TOOLS -> {
                    String old = r.text(ITOOLS_MODULES)
                            .orElse("# List of modules that you want to include in "
                                    + "your initramfs.\n# They will be loaded at boot time in the order below.\n");
                    StringBuilder sb = new StringBuilder(old);
                    if (!old.isEmpty() && !old.endsWith("\n")) {
                        sb.append('\n');
                    }
                    sb.append("# Hyper-V drivers for Azure (KERNEL-HV-DRIVERS), added by linuximage\n");
                    s.missing().forEach(m -> sb.append(m).append('\n'));
                    ed.writeText(req, ITOOLS_MODULES, sb.toString());
                }
                case DRACUT ->
                    ed.writeText(
                            req,
                            DRACUT_DROPIN,
                            "# Hyper-V drivers for Azure (KERNEL-HV-DRIVERS), "
                                    + "added by linuximage: kept in host-only images\nadd_drivers+=\" "
                                    + String.join(" ", modules)
                                    + " \"\n");
                case MKINITCPIO -> mkinitcpioApply(ed, req, s.missing());
                case MKINITFS -> mkinitfsApply(ed, req, modules);
            }
        }
    }

    // ---- initramfs-tools

    static Status initramfsTools(GuestReader r, List<String> modules) {
        String value = "most";
        String from = "default";
        List<String> confs = new ArrayList<>();
        confs.add("/etc/initramfs-tools/initramfs.conf");
        // mkinitramfs: /usr/share/initramfs-tools/conf.d/* unless overridden by name, then /etc/.../conf.d/*
        for (String p : r.paths("/usr/share/initramfs-tools/conf.d", n -> true)) {
            if (!r.exists("/etc/initramfs-tools/conf.d/" + GuestReader.baseName(p))) {
                confs.add(p);
            }
        }
        confs.addAll(r.paths("/etc/initramfs-tools/conf.d", n -> true));
        for (String c : cap(confs)) {
            for (String l : GuestReader.lines(r.text(c).orElse(""))) {
                String t = l.strip();
                if (t.startsWith("MODULES=")) {
                    value = unquote(t.substring(8).split("#", 2)[0].strip());
                    from = c;
                }
            }
        }
        Set<String> listed = new LinkedHashSet<>();
        List<String> lists = new ArrayList<>(List.of(ITOOLS_MODULES));
        lists.addAll(r.paths("/usr/share/initramfs-tools/modules.d", n -> true));
        for (String f : cap(lists)) {
            for (String l : GuestReader.lines(r.text(f).orElse(""))) {
                String t = l.strip();
                if (!t.isEmpty() && !t.startsWith("#")) {
                    listed.add(norm(t.split("\\s+")[0]));
                }
            }
        }
        boolean hostOnly = !value.equals("most");
        return new Status(
                Generator.INITRAMFS_TOOLS,
                hostOnly,
                "MODULES=" + value + " (" + from + ")",
                missing(modules, listed),
                ITOOLS_MODULES);
    }

    // ---- dracut

    /** dracut's configuration files in the order it sources them (dracut.conf(5)). */
    static List<String> dracutConfs(GuestReader r) {
        List<String> out = new ArrayList<>();
        if (r.isFile("/etc/dracut.conf")) {
            out.add("/etc/dracut.conf");
        }
        TreeMap<String, String> byName = new TreeMap<>();
        for (String d : List.of("/usr/lib/dracut/dracut.conf.d", "/etc/dracut.conf.d")) {
            for (String p : r.paths(d, n -> n.endsWith(".conf"))) {
                byName.put(GuestReader.baseName(p), p); // /etc replaces a same-named /usr/lib file
            }
        }
        out.addAll(byName.values());
        return cap(out);
    }

    private static final Pattern DRACUT_ASSIGN = Pattern.compile(
            "^\\s*(hostonly|add_drivers|force_drivers|drivers)\\s*(\\+?=)\\s*(\"[^\"]*\"|'[^']*'|\\S*)");

    static Status dracut(GuestReader r, List<String> modules) {
        String hostonly = null;
        String from = "no hostonly setting";
        Set<String> drivers = new LinkedHashSet<>();
        String where = DRACUT_DROPIN;
        for (String c : dracutConfs(r)) {
            for (String l : GuestReader.lines(r.text(c).orElse(""))) {
                Matcher m = DRACUT_ASSIGN.matcher(l);
                if (!m.find()) {
                    continue;
                }
                String value = unquote(m.group(3));
                if (m.group(1).equals("hostonly")) {
                    hostonly = value;
                    from = "hostonly=\"" + value + "\" (" + c + ")";
                } else {
                    for (String d : value.split("\\s+")) {
                        if (!d.isEmpty() && modules.contains(norm(d)) && drivers.add(norm(d))) {
                            where = c;
                        }
                    }
                }
            }
        }
        // dracut.conf(5) documents hostonly="yes" as what distributions ship (Fedora/RHEL 01-dist.conf); without
        // an explicit "no" the image may be host-only, so the modules must be configured
        boolean hostOnly = !"no".equals(hostonly);
        return new Status(Generator.DRACUT, hostOnly, from, missing(modules, drivers), where);
    }

    // ---- mkinitcpio

    static Status mkinitcpio(GuestReader r, List<String> modules) {
        List<String> confs = new ArrayList<>(List.of(MKINITCPIO_CONF));
        confs.addAll(r.paths("/etc/mkinitcpio.conf.d", n -> n.endsWith(".conf")));
        Set<String> listed = new LinkedHashSet<>();
        boolean autodetect = true; // the default HOOKS of mkinitcpio.conf carry autodetect
        String from = "default HOOKS (autodetect)";
        String where = r.isDir("/etc/mkinitcpio.conf.d") ? MKINITCPIO_DROPIN : MKINITCPIO_CONF;
        for (String c : cap(confs)) {
            for (String l : GuestReader.lines(r.text(c).orElse(""))) {
                String t = l.strip();
                Matcher m = MKINITCPIO_MODULES.matcher(t);
                if (m.matches()) {
                    if (!m.group(1).contains("+")) {
                        listed.clear(); // a plain assignment replaces what earlier files set
                    }
                    String body = m.group(3) != null ? m.group(3) : m.group(4);
                    for (String x : body.split("\\s+")) {
                        if (!x.isEmpty()) {
                            listed.add(norm(unquote(x)));
                        }
                    }
                } else if (t.startsWith("HOOKS=") || t.startsWith("HOOKS+=")) {
                    autodetect = t.split("#", 2)[0].matches(".*[\\s(\"]autodetect[\\s)\"].*");
                    from = "HOOKS " + (autodetect ? "with" : "without") + " autodetect (" + c + ")";
                }
            }
        }
        return new Status(Generator.MKINITCPIO, autodetect, from, missing(modules, listed), where);
    }

    private static void mkinitcpioApply(GuestEditor ed, String req, List<String> missing) throws IOException {
        GuestReader r = ed.reader();
        if (r.isDir("/etc/mkinitcpio.conf.d")) {
            String old = r.text(MKINITCPIO_DROPIN)
                    .orElse("# Hyper-V drivers for Azure (KERNEL-HV-DRIVERS), " + "added by linuximage\n");
            ed.writeText(
                    req,
                    MKINITCPIO_DROPIN,
                    old + (old.endsWith("\n") ? "" : "\n") + "MODULES+=(" + String.join(" ", missing) + ")\n");
            return;
        }
        String text = r.text(MKINITCPIO_CONF).orElse("");
        List<String> lines = GuestReader.lines(text);
        int at = -1;
        for (int i = 0; i < lines.size(); i++) {
            String t = lines.get(i).strip();
            if (t.startsWith("MODULES=") || t.startsWith("MODULES+=")) {
                if (!MKINITCPIO_MODULES.matcher(t).matches()) {
                    throw new IOException(MKINITCPIO_CONF + " line " + (i + 1) + ": MODULES is not a one-line "
                            + "array; add " + String.join(" ", missing) + " to it by hand");
                }
                at = i;
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (i == at) {
                Matcher m = MKINITCPIO_MODULES.matcher(l.strip());
                m.matches();
                String body = (m.group(3) != null ? m.group(3) : m.group(4)).strip();
                String joined = (body.isEmpty() ? "" : body + " ") + String.join(" ", missing);
                l = m.group(1)
                        + (m.group(3) != null ? "(" + joined + ")" : "\"" + joined + "\"")
                        + (m.group(5) != null ? " " + m.group(5) : "");
            }
            sb.append(l).append('\n');
        }
        if (at < 0) {
            sb.append("# Hyper-V drivers for Azure (KERNEL-HV-DRIVERS), added by linuximage\nMODULES+=(")
                    .append(String.join(" ", missing))
                    .append(")\n");
        }
        ed.writeText(req, MKINITCPIO_CONF, sb.toString());
    }

    // ---- Alpine mkinitfs

    private static final Pattern FEATURES = Pattern.compile("^(\\s*features\\s*=\\s*)([\"']?)([^\"'#]*)\\2(.*)$");

    static List<String> mkinitfsFeatures(GuestReader r) {
        List<String> f = new ArrayList<>();
        for (String l : GuestReader.lines(r.text(MKINITFS_CONF).orElse(""))) {
            Matcher m = FEATURES.matcher(l);
            if (m.matches()) {
                f = new ArrayList<>(List.of(m.group(3).strip().split("\\s+")));
                f.removeIf(String::isEmpty);
            }
        }
        return f;
    }

    static Status mkinitfs(GuestReader r, List<String> modules) {
        List<String> features = mkinitfsFeatures(r);
        Set<String> covered = new LinkedHashSet<>();
        String where = MKINITFS_FEATURE_FILE;
        for (String f : features) {
            for (String dir : List.of("/etc/mkinitfs/features.d", "/usr/share/mkinitfs/features.d")) {
                Optional<String> t = r.text(dir + "/" + f + ".modules");
                if (t.isEmpty()) {
                    continue;
                }
                for (String l : GuestReader.lines(t.get())) {
                    String g = l.strip().replaceFirst("^/+", "");
                    if (g.isEmpty() || g.startsWith("#")) {
                        continue;
                    }
                    for (String m : modules) {
                        String p = TREE_PATH.get(m);
                        if (p != null
                                && (globMatches(g, p)
                                        || globMatches(g, p + ".gz")
                                        || globMatches(g, p + ".xz")
                                        || globMatches(g, p + ".zst")
                                        || p.startsWith(g.endsWith("/") ? g : g + "/"))) {
                            if (covered.add(m)) {
                                where = dir + "/" + f + ".modules";
                            }
                        }
                    }
                }
                break; // mkinitfs uses the first features dir that has the file
            }
        }
        return new Status(
                Generator.MKINITFS,
                true,
                "features=\"" + String.join(" ", features) + "\" (" + MKINITFS_CONF + ")",
                missing(modules, covered),
                where);
    }

    private static void mkinitfsApply(GuestEditor ed, String req, List<String> modules) throws IOException {
        GuestReader r = ed.reader();
        StringBuilder sb = new StringBuilder("# Hyper-V drivers for Azure (KERNEL-HV-DRIVERS), added by linuximage\n");
        for (String m : modules) {
            String p = TREE_PATH.get(m);
            if (p == null) {
                throw new IOException("no known in-tree path for module " + m);
            }
            sb.append(p).append("*\n");
        }
        ed.writeText(req, MKINITFS_FEATURE_FILE, sb.toString());
        List<String> features = mkinitfsFeatures(r);
        if (features.contains(MKINITFS_FEATURE)) {
            return;
        }
        List<String> lines = GuestReader.lines(r.text(MKINITFS_CONF).orElse(""));
        int at = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (FEATURES.matcher(lines.get(i)).matches()) {
                at = i;
            }
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (i == at) {
                Matcher m = FEATURES.matcher(l);
                m.matches();
                String body = m.group(3).strip();
                String q = m.group(2).isEmpty() ? "\"" : m.group(2);
                l = m.group(1) + q + (body.isEmpty() ? "" : body + " ") + MKINITFS_FEATURE + q + m.group(4);
            }
            out.append(l).append('\n');
        }
        if (at < 0) {
            // mkinitfs' own default feature list is not known here: refuse rather than narrow it to ours
            throw new IOException(MKINITFS_CONF + " has no features= line; add " + MKINITFS_FEATURE + " to it by hand");
        }
        ed.writeText(req, MKINITFS_CONF, out.toString());
    }

    // ---- helpers

    /**
     * Shell glob ({@code *}, {@code ?}; brackets literal) against a whole relative path; like the shell, a wildcard
     * never matches {@code /}. Segment by segment with the linear greedy algorithm: no backtracking blow-up on
     * hostile patterns.
     */
    static boolean globMatches(String glob, String path) {
        String[] g = glob.split("/", -1);
        String[] p = path.split("/", -1);
        if (g.length != p.length) {
            return false;
        }
        for (int i = 0; i < g.length; i++) {
            if (!segmentMatches(g[i], p[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean segmentMatches(String g, String p) {
        int gi = 0;
        int pi = 0;
        int star = -1;
        int mark = 0;
        while (pi < p.length()) {
            if (gi < g.length() && (g.charAt(gi) == '?' || g.charAt(gi) == p.charAt(pi))) {
                gi++;
                pi++;
            } else if (gi < g.length() && g.charAt(gi) == '*') {
                star = gi++;
                mark = pi;
            } else if (star >= 0) {
                gi = star + 1;
                pi = ++mark;
            } else {
                return false;
            }
        }
        while (gi < g.length() && g.charAt(gi) == '*') {
            gi++;
        }
        return gi == g.length();
    }

    private static List<String> missing(List<String> wanted, Set<String> have) {
        return wanted.stream().filter(m -> !have.contains(norm(m))).toList();
    }

    private static String norm(String m) {
        return m.replace('-', '_');
    }

    private static String unquote(String v) {
        String s = v.strip();
        if (s.length() >= 2 && (s.charAt(0) == '"' || s.charAt(0) == '\'') && s.charAt(s.length() - 1) == s.charAt(0)) {
            return s.substring(1, s.length() - 1);
        }
        return s;
    }

    private static List<String> cap(List<String> l) {
        return l.size() > MAX_CONF_FILES ? l.subList(0, MAX_CONF_FILES) : l;
    }
}
