package dev.linuximage.core.guest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * @param generator         {@code initramfs-tools}, {@code dracut}, {@code none} (no initramfs), {@code unknown}
 * @param rootDelay         how {@code rootdelay=} is used at boot
 * @param source            what was read: a guest path of an initramfs image, or a description of the fallback
 * @param rootDelayEvidence where the decision comes from, e.g. {@code init line 232: sleep "$ROOTDELAY"}
 * @param resume            the resume device the initramfs itself is configured with (initramfs-tools
 *                          {@code RESUME=} in {@code conf/initramfs.conf}/{@code conf/conf.d/*}, dracut
 *                          {@code resume=} in {@code etc/cmdline.d/*.conf}), or null
 * @param resumeEvidence    file and line of that setting, or null
 */
public record InitramfsBoot(String generator, RootDelay rootDelay, String source, String rootDelayEvidence,
                            String resume, String resumeEvidence) {

    /** How the boot path treats {@code rootdelay=N}. */
    public enum RootDelay {
        /** An initramfs script sleeps the whole value (initramfs-tools): never add it, remove a large one. */
        SLEEP,
        /** No initramfs script reads it and {@code /init} exists, so the kernel ignores it too (dracut). */
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

    /**
     * Whether a path of an initramfs (relative, no leading slash) holds a script or configuration this class reads:
     * {@code init}, initramfs-tools' {@code scripts/} and {@code conf/}, dracut's {@code *.sh} and
     * {@code etc/cmdline.d/} and the {@code dracut-*} scripts its systemd units run, mkinitcpio's
     * {@code init_functions}.
     */
    public static boolean wanted(String path) {
        return path.equals("init") || path.startsWith("scripts/") || path.startsWith("conf/")
                || path.startsWith("etc/cmdline.d/") || path.endsWith(".sh") || path.equals("init_functions")
                || GuestReader.baseName(path).startsWith("dracut-");
    }

    /** A kernel without an initramfs: the kernel mounts root itself and sleeps {@code rootdelay} first. */
    public static InitramfsBoot noInitramfs(String kernel) {
        return new InitramfsBoot("none", RootDelay.KERNEL_SLEEP, "kernel " + kernel,
                "no initramfs for " + kernel + ": the kernel mounts root itself (init/do_mounts.c prepare_namespace "
                        + "sleeps rootdelay unconditionally; rootwait polls for the device)", null, null);
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
    public static InitramfsBoot analyse(String source, String generator, boolean hasInit, String initTarget,
                                        Map<String, String> scripts) {
        Map<String, String> sorted = new TreeMap<>(scripts);
        String[] resume = resume(sorted);
        if (!hasInit) {
            return new InitramfsBoot(generator, RootDelay.KERNEL_SLEEP, source, source + " has no /init: the kernel "
                    + "mounts root itself and sleeps rootdelay unconditionally (init/do_mounts.c)", resume[0],
                    resume[1]);
        }
        return decide(source, generator, initTarget, sorted, resume);
    }

    /**
     * The fallback when no initramfs image could be read: the init script of the generator installed in the guest,
     * which is what its next image will run ({@code mkinitramfs} copies {@code /usr/share/initramfs-tools/init} to
     * {@code /init}; dracut installs {@code modules.d/*base/init.sh}). Null when neither is installed.
     */
    public static InitramfsBoot fromGuest(GuestReader r) {
        String itInit = "/usr/share/initramfs-tools/init";
        if (r.isFile(itInit)) {
            Map<String, String> scripts = new TreeMap<>();
            r.text(itInit).ifPresent(t -> scripts.put("init", t));
            r.text("/usr/share/initramfs-tools/scripts/local").ifPresent(t -> scripts.put("scripts/local", t));
            return decide("the guest's initramfs-tools (" + itInit + ")", "initramfs-tools", null, scripts,
                    new String[2]);
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
        return null;
    }

    private static InitramfsBoot decide(String source, String generator, String initTarget,
                                        Map<String, String> scripts, String[] resume) {
        List<String> mentions = new ArrayList<>();
        // init first: it is what the kernel runs
        List<String> order = new ArrayList<>();
        if (scripts.containsKey("init")) {
            order.add("init");
        }
        scripts.keySet().stream().filter(p -> !p.equals("init")).forEach(order::add);
        for (String path : order) {
            List<String> lines = GuestReader.lines(scripts.get(path));
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i).strip();
                if (l.startsWith("#") || !l.toLowerCase(Locale.ROOT).contains("rootdelay")) {
                    continue;
                }
                Matcher m = SLEEP_VAR.matcher(l);
                while (m.find()) {
                    if (m.group(1).toLowerCase(Locale.ROOT).contains("rootdelay")) {
                        return new InitramfsBoot(generator, RootDelay.SLEEP, source, generator + " " + path
                                + " line " + (i + 1) + " sleeps the whole rootdelay: " + l, resume[0], resume[1]);
                    }
                }
                if (mentions.isEmpty()) {
                    mentions.add(path + " line " + (i + 1) + ": " + l);
                }
            }
        }
        if (mentions.isEmpty()) {
            String init = initTarget == null ? "" : " (/init -> " + initTarget + ")";
            return new InitramfsBoot(generator, RootDelay.NOT_READ, source, "no script of this " + generator
                    + " initramfs" + init + " reads rootdelay; the kernel ignores it when /init exists", resume[0],
                    resume[1]);
        }
        return new InitramfsBoot(generator, RootDelay.UNKNOWN, source, generator + " reads rootdelay without sleeping "
                + "it (" + mentions.get(0) + "): not known whether it is a device timeout", resume[0], resume[1]);
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
