package dev.linuximage.core.guest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The network configuration a guest will apply at boot, read from its files alone, per network stack
 * (NOAGENT-DHCP, and the eth0 half of CMDLINE-CONSOLE).
 *
 * <p>Azure boots the image with {@code net.ifnames=0} (CMDLINE-CONSOLE), so its single NIC is {@code eth0}, with a
 * MAC address Azure picks: a profile keyed on a predictable name ({@code enp1s0}, {@code ens3}, {@code eno1},
 * {@code enx<mac>}) or on the build VM's MAC address never applies in Azure, and the VM comes up without network.
 * Only the stacks the guest really starts count ({@link Stack#active}): an enabled unit (or OpenRC runlevel link)
 * plus the stack's configuration files; netplan counts when its generator is installed and a YAML file exists.
 */
public final class NetworkConfig {
    /** {@code en} + a udev naming-scheme letter (o, s, p, x, P, v, b, c, a, i, d) and the rest of the name. */
    static final Pattern PREDICTABLE = Pattern.compile("^en[ospxPvbcaid][0-9a-zA-Z_]*$");

    static final Pattern MAC = Pattern.compile("^(?:[0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$");
    public static final String ETH0 = "eth0";

    public static final String NETPLAN_DIR = "/etc/netplan";
    public static final String NETWORKD_DIR = "/etc/systemd/network";
    public static final String NM_DIR = "/etc/NetworkManager/system-connections";
    public static final String IFCFG_RH_DIR = "/etc/sysconfig/network-scripts";
    public static final String WICKED_DIR = "/etc/sysconfig/network";
    public static final String INTERFACES = "/etc/network/interfaces";
    public static final String INTERFACES_D = "/etc/network/interfaces.d";
    /** udev rules that pin a NIC name to the build VM's MAC (written by the old persistent-net generator). */
    public static final String PERSISTENT_NET_RULES = "/etc/udev/rules.d/70-persistent-net.rules";
    /** The generator itself (udev before 197); masked in /etc by a {@code /dev/null} link or an empty file. */
    public static final String PERSISTENT_NET_GENERATOR = "75-persistent-net-generator.rules";

    /** The network stacks this class models. */
    public enum Stack {
        NETPLAN,
        NETWORKD,
        NETWORKMANAGER,
        IFUPDOWN,
        WICKED,
        NETWORK_SCRIPTS
    }

    /** A stack, whether the guest starts it at boot, and why we think so (evidence). */
    public record StackUse(Stack stack, boolean active, String evidence) {}

    /**
     * One interface configuration.
     *
     * @param file      the guest file
     * @param line      1-based line of the name (or 0)
     * @param name      the interface name it applies to; null means any NIC
     * @param mac       the MAC address it is bound to, or null
     * @param dhcp      it asks for an IPv4 address by DHCP
     * @param staticIp  it sets a fixed IPv4 address (and no DHCP)
     * @param autostart it is brought up at boot
     * @param stale     keyed on a predictable name or a MAC: never applies to Azure's eth0
     */
    public record Profile(
            Stack stack,
            String file,
            int line,
            String name,
            String mac,
            boolean dhcp,
            boolean staticIp,
            boolean autostart,
            boolean stale) {
        /** Applies to Azure's eth0 (name eth0 or any, no MAC binding). */
        public boolean matchesEth0() {
            return mac == null && (name == null || name.equals(ETH0));
        }

        public String describe() {
            return (name == null ? "any NIC" : name)
                    + (mac == null ? "" : " (MAC " + mac + ")")
                    + (dhcp ? ", DHCP" : staticIp ? ", static address" : ", no IPv4 DHCP")
                    + (autostart ? "" : ", not started at boot");
        }
    }

    private final List<StackUse> stacks;
    private final List<Profile> profiles;
    private final List<String> problems;
    private final boolean nmAutoDefault;
    private final List<String> persistentNet;

    private NetworkConfig(
            List<StackUse> stacks,
            List<Profile> profiles,
            List<String> problems,
            boolean nmAutoDefault,
            List<String> persistentNet) {
        this.stacks = stacks;
        this.profiles = profiles;
        this.problems = problems;
        this.nmAutoDefault = nmAutoDefault;
        this.persistentNet = persistentNet;
    }

    public List<StackUse> stacks() {
        return stacks;
    }

    public List<StackUse> activeStacks() {
        return stacks.stream().filter(StackUse::active).toList();
    }

    public boolean active(Stack s) {
        return stacks.stream().anyMatch(u -> u.stack() == s && u.active());
    }

    /** Profiles of the active stacks. */
    public List<Profile> profiles() {
        return profiles;
    }

    /** Files that could not be parsed ("path: why"). */
    public List<String> problems() {
        return problems;
    }

    /** NetworkManager makes a DHCP "Wired connection" for a NIC no stored profile matches (no-auto-default unset). */
    public boolean nmAutoDefault() {
        return nmAutoDefault;
    }

    /** Paths of persistent-net udev state that pins names to the build VM's MAC (to delete or mask). */
    public List<String> persistentNet() {
        return persistentNet;
    }

    /** Active profiles that can never apply to Azure's eth0. */
    public List<Profile> stale() {
        return profiles.stream().filter(Profile::stale).toList();
    }

    /**
     * Whether the guest will configure eth0 by DHCP at boot: an active stack has a boot-started DHCP profile for
     * eth0 (or any NIC), or NetworkManager is active and would make its automatic DHCP connection; and no active
     * profile for eth0 sets a static address instead.
     */
    public boolean eth0Dhcp() {
        List<Profile> eth0 = profiles.stream().filter(Profile::matchesEth0).toList();
        if (eth0.stream().anyMatch(p -> p.staticIp() && p.autostart())) {
            return false;
        }
        if (eth0.stream().anyMatch(p -> p.dhcp() && p.autostart())) {
            return true;
        }
        return active(Stack.NETWORKMANAGER)
                && nmAutoDefault
                && profiles.stream().noneMatch(p -> p.stack() == Stack.NETWORKMANAGER && p.matchesEth0());
    }

    static boolean predictable(String name) {
        return name != null && PREDICTABLE.matcher(name).matches();
    }

    // ------------------------------------------------------------------ reading

    public static NetworkConfig read(GuestReader r) {
        SystemdUnits units = new SystemdUnits(r);
        List<StackUse> stacks = new ArrayList<>();
        List<Profile> profiles = new ArrayList<>();
        List<String> problems = new ArrayList<>();

        String netplanGen = GuestInspector.firstFile(
                r,
                "/usr/lib/netplan/generate",
                "/lib/netplan/generate",
                "/usr/libexec/netplan/generate",
                "/usr/sbin/netplan");
        List<String> netplanFiles = netplanFiles(r);
        boolean netplan = netplanGen != null && !netplanFiles.isEmpty();
        stacks.add(new StackUse(
                Stack.NETPLAN,
                netplan,
                netplanGen == null
                        ? "netplan not installed"
                        : netplanFiles.size() + " YAML files, generator " + netplanGen));
        if (netplan) {
            readNetplan(r, netplanFiles, profiles, problems);
        }

        boolean networkd = enabled(units, "systemd-networkd.service");
        stacks.add(new StackUse(Stack.NETWORKD, networkd, unitEvidence(units, "systemd-networkd.service")));
        if (networkd) {
            readNetworkd(r, profiles, problems);
        }

        boolean nm = enabled(units, "NetworkManager.service");
        stacks.add(new StackUse(Stack.NETWORKMANAGER, nm, unitEvidence(units, "NetworkManager.service")));
        boolean autoDefault = nmAutoDefault(r);
        if (nm) {
            readKeyfiles(r, profiles, problems);
            readIfcfg(r, IFCFG_RH_DIR, Stack.NETWORKMANAGER, profiles);
        }

        boolean ifupdown = r.isFile(INTERFACES)
                && (enabled(units, "networking.service")
                        || !r.paths("/etc/runlevels/boot", n -> n.equals("networking"))
                                .isEmpty()
                        || !r.paths("/etc/runlevels/default", n -> n.equals("networking"))
                                .isEmpty());
        stacks.add(new StackUse(
                Stack.IFUPDOWN,
                ifupdown,
                r.isFile(INTERFACES)
                        ? INTERFACES + "; " + unitEvidence(units, "networking.service")
                        : INTERFACES + " absent"));
        if (ifupdown) {
            readInterfaces(r, INTERFACES, profiles, 0, new int[] {MAX_INCLUDES});
        }

        boolean wicked = enabled(units, "wicked.service");
        stacks.add(new StackUse(Stack.WICKED, wicked, unitEvidence(units, "wicked.service")));
        if (wicked) {
            readIfcfg(r, WICKED_DIR, Stack.WICKED, profiles);
        }

        boolean scripts = !nm
                && !wicked
                && r.isFile("/etc/rc.d/init.d/network")
                && !r.paths("/etc/rc.d/rc3.d", n -> n.startsWith("S") && n.endsWith("network"))
                        .isEmpty();
        stacks.add(new StackUse(
                Stack.NETWORK_SCRIPTS,
                scripts,
                scripts ? "/etc/rc.d/rc3.d network start link" : "legacy network service not started"));
        if (scripts) {
            readIfcfg(r, IFCFG_RH_DIR, Stack.NETWORK_SCRIPTS, profiles);
        }
        return new NetworkConfig(stacks, profiles, problems, autoDefault, persistentNet(r));
    }

    static boolean enabled(SystemdUnits units, String unit) {
        SystemdUnits.UnitState s = units.state(unit);
        return s.installed() && s.enabled() && !s.masked();
    }

    private static String unitEvidence(SystemdUnits units, String unit) {
        SystemdUnits.UnitState s = units.state(unit);
        return unit
                + (!s.installed()
                        ? " not installed"
                        : s.masked() ? " masked" : s.enabled() ? " enabled" : " installed, not enabled");
    }

    /** What to delete: a generated 70-persistent-net.rules. The generator is only reported when not masked. */
    static List<String> persistentNet(GuestReader r) {
        List<String> out = new ArrayList<>();
        if (r.isFile(PERSISTENT_NET_RULES)) {
            out.add(PERSISTENT_NET_RULES);
        }
        return out;
    }

    /** The old udev generator is installed and not masked in /etc (it would write 70-persistent-net.rules again). */
    public static boolean generatorUnmasked(GuestReader r) {
        boolean installed = r.isFile("/lib/udev/rules.d/" + PERSISTENT_NET_GENERATOR)
                || r.isFile("/usr/lib/udev/rules.d/" + PERSISTENT_NET_GENERATOR);
        String etc = "/etc/udev/rules.d/" + PERSISTENT_NET_GENERATOR;
        boolean masked = r.readLink(etc).map(t -> t.equals("/dev/null")).orElse(false)
                || r.stat(etc).map(i -> i.size() == 0).orElse(false);
        return installed && !masked;
    }

    // ------------------------------------------------------------------ netplan

    static List<String> netplanFiles(GuestReader r) {
        // netplan reads /lib, /etc and /run; a file in /etc hides the same name in /lib; all are merged in name order
        Map<String, String> byName = new java.util.TreeMap<>();
        for (String dir : List.of("/lib/netplan", "/usr/lib/netplan", NETPLAN_DIR)) {
            for (String p : r.paths(dir, n -> n.endsWith(".yaml") || n.endsWith(".yml"))) {
                if (r.isFile(p)) {
                    byName.put(GuestReader.baseName(p), p);
                }
            }
        }
        return new ArrayList<>(byName.values());
    }

    private static void readNetplan(GuestReader r, List<String> files, List<Profile> out, List<String> problems) {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        for (String f : files) {
            String text = r.text(f).orElse("");
            JsonNode root;
            try {
                root = yaml.readTree(text);
            } catch (Exception e) {
                problems.add(f + ": not valid YAML (" + e.getClass().getSimpleName() + ")");
                continue;
            }
            JsonNode eths = root == null ? null : root.path("network").get("ethernets");
            if (eths == null || !eths.isObject()) {
                continue;
            }
            List<String> lines = GuestReader.lines(text);
            eths.fields().forEachRemaining(e -> {
                String id = e.getKey();
                JsonNode c = e.getValue();
                JsonNode match = c.get("match");
                String name = id;
                String mac = null;
                if (match != null && match.isObject()) {
                    // the NIC's name at run time: match.name, else the set-name it gets, else the ID
                    mac = match.has("macaddress") ? match.get("macaddress").asText() : null;
                    name = match.has("name")
                            ? match.get("name").asText()
                            : c.has("set-name") ? c.get("set-name").asText() : mac != null ? id : null;
                    if (name != null && name.contains("*")) {
                        name = glob(name, ETH0) ? null : name;
                    }
                }
                boolean dhcp = truthy(c.get("dhcp4"));
                boolean stat = !dhcp && c.has("addresses");
                out.add(new Profile(
                        Stack.NETPLAN,
                        f,
                        lineOf(lines, id + ":"),
                        name,
                        mac,
                        dhcp,
                        stat,
                        true,
                        mac != null || predictable(name) || predictable(id) && match == null));
            });
        }
    }

    static boolean truthy(JsonNode n) {
        if (n == null) {
            return false;
        }
        return n.isBoolean() ? n.asBoolean() : yes(n.asText());
    }

    static boolean yes(String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        return s.equals("true") || s.equals("yes") || s.equals("on") || s.equals("y") || s.equals("1");
    }

    // ------------------------------------------------------------------ systemd-networkd

    static List<String> networkdFiles(GuestReader r) {
        // /etc hides the same name in /run and /usr/lib; the first file (in name order) that matches wins
        Map<String, String> byName = new java.util.TreeMap<>();
        for (String dir : List.of("/usr/lib/systemd/network", "/lib/systemd/network", NETWORKD_DIR)) {
            for (String p : r.paths(dir, n -> n.endsWith(".network"))) {
                if (r.isFile(p) || r.readLink(p).map(t -> t.equals("/dev/null")).orElse(false)) {
                    byName.put(GuestReader.baseName(p), p);
                }
            }
        }
        return new ArrayList<>(byName.values());
    }

    private static void readNetworkd(GuestReader r, List<Profile> out, List<String> problems) {
        List<Profile> found = new ArrayList<>();
        boolean eth0Taken = false;
        for (String f : networkdFiles(r)) {
            Optional<String> t = r.text(f);
            if (t.isEmpty()) {
                continue; // masked by /dev/null
            }
            Map<String, List<String[]>> ini = ini(t.get());
            List<String[]> match = ini.getOrDefault("Match", List.of());
            String name = null;
            String mac = null;
            boolean applies = true;
            int line = 0;
            for (String[] kv : match) {
                switch (kv[0]) {
                    case "Name" -> {
                        line = Integer.parseInt(kv[2]);
                        List<String> names = List.of(kv[1].trim().split("\\s+"));
                        boolean any = names.stream().anyMatch(n -> !n.startsWith("!") && glob(n, ETH0));
                        name = any ? (names.size() == 1 && names.get(0).equals(ETH0) ? ETH0 : null) : names.get(0);
                    }
                    case "MACAddress", "PermanentMACAddress" -> mac = kv[1].trim();
                    case "Type" -> applies &= kv[1].trim().equals("ether");
                    case "Driver" ->
                        applies &= List.of(kv[1].trim().split("\\s+")).stream().anyMatch(d -> glob(d, "hv_netvsc"));
                    case "Virtualization" ->
                        applies &= !List.of("no", "false", "0", "container", "!vm", "!yes", "!microsoft")
                                .contains(kv[1].trim());
                    case "Kind" -> applies = false; // veth, bridge...: virtual devices, never the NIC
                    default -> {
                        // Host=, Architecture=, KernelCommandLine=, Path=... we cannot evaluate offline: keep it
                    }
                }
            }
            if (!applies) {
                continue;
            }
            List<String[]> net = ini.getOrDefault("Network", List.of());
            String dhcpVal = value(net, "DHCP");
            boolean dhcp = dhcpVal != null
                    && List.of("yes", "true", "ipv4", "both", "on", "1").contains(dhcpVal.toLowerCase(Locale.ROOT));
            boolean stat = !dhcp
                    && (value(net, "Address") != null
                            || !ini.getOrDefault("Address", List.of()).isEmpty());
            Profile p =
                    new Profile(Stack.NETWORKD, f, line, name, mac, dhcp, stat, true, mac != null || predictable(name));
            // systemd.network(5): the first file in name order whose [Match] fits a link configures it
            if (p.matchesEth0() && eth0Taken) {
                continue;
            }
            eth0Taken |= p.matchesEth0();
            found.add(p);
        }
        out.addAll(found);
    }

    // ------------------------------------------------------------------ NetworkManager

    private static void readKeyfiles(GuestReader r, List<Profile> out, List<String> problems) {
        for (String dir : List.of("/usr/lib/NetworkManager/system-connections", NM_DIR)) {
            for (String f : r.paths(dir, n -> n.endsWith(".nmconnection"))) {
                Optional<String> t = r.text(f);
                if (t.isEmpty()) {
                    continue;
                }
                Map<String, List<String[]>> ini = ini(t.get());
                List<String[]> con = ini.getOrDefault("connection", List.of());
                String type = value(con, "type");
                if (type == null || !(type.equals("ethernet") || type.equals("802-3-ethernet"))) {
                    continue;
                }
                String name = value(con, "interface-name");
                String autoconnect = value(con, "autoconnect");
                List<String[]> eth = ini.getOrDefault("ethernet", ini.getOrDefault("802-3-ethernet", List.of()));
                String mac = value(eth, "mac-address");
                String method = value(ini.getOrDefault("ipv4", List.of()), "method");
                boolean dhcp = method == null || method.equals("auto");
                boolean stat = "manual".equals(method);
                int line = lineOf(GuestReader.lines(t.get()), name == null ? "[connection]" : "interface-name=");
                out.add(new Profile(
                        Stack.NETWORKMANAGER,
                        f,
                        line,
                        name,
                        mac,
                        dhcp,
                        stat,
                        autoconnect == null || yes(autoconnect),
                        mac != null || predictable(name)));
            }
        }
    }

    /** {@code no-auto-default=*} in NetworkManager.conf or conf.d turns the automatic DHCP connection off. */
    static boolean nmAutoDefault(GuestReader r) {
        List<String> files = new ArrayList<>();
        files.addAll(r.paths("/usr/lib/NetworkManager/conf.d", n -> n.endsWith(".conf")));
        files.add("/etc/NetworkManager/NetworkManager.conf");
        files.addAll(r.paths("/etc/NetworkManager/conf.d", n -> n.endsWith(".conf")));
        boolean auto = true;
        for (String f : files) {
            String v = value(ini(r.text(f).orElse("")).getOrDefault("main", List.of()), "no-auto-default");
            if (v != null) {
                auto = !List.of(v.split("[,;]")).stream().map(String::trim).anyMatch(s -> s.equals("*"));
            }
        }
        return auto;
    }

    // ------------------------------------------------------------------ ifcfg (Red Hat network-scripts, SUSE)

    /** ifcfg files other than loopback and templates, in name order. */
    static List<String> ifcfgFiles(GuestReader r, String dir) {
        return r
                .paths(
                        dir,
                        n -> n.startsWith("ifcfg-") && !n.equals("ifcfg-lo") && !n.contains(".") && !n.endsWith("~"))
                .stream()
                .filter(r::isFile)
                .toList();
    }

    private static void readIfcfg(GuestReader r, String dir, Stack stack, List<Profile> out) {
        for (String f : ifcfgFiles(r, dir)) {
            Map<String, String> kv = shellVars(r.text(f).orElse(""));
            String type = kv.getOrDefault("TYPE", "Ethernet");
            if (!type.equalsIgnoreCase("Ethernet") || kv.containsKey("MASTER") || kv.containsKey("BRIDGE")) {
                continue;
            }
            String fileName = GuestReader.baseName(f).substring("ifcfg-".length());
            String name = stack == Stack.WICKED ? fileName : kv.getOrDefault("DEVICE", fileName);
            String mac = stack == Stack.WICKED ? null : kv.get("HWADDR");
            String proto = kv.getOrDefault("BOOTPROTO", stack == Stack.WICKED ? "static" : "none")
                    .toLowerCase(Locale.ROOT);
            boolean dhcp = proto.startsWith("dhcp") && !proto.equals("dhcp6") || proto.equals("bootp");
            boolean stat = !dhcp && (kv.containsKey("IPADDR") || kv.containsKey("IPADDR0"));
            boolean auto;
            if (stack == Stack.WICKED) {
                // ifcfg(5): STARTMODE defaults to manual; auto, hotplug, onboot, nfsroot, ifplugd start at boot
                String sm = kv.getOrDefault("STARTMODE", "manual").toLowerCase(Locale.ROOT);
                auto = List.of("auto", "hotplug", "onboot", "on", "boot", "nfsroot", "ifplugd")
                        .contains(sm);
            } else {
                auto = !kv.getOrDefault("ONBOOT", "yes").equalsIgnoreCase("no");
            }
            int line = lineOf(GuestReader.lines(r.text(f).orElse("")), mac != null ? "HWADDR=" : "DEVICE=");
            out.add(new Profile(
                    stack,
                    f,
                    line,
                    name,
                    mac,
                    dhcp,
                    stat,
                    auto,
                    mac != null || predictable(name) || predictable(fileName)));
        }
    }

    /** {@code KEY=value}, {@code KEY='value'}, {@code KEY="value"} lines; comments skipped; the last one wins. */
    static Map<String, String> shellVars(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String l : GuestReader.lines(text)) {
            String t = l.trim();
            int eq = t.indexOf('=');
            if (t.startsWith("#") || eq <= 0 || !t.substring(0, eq).matches("[A-Za-z_][A-Za-z0-9_]*")) {
                continue;
            }
            String v = t.substring(eq + 1).trim();
            int hash = v.startsWith("'") || v.startsWith("\"") ? -1 : v.indexOf(" #");
            if (hash >= 0) {
                v = v.substring(0, hash).trim();
            }
            if (v.length() >= 2 && (v.startsWith("'") && v.endsWith("'") || v.startsWith("\"") && v.endsWith("\""))) {
                v = v.substring(1, v.length() - 1);
            }
            out.put(t.substring(0, eq), v);
        }
        return out;
    }

    // ------------------------------------------------------------------ ifupdown

    /** ifupdown files read at most (a {@code source} glob including itself would otherwise fan out). */
    static final int MAX_INCLUDES = 256;

    private static void readInterfaces(GuestReader r, String file, List<Profile> out, int depth, int[] budget) {
        if (depth > 4 || --budget[0] < 0) {
            return;
        }
        Optional<String> t = r.text(file);
        if (t.isEmpty()) {
            return;
        }
        List<String> lines = GuestReader.lines(t.get());
        List<String> auto = new ArrayList<>();
        List<String[]> ifaces = new ArrayList<>(); // name, method, line, static?
        for (int i = 0; i < lines.size(); i++) {
            String[] f = lines.get(i).trim().split("\\s+");
            if (f.length == 0 || f[0].isEmpty() || f[0].startsWith("#")) {
                continue;
            }
            switch (f[0]) {
                case "auto", "allow-auto", "allow-hotplug" -> {
                    for (int k = 1; k < f.length; k++) {
                        auto.add(f[k]);
                    }
                }
                case "iface" -> {
                    if (f.length >= 4 && f[2].equals("inet")) {
                        ifaces.add(new String[] {f[1], f[3], Integer.toString(i + 1)});
                    }
                }
                case "source" -> {
                    if (f.length >= 2) {
                        for (String inc : expand(r, f[1], file)) {
                            readInterfaces(r, inc, out, depth + 1, budget);
                        }
                    }
                }
                case "source-directory" -> {
                    if (f.length >= 2) {
                        String d = f[1].startsWith("/") ? f[1] : parent(file) + "/" + f[1];
                        // interfaces(5): only names of letters, digits, underscores and hyphens
                        for (String inc : r.paths(d, n -> n.matches("[A-Za-z0-9_-]+"))) {
                            readInterfaces(r, inc, out, depth + 1, budget);
                        }
                    }
                }
                default -> {
                    // stanza options (address, netmask, hwaddress...) and mapping/rename blocks
                }
            }
        }
        for (String[] ifc : ifaces) {
            String name = ifc[0];
            if (name.equals("lo")) {
                continue;
            }
            boolean dhcp = ifc[1].equals("dhcp");
            boolean stat = ifc[1].equals("static");
            out.add(new Profile(
                    Stack.IFUPDOWN,
                    file,
                    Integer.parseInt(ifc[2]),
                    name,
                    null,
                    dhcp,
                    stat,
                    auto.contains(name),
                    predictable(name)));
        }
    }

    /** A {@code source} argument: a path or a shell glob of file names in one directory. */
    private static List<String> expand(GuestReader r, String arg, String from) {
        String p = arg.startsWith("/") ? arg : parent(from) + "/" + arg;
        int slash = p.lastIndexOf('/');
        String dir = slash <= 0 ? "/" : p.substring(0, slash);
        String pat = p.substring(slash + 1);
        if (!pat.contains("*") && !pat.contains("?")) {
            return List.of(p);
        }
        return r.paths(dir, n -> glob(pat, n));
    }

    private static String parent(String file) {
        int i = file.lastIndexOf('/');
        return i <= 0 ? "/" : file.substring(0, i);
    }

    // ------------------------------------------------------------------ helpers

    /** Shell-style glob ({@code *}, {@code ?}, {@code [..]}) of a whole name. */
    static boolean glob(String pattern, String name) {
        StringBuilder re = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '[', ']' -> re.append(c);
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        try {
            return name.matches(re.toString());
        } catch (java.util.regex.PatternSyntaxException e) {
            return false;
        }
    }

    /** INI sections to {key, value, line} lists (systemd and NetworkManager keyfile syntax). */
    static Map<String, List<String[]>> ini(String text) {
        Map<String, List<String[]>> out = new LinkedHashMap<>();
        String section = "";
        List<String> lines = GuestReader.lines(text);
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).trim();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) {
                continue;
            }
            if (l.startsWith("[") && l.endsWith("]")) {
                section = l.substring(1, l.length() - 1).trim();
                continue;
            }
            int eq = l.indexOf('=');
            if (eq > 0) {
                out.computeIfAbsent(section, k -> new ArrayList<>()).add(new String[] {
                    l.substring(0, eq).trim(), l.substring(eq + 1).trim(), Integer.toString(i + 1)
                });
            }
        }
        return out;
    }

    /** The last value of a key (later assignments win), or null. */
    static String value(List<String[]> kvs, String key) {
        String v = null;
        for (String[] kv : kvs) {
            if (kv[0].equals(key)) {
                v = kv[1];
            }
        }
        return v;
    }

    static int lineOf(List<String> lines, String needle) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).trim().startsWith(needle)) {
                return i + 1;
            }
        }
        return 0;
    }
}
