package dev.linuximage.core.guest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** SWAP-OS-DISK (fstab swap lines commented out, swap files deleted) and RESOURCE-SWAPFILE. */
public final class SwapPatch {
    public static final String REQ = "SWAP-OS-DISK";
    public static final String RESOURCE_REQ = "RESOURCE-SWAPFILE";
    public static final String RESOURCE_SWAPFILE = "/mnt/resource/swapfile";
    static final String MARK = "# disabled by linuximage (swap belongs on the resource disk): ";

    private SwapPatch() {
    }

    public static void apply(GuestEditor ed, GuestInspection g) throws IOException {
        if (!g.fstabSwap().isEmpty()) {
            List<String> lines = new ArrayList<>(GuestReader.lines(ed.reader().text("/etc/fstab").orElse("")));
            for (GuestInspection.SwapEntry e : g.fstabSwap()) {
                lines.set(e.line() - 1, MARK + lines.get(e.line() - 1));
            }
            ed.writeText(REQ, "/etc/fstab", String.join("\n", lines) + "\n");
        }
        for (String f : g.swapFiles()) {
            ed.delete(REQ, f);
        }
        ed.delete(RESOURCE_REQ, RESOURCE_SWAPFILE);
    }
}
