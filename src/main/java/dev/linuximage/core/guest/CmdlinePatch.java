package dev.linuximage.core.guest;

import java.io.IOException;

/** CMDLINE-CONSOLE, CMDLINE-NOQUIET and KERNEL-NUMA: one policy applied to every command-line site. */
public final class CmdlinePatch {
    public static final String REQ = "CMDLINE-CONSOLE";

    private CmdlinePatch() {
    }

    /** The policy for this guest: {@code numa=off} when any installed kernel needs it. */
    public static CmdlinePolicy policy(GuestInspection g, PatchOptions o) {
        return CmdlinePolicy.of(o, numaNeeded(g));
    }

    public static boolean numaNeeded(GuestInspection g) {
        return g.kernels().stream().anyMatch(k -> KernelVersion.needsNumaOff(k.version(), g.os().redHatFamily()));
    }

    public static void apply(GuestEditor ed, GuestInspection g, PatchOptions o) throws IOException {
        BootCmdline.patch(ed, policy(g, o), REQ);
    }
}
