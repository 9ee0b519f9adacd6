package dev.linuximage.core.guest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The network half of CMDLINE-CONSOLE and the NOAGENT-DHCP repair.
 *
 * <p>CMDLINE-CONSOLE adds {@code net.ifnames=0}, so Azure's NIC is {@code eth0} with a MAC of Azure's choosing. In
 * every stack the guest really starts ({@link NetworkConfig}), a profile keyed on a predictable name or on the build
 * VM's MAC is re-keyed to {@code eth0} in place (the rest of the file, comments included, stays), and the old
 * persistent-net udev rules, which pin {@code eth0} to the build VM's MAC (a new NIC would become {@code eth1}), are
 * removed, their generator masked. A stack with several stale names is left alone: which one becomes eth0 cannot be
 * known offline (the check says so). Static addresses are not rewritten (the check fails with advice): Azure hands
 * out addresses by DHCP only, but a fixed address may be deliberate and is the user's to drop.
 *
 * <p>Agent-less images (NOAGENT-DHCP): when no active profile gives eth0 a DHCP address after that, a DHCP profile
 * for eth0 is written in the first active stack.
 */
public final class NetworkPatch {
    public static final String REQ = "CMDLINE-CONSOLE";
    public static final String DHCP_REQ = "NOAGENT-DHCP";
    static final String MARK = "# linuximage (" + REQ + "): ";
    static final String ETH0 = NetworkConfig.ETH0;
    private static final Pattern YAML_KEY = Pattern.compile("^(\\s*)(['\"]?)([^'\"#:\\s]+)\\2\\s*:\\s*(.*)$");

    private NetworkPatch() {}

    /** Whether the command-line policy names NICs the kernel way (eth0): then profiles must follow. */
    public static boolean ifnamesOff(PatchOptions o) {
        return CmdlinePolicy.of(o, false).required().contains("net.ifnames=0");
    }

    public static void apply(GuestEditor ed, PatchOptions o) throws IOException {
        GuestReader r = ed.reader();
        if (ifnamesOff(o)) {
            NetworkConfig nc = NetworkConfig.read(r);
            for (NetworkConfig.Stack s : NetworkConfig.Stack.values()) {
                List<NetworkConfig.Profile> stale =
                        nc.stale().stream().filter(p -> p.stack() == s).toList();
                if (stale.isEmpty() || distinctKeys(stale).size() != 1 || hasEth0(nc, s)) {
                    continue;
                }
                for (String file : stale.stream()
                        .map(NetworkConfig.Profile::file)
                        .distinct()
                        .toList()) {
                    rekey(ed, s, file);
                }
            }
            for (String p : nc.persistentNet()) {
                ed.delete(REQ, p);
            }
            if (NetworkConfig.generatorUnmasked(r)) {
                ed.symlink(REQ, "/etc/udev/rules.d/" + NetworkConfig.PERSISTENT_NET_GENERATOR, "/dev/null");
            }
        }
        if (o.provisioning() == Provisioning.None) {
            writeDhcp(ed, NetworkConfig.read(r));
        }
    }

    /** The names/MACs the stale profiles are keyed on. */
    public static Set<String> distinctKeys(List<NetworkConfig.Profile> stale) {
        Set<String> keys = new LinkedHashSet<>();
        for (NetworkConfig.Profile p : stale) {
            // one NIC may be named in one file and matched by MAC in another: the name is the key when there is one
            keys.add(p.name() != null ? p.name() : p.mac().toLowerCase(java.util.Locale.ROOT));
        }
        return keys;
    }

    /** The stack already has a profile for eth0: re-keying another one to eth0 would make two. */
    private static boolean hasEth0(NetworkConfig nc, NetworkConfig.Stack s) {
        return nc.profiles().stream().anyMatch(p -> p.stack() == s && !p.stale() && ETH0.equals(p.name()));
    }

    private static void rekey(GuestEditor ed, NetworkConfig.Stack s, String file) throws IOException {
        String text = ed.reader().text(file).orElse(null);
        if (text == null) {
            return;
        }
        switch (s) {
            case NETPLAN -> {
                String out = netplan(text);
                if (out != null) {
                    ed.writeText(REQ, file, out);
                }
            }
            case NETWORKD -> ed.writeText(REQ, file, networkd(text));
            case NETWORKMANAGER -> {
                if (file.endsWith(".nmconnection")) {
                    ed.writeText(REQ, file, keyfile(text));
                } else {
                    ifcfgRename(ed, file, ifcfg(text, true));
                }
            }
            case NETWORK_SCRIPTS -> ifcfgRename(ed, file, ifcfg(text, true));
            case WICKED -> ifcfgRename(ed, file, ifcfg(text, false));
            case IFUPDOWN -> ed.writeText(REQ, file, interfaces(text));
        }
    }

    /** An ifcfg file named after a predictable name becomes {@code ifcfg-eth0} (its name is its key on SUSE). */
    private static void ifcfgRename(GuestEditor ed, String file, String text) throws IOException {
        String base = GuestReader.baseName(file);
        String dir = file.substring(0, file.length() - base.length() - 1);
        String old = base.substring("ifcfg-".length());
        String target = dir + "/ifcfg-" + ETH0;
        if (NetworkConfig.predictable(old) && !ed.reader().exists(target)) {
            int mode = ed.reader().stat(file).map(i -> i.mode() & 07777).orElse(0644);
            ed.writeText(REQ, target, text, mode);
            ed.delete(REQ, file);
            // SUSE keeps routes per interface beside it (ifroute-<name>)
            String route = dir + "/ifroute-" + old;
            Optional<String> rt = ed.reader().text(route);
            if (rt.isPresent() && !ed.reader().exists(dir + "/ifroute-" + ETH0)) {
                ed.writeText(REQ, dir + "/ifroute-" + ETH0, rt.get().replace(old, ETH0), 0644);
                ed.delete(REQ, route);
            }
        } else {
            ed.writeText(REQ, file, text);
        }
    }

    // ------------------------------------------------------------------ per-format edits (pure, tested directly)

    /**
     * ifcfg: {@code DEVICE=}/{@code NAME=} naming a predictable NIC become eth0; {@code HWADDR=} (Red Hat binds the
     * profile to that MAC) is commented out.
     */
    static String ifcfg(String text, boolean redHat) {
        List<String> out = new ArrayList<>();
        for (String l : GuestReader.lines(text)) {
            Matcher m = Pattern.compile("^(\\s*)(DEVICE|NAME|HWADDR|MACADDR)=(['\"]?)([^'\"\\s]*)\\3(.*)$")
                    .matcher(l);
            if (m.matches()
                    && (m.group(2).equals("DEVICE") || m.group(2).equals("NAME"))
                    && NetworkConfig.predictable(m.group(4))) {
                out.add(m.group(1) + m.group(2) + "=" + m.group(3) + ETH0 + m.group(3) + m.group(5));
            } else if (m.matches() && redHat && m.group(2).equals("HWADDR")) {
                out.add(MARK + "Azure's NIC has another MAC: " + l.trim());
            } else {
                out.add(l);
            }
        }
        return String.join("\n", out) + "\n";
    }

    /** NetworkManager keyfile: {@code interface-name=} becomes eth0, {@code mac-address=} is commented out. */
    static String keyfile(String text) {
        List<String> out = new ArrayList<>();
        for (String l : GuestReader.lines(text)) {
            String t = l.trim();
            if (t.startsWith("interface-name=")
                    && NetworkConfig.predictable(t.substring(15).trim())) {
                out.add("interface-name=" + ETH0);
            } else if (t.startsWith("mac-address=") && !t.substring(12).isBlank()) {
                out.add(MARK + "Azure's NIC has another MAC: " + t);
            } else {
                out.add(l);
            }
        }
        return String.join("\n", out) + "\n";
    }

    /**
     * systemd-networkd: in {@code [Match]}, a predictable {@code Name=} becomes eth0 and {@code MACAddress=} is
     * commented out; a section left without any name or MAC gets {@code Name=eth0} (an empty [Match] would match
     * every link).
     */
    static String networkd(String text) {
        List<String> out = new ArrayList<>();
        boolean inMatch = false;
        boolean named = false;
        int matchAt = -1;
        for (String l : GuestReader.lines(text)) {
            String t = l.trim();
            if (t.startsWith("[")) {
                if (inMatch && !named && matchAt >= 0) {
                    out.add(matchAt + 1, "Name=" + ETH0);
                }
                inMatch = t.equals("[Match]");
                named = false;
                matchAt = inMatch ? out.size() : -1;
                out.add(l);
                continue;
            }
            if (inMatch && t.startsWith("Name=")) {
                List<String> names = List.of(t.substring(5).trim().split("\\s+"));
                named = true;
                if (names.stream().allMatch(NetworkConfig::predictable)) {
                    out.add("Name=" + ETH0);
                    continue;
                }
            } else if (inMatch && (t.startsWith("MACAddress=") || t.startsWith("PermanentMACAddress="))) {
                out.add(MARK + "Azure's NIC has another MAC: " + t);
                continue;
            } else if (inMatch && !t.isEmpty() && !t.startsWith("#") && !t.startsWith(";")) {
                named = true; // Type=, Driver=... still select something
            }
            out.add(l);
        }
        if (inMatch && !named && matchAt >= 0) {
            out.add(matchAt + 1, "Name=" + ETH0);
        }
        return String.join("\n", out) + "\n";
    }

    /** ifupdown: predictable names in {@code auto}, {@code allow-*} and {@code iface} lines become eth0. */
    static String interfaces(String text) {
        List<String> out = new ArrayList<>();
        for (String l : GuestReader.lines(text)) {
            String t = l.trim();
            String[] f = t.split("\\s+");
            boolean naming =
                    f.length >= 2 && (f[0].equals("auto") || f[0].startsWith("allow-") || f[0].equals("iface"));
            if (!naming) {
                out.add(l);
                continue;
            }
            StringBuilder b = new StringBuilder(l.substring(0, l.indexOf(f[0])));
            for (int i = 0; i < f.length; i++) {
                boolean nameField = f[0].equals("iface") ? i == 1 : i >= 1;
                b.append(i == 0 ? "" : " ").append(nameField && NetworkConfig.predictable(f[i]) ? ETH0 : f[i]);
            }
            out.add(b.toString());
        }
        return String.join("\n", out) + "\n";
    }

    /**
     * netplan (block-style YAML): under {@code ethernets:}, a predictable key becomes eth0; in its {@code match:}
     * a {@code macaddress:} is dropped and a predictable {@code name:} becomes eth0; a {@code match:} left empty
     * goes with its {@code set-name:}; a remaining predictable {@code set-name:} becomes eth0. Returns null when
     * the file is not plain block YAML we can edit safely, or the result would not parse.
     */
    static String netplan(String text) {
        List<String> lines = new ArrayList<>(GuestReader.lines(text));
        int eth = -1;
        int ethIndent = -1;
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = YAML_KEY.matcher(lines.get(i));
            if (m.matches() && m.group(3).equals("ethernets") && m.group(4).isEmpty()) {
                eth = i;
                ethIndent = m.group(1).length();
                break;
            }
        }
        if (eth < 0) {
            return null;
        }
        int end = blockEnd(lines, eth, ethIndent);
        List<String> out = new ArrayList<>(lines.subList(0, eth + 1));
        int i = eth + 1;
        while (i < end) {
            Matcher m = YAML_KEY.matcher(lines.get(i));
            if (!m.matches() || indent(lines.get(i)) <= ethIndent) {
                out.add(lines.get(i++));
                continue;
            }
            int childIndent = m.group(1).length();
            int childEnd = blockEnd(lines, i, childIndent);
            String key = m.group(3);
            List<String> block = new ArrayList<>(lines.subList(i + 1, childEnd));
            String header = lines.get(i);
            if (NetworkConfig.predictable(key)
                    || block.stream().anyMatch(l -> l.trim().startsWith("macaddress:"))) {
                if (NetworkConfig.predictable(key)) {
                    header = m.group(1) + ETH0 + ":" + (m.group(4).isEmpty() ? "" : " " + m.group(4));
                }
                boolean hadMatch = block.stream().anyMatch(l -> l.trim().startsWith("match:"));
                block = netplanChild(block);
                if (block == null) {
                    return null;
                }
                if (hadMatch && block.stream().noneMatch(l -> l.trim().startsWith("match:")) && !key.equals(ETH0)) {
                    // an ID such as "id0" names no NIC once its match is gone: the key becomes the name
                    header = m.group(1) + ETH0 + ":" + (m.group(4).isEmpty() ? "" : " " + m.group(4));
                }
            }
            out.add(header);
            out.addAll(block);
            i = childEnd;
        }
        out.addAll(lines.subList(end, lines.size()));
        String result = String.join("\n", out) + "\n";
        try {
            new ObjectMapper(new YAMLFactory()).readTree(result.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            return null;
        }
        return result;
    }

    private static List<String> netplanChild(List<String> block) {
        List<String> out = new ArrayList<>();
        boolean matchRemoved = false;
        int i = 0;
        while (i < block.size()) {
            String l = block.get(i);
            Matcher m = YAML_KEY.matcher(l);
            if (m.matches() && m.group(3).equals("match")) {
                if (!m.group(4).isEmpty()) {
                    return null; // flow style: not ours to rewrite
                }
                int mi = m.group(1).length();
                int mEnd = blockEnd(block, i, mi);
                List<String> kept = new ArrayList<>();
                boolean anyKey = false;
                for (String s : block.subList(i + 1, mEnd)) {
                    Matcher k = YAML_KEY.matcher(s);
                    if (k.matches() && k.group(3).equals("macaddress")) {
                        continue;
                    }
                    if (k.matches() && k.group(3).equals("name") && NetworkConfig.predictable(unquote(k.group(4)))) {
                        s = k.group(1) + "name: " + ETH0;
                    }
                    anyKey |= k.matches();
                    kept.add(s);
                }
                if (anyKey) {
                    out.add(l);
                    out.addAll(kept);
                } else {
                    matchRemoved = true;
                }
                i = mEnd;
                continue;
            }
            out.add(l);
            i++;
        }
        List<String> fin = new ArrayList<>();
        for (String l : out) {
            Matcher m = YAML_KEY.matcher(l);
            if (m.matches() && m.group(3).equals("set-name")) {
                if (matchRemoved) {
                    continue; // set-name needs a match
                }
                if (NetworkConfig.predictable(unquote(m.group(4)))) {
                    l = m.group(1) + "set-name: " + ETH0;
                }
            }
            fin.add(l);
        }
        return fin;
    }

    private static String unquote(String v) {
        String s = v.trim();
        int hash = s.indexOf(" #");
        if (hash >= 0) {
            s = s.substring(0, hash).trim();
        }
        if (s.length() >= 2 && (s.startsWith("'") && s.endsWith("'") || s.startsWith("\"") && s.endsWith("\""))) {
            s = s.substring(1, s.length() - 1);
        }
        return s;
    }

    private static int indent(String l) {
        int n = 0;
        while (n < l.length() && l.charAt(n) == ' ') {
            n++;
        }
        return n;
    }

    /** The index after the block of the key at {@code start}: the next non-blank, non-comment line not deeper. */
    private static int blockEnd(List<String> lines, int start, int keyIndent) {
        int i = start + 1;
        int lastContent = start;
        while (i < lines.size()) {
            String l = lines.get(i);
            if (!l.isBlank() && !l.trim().startsWith("#")) {
                if (indent(l) <= keyIndent) {
                    break;
                }
                lastContent = i;
            }
            i++;
        }
        return lastContent + 1;
    }

    // ------------------------------------------------------------------ NOAGENT-DHCP

    static final String NETPLAN_FILE = NetworkConfig.NETPLAN_DIR + "/90-linuximage-eth0.yaml";
    static final String NETWORKD_FILE = NetworkConfig.NETWORKD_DIR + "/50-linuximage-eth0.network";
    static final String NM_FILE = NetworkConfig.NM_DIR + "/linuximage-eth0.nmconnection";
    static final String HEADER =
            "# Azure's NIC is eth0 (net.ifnames=0) and gets its address by DHCP " + "(linuximage: " + DHCP_REQ + ")\n";

    /** Writes a DHCP profile for eth0 in the first active stack, unless one applies or eth0 is set static. */
    static void writeDhcp(GuestEditor ed, NetworkConfig nc) throws IOException {
        if (nc.eth0Dhcp() || nc.profiles().stream().anyMatch(p -> p.matchesEth0() && p.staticIp())) {
            return;
        }
        List<NetworkConfig.StackUse> active = nc.activeStacks();
        if (active.isEmpty()) {
            return; // no network stack starts at boot: nothing to configure (the check fails with advice)
        }
        GuestReader r = ed.reader();
        switch (active.get(0).stack()) {
            case NETPLAN ->
                ed.writeText(
                        DHCP_REQ,
                        NETPLAN_FILE,
                        HEADER + "network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: true\n",
                        0600);
            case NETWORKD ->
                ed.writeText(DHCP_REQ, NETWORKD_FILE, HEADER + "[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\n", 0644);
            case NETWORKMANAGER ->
                ed.writeText(
                        DHCP_REQ,
                        NM_FILE,
                        HEADER
                                + "[connection]\nid=eth0\nuuid="
                                + UUID.nameUUIDFromBytes(NM_FILE.getBytes(StandardCharsets.UTF_8))
                                + "\ntype=ethernet\ninterface-name=eth0\nautoconnect=true\n\n[ipv4]\nmethod=auto\n\n[ipv6]\n"
                                + "method=auto\n",
                        0600);
            case WICKED ->
                ifcfgEth0(
                        ed,
                        NetworkConfig.WICKED_DIR + "/ifcfg-eth0",
                        "BOOTPROTO='dhcp'\nSTARTMODE='auto'\n",
                        "STARTMODE='auto'",
                        "BOOTPROTO='dhcp'");
            case NETWORK_SCRIPTS ->
                ifcfgEth0(
                        ed,
                        NetworkConfig.IFCFG_RH_DIR + "/ifcfg-eth0",
                        "DEVICE=eth0\nTYPE=Ethernet\nBOOTPROTO=dhcp\nONBOOT=yes\n",
                        "ONBOOT=yes",
                        "BOOTPROTO=dhcp");
            case IFUPDOWN -> {
                String t = r.text(NetworkConfig.INTERFACES).orElse("");
                boolean declared = nc.profiles().stream()
                        .anyMatch(p -> p.stack() == NetworkConfig.Stack.IFUPDOWN
                                && ETH0.equals(p.name())
                                && p.dhcp()
                                && p.file().equals(NetworkConfig.INTERFACES));
                String add =
                        declared ? "\n" + HEADER + "auto eth0\n" : "\n" + HEADER + "auto eth0\niface eth0 inet dhcp\n";
                ed.writeText(
                        DHCP_REQ, NetworkConfig.INTERFACES, (t.isEmpty() || t.endsWith("\n") ? t : t + "\n") + add);
            }
        }
    }

    /** A new ifcfg-eth0, or the existing one with the start and DHCP keys set (last assignment wins in sh). */
    private static void ifcfgEth0(GuestEditor ed, String path, String fresh, String start, String dhcp)
            throws IOException {
        Optional<String> t = ed.reader().text(path);
        if (t.isEmpty()) {
            ed.writeText(DHCP_REQ, path, HEADER + fresh, 0644);
        } else {
            String cur = t.get().endsWith("\n") ? t.get() : t.get() + "\n";
            ed.writeText(DHCP_REQ, path, cur + HEADER + dhcp + "\n" + start + "\n");
        }
    }
}
