package dev.linuximage.core.guest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;

/**
 * SWAP-OS-DISK's resume part ({@link ResumeConfig}): {@code noresume} on every command line and no {@code resume=}
 * when anything would resume from or wait for a swap device; on initramfs-tools guests {@code RESUME=none} for every
 * future image ({@code /etc/initramfs-tools/conf.d/resume}, and any other {@code RESUME=} the guest's configuration
 * sets is made {@code none} too, so no later file overrides it). Idempotent: a second run finds both in place.
 */
public final class ResumePatch {
    public static final String REQ = SwapPatch.REQ;

    private ResumePatch() {}

    /**
     * @param kernels the initramfs layer's facts before patching (may be null)
     */
    public static void apply(GuestEditor ed, GuestInspection g, List<KernelFacts> kernels) throws IOException {
        GuestReader r = ed.reader();
        ResumeConfig rc = ResumeConfig.read(r, g, kernels);
        if (rc.initramfsTools()) {
            initramfsToolsNone(ed);
        }
        // last: a command line this cannot edit (e.g. a multi-line GRUB_CMDLINE_LINUX) throws
        if (rc.needed()) {
            BootCmdline.patch(ed, ResumeConfig.policy(), REQ);
        }
    }

    private static void initramfsToolsNone(GuestEditor ed) throws IOException {
        GuestReader r = ed.reader();
        for (String f : ResumeConfig.sourced(r)) {
            if (!f.startsWith("/etc/") || f.equals(ResumeConfig.CONF)) {
                continue;
            }
            String text = r.text(f).orElse("");
            String edited = setNone(text, false);
            if (!edited.equals(text)) {
                ed.writeText(REQ, f, edited);
            }
        }
        String text = r.text(ResumeConfig.CONF).orElse("");
        ed.writeText(REQ, ResumeConfig.CONF, setNone(text, true));
    }

    /** Every {@code RESUME=} line becomes {@code RESUME=none}; {@code append} adds one when there is none. */
    static String setNone(String text, boolean append) {
        List<String> lines = new ArrayList<>(GuestReader.lines(text));
        boolean found = false;
        boolean changed = false;
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = ResumeConfig.ASSIGN.matcher(lines.get(i));
            if (m.matches()) {
                found = true;
                if (!InitramfsBoot.unquote(m.group(2).strip()).equals("none")) {
                    lines.set(i, m.group(1) + "RESUME=none");
                    changed = true;
                }
            }
        }
        if (!found && append) {
            lines.add("RESUME=none");
            changed = true;
        }
        return changed ? String.join("\n", lines) + "\n" : text;
    }
}
