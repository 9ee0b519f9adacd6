package dev.linuximage.core.guest;

import java.io.IOException;
import java.util.List;

/**
 * CMDLINE-CONSOLE, CMDLINE-NOQUIET and KERNEL-NUMA: one policy applied to every command-line site; the
 * {@code rootdelay} part per kernel ({@link RootDelayRule}).
 */
public final class CmdlinePatch {
    public static final String REQ = "CMDLINE-CONSOLE";

    private CmdlinePatch() {}

    /** The policy for this guest without the rootdelay part: {@code numa=off} when any installed kernel needs it. */
    public static CmdlinePolicy policy(GuestInspection g, PatchOptions o) {
        return CmdlinePolicy.of(o, numaNeeded(g));
    }

    public static boolean numaNeeded(GuestInspection g) {
        return g.kernels().stream().anyMatch(k -> KernelVersion.needsNumaOff(k.version(), g.os().redHatFamily()));
    }

    /** As {@link #apply(GuestEditor, GuestInspection, PatchOptions, List)} without initramfs facts. */
    public static void apply(GuestEditor ed, GuestInspection g, PatchOptions o) throws IOException {
        apply(ed, g, o, null);
    }

    /**
     * @param kernels the initramfs layer's facts before patching (null or empty: the guest's files decide)
     */
    public static void apply(GuestEditor ed, GuestInspection g, PatchOptions o, List<KernelFacts> kernels)
            throws IOException {
        CmdlinePolicy base = policy(g, o);
        RootDelayRule.Rules rules = RootDelayRule.decide(ed.reader(), g, kernels, o);
        BootCmdline.patch(
                ed,
                rules.global().action().apply(base),
                image -> rules.forImage(image).action().apply(base),
                REQ);
    }
}
