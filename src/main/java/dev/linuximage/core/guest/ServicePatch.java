package dev.linuximage.core.guest;

import java.io.IOException;
import java.util.List;

/** SSH-SERVER and AGENT-PRESENT: enables installed units the way {@code systemctl enable} does. */
public final class ServicePatch {
    public static final List<String> SSH_UNITS = List.of("ssh.service", "sshd.service");
    public static final List<String> WAAGENT_UNITS = List.of("walinuxagent.service", "waagent.service");
    public static final List<String> CLOUD_INIT_UNITS = List.of(
            "cloud-init-local.service",
            "cloud-init-main.service",
            "cloud-init.service",
            "cloud-init-network.service",
            "cloud-config.service",
            "cloud-final.service",
            "cloud-init.target");
    public static final String CLOUD_INIT_DISABLED = "/etc/cloud/cloud-init.disabled";

    private ServicePatch() {}

    public static void apply(GuestEditor ed, GuestInspection g, PatchOptions o) throws IOException {
        SystemdUnits units = new SystemdUnits(ed.reader());
        if (!g.systemd()) {
            applyInitScripts(ed, g, o);
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

    /**
     * OpenRC cloud-init services and the runlevel each belongs to, as Alpine's {@code setup-cloud-init} adds them:
     * {@code cloud-init-local} in {@code boot}, the other stages in {@code default}. The same four names are the
     * SysV scripts of cloud-init's sysvinit packaging (RHEL 6).
     */
    public static final List<String[]> CLOUD_INIT_SCRIPTS = List.of(
            new String[] {"cloud-init-local", "boot"},
            new String[] {"cloud-init", "default"},
            new String[] {"cloud-config", "default"},
            new String[] {"cloud-final", "default"});

    /** SSH-SERVER and AGENT-PRESENT on OpenRC and SysV guests ({@link InitServices}). */
    static void applyInitScripts(GuestEditor ed, GuestInspection g, PatchOptions o) throws IOException {
        InitServices init = new InitServices(ed.reader());
        if (init.kind() != InitServices.Kind.OPENRC && init.kind() != InitServices.Kind.SYSV) {
            return;
        }
        if (g.ssh().installed() && !g.ssh().enabled()) {
            init.enable(ed, "SSH-SERVER", g.ssh().name(), "default");
        }
        if (o.provisioning() == Provisioning.None) {
            return;
        }
        boolean wantAgent = o.provisioning() == Provisioning.WALinuxAgent || o.generalized();
        if (g.waagentUnit().installed() && !g.waagentUnit().enabled() && wantAgent) {
            init.enable(ed, "AGENT-PRESENT", g.waagentUnit().name(), "default");
        }
        if (o.provisioning() == Provisioning.CloudInit && g.cloudInitInstalled()) {
            for (String[] svc : CLOUD_INIT_SCRIPTS) {
                SystemdUnits.UnitState s = init.state(svc[0]);
                if (s.installed() && !s.enabled()) {
                    init.enable(ed, "AGENT-PRESENT", svc[0], svc[1]);
                }
            }
            ed.delete("AGENT-PRESENT", CLOUD_INIT_DISABLED);
        }
    }
}
