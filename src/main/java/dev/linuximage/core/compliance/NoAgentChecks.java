package dev.linuximage.core.compliance;

import dev.linuximage.core.guest.NoAgentPatch;
import dev.linuximage.core.guest.Provisioning;
import dev.linuximage.core.guest.SystemdUnits;
import dev.linuximage.core.report.Evidence;
import dev.linuximage.core.report.Finding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** NOAGENT-DHCP, NOAGENT-REPORT-READY, NOAGENT-NO-WAAGENT for agent-less images. */
final class NoAgentChecks {
    private NoAgentChecks() {}

    static List<Finding> check(CheckContext c) {
        List<String> ids = List.of("NOAGENT-DHCP", "NOAGENT-REPORT-READY", "NOAGENT-NO-WAAGENT");
        if (c.options().provisioning() != Provisioning.None) {
            return ids.stream()
                    .map(id -> Findings.na(id, "Provisioning is " + c.options().provisioning() + "."))
                    .toList();
        }
        List<Finding> out = new ArrayList<>();
        out.add(NetworkChecks.dhcp(c));
        SystemdUnits.UnitState u = new SystemdUnits(c.reader()).state(NoAgentPatch.UNIT_NAME);
        boolean script = c.reader().isFile(NoAgentPatch.SCRIPT_PATH);
        boolean current = script
                && c.reader()
                        .text(NoAgentPatch.SCRIPT_PATH)
                        .map(t -> Arrays.equals(
                                t.getBytes(java.nio.charset.StandardCharsets.UTF_8), NoAgentPatch.script()))
                        .orElse(false);
        boolean exec = c.reader()
                .stat(NoAgentPatch.SCRIPT_PATH)
                .map(i -> (i.mode() & 0111) != 0)
                .orElse(false);
        List<Evidence> ev = List.of(
                Findings.ev(
                        NoAgentPatch.UNIT_PATH,
                        u.enabled() ? "enabled" : u.installed() ? "installed, not enabled" : "absent"),
                Findings.ev(
                        NoAgentPatch.SCRIPT_PATH,
                        !script
                                ? "absent"
                                : (current ? "current" : "differs from this release")
                                        + (exec ? ", executable" : ", not executable")));
        if (u.enabled() && script && exec) {
            out.add(
                    current
                            ? Findings.pass(
                                    "NOAGENT-REPORT-READY", "The report-ready unit is installed and enabled.", ev)
                            : Findings.warn(
                                    "NOAGENT-REPORT-READY",
                                    "A report-ready program is installed but differs from this " + "release's.",
                                    ev,
                                    "re-install it"));
        } else {
            out.add(Findings.fail(
                    "NOAGENT-REPORT-READY",
                    "Nothing reports the VM ready: Azure would reboot it and fail " + "the deployment.",
                    ev,
                    "install " + NoAgentPatch.SCRIPT_PATH + " and enable " + NoAgentPatch.UNIT_NAME));
        }
        List<Evidence> left = new ArrayList<>();
        NoAgentPatch.WAAGENT_LEFTOVERS.stream()
                .filter(c.reader()::exists)
                .forEach(p -> left.add(Findings.ev(p, "present")));
        if (c.guest().waagentUnit().enabled()) {
            left.add(Findings.ev(c.guest().waagentUnit().path(), "enabled"));
        }
        out.add(
                left.isEmpty()
                        ? Findings.pass(
                                "NOAGENT-NO-WAAGENT",
                                "waagent is absent or fully disabled; create VMs with " + "--enable-agent false.",
                                List.of())
                        : Findings.fail(
                                "NOAGENT-NO-WAAGENT",
                                "waagent is still configured or enabled in an agent-less image.",
                                left,
                                "disable its unit and delete /etc/waagent.conf, /var/lib/waagent, /var/log/waagent.log"));
        return out;
    }
}
