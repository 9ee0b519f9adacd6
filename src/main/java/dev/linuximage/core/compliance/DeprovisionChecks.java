package dev.linuximage.core.compliance;

import dev.linuximage.core.guest.CmdlineSite;
import dev.linuximage.core.guest.DeprovisionPatch;
import dev.linuximage.core.guest.GuestInspection;
import dev.linuximage.core.guest.KernelCmdline;
import dev.linuximage.core.report.Evidence;
import dev.linuximage.core.report.Finding;
import java.util.ArrayList;
import java.util.List;

/** DEPROVISION-* for generalized images; NotApplicable for specialized ones. */
final class DeprovisionChecks {
    private DeprovisionChecks() {}

    static List<Finding> check(CheckContext c) {
        List<String> ids = List.of(
                "DEPROVISION-AGENT-STATE",
                "DEPROVISION-SSH-HOSTKEYS",
                "DEPROVISION-USERS",
                "DEPROVISION-MACHINE",
                "DEPROVISION-SECRETS");
        if (!c.options().generalized()) {
            return ids.stream()
                    .map(id -> Findings.na(id, "Specialized image: it keeps its identity."))
                    .toList();
        }
        GuestInspection g = c.guest();
        List<Finding> out = new ArrayList<>();
        out.add(paths(
                "DEPROVISION-AGENT-STATE",
                g.agentState(),
                "No waagent or cloud-init state or logs.",
                "Agent state or logs from the build VM are left",
                "delete them (cloud-init's seed stays)"));
        out.add(paths(
                "DEPROVISION-SSH-HOSTKEYS",
                g.sshHostKeys(),
                "No SSH host keys; they are made at first boot.",
                "SSH host keys would be shared by every VM from this image",
                "delete them"));
        out.add(users(c));
        out.add(machine(g));
        out.add(
                g.privateKeys().isEmpty()
                        ? Findings.pass("DEPROVISION-SECRETS", "No private keys under /root or /home.", List.of())
                        : Findings.fail(
                                "DEPROVISION-SECRETS",
                                "Private keys are left under /root or /home: "
                                        + g.privateKeys().size() + ".",
                                Findings.cap(
                                        g.privateKeys().stream()
                                                .map(p -> Findings.ev(p, "private key"))
                                                .toList(),
                                        30),
                                "remove them from the image (or remove their user with --remove-user)"));
        return out;
    }

    private static Finding paths(String id, List<String> paths, String pass, String fail, String repair) {
        if (paths.isEmpty()) {
            return Findings.pass(id, pass, List.of());
        }
        return Findings.fail(
                id,
                fail + ": " + paths.size() + " entries.",
                Findings.cap(paths.stream().map(p -> Findings.ev(p, "present")).toList(), 30),
                repair);
    }

    static Finding users(CheckContext c) {
        GuestInspection g = c.guest();
        String id = "DEPROVISION-USERS";
        List<Evidence> hard = new ArrayList<>();
        for (GuestInspection.PasswdEntry u : g.users()) {
            if (c.options().removeUsers().contains(u.name())) {
                hard.add(Findings.ev("/etc/passwd", u.name() + " (to be removed)"));
            }
        }
        for (String name : c.options().removeUsers()) {
            if (c.reader().isDir("/home/" + name)
                    && g.users().stream().noneMatch(u -> u.name().equals(name))) {
                hard.add(Findings.ev("/home/" + name, "home of a removed user"));
            }
        }
        g.authorizedKeys().forEach(k -> hard.add(Findings.ev(k, "authorized keys")));
        g.historyFiles().forEach(h -> hard.add(Findings.ev(h, "shell history")));
        if (g.rootPassword().equals("set") || g.rootPassword().equals("empty")) {
            hard.add(Findings.ev(
                    "/etc/shadow",
                    "root password " + (g.rootPassword().equals("set") ? "set" : "empty") + ", not locked"));
        }
        List<Evidence> soft = g.users().stream()
                .filter(u -> u.human() && !c.options().removeUsers().contains(u.name()))
                .map(u -> Findings.ev("/etc/passwd", u.name() + " (uid " + u.uid() + ")"))
                .toList();
        if (!hard.isEmpty()) {
            List<Evidence> all = new ArrayList<>(hard);
            all.addAll(soft);
            return Findings.fail(
                    id,
                    "The image carries user data from the build VM.",
                    Findings.cap(all, 30),
                    "remove listed users, authorized_keys and shell histories; lock root's password");
        }
        if (!soft.isEmpty()) {
            return Findings.warn(
                    id,
                    "Login accounts remain in the image; remove the build user with --remove-user.",
                    soft,
                    "--remove-user NAME (spec: deprovision.removeUsers)");
        }
        return Findings.pass(
                id,
                "No leftover users, keys or histories; root's password is " + g.rootPassword() + ".",
                List.of(Findings.ev("/etc/shadow", "root " + g.rootPassword())));
    }

    static Finding machine(GuestInspection g) {
        String id = "DEPROVISION-MACHINE";
        List<Evidence> ev = new ArrayList<>();
        if (g.machineId() != null && !g.machineId().isEmpty() && !g.machineId().equals("uninitialized")) {
            ev.add(Findings.ev("/etc/machine-id", "set (" + g.machineId().length() + " characters)"));
        }
        g.dhcpLeases().forEach(l -> ev.add(Findings.ev(l, "DHCP lease")));
        if (g.hostname() != null && !DeprovisionPatch.RESET_HOSTNAMES.contains(g.hostname())) {
            ev.add(Findings.ev("/etc/hostname", g.hostname()));
        }
        for (CmdlineSite s : DeprovisionPatch.pinnedMachineIds(g)) {
            ev.add(Findings.ev(
                    s.file(),
                    KernelCmdline.tokens(s.effective()).stream()
                                    .filter(t -> KernelCmdline.key(t).equals(DeprovisionPatch.MACHINE_ID_ARG))
                                    .findFirst()
                                    .orElse("")
                            + " on the kernel command line pins the machine id"));
        }
        if (ev.isEmpty()) {
            return Findings.pass(
                    id,
                    "Machine identity is reset (machine-id empty, no leases, generic hostname).",
                    List.of(Findings.ev("/etc/machine-id", g.machineId() == null ? "absent" : "empty")));
        }
        return Findings.fail(
                id,
                "The build VM's identity is still in the image.",
                ev,
                "empty /etc/machine-id, delete DHCP leases, reset the hostname to " + DeprovisionPatch.HOSTNAME
                        + (DeprovisionPatch.pinnedMachineIds(g).isEmpty()
                                ? ""
                                : ", remove systemd.machine_id= from the kernel command line"));
    }
}
