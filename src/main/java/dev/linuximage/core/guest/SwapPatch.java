package dev.linuximage.core.guest;

import dev.linuximage.core.guestfs.Change;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * SWAP-OS-DISK (fstab swap lines commented out, swap files deleted) and RESOURCE-SWAPFILE. The GPT "no-auto"
 * attribute of swap partitions is a disk-level repair ({@link DiskPatch}, wired by the pipeline); its change-log
 * entry is made here so every SWAP-OS-DISK change reads alike.
 */
public final class SwapPatch {
    public static final String REQ = "SWAP-OS-DISK";
    public static final String RESOURCE_REQ = "RESOURCE-SWAPFILE";
    public static final String RESOURCE_SWAPFILE = "/mnt/resource/swapfile";
    static final String MARK = "# disabled by linuximage (swap belongs on the resource disk): ";

    private SwapPatch() {}

    /**
     * The change-log entry for GPT attribute bit 63 set on partition {@code number} (attribute bits before/after,
     * shown as 64-bit hex as {@code sgdisk -i} prints them).
     */
    public static Change noAutoChange(int number, long before, long after) {
        return new Change(
                REQ,
                "GPT partition " + number + " (Linux swap) attributes",
                Change.Action.Modified,
                String.format(java.util.Locale.ROOT, "%016X", before),
                String.format(java.util.Locale.ROOT, "%016X", after) + " (bit 63 no-auto: systemd-gpt-auto-generator"
                        + " no longer enables it at boot)");
    }

    public static void apply(GuestEditor ed, GuestInspection g) throws IOException {
        if (!g.fstabSwap().isEmpty()) {
            List<String> lines = new ArrayList<>(
                    GuestReader.lines(ed.reader().text("/etc/fstab").orElse("")));
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
