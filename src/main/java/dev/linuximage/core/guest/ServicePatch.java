package dev.linuximage.core.guest;

import java.io.IOException;
import java.util.List;

/** SSH-SERVER and AGENT-PRESENT: enables installed units the way {@code systemctl enable} does. */
public final class ServicePatch {
    public static final List<String> SSH_UNITS = List.of("ssh.service", "sshd.service");
    public static final List<String> WAAGENT_UNITS = List.of("walinuxagent.service", "waagent.service");
    public static final List<String> CLOUD_INIT_UNITS = List.of("cloud-init-local.service", "cloud-init-main.service",
            "cloud-init.service", "cloud-init-network.service", "cloud-config.service", "cloud-final.service",
            "cloud-init.target");
    public static final String CLOUD_INIT_DISABLED = "/etc/cloud/cloud-init.disabled";

    private ServicePatch() {
    }

    public static void apply(GuestEditor ed, GuestInspection g, PatchOptions o) throws IOException {
        SystemdUnits units = new SystemdUnits(ed.reader());
        if (!g.systemd()) {
            return;
        }
        if (g.ssh().installed() && !g.ssh().enabled()) {
            units.enable(ed, "SSH-SERVER", g.ssh().name());
        }
        if (o.provisioning() == Provisioning.None) {
            return;
        }
        boolean wantAgent = o.provisioning() == Provisioning.WALinuxAgent || o.generalized();
        if (g.waagentUnit().installed() && !g.waagentUnit().enabled() && wantAgent) {
            units.enable(ed, "AGENT-PRESENT", g.waagentUnit().name());
        }
        if (o.provisioning() == Provisioning.CloudInit && g.cloudInitInstalled()) {
            for (String u : CLOUD_INIT_UNITS) {
                SystemdUnits.UnitState s = units.state(u);
                if (s.installed() && !s.enabled()) {
                    units.enable(ed, "AGENT-PRESENT", u);
                }
            }
            ed.delete("AGENT-PRESENT", CLOUD_INIT_DISABLED);
        }
    }
}
