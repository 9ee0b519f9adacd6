package dev.linuximage.core.guest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SWAP-OS-DISK's resume part: whether anything would make the initramfs wait for (or resume from) a swap device, and
 * the initramfs-tools setting future images are built with.
 *
 * <p>initramfs-tools: {@code init} takes {@code RESUME} from the image's {@code conf/conf.d} (and {@code resume=} from
 * the command line) and its {@code local-premount/resume} script then waits for that device (up to 30 s) before it
 * tries to resume; {@code noresume} on the command line or {@code RESUME=none} skip all of it. {@code mkinitramfs}
 * sources {@code /etc/initramfs-tools/initramfs.conf}, then {@code /usr/share/initramfs-tools/conf.d/*} (unless an
 * {@code /etc} file of the same name masks it), then {@code /etc/initramfs-tools/conf.d/*}; with {@code RESUME} unset
 * or {@code auto} its {@code resume} hook picks the largest swap device in use at build time — on Azure that can be
 * the resource disk's swap, which a redeployed VM does not have. dracut: {@code parse-resume.sh} ignores
 * {@code resume=} when {@code noresume} is given; systemd-hibernate-resume-generator (systemd ≥ 240) likewise.
 *
 * @param reasons         why resume must be neutralised (fstab swap, a configured resume device, {@code resume=}
 *                        on a command line); empty when nothing would resume
 * @param initramfsTools  the guest builds its initramfs with initramfs-tools: its {@code init} is installed, or a
 *                        kernel's image was made by it
 * @param etcResume       the effective {@code RESUME} future initramfs-tools images get (null when unset)
 * @param etcResumeWhere  file and line of that assignment, or null
 */
public record ResumeConfig(List<String> reasons, boolean initramfsTools, String etcResume, String etcResumeWhere) {
    public static final String NORESUME = "noresume";
    public static final String CONF = "/etc/initramfs-tools/conf.d/resume";
    static final Pattern ASSIGN = Pattern.compile("^(\\s*(?:export\\s+)?)RESUME=(.*)$");
    /** mkinitramfs' {@code maybe_add_conf}: other names (editor backups, dpkg leftovers) are not sourced. */
    private static final Pattern CONF_NAME = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]*$");

    public ResumeConfig {
        reasons = List.copyOf(reasons);
    }

    /** Whether the command lines must carry {@code noresume} (and no {@code resume=}). */
    public boolean needed() {
        return !reasons.isEmpty();
    }

    /** The policy for the command lines: {@code noresume} required, every {@code resume=} removed. */
    public static CmdlinePolicy policy() {
        return new CmdlinePolicy(List.of(NORESUME), List.of("resume"));
    }

    /**
     * @param kernels the initramfs layer's facts (may be null): a {@code RESUME} configured inside an image counts
     */
    public static ResumeConfig read(GuestReader r, GuestInspection g, List<KernelFacts> kernels) {
        List<String> reasons = new ArrayList<>();
        for (GuestInspection.SwapEntry s : g.fstabSwap()) {
            reasons.add(s.file() + " line " + s.line() + ": swap " + s.device());
        }
        // the generator, not a leftover /etc/initramfs-tools (dpkg keeps conffiles when dracut replaces it)
        boolean itools = r.isFile("/usr/share/initramfs-tools/init");
        if (kernels != null) {
            for (KernelFacts k : kernels) {
                InitramfsBoot b = k.boot();
                if (b == null) {
                    continue;
                }
                itools |= b.generator().equals("initramfs-tools");
                if (b.resume() != null) {
                    reasons.add(k.initramfsPath() + " " + b.resumeEvidence());
                }
            }
        }
        String[] etc = itools ? effective(r) : new String[2];
        if (etc[0] != null && !etc[0].isEmpty() && !etc[0].equals("none") && !etc[0].equals("auto")) {
            reasons.add(etc[1]);
        }
        for (CmdlineSite s : g.cmdline().sites()) {
            for (String t : KernelCmdline.tokens(s.effective())) {
                if (t.startsWith("resume=")) {
                    reasons.add(s.file() + (s.line() > 0 ? " line " + s.line() : "") + ": " + t);
                    break;
                }
            }
        }
        return new ResumeConfig(reasons, itools, etc[0], etc[1]);
    }

    /** The files {@code mkinitramfs} sources, in its order: initramfs.conf, /usr/share conf.d, /etc conf.d. */
    static List<String> sourced(GuestReader r) {
        List<String> out = new ArrayList<>();
        if (r.isFile("/etc/initramfs-tools/initramfs.conf")) {
            out.add("/etc/initramfs-tools/initramfs.conf");
        }
        Map<String, String> etc = confD(r, "/etc/initramfs-tools/conf.d");
        confD(r, "/usr/share/initramfs-tools/conf.d").forEach((name, path) -> {
            if (!etc.containsKey(name)) {
                out.add(path);
            }
        });
        out.addAll(etc.values());
        return out;
    }

    private static Map<String, String> confD(GuestReader r, String dir) {
        Map<String, String> out = new TreeMap<>();
        for (String p : r.paths(dir, n -> CONF_NAME.matcher(n).matches() && !n.contains(".dpkg-"))) {
            if (r.isFile(p)) {
                out.put(GuestReader.baseName(p), p);
            }
        }
        return out;
    }

    /** {value, "file line N: text"} of the last {@code RESUME=} assignment, or {null, null}. */
    static String[] effective(GuestReader r) {
        String[] out = new String[2];
        for (String f : sourced(r)) {
            List<String> lines = GuestReader.lines(r.text(f).orElse(""));
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = ASSIGN.matcher(lines.get(i));
                if (m.matches()) {
                    out[0] = InitramfsBoot.unquote(m.group(2).strip());
                    out[1] = f + " line " + (i + 1) + ": " + lines.get(i).strip();
                }
            }
        }
        return out;
    }
}
