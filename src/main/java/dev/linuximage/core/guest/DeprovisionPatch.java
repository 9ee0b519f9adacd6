package dev.linuximage.core.guest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * DEPROVISION-*: what {@code waagent -deprovision+user} and {@code cloud-init clean} would do, offline, for
 * generalized images. Private keys (DEPROVISION-SECRETS) are reported, never deleted unless they belong to a
 * removed user.
 */
public final class DeprovisionPatch {
    /** Hostname a generalized image carries; Azure sets the real one at provisioning. */
    public static final String HOSTNAME = "localhost";

    public static final Set<String> RESET_HOSTNAMES = Set.of("", "localhost", "localhost.localdomain");

    private DeprovisionPatch() {}

    public static void apply(GuestEditor ed, GuestInspection g, PatchOptions o) throws IOException {
        if (!o.generalized()) {
            return;
        }
        for (String p : g.agentState()) {
            ed.delete("DEPROVISION-AGENT-STATE", p);
        }
        for (String k : g.sshHostKeys()) {
            ed.delete("DEPROVISION-SSH-HOSTKEYS", k);
        }
        sshHostKeysAtBoot(ed, o);
        users(ed, g, o);
        machine(ed, g);
    }

    /** Drop-in that makes missing SSH host keys before the SSH server starts (see {@link #sshHostKeysAtBoot}). */
    public static final String SSH_KEYGEN_DROPIN_NAME = "linuximage-hostkeys.conf";

    static final String SSH_KEYGEN_DROPIN_HEAD = """
            # linuximage (DEPROVISION-SSH-HOSTKEYS): this generalized image was shipped without SSH host keys and no
            # provisioning agent (cloud-init, waagent) makes new ones: make the missing ones before the server starts.
            # The empty ExecStartPre= resets the list so that the keys exist before the unit's own checks (Debian's
            # "sshd -t" fails without keys), which follow unchanged.
            [Service]
            ExecStartPre=
            ExecStartPre=/usr/bin/ssh-keygen -A
            """;

    /**
     * cloud-init and waagent regenerate the host keys at first boot; without an agent (provisioning None) nothing
     * does, and Debian's {@code ssh.service} then fails to start for lack of keys (seen booting the agent-less
     * Debian guest). A drop-in on the installed SSH unit runs {@code ssh-keygen -A} (makes only missing keys) before
     * the unit's own {@code ExecStartPre=} commands, which it repeats (a drop-in can only append to or reset a list).
     */
    static void sshHostKeysAtBoot(GuestEditor ed, PatchOptions o) throws IOException {
        if (o.provisioning() != Provisioning.None) {
            return;
        }
        GuestReader r = ed.reader();
        for (String unit : ServicePatch.SSH_UNITS) {
            for (String dir : SystemdUnits.UNIT_DIRS) {
                String path = GuestReader.join(dir, unit);
                if (!r.isFile(path)) {
                    continue;
                }
                StringBuilder dropIn = new StringBuilder(SSH_KEYGEN_DROPIN_HEAD);
                for (String line : GuestReader.lines(r.text(path).orElse(""))) {
                    String t = line.strip();
                    if (t.startsWith("ExecStartPre=") && t.length() > "ExecStartPre=".length()) {
                        dropIn.append(t).append('\n');
                    }
                }
                ed.writeText(
                        "DEPROVISION-SSH-HOSTKEYS",
                        "/etc/systemd/system/" + unit + ".d/" + SSH_KEYGEN_DROPIN_NAME,
                        dropIn.toString(),
                        0644);
                return;
            }
        }
    }

    static void users(GuestEditor ed, GuestInspection g, PatchOptions o) throws IOException {
        String req = "DEPROVISION-USERS";
        GuestReader r = ed.reader();
        List<GuestInspection.PasswdEntry> removed = g.users().stream()
                .filter(u -> o.removeUsers().contains(u.name()) && !u.name().equals("root"))
                .toList();
        List<String> names =
                removed.stream().map(GuestInspection.PasswdEntry::name).toList();
        if (!names.isEmpty()) {
            dropLines(ed, req, "/etc/passwd", names);
            dropLines(ed, req, "/etc/shadow", names);
            dropLines(ed, req, "/etc/subuid", names);
            dropLines(ed, req, "/etc/subgid", names);
            editGroups(ed, req, "/etc/group", removed, 3);
            editGroups(ed, req, "/etc/gshadow", removed, 3);
            for (GuestInspection.PasswdEntry u : removed) {
                String home = BootCmdline.normalize(u.home());
                if (home.startsWith("/home/") && home.length() > 6 || home.equals("/var/lib/" + u.name())) {
                    ed.delete(req, home);
                }
                ed.delete(req, "/var/mail/" + u.name());
                ed.delete(req, "/var/spool/mail/" + u.name());
                ed.delete(req, "/etc/sudoers.d/" + u.name());
            }
        }
        for (String k : g.authorizedKeys()) {
            ed.delete(req, k);
        }
        for (String h : g.historyFiles()) {
            ed.delete(req, h);
        }
        Optional<String> shadow = r.text("/etc/shadow");
        if (shadow.isPresent()) {
            List<String> lines = new ArrayList<>(GuestReader.lines(shadow.get()));
            boolean locked = false;
            for (int i = 0; i < lines.size(); i++) {
                String[] f = lines.get(i).split(":", -1);
                if (f.length >= 2 && f[0].equals("root") && !f[1].startsWith("!") && !f[1].startsWith("*")) {
                    f[1] = "!" + f[1];
                    lines.set(i, String.join(":", f));
                    locked = true;
                }
            }
            if (locked) {
                ed.writeText(req, "/etc/shadow", String.join("\n", lines) + "\n");
            }
        }
    }

    private static void dropLines(GuestEditor ed, String req, String file, List<String> names) throws IOException {
        Optional<String> t = ed.reader().text(file);
        if (t.isEmpty()) {
            return;
        }
        List<String> all = GuestReader.lines(t.get());
        List<String> kept = all.stream()
                .filter(l -> names.stream().noneMatch(n -> l.startsWith(n + ":")))
                .toList();
        if (kept.size() == all.size()) {
            return;
        }
        ed.writeText(req, file, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
    }

    /** Removes the users from member lists, and their personal group when nobody else is in it. */
    private static void editGroups(
            GuestEditor ed, String req, String file, List<GuestInspection.PasswdEntry> users, int membersField)
            throws IOException {
        Optional<String> t = ed.reader().text(file);
        if (t.isEmpty()) {
            return;
        }
        List<String> names =
                users.stream().map(GuestInspection.PasswdEntry::name).toList();
        List<String> out = new ArrayList<>();
        boolean changed = false;
        for (String l : GuestReader.lines(t.get())) {
            String[] f = l.split(":", -1);
            if (f.length <= membersField) {
                out.add(l);
                continue;
            }
            List<String> members = new ArrayList<>(Arrays.stream(f[membersField].split(","))
                    .filter(s -> !s.isEmpty())
                    .toList());
            boolean personal = names.contains(f[0]) && members.stream().allMatch(names::contains);
            if (personal) {
                changed = true;
                continue;
            }
            if (members.removeAll(names)) {
                changed = true;
                f[membersField] = String.join(",", members);
                out.add(String.join(":", f));
            } else {
                out.add(l);
            }
        }
        if (changed) {
            ed.writeText(req, file, out.isEmpty() ? "" : String.join("\n", out) + "\n");
        }
    }

    static void machine(GuestEditor ed, GuestInspection g) throws IOException {
        String req = "DEPROVISION-MACHINE";
        GuestReader r = ed.reader();
        if (g.machineId() != null && !g.machineId().isEmpty() && !g.machineId().equals("uninitialized")) {
            ed.writeText(req, "/etc/machine-id", "");
        }
        if (r.isFile("/var/lib/dbus/machine-id") && !r.isSymlink("/var/lib/dbus/machine-id")) {
            ed.delete(req, "/var/lib/dbus/machine-id");
        }
        for (String l : g.dhcpLeases()) {
            ed.delete(req, l);
        }
        if (g.hostname() != null && !RESET_HOSTNAMES.contains(g.hostname())) {
            ed.writeText(req, "/etc/hostname", HOSTNAME + "\n");
        }
        if (!pinnedMachineIds(g).isEmpty()) {
            // remove systemd.machine_id= wherever a command line is set; the next kernel-install run writes the
            // new VM's own id again (90-loaderentry.install adds it when the entry token is the machine id)
            BootCmdline.patch(ed, new CmdlinePolicy(List.of(), List.of(MACHINE_ID_ARG)), req);
        }
    }

    /** The kernel argument that makes systemd take the machine id from the command line (systemd(1)). */
    public static final String MACHINE_ID_ARG = "systemd.machine_id";

    /**
     * Command-line places that pin a machine id: {@code systemd.machine_id=} overrides an empty /etc/machine-id at
     * every boot (systemd(1), machine-id(5)), so every VM made from the image would share the build VM's identity.
     * kernel-install (systemd 252+) writes it into the BLS entries' {@code options} when the entry token is the
     * machine id, as Debian's systemd-boot does.
     */
    public static List<CmdlineSite> pinnedMachineIds(GuestInspection g) {
        if (g.cmdline() == null) {
            return List.of();
        }
        return g.cmdline().sites().stream()
                .filter(s -> KernelCmdline.tokens(s.effective()).stream()
                        .anyMatch(t -> KernelCmdline.key(t).equals(MACHINE_ID_ARG)))
                .toList();
    }
}
