package dev.linuximage.core.guest;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one kernel's early boot does with the command-line arguments that cost boot time: {@code rootdelay=}
 * (CMDLINE-CONSOLE) and the resume device (SWAP-OS-DISK). Decided by reading the scripts of the kernel's own
 * initramfs (or, when the image cannot be read, the generator installed in the guest); never by the distribution's
 * name alone unless nothing else is known (see {@link RootDelayRule}).
 *
 * <p>What the sources say (read 2026-12): Debian/Ubuntu initramfs-tools {@code init} sleeps the whole value
 * unconditionally ({@code if [ "$ROOTDELAY" ]; then sleep "$ROOTDELAY"; fi}, initramfs-tools 0.142), and its
 * {@code scripts/local} waits for the root device at most max(30, rootdelay) seconds counted from before that sleep,
 * so the value is a pure delay; dracut (dracutdevs/dracut history, dracut-ng HEAD) never reads {@code rootdelay} — it
 * waits for devices by {@code rd.retry} (default 180 s) and, with systemd, {@code rd.timeout} (default: no limit);
 * systemd in the initrd does not read it either (kernel-command-line(7)); the kernel reads it only when the initramfs
 * has no {@code /init} ({@code init/main.c} calls {@code prepare_namespace()}), and there {@code init/do_mounts.c}
 * {@code ssleep(root_delay)}s unconditionally before {@code rootwait}'s polling loop.
 *
 * <p>Arch mkinitcpio (archlinux/mkinitcpio at fc8137c, 2026-04): the busybox {@code /init} sources
 * {@code /init_functions}, whose {@code resolve_device} passes {@code rootdelay="$(getarg rootdelay)"} to
 * {@code poll_device "$device" "$rootdelay"}; {@code poll_device} returns as soon as {@code [ -b "$device" ]} and
 * otherwise loops {@code while [ ! -b "$device" ] && [ "$deciseconds" -gt 0 ]} with short sleeps, the count starting
 * at rootdelay (default 10 s): rootdelay is the longest wait for the root device, a timeout, never a sleep. With the
 * {@code systemd} hook, {@code install/systemd} links {@code /init} to {@code usr/lib/systemd/systemd}
 * ({@code ln -sfn} replaces base's script) and {@code init_functions}, if present, is never run. Alpine mkinitfs
 * (alpinelinux/mkinitfs at cc4954b, 2025-11): {@code initramfs-init.in} (installed as {@code /init}) turns only the
 * options of its {@code myopts} list into {@code KOPT_*} variables — {@code rootdelay} is not one — and waits for
 * {@code root=} with {@code nlplug-findfs}, which exits when the device appears or after its own uevent timeout
 * (5 s without events, {@code MAX_EVENT_TIMEOUT}); so rootdelay is not read there, as with dracut.
 *
 * @param generator         {@code initramfs-tools}, {@code dracut}, {@code mkinitcpio}, {@code mkinitfs} (Alpine),
 *                          {@code none} (no initramfs), {@code unknown}
 * @param rootDelay         how {@code rootdelay=} is used at boot
 * @param source            what was read: a guest path of an initramfs image, or a description of the fallback
 * @param rootDelayEvidence where the decision comes from, e.g. {@code init line 232: sleep "$ROOTDELAY"}
 * @param resume            the resume device the initramfs itself is configured with (initramfs-tools
 *                          {@code RESUME=} in {@code conf/initramfs.conf}/{@code conf/conf.d/*}, dracut
 *                          {@code resume=} in {@code etc/cmdline.d/*.conf}), or null
 * @param resumeEvidence    file and line of that setting, or null
 */
public record InitramfsBoot(
        String generator,
        RootDelay rootDelay,
        String source,
        String rootDelayEvidence,
        String resume,
        String resumeEvidence) {

    /** How the boot path treats {@code rootdelay=N}. */
    public enum RootDelay {
        /** An initramfs script sleeps the whole value (initramfs-tools): never add it, remove a large one. */
        SLEEP,
        /**
         * A script waits for the root device at most rootdelay seconds and goes on as soon as it appears
         * (mkinitcpio's {@code poll_device}): the wait-for-device timeout the catalogue means.
         */
        TIMEOUT,
        /** No initramfs script reads it and {@code /init} exists, so the kernel ignores it too (dracut, mkinitfs). */
        NOT_READ,
        /** No initramfs (or one without {@code /init}): the kernel sleeps it; {@code rootwait} polls instead. */
        KERNEL_SLEEP,
        /** A script reads it in a way this product does not know: left as it is. */
        UNKNOWN
    }

    /** Largest script read from an initramfs or guest (bytes); larger ones are not scripts this cares about. */
    public static final int MAX_SCRIPT = 1 << 20;

    /** {@code sleep $ROOTDELAY}, {@code sleep "${rootdelay}"}, ... anywhere on a non-comment line. */
    private static final Pattern SLEEP_VAR = Pattern.compile("\\bsleep\\s+\"?\\$\\{?([A-Za-z_][A-Za-z0-9_]*)\\}?\"?");

    private static final Pattern RESUME_ASSIGN = Pattern.compile("^\\s*(?:export\\s+)?RESUME=(.*)$");
    /** A shell assignment {@code name=...}; group 1 is the name. */
    private static final Pattern ASSIGN =
            Pattern.compile("(?:^|[\\s;(])(?:local\\s+|export\\s+)?([A-Za-z_][A-Za-z0-9_]*)=");
    /** {@code rootdelay="$(getarg rootdelay)"} (mkinitcpio's {@code resolve_device}). */
    private static final Pattern GETARG_ROOTDELAY =
            Pattern.compile("^(?:local\\s+)?([A-Za-z_][A-Za-z0-9_]*)=\"?\\$\\(getarg\\s+rootdelay\\)\"?\\s*(?:;.*)?$");
    /** {@code poll_device "$device" "$rootdelay"}: group 1 is the timeout variable. */
    private static final Pattern POLL_CALL =
            Pattern.compile("\\bpoll_device\\s+\\S+\\s+\"?\\$\\{?([A-Za-z_][A-Za-z0-9_]*)\\}?\"?");
    /** A shell function header, {@code name() {} or {@code function name {}. */
    private static final Pattern FUNC =
            Pattern.compile("^(?:function\\s+)?([A-Za-z_][A-Za-z0-9_]*)\\s*(?:\\(\\s*\\))?\\s*\\{?\\s*$");
    /** The systemd binary an initramfs {@code /init} links to (dracut's 00systemd, mkinitcpio's systemd hook). */
    private static final Pattern SYSTEMD = Pattern.compile("(^|/)systemd$");

    /**
     * Whether a path of an initramfs (relative, no leading slash) holds a script or configuration this class reads:
     * {@code init}, initramfs-tools' {@code scripts/} and {@code conf/}, dracut's {@code *.sh} and
     * {@code etc/cmdline.d/} and the {@code dracut-*} scripts its systemd units run, mkinitcpio's
     * {@code init_functions}.
     */
    public static boolean wanted(String path) {
        return path.equals("init")
                || path.startsWith("scripts/")
                || path.startsWith("conf/")
                || path.startsWith("etc/cmdline.d/")
                || path.endsWith(".sh")
                || path.equals("init_functions")
                || GuestReader.baseName(path).startsWith("dracut-");
    }

    /** A kernel without an initramfs: the kernel mounts root itself and sleeps {@code rootdelay} first. */
    public static InitramfsBoot noInitramfs(String kernel) {
        return new InitramfsBoot(
                "none",
                RootDelay.KERNEL_SLEEP,
                "kernel " + kernel,
                "no initramfs for " + kernel + ": the kernel mounts root itself (init/do_mounts.c prepare_namespace "
                        + "sleeps rootdelay unconditionally; rootwait polls for the device)",
                null,
                null);
    }

    /**
     * Analyses the scripts of one initramfs image.
     *
     * @param source     the image's guest path (for evidence)
     * @param generator  {@code initramfs-tools}, {@code dracut} or {@code unknown}, from the image's layout
     * @param hasInit    whether the archive has an {@code /init} (a file or a symlink)
     * @param initTarget the symlink target of {@code /init} when it is one (dracut with systemd), else null
     * @param scripts    archive path (no leading slash) to text, for the paths {@link #wanted} accepts
     */
    public static InitramfsBoot analyse(
            String source, String generator, boolean hasInit, String initTarget, Map<String, String> scripts) {
        Map<String, String> sorted = new TreeMap<>(scripts);
        String[] resume = resume(sorted);
        if (!hasInit) {
            return new InitramfsBoot(
                    generator,
                    RootDelay.KERNEL_SLEEP,
                    source,
                    source + " has no /init: the kernel "
                            + "mounts root itself and sleeps rootdelay unconditionally (init/do_mounts.c)",
                    resume[0],
                    resume[1]);
        }
        return decide(source, generator, initTarget, sorted, resume);
    }

    /**
     * The fallback when no initramfs image could be read: the init script of the generator installed in the guest,
     * which is what its next image will run ({@code mkinitramfs} copies {@code /usr/share/initramfs-tools/init} to
     * {@code /init}; dracut installs {@code modules.d/*base/init.sh}; mkinitcpio {@code /usr/lib/initcpio/init} and
     * {@code init_functions}, or systemd when {@code HOOKS} has {@code systemd}; Alpine mkinitfs
     * {@code /usr/share/mkinitfs/initramfs-init}). Null when none is installed.
     */
    public static InitramfsBoot fromGuest(GuestReader r) {
        String itInit = "/usr/share/initramfs-tools/init";
        if (r.isFile(itInit)) {
            Map<String, String> scripts = new TreeMap<>();
            r.text(itInit).ifPresent(t -> scripts.put("init", t));
            r.text("/usr/share/initramfs-tools/scripts/local").ifPresent(t -> scripts.put("scripts/local", t));
            return decide(
                    "the guest's initramfs-tools (" + itInit + ")", "initramfs-tools", null, scripts, new String[2]);
        }
        for (String base : List.of("/usr/lib/dracut/modules.d", "/lib/dracut/modules.d")) {
            if (!r.isDir(base)) {
                continue;
            }
            Map<String, String> scripts = new TreeMap<>();
            int files = 0;
            for (String mod : r.paths(base, n -> true)) {
                for (String f : r.paths(mod, n -> n.endsWith(".sh"))) {
                    if (++files > 2000) {
                        break;
                    }
                    r.text(f).filter(t -> t.length() <= MAX_SCRIPT).ifPresent(t -> scripts.put(f.substring(1), t));
                }
            }
            return decide("the guest's dracut (" + base + ")", "dracut", null, scripts, new String[2]);
        }
        // mkinitcpio's base hook installs /usr/lib/initcpio/{init,init_functions} as /init and /init_functions; its
        // systemd hook, when HOOKS names it, links /init to systemd instead
        String cpioFunctions = "/usr/lib/initcpio/init_functions";
        if (r.isFile(cpioFunctions)) {
            Map<String, String> scripts = new TreeMap<>();
            r.text("/usr/lib/initcpio/init")
                    .filter(t -> t.length() <= MAX_SCRIPT)
                    .ifPresent(t -> scripts.put("init", t));
            r.text(cpioFunctions)
                    .filter(t -> t.length() <= MAX_SCRIPT)
                    .ifPresent(t -> scripts.put("init_functions", t));
            String hooks = mkinitcpioHooks(r);
            boolean systemd =
                    hooks != null && List.of(hooks.split("[\\s()\"']+")).contains("systemd");
            return decide(
                    "the guest's mkinitcpio (" + cpioFunctions + (hooks == null ? "" : ", HOOKS=" + hooks) + ")",
                    "mkinitcpio",
                    systemd ? "usr/lib/systemd/systemd" : null,
                    scripts,
                    new String[2]);
        }
        // Alpine mkinitfs installs $datadir/initramfs-init as /init (mkinitfs.in: init="$datadir"/initramfs-init)
        String alpineInit = "/usr/share/mkinitfs/initramfs-init";
        if (r.isFile(alpineInit)) {
            Map<String, String> scripts = new TreeMap<>();
            r.text(alpineInit).filter(t -> t.length() <= MAX_SCRIPT).ifPresent(t -> scripts.put("init", t));
            return decide("the guest's mkinitfs (" + alpineInit + ")", "mkinitfs", null, scripts, new String[2]);
        }
        return null;
    }

    /** The last {@code HOOKS=} of {@code /etc/mkinitcpio.conf} and its {@code mkinitcpio.conf.d/*.conf}, or null. */
    private static String mkinitcpioHooks(GuestReader r) {
        List<String> files = new ArrayList<>(List.of("/etc/mkinitcpio.conf"));
        if (r.isDir("/etc/mkinitcpio.conf.d")) {
            files.addAll(r.paths("/etc/mkinitcpio.conf.d", n -> n.endsWith(".conf")).stream()
                    .sorted()
                    .toList());
        }
        String hooks = null;
        for (String f : files) {
            for (String l : GuestReader.lines(
                    r.text(f).filter(t -> t.length() <= MAX_SCRIPT).orElse(""))) {
                String t = l.strip();
                if (t.startsWith("HOOKS=")) {
                    hooks = t.substring(6);
                }
            }
        }
        return hooks;
    }

    private static InitramfsBoot decide(
            String source, String generator, String initTarget, Map<String, String> scripts, String[] resume) {
        boolean mkinitcpioSystemd = generator.equals("mkinitcpio")
                && initTarget != null
                && SYSTEMD.matcher(initTarget).find();
        if (mkinitcpioSystemd) {
            // install/systemd: `add_symlink /init usr/lib/systemd/systemd` replaces base's busybox script (ln -sfn);
            // /init_functions is sourced only by that script, so nothing in this image runs it
            scripts = new TreeMap<>(scripts);
            scripts.remove("init");
            scripts.remove("init_functions");
        }
        List<String> mentions = new ArrayList<>();
        // init first: it is what the kernel runs
        List<String> order = new ArrayList<>();
        if (scripts.containsKey("init")) {
            order.add("init");
        }
        scripts.keySet().stream().filter(p -> !p.equals("init")).forEach(order::add);
        // variables that carry the value: assigned on a line that names rootdelay (ROOTDELAY="${x#rootdelay=}",
        // delay="$(getarg rootdelay)"), so that `sleep "$delay"` counts as sleeping it too
        Set<String> carriers = new HashSet<>();
        for (String path : order) {
            for (String line : GuestReader.lines(scripts.get(path))) {
                String l = line.strip();
                if (!l.startsWith("#") && l.toLowerCase(Locale.ROOT).contains("rootdelay")) {
                    Matcher a = ASSIGN.matcher(l);
                    while (a.find()) {
                        carriers.add(a.group(1).toLowerCase(Locale.ROOT));
                    }
                }
            }
        }
        for (String path : order) {
            List<String> lines = GuestReader.lines(scripts.get(path));
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i).strip();
                if (l.startsWith("#")) {
                    continue;
                }
                Matcher m = SLEEP_VAR.matcher(l);
                while (m.find()) {
                    String v = m.group(1).toLowerCase(Locale.ROOT);
                    if (v.contains("rootdelay") || carriers.contains(v)) {
                        return new InitramfsBoot(
                                generator,
                                RootDelay.SLEEP,
                                source,
                                generator + " " + path + " line " + (i + 1) + " sleeps the whole rootdelay: " + l,
                                resume[0],
                                resume[1]);
                    }
                }
                if (mentions.isEmpty() && l.toLowerCase(Locale.ROOT).contains("rootdelay")) {
                    mentions.add(path + " line " + (i + 1) + ": " + l);
                }
            }
        }
        if (mkinitcpioSystemd) {
            return new InitramfsBoot(
                    generator,
                    RootDelay.NOT_READ,
                    source,
                    "mkinitcpio systemd hook: /init -> "
                            + initTarget
                            + ", so the busybox init and its init_functions (the only reader of rootdelay) do "
                            + "not run; systemd in the initrd does not read rootdelay and the kernel ignores it when /init "
                            + "exists",
                    resume[0],
                    resume[1]);
        }
        if (generator.equals("mkinitcpio") && scripts.containsKey("init_functions")) {
            String timeout = mkinitcpioTimeout(scripts.get("init_functions"));
            if (timeout != null) {
                return new InitramfsBoot(generator, RootDelay.TIMEOUT, source, timeout, resume[0], resume[1]);
            }
        }
        if (mentions.isEmpty() && generator.equals("mkinitfs")) {
            return new InitramfsBoot(
                    generator, RootDelay.NOT_READ, source, mkinitfsEvidence(scripts.get("init")), resume[0], resume[1]);
        }
        if (mentions.isEmpty()) {
            String init = initTarget == null ? "" : " (/init -> " + initTarget + ")";
            return new InitramfsBoot(
                    generator,
                    RootDelay.NOT_READ,
                    source,
                    "no script of this " + generator + " initramfs" + init
                            + " reads rootdelay; the kernel ignores it when /init exists",
                    resume[0],
                    resume[1]);
        }
        return new InitramfsBoot(
                generator,
                RootDelay.UNKNOWN,
                source,
                generator + " reads rootdelay without sleeping " + "it (" + mentions.get(0)
                        + "): not known whether it is a device timeout",
                resume[0],
                resume[1]);
    }

    /**
     * mkinitcpio's use of rootdelay as the root device timeout, read from {@code init_functions}: a variable
     * assigned {@code $(getarg rootdelay)} is passed as the second argument of {@code poll_device}, and
     * {@code poll_device}'s body sleeps only inside a {@code while [ ! -b ... ]} loop (it stops waiting as soon as
     * the block device exists). Returns the evidence, or null when the script does not have that shape.
     */
    static String mkinitcpioTimeout(String initFunctions) {
        List<String> lines = GuestReader.lines(initFunctions);
        int assign = -1;
        String var = null;
        int call = -1;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (l.startsWith("#")) {
                continue;
            }
            Matcher a = GETARG_ROOTDELAY.matcher(l);
            if (a.matches()) {
                assign = i;
                var = a.group(1);
                continue;
            }
            Matcher c = POLL_CALL.matcher(l);
            if (var != null && c.find() && c.group(1).equals(var)) {
                call = i;
                break;
            }
        }
        if (call < 0) {
            return null;
        }
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            Matcher f = FUNC.matcher(lines.get(i));
            if (f.matches() && f.group(1).equals("poll_device")) {
                start = i;
                break;
            }
        }
        if (start < 0) {
            return null;
        }
        int loop = -1;
        int done = -1;
        String dflt = null;
        for (int i = start + 1; i < lines.size() && !lines.get(i).equals("}"); i++) {
            String l = lines.get(i).strip();
            if (l.startsWith("#")) {
                continue;
            }
            if (loop < 0 && l.startsWith("while ") && l.matches(".*\\[\\s+!\\s+-b\\s.*")) {
                loop = i;
            } else if (loop >= 0 && done < 0 && (l.equals("done") || l.startsWith("done ") || l.startsWith("done;"))) {
                done = i;
            } else if (dflt == null && loop < 0 && l.matches(".*&&\\s*[A-Za-z_][A-Za-z0-9_]*=[0-9]+\\s*")) {
                // `[ "${seconds:-x}" = x ] && seconds=10`: the wait when rootdelay is not given
                dflt = l.replaceAll(".*=([0-9]+)\\s*$", "$1");
            }
            if (l.matches("(.*[;&|\\s])?sleep\\s.*") && (loop < 0 || i < loop || (done >= 0 && i > done))) {
                return null; // a sleep outside the polling loop: not only a timeout
            }
        }
        if (loop < 0 || done < 0) {
            return null;
        }
        return "mkinitcpio init_functions line " + (call + 1) + ": "
                + lines.get(call).strip() + " (from line "
                + (assign + 1) + ": " + lines.get(assign).strip() + "); poll_device (line " + (start + 1)
                + ") sleeps only while the device is missing (line " + (loop + 1) + ": "
                + lines.get(loop).strip()
                + ")" + (dflt == null ? "" : ", " + dflt + " s when rootdelay is not given")
                + ": rootdelay is the longest wait for the root device, not a sleep";
    }

    /** Alpine mkinitfs: where its init finds root (nlplug-findfs) and where it lists the options it reads. */
    private static String mkinitfsEvidence(String init) {
        List<String> lines = GuestReader.lines(init == null ? "" : init);
        String opts = null;
        String find = null;
        for (int i = 0; i < lines.size(); i++) {
            int first = i;
            StringBuilder b = new StringBuilder(lines.get(i).strip());
            // a command continued with backslash-newline is one logical line
            while (b.length() > 0 && b.charAt(b.length() - 1) == '\\' && i + 1 < lines.size() && i - first < 20) {
                b.setLength(b.length() - 1);
                b.append(' ').append(lines.get(++i).strip());
            }
            String l = b.toString().replaceAll("\\s+", " ");
            if (opts == null && l.startsWith("myopts=")) {
                opts = "line " + (first + 1) + ": myopts, the kernel options it reads, has no rootdelay";
            }
            if (find == null && !l.startsWith("#") && l.contains("nlplug-findfs") && l.contains("KOPT_root")) {
                find = "line " + (first + 1) + ": " + l;
            }
        }
        return "Alpine mkinitfs init never reads rootdelay" + (opts == null ? "" : " (" + opts + ")")
                + "; it waits for root= with nlplug-findfs, which has its own uevent timeout"
                + (find == null ? "" : " (" + find + ")") + "; the kernel ignores rootdelay when /init exists";
    }

    /**
     * The resume device the image is configured with: initramfs-tools {@code init} sources
     * {@code conf/initramfs.conf}, then {@code conf/conf.d/*} in name order (the last {@code RESUME=} wins;
     * {@code zz-resume-auto} is the hook's auto-detected swap); dracut reads {@code resume=} from
     * {@code etc/cmdline.d/*.conf} like the command line. Returns {value, evidence}, both null when none
     * (or {@code RESUME=none}).
     */
    private static String[] resume(Map<String, String> sorted) {
        String value = null;
        String where = null;
        List<String> order = new ArrayList<>();
        if (sorted.containsKey("conf/initramfs.conf")) {
            order.add("conf/initramfs.conf");
        }
        sorted.keySet().stream().filter(p -> p.startsWith("conf/conf.d/")).forEach(order::add);
        for (String p : order) {
            List<String> lines = GuestReader.lines(sorted.get(p));
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = RESUME_ASSIGN.matcher(lines.get(i));
                if (m.matches()) {
                    value = unquote(m.group(1).strip());
                    where = p + " line " + (i + 1) + ": " + lines.get(i).strip();
                }
            }
        }
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            if (!e.getKey().startsWith("etc/cmdline.d/")) {
                continue;
            }
            List<String> lines = GuestReader.lines(e.getValue());
            for (int i = 0; i < lines.size(); i++) {
                for (String t : KernelCmdline.tokens(lines.get(i))) {
                    if (t.startsWith("resume=")) {
                        value = t.substring(7);
                        where = e.getKey() + " line " + (i + 1) + ": " + t;
                    }
                }
            }
        }
        if (value == null || value.isEmpty() || value.equals("none")) {
            return new String[2];
        }
        return new String[] {value, where};
    }

    static String unquote(String v) {
        if (v.length() >= 2 && (v.charAt(0) == '"' || v.charAt(0) == '\'') && v.charAt(v.length() - 1) == v.charAt(0)) {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }
}
