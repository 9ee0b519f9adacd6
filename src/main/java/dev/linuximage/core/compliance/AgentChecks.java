package dev.linuximage.core.compliance;

import dev.linuximage.core.guest.GuestInspection;
import dev.linuximage.core.guest.InitServices;
import dev.linuximage.core.guest.KernelVersion;
import dev.linuximage.core.guest.NoAgentPatch;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.guest.Provisioning;
import dev.linuximage.core.guest.ServicePatch;
import dev.linuximage.core.guest.SwapPatch;
import dev.linuximage.core.guest.SystemdUnits;
import dev.linuximage.core.guest.WaagentConfPatch;
import dev.linuximage.core.report.Evidence;
import dev.linuximage.core.report.Finding;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** SSH-SERVER, AGENT-PRESENT, AGENT-NETWORKMANAGER, WAAGENT-RESOURCEDISK, WAAGENT-CLOUDINIT, RESOURCE-SWAPFILE. */
final class AgentChecks {
    /** The oldest Azure Linux Agent Microsoft still supports. */
    static final List<Integer> MIN_WAAGENT = List.of(2, 2, 10);

    private AgentChecks() {}

    static List<Finding> check(CheckContext c) {
        List<Finding> out = new ArrayList<>();
        out.add(ssh(c));
        out.add(agent(c));
        out.add(networkManager(c));
        out.add(waagentConf(c, "WAAGENT-RESOURCEDISK", Provisioning.WALinuxAgent));
        out.add(waagentConf(c, "WAAGENT-CLOUDINIT", Provisioning.CloudInit));
        out.add(resourceSwapfile(c));
        return out;
    }

    private static Evidence unitEv(SystemdUnits.UnitState s) {
        if (!s.installed()) {
            return Findings.ev(
                    s.name().contains(".") ? "/etc/systemd/system" : "/etc/init.d", s.name() + " not installed");
        }
        return Findings.ev(
                s.path(),
                s.masked()
                        ? "masked"
                        : s.enabled() ? "enabled via " + s.enabledBy().get(0) : "installed, not enabled");
    }

    static Finding ssh(CheckContext c) {
        GuestInspection g = c.guest();
        String id = "SSH-SERVER";
        InitServices.Kind init = new InitServices(c.reader()).kind();
        if (init == InitServices.Kind.NONE) {
            return Findings.unknown(
                    id,
                    "no systemd unit directories, OpenRC runlevels or SysV rc links: cannot tell the "
                            + "boot services offline",
                    List.of());
        }
        SystemdUnits.UnitState s = g.ssh();
        if (!s.installed() || !g.sshdBinary()) {
            return Findings.fail(
                    id,
                    "No SSH server is installed.",
                    List.of(unitEv(s)),
                    "install openssh-server in the guest (packages are out of scope)");
        }
        if (!s.enabled()) {
            return Findings.fail(
                    id,
                    "The SSH server is installed but not enabled at boot.",
                    List.of(unitEv(s)),
                    "enable " + s.realName() + " (" + enableHow(init) + ")");
        }
        return Findings.pass(id, "The SSH server is enabled at boot.", List.of(unitEv(s)));
    }

    private static String enableHow(InitServices.Kind k) {
        return switch (k) {
            case OPENRC -> "rc-update add: /etc/runlevels/default link";
            case SYSV -> "chkconfig on: S links in /etc/rc.d/rc[2-5].d";
            default -> "multi-user.target.wants link";
        };
    }

    static Finding agent(CheckContext c) {
        GuestInspection g = c.guest();
        PatchOptions o = c.options();
        String id = "AGENT-PRESENT";
        List<Evidence> ev = new ArrayList<>();
        ev.add(unitEv(g.waagentUnit()));
        ev.add(unitEv(g.cloudInitUnit()));
        if (o.provisioning() == Provisioning.None) {
            SystemdUnits.UnitState ra = new SystemdUnits(c.reader()).state(NoAgentPatch.UNIT_NAME);
            ev.add(unitEv(ra));
            if (!ra.enabled()) {
                return Findings.fail(
                        id,
                        "Agent-less image without the report-ready unit: Azure would reboot the VM.",
                        ev,
                        "install and enable the report-ready unit (NOAGENT-REPORT-READY)");
            }
            if (g.cloudInitUnit().enabled() && !g.cloudInitDisabledMarker()) {
                return Findings.warn(
                        id,
                        "Agent-less image, but cloud-init is enabled too: both would report ready.",
                        ev,
                        "disable cloud-init or choose --provisioning CloudInit");
            }
            return Findings.pass(
                    id, "Agent-less image with the report-ready unit; create VMs with --enable-agent false.", ev);
        }
        if (new InitServices(c.reader()).kind() == InitServices.Kind.NONE) {
            return Findings.unknown(
                    id,
                    "no systemd unit directories, OpenRC runlevels or SysV rc links: cannot tell the "
                            + "boot services offline",
                    ev);
        }
        if (o.provisioning() == Provisioning.WALinuxAgent) {
            if (g.waagentBinary() == null || !g.waagentUnit().installed()) {
                return Findings.fail(
                        id,
                        "The Azure Linux Agent (waagent) is not installed.",
                        ev,
                        "install the WALinuxAgent package in the guest");
            }
            if (g.pythons().isEmpty()) {
                return Findings.fail(id, "waagent is installed but no Python interpreter is.", ev, "install python3");
            }
            if (!g.waagentUnit().enabled()) {
                return Findings.fail(
                        id,
                        "waagent is installed but not enabled at boot.",
                        ev,
                        "enable " + g.waagentUnit().realName());
            }
            Finding py = python(c, ev);
            if (py != null) {
                return py;
            }
            if (g.waagentVersion() != null
                    && KernelVersion.compare(KernelVersion.base(g.waagentVersion()), MIN_WAAGENT) < 0) {
                ev.add(Findings.ev("azurelinuxagent/common/version.py", g.waagentVersion()));
                return Findings.warn(
                        id,
                        "waagent " + g.waagentVersion() + " is older than the minimum supported 2.2.10.",
                        ev,
                        "update WALinuxAgent");
            }
            return Findings.pass(
                    id,
                    "waagent " + (g.waagentVersion() == null ? "" : g.waagentVersion() + " ")
                            + "is installed and enabled (python: " + String.join(", ", g.pythons()) + ").",
                    ev);
        }
        if (!g.cloudInitInstalled() || !g.cloudInitUnit().installed()) {
            return Findings.fail(id, "cloud-init is not installed.", ev, "install the cloud-init package in the guest");
        }
        if (g.cloudInitDisabledMarker()) {
            ev.add(Findings.ev(ServicePatch.CLOUD_INIT_DISABLED, "present"));
            return Findings.fail(
                    id,
                    "cloud-init is disabled by " + ServicePatch.CLOUD_INIT_DISABLED + ".",
                    ev,
                    "delete " + ServicePatch.CLOUD_INIT_DISABLED + " and enable the cloud-init units");
        }
        if (!g.cloudInitUnit().enabled()) {
            return Findings.fail(
                    id, "cloud-init is installed but its units are not enabled.", ev, "enable the cloud-init units");
        }
        if (o.generalized() && g.waagentUnit().installed() && !g.waagentUnit().enabled()) {
            return Findings.warn(
                    id,
                    "cloud-init provisions, but the installed waagent (extensions) is not enabled.",
                    ev,
                    "enable " + g.waagentUnit().realName());
        }
        return Findings.pass(
                id,
                "cloud-init " + (g.cloudInitVersion() == null ? "" : g.cloudInitVersion() + " ")
                        + "is installed and enabled.",
                ev);
    }

    private static final java.util.regex.Pattern PY_NAME =
            java.util.regex.Pattern.compile("^python(\\d+)(?:\\.(\\d+))?$");

    /**
     * The documents' waagent prerequisites: Python 2.6 or later and the pyasn1 module. The interpreter is the one
     * waagent's {@code #!} line names (following {@code env} and symlinks such as python3 -> python3.11); pyasn1 must
     * be in a library directory of that Python ({@code /usr/lib/python3/dist-packages} on Debian,
     * {@code /usr/lib/python3.N/site-packages} on Red Hat and SUSE). Returns null when both are met (evidence added).
     */
    static Finding python(CheckContext c, List<Evidence> ev) {
        String id = "AGENT-PRESENT";
        dev.linuximage.core.guest.GuestReader r = c.reader();
        String bin = c.guest().waagentBinary();
        String first = r.text(bin).map(t -> t.lines().findFirst().orElse("")).orElse("");
        if (!first.startsWith("#!")) {
            return null; // not a script (a frozen or wrapped agent): nothing to judge
        }
        String[] sh = first.substring(2).trim().split("\\s+");
        String interp = sh[0];
        if (interp.endsWith("/env") && sh.length > 1) {
            String name = sh[1];
            interp = java.util.stream.Stream.of("/usr/local/bin/", "/usr/bin/", "/bin/")
                    .map(d -> d + name)
                    .filter(r::isFile)
                    .findFirst()
                    .orElse("/usr/bin/" + name);
        }
        if (!r.isFile(interp)) {
            ev.add(Findings.ev(bin, 1, first));
            return Findings.fail(
                    id,
                    "waagent runs with " + interp + ", which is not installed.",
                    ev,
                    "install the Python that " + bin + " names (Python 2.6 or later)");
        }
        // follow symlinks to the most specific name (python3 -> python3.11)
        String resolved = interp;
        for (int hop = 0; hop < 8; hop++) {
            java.util.Optional<String> l = r.readLink(resolved);
            if (l.isEmpty()) {
                break;
            }
            String t = l.get();
            resolved = t.startsWith("/") ? t : resolved.substring(0, resolved.lastIndexOf('/') + 1) + t;
        }
        java.util.regex.Matcher m = PY_NAME.matcher(dev.linuximage.core.guest.GuestReader.baseName(resolved));
        if (!m.matches()) {
            m = PY_NAME.matcher(dev.linuximage.core.guest.GuestReader.baseName(interp));
        }
        ev.add(Findings.ev(
                interp, resolved.equals(interp) ? "waagent's interpreter" : "waagent's interpreter -> " + resolved));
        if (m.matches()) {
            int major = Integer.parseInt(m.group(1));
            int minor = m.group(2) == null ? -1 : Integer.parseInt(m.group(2));
            if (major < 2 || major == 2 && minor >= 0 && minor < 6) {
                return Findings.fail(
                        id,
                        "waagent needs Python 2.6 or later; " + resolved + " is Python " + major + "." + minor + ".",
                        ev,
                        "install Python 2.6 or later (python3)");
            }
            String lib = "python" + major;
            boolean pyasn1 = java.util.stream.Stream.of("/usr/lib", "/usr/lib64", "/usr/local/lib")
                    .flatMap(base -> r.list(base).stream().map(e -> base + "/" + e.name()))
                    .filter(d -> {
                        String n = dev.linuximage.core.guest.GuestReader.baseName(d);
                        return n.equals(lib) || n.startsWith(lib + ".") && (minor < 0 || n.equals(lib + "." + minor));
                    })
                    .flatMap(d -> java.util.stream.Stream.of(d + "/site-packages/pyasn1", d + "/dist-packages/pyasn1"))
                    .anyMatch(r::isDir);
            if (!pyasn1) {
                return Findings.warn(
                        id,
                        "waagent is installed and enabled, but the pyasn1 module the documents list as "
                                + "its prerequisite is not installed for " + resolved + ".",
                        ev,
                        "install the distribution's pyasn1 package for that Python (python3-pyasn1)");
            }
        }
        return null;
    }

    static Finding networkManager(CheckContext c) {
        GuestInspection g = c.guest();
        String id = "AGENT-NETWORKMANAGER";
        if (g.waagentBinary() == null || c.options().provisioning() == Provisioning.None) {
            return Findings.na(id, "waagent is not used.");
        }
        if (g.networkManager().enabled()) {
            return Findings.warn(
                    id,
                    "waagent and NetworkManager are both enabled; they may conflict on some " + "distributions.",
                    List.of(unitEv(g.networkManager())),
                    "check the distribution's guidance");
        }
        return Findings.pass(id, "NetworkManager is not enabled next to waagent.", List.of(unitEv(g.networkManager())));
    }

    static Finding waagentConf(CheckContext c, String id, Provisioning mode) {
        GuestInspection g = c.guest();
        PatchOptions o = c.options();
        if (o.provisioning() != mode) {
            return Findings.na(id, "Provisioning is " + o.provisioning() + ".");
        }
        if (!c.reader().isFile(WaagentConfPatch.PATH)) {
            if (mode == Provisioning.CloudInit) {
                return Findings.na(id, "waagent is not installed (no " + WaagentConfPatch.PATH + ").");
            }
            return Findings.fail(
                    id,
                    WaagentConfPatch.PATH + " is missing.",
                    List.of(Findings.ev(WaagentConfPatch.PATH, "absent")),
                    "install WALinuxAgent");
        }
        Map<String, String> conf = g.waagentConf();
        List<Evidence> bad = new ArrayList<>();
        List<Evidence> good = new ArrayList<>();
        List<String> lines = c.reader()
                .text(WaagentConfPatch.PATH)
                .map(dev.linuximage.core.guest.GuestReader::lines)
                .orElse(List.of());
        for (Map.Entry<String, String> w : WaagentConfPatch.wanted(o).entrySet()) {
            String have = conf.get(w.getKey());
            Integer line = lineOf(lines, w.getKey());
            Evidence e = Findings.ev(
                    WaagentConfPatch.PATH,
                    line,
                    w.getKey() + "=" + (have == null ? "(unset)" : have)
                            + (WaagentConfPatch.acceptable(w.getKey(), w.getValue(), have)
                                    ? ""
                                    : " (want " + w.getValue() + ")"));
            (WaagentConfPatch.acceptable(w.getKey(), w.getValue(), have) ? good : bad).add(e);
        }
        if (bad.isEmpty()) {
            return Findings.pass(id, "waagent.conf is set for " + mode + " provisioning.", good);
        }
        return Findings.fail(
                id,
                "waagent.conf is not set for " + mode + " provisioning (" + bad.size() + " keys).",
                bad,
                "set "
                        + String.join(
                                ", ",
                                WaagentConfPatch.wanted(o).entrySet().stream()
                                        .map(e -> e.getKey() + "=" + e.getValue())
                                        .toList()));
    }

    private static Integer lineOf(List<String> lines, String key) {
        Integer found = null;
        for (int i = 0; i < lines.size(); i++) {
            String t = lines.get(i).trim();
            if (!t.startsWith("#")
                    && t.startsWith(key)
                    && t.substring(key.length()).trim().startsWith("=")) {
                found = i + 1;
            }
        }
        return found;
    }

    static Finding resourceSwapfile(CheckContext c) {
        String id = SwapPatch.RESOURCE_REQ;
        if (c.reader().exists(SwapPatch.RESOURCE_SWAPFILE)) {
            return Findings.fail(
                    id,
                    "A stale swap file sits where the resource disk mounts.",
                    List.of(Findings.ev(SwapPatch.RESOURCE_SWAPFILE, "present")),
                    "delete it");
        }
        return Findings.pass(id, "No " + SwapPatch.RESOURCE_SWAPFILE + " in the image.", List.of());
    }
}
