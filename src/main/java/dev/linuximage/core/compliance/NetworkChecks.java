package dev.linuximage.core.compliance;

import dev.linuximage.core.guest.NetworkConfig;
import dev.linuximage.core.guest.NetworkPatch;
import dev.linuximage.core.report.Evidence;
import dev.linuximage.core.report.Finding;
import dev.linuximage.core.report.FindingStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * The network side of CMDLINE-CONSOLE ("configuration keyed on a predictable name must be made to match eth0") and
 * NOAGENT-DHCP ("the guest configures eth0 with DHCP through the stack it actually uses"), both judged on
 * {@link NetworkConfig}: only stacks the guest starts at boot count.
 */
final class NetworkChecks {
    private NetworkChecks() {}

    private static Evidence ev(NetworkConfig.Profile p) {
        return Findings.ev(p.file(), p.line() == 0 ? null : p.line(), p.stack() + ": " + p.describe());
    }

    private static List<Evidence> stackEv(NetworkConfig nc) {
        return nc.stacks().stream()
                .filter(s -> s.active() || !s.evidence().contains("not installed"))
                .map(s -> Findings.ev(s.stack().name(), (s.active() ? "active: " : "inactive: ") + s.evidence()))
                .toList();
    }

    /**
     * CMDLINE-CONSOLE made worse by the network: with {@code net.ifnames=0} on the command line, a stale profile
     * (predictable name or MAC) in an active stack or a persistent-net rule leaves Azure's eth0 unconfigured.
     */
    static List<Finding> amendConsole(CheckContext c, List<Finding> cmdline) {
        if (!NetworkPatch.ifnamesOff(c.options())) {
            return cmdline;
        }
        NetworkConfig nc = NetworkConfig.read(c.reader());
        List<Evidence> bad = new ArrayList<>();
        nc.stale().forEach(p -> bad.add(ev(p)));
        nc.persistentNet().forEach(p -> bad.add(Findings.ev(p, "pins NIC names to the build VM's MAC addresses")));
        if (NetworkConfig.generatorUnmasked(c.reader())) {
            bad.add(Findings.ev(
                    "/etc/udev/rules.d/" + NetworkConfig.PERSISTENT_NET_GENERATOR,
                    "the persistent-net generator is not masked: it would pin eth0 to the first boot's MAC"));
        }
        if (bad.isEmpty()) {
            return cmdline;
        }
        List<Finding> out = new ArrayList<>();
        for (Finding f : cmdline) {
            if (!f.id().equals("CMDLINE-CONSOLE")) {
                out.add(f);
                continue;
            }
            List<Evidence> all = new ArrayList<>(f.evidence());
            all.addAll(Findings.cap(bad, 20));
            String msg = "net.ifnames=0 makes Azure's NIC eth0, but " + bad.size() + " network setting"
                    + (bad.size() == 1 ? " is" : "s are") + " keyed on a predictable name or the build VM's MAC "
                    + "address"
                    + (f.status() == FindingStatus.Pass ? "." : "; " + f.message());
            String repair = "re-key the network profiles to eth0 (or any NIC) and drop their MAC bindings"
                    + (nc.persistentNet().isEmpty() ? "" : ", delete " + String.join(", ", nc.persistentNet()))
                    + (f.repair() == null ? "" : "; " + f.repair())
                    + (NetworkPatch.distinctKeys(nc.stale()).size() > 1
                            ? "; several NICs are configured: decide which one is Azure's eth0 by hand"
                            : "");
            out.add(Findings.fail(f.id(), msg, all, repair));
        }
        return out;
    }

    /** NOAGENT-DHCP: the active stacks give eth0 a DHCP address at boot. */
    static Finding dhcp(CheckContext c) {
        String id = "NOAGENT-DHCP";
        NetworkConfig nc = NetworkConfig.read(c.reader());
        List<Evidence> ev = new ArrayList<>(stackEv(nc));
        nc.profiles().forEach(p -> ev.add(ev(p)));
        nc.problems().forEach(p -> ev.add(Findings.ev(p.substring(0, Math.max(0, p.indexOf(':'))), p)));
        if (nc.activeStacks().isEmpty()) {
            if (!c.guest().systemd()) {
                return Findings.unknown(
                        id,
                        "No network stack recognised as started at boot (no systemd units, no OpenRC "
                                + "networking link): cannot tell offline which one configures eth0.",
                        Findings.cap(ev, 30));
            }
            return Findings.fail(
                    id,
                    "No network stack is enabled at boot (systemd-networkd, NetworkManager, "
                            + "ifupdown networking, wicked, or netplan): nothing asks for a DHCP address.",
                    Findings.cap(ev, 30),
                    "enable the distribution's network service (its DHCP client must be installed)");
        }
        List<NetworkConfig.Profile> stat = nc.profiles().stream()
                .filter(p -> p.matchesEth0() && p.staticIp() && p.autostart())
                .toList();
        if (!stat.isEmpty()) {
            return Findings.fail(
                    id,
                    "eth0 gets a static address; Azure only supports DHCP for agent-less images.",
                    Findings.cap(ev, 30),
                    "switch " + stat.get(0).file() + " to DHCP (Azure assigns the VM's address, "
                            + "including a reserved one, by DHCP)");
        }
        String stacks = String.join(
                ", ", nc.activeStacks().stream().map(s -> s.stack().name()).toList());
        if (nc.eth0Dhcp()) {
            // ifupdown and the old network-scripts run an external DHCP client; the other stacks carry their own
            boolean external = nc.profiles().stream()
                            .filter(p -> p.matchesEth0() && p.dhcp() && p.autostart())
                            .allMatch(p -> p.stack() == NetworkConfig.Stack.IFUPDOWN
                                    || p.stack() == NetworkConfig.Stack.NETWORK_SCRIPTS)
                    && !(nc.active(NetworkConfig.Stack.NETWORKMANAGER) && nc.nmAutoDefault());
            List<String> clients = c.guest().dhcpClients().stream()
                    .filter(p -> p.matches(".*/(dhclient|dhcpcd|udhcpc)$"))
                    .toList();
            if (external && clients.isEmpty()) {
                return Findings.fail(
                        id,
                        "eth0 is configured for DHCP by " + stacks + ", but no DHCP client program "
                                + "(dhclient, dhcpcd, udhcpc) is installed for it to run.",
                        Findings.cap(ev, 30),
                        "install the distribution's DHCP client (isc-dhcp-client or dhcpcd)");
            }
            boolean viaDefault = nc.profiles().stream().noneMatch(p -> p.matchesEth0() && p.dhcp() && p.autostart());
            return Findings.pass(
                    id,
                    viaDefault
                            ? "NetworkManager brings eth0 up with its automatic DHCP connection (no stored profile for it)."
                            : "eth0 is configured by DHCP at boot (" + stacks + ").",
                    Findings.cap(ev, 30));
        }
        return Findings.fail(
                id,
                "No active network stack (" + stacks + ") configures eth0 by DHCP at boot"
                        + (nc.stale().isEmpty() ? "." : "; its profiles name NICs that do not exist in Azure."),
                Findings.cap(ev, 30),
                "write a DHCP profile for eth0 in "
                        + nc.activeStacks().get(0).stack().name());
    }
}
