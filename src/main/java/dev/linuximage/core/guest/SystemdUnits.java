package dev.linuximage.core.guest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * systemd unit enablement from the file tree alone, and {@code systemctl enable/disable} done the same way systemd
 * does it: symlinks in {@code /etc/systemd/system/<target>.wants/} (or {@code .requires/}) named after the unit and
 * pointing at the unit file, plus {@code Alias=} links, following the unit's {@code [Install]} section
 * (systemd.unit(5) "[Install] Section Options").
 */
public final class SystemdUnits {
    /** The unit search path, highest priority first (systemd.unit(5) "Unit File Load Path"). */
    public static final List<String> UNIT_DIRS = List.of(
            "/etc/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system");

    private static final String ETC = "/etc/systemd/system";

    /**
     * The state of one unit.
     *
     * @param name       unit name asked for (e.g. {@code sshd.service})
     * @param path       the unit file found (following an alias link), or null when not installed
     * @param masked     linked to {@code /dev/null} in /etc
     * @param enabledBy  the wants/requires links that pull it in (guest paths)
     * @param wantedBy   {@code [Install] WantedBy=} targets
     * @param requiredBy {@code [Install] RequiredBy=} targets
     * @param aliases    {@code [Install] Alias=} names
     * @param also       {@code [Install] Also=} units
     */
    public record UnitState(
            String name,
            String path,
            boolean masked,
            List<String> enabledBy,
            List<String> wantedBy,
            List<String> requiredBy,
            List<String> aliases,
            List<String> also) {
        public boolean installed() {
            return path != null;
        }

        public boolean enabled() {
            return installed() && !masked && !enabledBy.isEmpty();
        }

        /** The unit's real name (the file name of its unit file). */
        public String realName() {
            return path == null ? name : GuestReader.baseName(path);
        }
    }

    private final GuestReader r;

    public SystemdUnits(GuestReader r) {
        this.r = r;
    }

    /** True when the guest has a systemd unit directory at all. */
    public boolean systemd() {
        return UNIT_DIRS.stream().anyMatch(r::isDir);
    }

    public UnitState state(String name) {
        boolean masked = false;
        String path = null;
        for (String dir : UNIT_DIRS) {
            String p = dir + "/" + name;
            Optional<String> link = r.readLink(p);
            if (link.isPresent() && link.get().equals("/dev/null")) {
                masked = true;
                continue;
            }
            if (r.isFile(p)) {
                path = p;
                if (link.isPresent()) {
                    // an alias link: the real unit file carries the [Install] section
                    String target = link.get().startsWith("/") ? link.get() : dir + "/" + link.get();
                    target = BootCmdline.normalize(target);
                    if (r.isFile(target)) {
                        path = target;
                    }
                }
                break;
            }
        }
        Map<String, List<String>> install =
                path == null ? Map.of() : install(r.text(path).orElse(""));
        List<String> aliases = install.getOrDefault("Alias", List.of());
        Set<String> names = new HashSet<>(aliases);
        names.add(name);
        if (path != null) {
            names.add(GuestReader.baseName(path));
        }
        List<String> enabledBy = new ArrayList<>();
        for (String dir : UNIT_DIRS) {
            for (String d : r.paths(dir, n -> n.endsWith(".wants") || n.endsWith(".requires"))) {
                for (String n : names) {
                    String link = d + "/" + n;
                    if (r.exists(link) && !enabledBy.contains(link)) {
                        enabledBy.add(link);
                    }
                }
            }
        }
        return new UnitState(
                name,
                path,
                masked,
                enabledBy,
                install.getOrDefault("WantedBy", List.of()),
                install.getOrDefault("RequiredBy", List.of()),
                aliases,
                install.getOrDefault("Also", List.of()));
    }

    /** The first of {@code names} that is installed, or the state of the first name (not installed). */
    public UnitState firstInstalled(String... names) {
        for (String n : names) {
            UnitState s = state(n);
            if (s.installed()) {
                return s;
            }
        }
        return state(names[0]);
    }

    /** Keys of the {@code [Install]} section, values split on whitespace, repeated keys accumulated. */
    static Map<String, List<String>> install(String unitText) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        boolean inInstall = false;
        for (String raw : GuestReader.lines(unitText)) {
            String l = raw.trim();
            if (l.startsWith("#") || l.startsWith(";") || l.isEmpty()) {
                continue;
            }
            if (l.startsWith("[")) {
                inInstall = l.equals("[Install]");
                continue;
            }
            int eq = l.indexOf('=');
            if (inInstall && eq > 0) {
                String k = l.substring(0, eq).trim();
                String v = l.substring(eq + 1).trim();
                List<String> vals = out.computeIfAbsent(k, x -> new ArrayList<>());
                if (v.isEmpty()) {
                    vals.clear(); // an empty assignment resets the list
                } else {
                    vals.addAll(List.of(v.split("\\s+")));
                }
            }
        }
        return out;
    }

    /**
     * Enables a unit like {@code systemctl enable}: unmasks, creates the wants/requires links and alias links, and
     * enables {@code Also=} units. Returns false when the unit is not installed or has no {@code [Install]} target
     * (a static unit cannot be enabled).
     */
    public boolean enable(GuestEditor ed, String req, String name) throws IOException {
        return enable(ed, req, name, new HashSet<>());
    }

    private boolean enable(GuestEditor ed, String req, String name, Set<String> seen) throws IOException {
        if (!seen.add(name)) {
            return true;
        }
        Optional<String> mask = r.readLink(ETC + "/" + name);
        if (mask.isPresent() && mask.get().equals("/dev/null")) {
            ed.delete(req, ETC + "/" + name);
        }
        UnitState s = state(name);
        if (!s.installed() || (s.wantedBy().isEmpty() && s.requiredBy().isEmpty())) {
            return false;
        }
        String real = s.realName();
        for (String t : s.wantedBy()) {
            ed.symlink(req, ETC + "/" + t + ".wants/" + real, s.path());
        }
        for (String t : s.requiredBy()) {
            ed.symlink(req, ETC + "/" + t + ".requires/" + real, s.path());
        }
        for (String a : s.aliases()) {
            if (!a.equals(real) && (!r.exists(ETC + "/" + a) || r.isSymlink(ETC + "/" + a))) {
                ed.symlink(req, ETC + "/" + a, s.path());
            }
        }
        for (String also : s.also()) {
            enable(ed, req, also, seen);
        }
        return true;
    }

    /** Disables a unit like {@code systemctl disable}: removes its wants/requires links and alias links in /etc. */
    public void disable(GuestEditor ed, String req, String name) throws IOException {
        UnitState s = state(name);
        Set<String> names = new HashSet<>(s.aliases());
        names.add(name);
        names.add(s.realName());
        for (String d : r.paths(ETC, n -> n.endsWith(".wants") || n.endsWith(".requires"))) {
            for (String n : names) {
                if (r.isSymlink(d + "/" + n)) {
                    ed.delete(req, d + "/" + n);
                }
            }
        }
        for (String a : s.aliases()) {
            if (r.isSymlink(ETC + "/" + a)
                    && !r.readLink(ETC + "/" + a).orElse("").equals("/dev/null")) {
                ed.delete(req, ETC + "/" + a);
            }
        }
    }
}
