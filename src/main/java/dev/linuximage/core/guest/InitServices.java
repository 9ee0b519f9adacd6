package dev.linuximage.core.guest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Boot services of guests without systemd, read and enabled from the file tree alone, the way their own tools do it:
 * <ul>
 * <li><b>OpenRC</b> (Alpine): a service is enabled in a runlevel when {@code /etc/runlevels/<level>/<svc>} is a
 * symlink to {@code /etc/init.d/<svc>}; {@code rc-update add <svc> <level>} creates exactly that link
 * (rc-update(8)).</li>
 * <li><b>SysV init</b> (RHEL/CentOS 6, SLES 11, sysvinit Debian): a service starts in runlevel N when
 * {@code /etc/rc.d/rcN.d/S<nn><svc>} (RHEL) or {@code /etc/rcN.d/S<nn><svc>} links to its init script;
 * {@code chkconfig <svc> on} reads the script's {@code # chkconfig: <levels> <start> <stop>} header for the
 * priorities and creates {@code S<start><svc>} in runlevels 2-5 (the default of "on") and, where the service has
 * no link yet, {@code K<stop><svc>} in the others, each a relative link {@code ../init.d/<svc>} (chkconfig(8)
 * "RUNLEVEL FILES", "--level").</li>
 * </ul>
 * Results reuse {@link SystemdUnits.UnitState}: {@code path} is the init script, {@code enabledBy} the runlevel
 * links that start it.
 */
public final class InitServices {
    /** Which init system the guest boots with. */
    public enum Kind {
        SYSTEMD,
        OPENRC,
        SYSV,
        NONE
    }

    private static final Pattern CHKCONFIG =
            Pattern.compile("(?m)^#\\s*chkconfig:\\s*(-|[0-6]+)\\s+(\\d{1,2})\\s+(\\d{1,2})\\s*$");
    private static final Pattern INITDEFAULT = Pattern.compile("(?m)^[^#:]*:([0-6]):initdefault:");
    /** OpenRC runlevels a service is started from at boot. */
    static final List<String> OPENRC_LEVELS = List.of("sysinit", "boot", "default");

    private final GuestReader r;

    public InitServices(GuestReader r) {
        this.r = r;
    }

    /** systemd wins when its unit directories exist; then OpenRC ({@code /etc/runlevels}); then SysV rc links. */
    public Kind kind() {
        if (new SystemdUnits(r).systemd()) {
            return Kind.SYSTEMD;
        }
        if (r.isDir("/etc/runlevels") || r.isFile("/sbin/openrc") || r.isFile("/usr/sbin/openrc")) {
            return Kind.OPENRC;
        }
        if (!rcDirs().isEmpty() && !initDir().isEmpty()) {
            return Kind.SYSV;
        }
        return Kind.NONE;
    }

    /** The init script directory: {@code /etc/rc.d/init.d} (RHEL) or {@code /etc/init.d}. */
    String initDir() {
        if (r.isDir("/etc/rc.d/init.d")) {
            return "/etc/rc.d/init.d";
        }
        return r.isDir("/etc/init.d") ? "/etc/init.d" : "";
    }

    /** The runlevel link directory of level {@code n}: {@code /etc/rc.d/rcN.d} (RHEL) or {@code /etc/rcN.d}. */
    String rcDir(int n) {
        for (String d : List.of("/etc/rc.d/rc" + n + ".d", "/etc/rc" + n + ".d")) {
            if (r.isDir(d)) {
                return d;
            }
        }
        return null;
    }

    private List<String> rcDirs() {
        List<String> out = new ArrayList<>();
        for (int n = 0; n <= 6; n++) {
            String d = rcDir(n);
            if (d != null) {
                out.add(d);
            }
        }
        return out;
    }

    /**
     * The runlevel SysV init enters at boot: {@code id:N:initdefault:} of /etc/inittab (RHEL 6 ships 3 or 5), else
     * -1 (no inittab: then any of the multi-user levels 2-5 counts).
     */
    int defaultRunlevel() {
        Matcher m = INITDEFAULT.matcher(r.text("/etc/inittab").orElse(""));
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The state of service {@code name} under this guest's init system (OpenRC or SysV). */
    public SystemdUnits.UnitState state(String name) {
        Kind k = kind();
        String script = null;
        List<String> enabledBy = new ArrayList<>();
        if (k == Kind.OPENRC) {
            script = r.isFile("/etc/init.d/" + name) ? "/etc/init.d/" + name : null;
            for (String level : OPENRC_LEVELS) {
                String link = "/etc/runlevels/" + level + "/" + name;
                if (r.exists(link)) {
                    enabledBy.add(link);
                }
            }
        } else if (k == Kind.SYSV) {
            String dir = initDir();
            script = r.isFile(dir + "/" + name) ? dir + "/" + name : null;
            int def = defaultRunlevel();
            for (int n = 2; n <= 5; n++) {
                if (def >= 0 && n != def) {
                    continue;
                }
                String rc = rcDir(n);
                if (rc == null) {
                    continue;
                }
                for (String link : r.paths(rc, e -> e.matches("S\\d{2}" + Pattern.quote(name)))) {
                    enabledBy.add(link);
                }
            }
        }
        return new SystemdUnits.UnitState(name, script, false, enabledBy, List.of(), List.of(), List.of(), List.of());
    }

    /** The first of {@code names} that is installed, or the state of the first name (not installed). */
    public SystemdUnits.UnitState firstInstalled(String... names) {
        for (String n : names) {
            SystemdUnits.UnitState s = state(n);
            if (s.installed()) {
                return s;
            }
        }
        return state(names[0]);
    }

    /**
     * Enables an installed service at boot the way {@code rc-update add} (OpenRC, runlevel {@code level}) or
     * {@code chkconfig <svc> on} (SysV) does. Returns false when it cannot: not installed, or a SysV script without
     * a {@code # chkconfig:} header (its start order is then unknown; the check keeps failing and says so).
     */
    public boolean enable(GuestEditor ed, String req, String name, String openRcLevel) throws IOException {
        Kind k = kind();
        SystemdUnits.UnitState s = state(name);
        if (!s.installed()) {
            return false;
        }
        if (k == Kind.OPENRC) {
            if (!OPENRC_LEVELS.contains(openRcLevel)) {
                throw new IllegalArgumentException("not a boot runlevel: " + openRcLevel);
            }
            ed.symlink(req, "/etc/runlevels/" + openRcLevel + "/" + name, "/etc/init.d/" + name);
            return true;
        }
        if (k != Kind.SYSV) {
            return false;
        }
        Optional<int[]> header = chkconfig(s.path());
        if (header.isEmpty()) {
            return false;
        }
        // chkconfig(8): "on" without --level affects runlevels 2, 3, 4 and 5; the header gives the priorities
        int levels = 0b111100;
        String start = String.format("S%02d%s", header.get()[1], name);
        String stop = String.format("K%02d%s", header.get()[2], name);
        for (int n = 0; n <= 6; n++) {
            String rc = rcDir(n);
            if (rc == null) {
                continue;
            }
            boolean on = (levels & (1 << n)) != 0;
            List<String> existing = r.paths(rc, e -> e.matches("[SK]\\d{2}" + Pattern.quote(name)));
            String want = on ? start : stop;
            if (on) {
                for (String e : existing) {
                    if (!GuestReader.baseName(e).equals(want)) {
                        ed.delete(req, e); // a K link (or an S link of another priority) in a level it must start in
                    }
                }
                ed.symlink(req, rc + "/" + want, "../init.d/" + name);
            } else if (existing.isEmpty()) {
                ed.symlink(req, rc + "/" + want, "../init.d/" + name);
            }
        }
        return true;
    }

    /** {@code # chkconfig: 2345 55 25} as {levels bit mask, start priority, stop priority}; empty when absent. */
    Optional<int[]> chkconfig(String script) {
        String t = r.stat(script).map(i -> i.size() <= 1 << 20).orElse(false)
                ? r.text(script).orElse("")
                : "";
        Matcher m = CHKCONFIG.matcher(t.length() > 16384 ? t.substring(0, 16384) : t);
        if (!m.find()) {
            return Optional.empty();
        }
        int mask = 0;
        if (!m.group(1).equals("-")) {
            for (char c : m.group(1).toCharArray()) {
                mask |= 1 << (c - '0');
            }
        }
        return Optional.of(new int[] {mask, Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))});
    }
}
