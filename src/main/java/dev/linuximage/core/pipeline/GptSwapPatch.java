package dev.linuximage.core.pipeline;

import dev.linuximage.core.guest.DiskFacts;
import dev.linuximage.core.guest.DiskPatch;
import dev.linuximage.core.guest.GuestInspection;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.guest.SwapPatch;
import dev.linuximage.core.guestfs.Change;
import dev.linuximage.core.guestfs.GuestDisk;
import dev.linuximage.core.io.WritableByteSource;
import dev.linuximage.core.partition.Gpt;
import dev.linuximage.core.partition.PartitionTables;
import dev.linuximage.core.partition.PartitionTypes;
import java.io.IOException;
import java.util.List;

/**
 * SWAP-OS-DISK below the file systems: systemd-gpt-auto-generator enables every GPT partition of the Linux swap type
 * on the root disk at boot, with or without an fstab line (Discoverable Partitions Specification, swap row), unless
 * its attribute bit 63 ("no-auto") is set. This sets that bit on every swap-type entry, in the primary and the backup
 * entry array, with all four CRCs rewritten ({@link Gpt#setAttributes}). MBR disks have nothing of the kind.
 */
public final class GptSwapPatch implements DiskPatch {
    private final WritableByteSource disk;
    private final GuestDisk guest;
    /** Whether {@link #apply} changed the table: only then is it read again for the facts. */
    private boolean changed;

    public GptSwapPatch(WritableByteSource disk, GuestDisk guest) {
        this.disk = disk;
        this.guest = guest;
    }

    @Override
    public List<Change> apply(GuestInspection g, PatchOptions options) throws IOException {
        List<Gpt.AttributeChange> done = Gpt.setAttributes(disk, PartitionTypes.GPT_LINUX_SWAP, Gpt.ATTR_NO_AUTO);
        changed |= !done.isEmpty();
        return done.stream()
                .map(c -> SwapPatch.noAutoChange(c.entry(), c.before(), c.after()))
                .toList();
    }

    /** The disk facts; the partition table is read again only when {@link #apply} changed it. */
    @Override
    public DiskFacts facts() throws IOException {
        return changed
                ? DiskFactsProbe.read(disk, guest, PartitionTables.read(disk))
                : DiskFactsProbe.read(disk, guest);
    }
}
