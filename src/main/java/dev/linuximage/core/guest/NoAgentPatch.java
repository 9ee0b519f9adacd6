package dev.linuximage.core.guest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * NOAGENT-REPORT-READY and NOAGENT-NO-WAAGENT for agent-less images: installs this project's report-ready program
 * and its oneshot unit (resources {@code guest/noagent/}), enables the unit, and removes waagent's configuration,
 * state and log and disables its unit.
 */
public final class NoAgentPatch {
    public static final String SCRIPT_PATH = "/usr/local/sbin/linuximage-report-ready";
    public static final String UNIT_NAME = "linuximage-report-ready.service";
    public static final String UNIT_PATH = "/etc/systemd/system/" + UNIT_NAME;
    public static final List<String> WAAGENT_LEFTOVERS =
            List.of("/etc/waagent.conf", "/var/lib/waagent", "/var/log/waagent.log");

    private NoAgentPatch() {}

    /** The report-ready script as shipped in the product. */
    public static byte[] script() {
        return resource("/guest/noagent/linuximage-report-ready.sh");
    }

    /** The oneshot unit as shipped in the product. */
    public static byte[] unit() {
        return resource("/guest/noagent/linuximage-report-ready.service");
    }

    static byte[] resource(String name) {
        try (InputStream in = NoAgentPatch.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " missing from the build");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void apply(GuestEditor ed, GuestInspection g, PatchOptions o) throws IOException {
        if (o.provisioning() != Provisioning.None) {
            return;
        }
        String req = "NOAGENT-REPORT-READY";
        ed.writeBytes(req, SCRIPT_PATH, script(), 0755);
        ed.chmod(req, SCRIPT_PATH, 0755);
        ed.writeBytes(req, UNIT_PATH, unit(), 0644);
        SystemdUnits units = new SystemdUnits(ed.reader());
        if (!units.state(UNIT_NAME).enabled()) {
            units.enable(ed, req, UNIT_NAME);
        }
        String noWa = "NOAGENT-NO-WAAGENT";
        for (String u : ServicePatch.WAAGENT_UNITS) {
            if (units.state(u).installed()) {
                units.disable(ed, noWa, u);
            }
        }
        for (String p : WAAGENT_LEFTOVERS) {
            ed.delete(noWa, p);
        }
    }
}
