package dev.linuximage.core.guest;

import dev.linuximage.core.fs.GuestFiles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a {@link GuestInspection} from a guest's files; never writes. */
public final class GuestInspector {
    private static final Pattern KV = Pattern.compile("^\\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$");
    private static final Pattern MODPROBE = Pattern.compile("^\\s*(install|blacklist)\\s+(\\S+)(?:\\s+(.*))?$");
    private static final Pattern PY_VERSION = Pattern.compile("^python(\\d+(?:\\.\\d+)?)$");
    private static final Pattern AGENT_VERSION = Pattern.compile("AGENT_VERSION\\s*=\\s*['\"]([0-9.]+)['\"]");
    private static final Pattern CI_VERSION = Pattern.compile("__VERSION__\\s*=\\s*['\"]([0-9][0-9.]*)");
    private static final List<String> HISTORY =
            List.of(".bash_history", ".zsh_history", ".sh_history", ".history", ".ash_history", ".python_history");
    private static final int MAX_SCAN = 20_000;

    private GuestInspector() {}

    public static GuestInspection inspect(GuestFiles guest) {
        GuestReader r = new GuestReader(guest);
        SystemdUnits units = new SystemdUnits(r);
        InitServices init = new InitServices(r);
        boolean sd = units.systemd();
        List<String> pythons = pythons(r);
        List<String> fstabSwapDevices = new ArrayList<>();
        List<GuestInspection.SwapEntry> swap = fstabSwap(r);
        swap.forEach(s -> fstabSwapDevices.add(s.device()));
        List<GuestInspection.PasswdEntry> users = passwd(r);
        return new GuestInspection(
                os(r),
                kernels(r),
                BootCmdline.inspect(r),
                swap,
                swapFiles(r, fstabSwapDevices),
                sd ? units.firstInstalled("ssh.service", "sshd.service") : init.firstInstalled("sshd", "ssh"),
                r.isFile("/usr/sbin/sshd") || r.isFile("/usr/bin/sshd"),
                sd
                        ? units.firstInstalled("walinuxagent.service", "waagent.service")
                        : init.firstInstalled("waagent", "walinuxagent"),
                firstFile(r, "/usr/sbin/waagent", "/usr/bin/waagent", "/usr/local/sbin/waagent"),
                waagentVersion(r, pythons),
                pythons,
                pyasn1(r, pythons),
                keyValues(r.text("/etc/waagent.conf")),
                sd
                        ? units.firstInstalled(
                                "cloud-init.service", "cloud-init-network.service", "cloud-init-main.service")
                        : init.firstInstalled("cloud-init", "cloud-init-local"),
                r.isFile("/usr/bin/cloud-init") || r.isFile("/usr/local/bin/cloud-init"),
                cloudInitVersion(r, pythons),
                r.exists("/etc/cloud/cloud-init.disabled"),
                sd ? units.firstInstalled("NetworkManager.service") : init.firstInstalled("NetworkManager"),
                modprobeRules(r),
                dhcpClients(r, units),
                users,
                rootPassword(r),
                authorizedKeys(r, users),
                historyFiles(r, users),
                sshHostKeys(r),
                r.text("/etc/machine-id").map(String::trim).orElse(null),
                r.text("/etc/hostname").map(String::trim).orElse(null),
                agentState(r),
                dhcpLeases(r),
                privateKeys(r),
                units.systemd());
    }

    // ------------------------------------------------------------------ identity and kernels

    static GuestInspection.OsInfo os(GuestReader r) {
        return OsIdentity.read(r);
    }

    public static List<GuestInspection.KernelInfo> kernels(GuestReader r) {
        TreeMap<String, String[]> found = new TreeMap<>();
        for (GuestFiles.DirEntry e : r.list("/boot")) {
            if (e.name().startsWith("vmlinuz-") && !e.name().contains("rescue")) {
                found.computeIfAbsent(e.name().substring(8), k -> new String[2])[0] = "/boot/" + e.name();
            }
        }
        for (GuestFiles.DirEntry e : r.list("/lib/modules")) {
            if (r.isDir("/lib/modules/" + e.name())) {
                found.computeIfAbsent(e.name(), k -> new String[2])[1] = "/lib/modules/" + e.name();
            }
        }
        List<GuestInspection.KernelInfo> out = new ArrayList<>();
        found.forEach((v, p) -> {
            // Debian/Ubuntu, Red Hat/dracut and Arch, SUSE, Alpine (mkinitfs writes /boot/initramfs-<flavor>, e.g.
            // initramfs-virt next to vmlinuz-virt), as KernelInventory pairs them
            String initrd = firstFile(
                    r,
                    "/boot/initrd.img-" + v,
                    "/boot/initramfs-" + v + ".img",
                    "/boot/initrd-" + v,
                    "/boot/initramfs-" + v);
            out.add(new GuestInspection.KernelInfo(v, p[0], initrd, p[1] != null));
        });
        return out;
    }

    // ------------------------------------------------------------------ swap

    static List<GuestInspection.SwapEntry> fstabSwap(GuestReader r) {
        List<GuestInspection.SwapEntry> out = new ArrayList<>();
        List<String> lines = GuestReader.lines(r.text("/etc/fstab").orElse(""));
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).trim();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.split("\\s+");
            if (f.length >= 3 && f[2].equals("swap")) {
                out.add(new GuestInspection.SwapEntry("/etc/fstab", i + 1, f[0], lines.get(i)));
            }
        }
        return out;
    }

    static List<String> swapFiles(GuestReader r, List<String> fstabDevices) {
        List<String> out = new ArrayList<>();
        for (String d : fstabDevices) {
            if (d.startsWith("/") && !d.startsWith("/dev/") && r.isFile(d)) {
                out.add(d);
            }
        }
        for (String f : List.of("/swapfile", "/swap.img", "/swap", "/var/swapfile", "/swap/swapfile")) {
            if (r.isFile(f) && !out.contains(f)) {
                out.add(f);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ agents

    static List<String> pythons(GuestReader r) {
        List<String> out = new ArrayList<>();
        for (String dir : List.of("/usr/bin", "/usr/local/bin")) {
            for (GuestFiles.DirEntry e : r.list(dir)) {
                if (PY_VERSION.matcher(e.name()).matches() && r.isFile(dir + "/" + e.name())) {
                    out.add(dir + "/" + e.name());
                }
            }
        }
        return out;
    }

    /** Python library directories ({@code /usr/lib/python3/dist-packages}, {@code /usr/lib/python3.9/site-packages}). */
    static List<String> pythonLibDirs(GuestReader r) {
        List<String> out = new ArrayList<>();
        for (String base : List.of("/usr/lib", "/usr/lib64", "/usr/local/lib")) {
            for (GuestFiles.DirEntry e : r.list(base)) {
                if (e.name().startsWith("python")) {
                    for (String sub : List.of("dist-packages", "site-packages")) {
                        String d = base + "/" + e.name() + "/" + sub;
                        if (r.isDir(d)) {
                            out.add(d);
                        }
                    }
                }
            }
        }
        return out;
    }

    static String waagentVersion(GuestReader r, List<String> pythons) {
        for (String d : pythonLibDirs(r)) {
            Optional<String> t = r.text(d + "/azurelinuxagent/common/version.py");
            if (t.isPresent()) {
                Matcher m = AGENT_VERSION.matcher(t.get());
                if (m.find()) {
                    return m.group(1);
                }
            }
        }
        return null;
    }

    static boolean pyasn1(GuestReader r, List<String> pythons) {
        return pythonLibDirs(r).stream().anyMatch(d -> r.isDir(d + "/pyasn1"));
    }

    static String cloudInitVersion(GuestReader r, List<String> pythons) {
        for (String d : pythonLibDirs(r)) {
            Optional<String> t = r.text(d + "/cloudinit/version.py");
            if (t.isPresent()) {
                Matcher m = CI_VERSION.matcher(t.get());
                if (m.find()) {
                    return m.group(1);
                }
            }
        }
        return null;
    }

    /** {@code key=value} lines (waagent.conf, os-release); comments skipped; the last assignment wins. */
    public static Map<String, String> keyValues(Optional<String> text) {
        Map<String, String> out = new LinkedHashMap<>();
        if (text.isEmpty()) {
            return out;
        }
        for (String l : GuestReader.lines(text.get())) {
            String t = l.trim();
            if (t.startsWith("#")) {
                continue;
            }
            int eq = t.indexOf('=');
            if (eq > 0) {
                out.put(t.substring(0, eq).trim(), t.substring(eq + 1).trim());
            }
        }
        return out;
    }

    private static String unquote(String s) {
        if (s.length() >= 2 && (s.startsWith("\"") && s.endsWith("\"") || s.startsWith("'") && s.endsWith("'"))) {
            return s.substring(1, s.length() - 1);
        }
        return s;
    }

    // ------------------------------------------------------------------ kernel modules

    public static final List<String> MODPROBE_DIRS =
            List.of("/etc/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d", "/run/modprobe.d");

    static List<GuestInspection.ModprobeRule> modprobeRules(GuestReader r) {
        List<GuestInspection.ModprobeRule> out = new ArrayList<>();
        for (String dir : MODPROBE_DIRS) {
            for (String f : r.paths(dir, n -> n.endsWith(".conf"))) {
                List<String> lines = GuestReader.lines(r.text(f).orElse(""));
                for (int i = 0; i < lines.size(); i++) {
                    Matcher m = MODPROBE.matcher(lines.get(i));
                    if (!m.matches()) {
                        continue;
                    }
                    String cmd = m.group(3) == null ? "" : m.group(3).trim();
                    boolean disables = m.group(1).equals("blacklist")
                            || cmd.matches("(/usr)?/bin/(true|false)(\\s.*)?")
                            || cmd.equals("true")
                            || cmd.equals("false");
                    if (disables) {
                        out.add(new GuestInspection.ModprobeRule(
                                f, i + 1, m.group(2).replace('-', '_'), m.group(1), lines.get(i)));
                    }
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ network

    static List<String> dhcpClients(GuestReader r, SystemdUnits units) {
        List<String> out = new ArrayList<>();
        for (String p : List.of(
                "/sbin/dhclient",
                "/usr/sbin/dhclient",
                "/usr/sbin/NetworkManager",
                "/lib/systemd/systemd-networkd",
                "/usr/lib/systemd/systemd-networkd",
                "/sbin/dhcpcd",
                "/usr/sbin/dhcpcd",
                "/sbin/udhcpc",
                "/usr/bin/udhcpc")) {
            if (r.isFile(p)) {
                out.add(p);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ users and secrets

    static List<GuestInspection.PasswdEntry> passwd(GuestReader r) {
        List<GuestInspection.PasswdEntry> out = new ArrayList<>();
        for (String l : GuestReader.lines(r.text("/etc/passwd").orElse(""))) {
            String[] f = l.split(":", -1);
            if (f.length < 7) {
                continue;
            }
            try {
                out.add(new GuestInspection.PasswdEntry(
                        f[0], Integer.parseInt(f[2]), Integer.parseInt(f[3]), f[5], f[6]));
            } catch (NumberFormatException e) {
                // a malformed line is not an account we can reason about
            }
        }
        return out;
    }

    /** {@code locked} ({@code !}/{@code *} prefix), {@code empty}, {@code set}, or {@code unknown} (no shadow). */
    static String rootPassword(GuestReader r) {
        for (String l : GuestReader.lines(r.text("/etc/shadow").orElse(""))) {
            String[] f = l.split(":", -1);
            if (f.length >= 2 && f[0].equals("root")) {
                if (f[1].startsWith("!") || f[1].startsWith("*")) {
                    return "locked";
                }
                return f[1].isEmpty() ? "empty" : "set";
            }
        }
        return "unknown";
    }

    static List<String> homes(GuestReader r, List<GuestInspection.PasswdEntry> users) {
        List<String> out = new ArrayList<>();
        out.add("/root");
        for (GuestInspection.PasswdEntry u : users) {
            if (u.human() && u.home().startsWith("/") && !out.contains(u.home())) {
                out.add(u.home());
            }
        }
        for (String h : r.paths("/home", n -> true)) {
            if (!out.contains(h) && r.isDir(h)) {
                out.add(h);
            }
        }
        return out;
    }

    static List<String> authorizedKeys(GuestReader r, List<GuestInspection.PasswdEntry> users) {
        List<String> out = new ArrayList<>();
        for (String h : homes(r, users)) {
            for (String f : List.of(".ssh/authorized_keys", ".ssh/authorized_keys2")) {
                if (r.isFile(h + "/" + f)) {
                    out.add(h + "/" + f);
                }
            }
        }
        return out;
    }

    static List<String> historyFiles(GuestReader r, List<GuestInspection.PasswdEntry> users) {
        List<String> out = new ArrayList<>();
        for (String h : homes(r, users)) {
            for (String f : HISTORY) {
                if (r.isFile(h + "/" + f)) {
                    out.add(h + "/" + f);
                }
            }
        }
        return out;
    }

    static List<String> sshHostKeys(GuestReader r) {
        return r.paths("/etc/ssh", n -> n.startsWith("ssh_host_") && n.contains("key"));
    }

    /** waagent state and log, cloud-init state other than {@code seed}, and cloud-init logs. */
    static List<String> agentState(GuestReader r) {
        List<String> out = new ArrayList<>();
        if (r.isFile("/var/log/waagent.log")) {
            out.add("/var/log/waagent.log");
        }
        out.addAll(r.paths("/var/lib/waagent", n -> true));
        out.addAll(r.paths("/var/lib/cloud", n -> !n.equals("seed")));
        out.addAll(r.paths("/var/log", n -> n.startsWith("cloud-init") && n.endsWith(".log")));
        return out;
    }

    static List<String> dhcpLeases(GuestReader r) {
        List<String> out = new ArrayList<>();
        for (String d : List.of("/var/lib/dhcp", "/var/lib/dhclient", "/var/lib/NetworkManager", "/var/lib/dhcpcd")) {
            out.addAll(r.paths(d, n -> n.contains(".lease") || n.endsWith(".leases")));
        }
        // wicked (SUSE) keeps leases as /var/lib/wicked/lease-<ifname>-<type>-<family>.xml
        out.addAll(r.paths("/var/lib/wicked", n -> n.startsWith("lease-") && n.endsWith(".xml")));
        return out;
    }

    /** Private keys under /root and /home: names like {@code id_rsa}, or small PEM files holding a private key. */
    static List<String> privateKeys(GuestReader r) {
        List<String> out = new ArrayList<>();
        int[] budget = {MAX_SCAN};
        scan(r, "/root", 0, out, budget);
        scan(r, "/home", 0, out, budget);
        return out;
    }

    private static void scan(GuestReader r, String dir, int depth, List<String> out, int[] budget) {
        if (depth > 6) {
            return;
        }
        for (GuestFiles.DirEntry e : r.list(dir)) {
            if (--budget[0] < 0) {
                return;
            }
            String p = GuestReader.join(dir, e.name());
            if (e.type() == GuestFiles.Type.DIRECTORY) {
                scan(r, p, depth + 1, out, budget);
            } else if (e.type() == GuestFiles.Type.FILE) {
                String n = e.name();
                boolean byName = n.matches("id_(rsa|dsa|ecdsa|ed25519)(_sk)?");
                boolean byContent = !byName
                        && (n.endsWith(".pem") || n.endsWith(".key"))
                        && r.stat(p).map(i -> i.size() <= 65536).orElse(false)
                        && r.text(p).map(t -> t.contains("PRIVATE KEY-----")).orElse(false);
                if (byName || byContent) {
                    out.add(p);
                }
            }
        }
    }

    static String firstFile(GuestReader r, String... paths) {
        for (String p : paths) {
            if (r.isFile(p)) {
                return p;
            }
        }
        return null;
    }

    /** Matches {@code KEY=value} lines (exposed for tests). */
    static Matcher kv(String line) {
        return KV.matcher(line);
    }
}
