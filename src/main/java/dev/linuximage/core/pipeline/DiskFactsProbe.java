package dev.linuximage.core.pipeline;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.guest.DiskFacts;
import dev.linuximage.core.guestfs.DiskScan;
import dev.linuximage.core.guestfs.GuestDisk;
import dev.linuximage.core.guestfs.Volume;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.partition.Gpt;
import dev.linuximage.core.partition.Partition;
import dev.linuximage.core.partition.PartitionTable;
import dev.linuximage.core.partition.PartitionTypes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the disk-level facts the compliance checks need (BOOT-GENERATION, PART-LVM, SWAP-OS-DISK) from the partition
 * scan of an opened guest: no full-disk reads, only the MBR's boot-code area and the ESP's directory entries.
 */
public final class DiskFactsProbe {
    /** Bytes 0..439 of the MBR hold boot code (UEFI spec 5.2.1, legacy MBR layout). */
    static final int MBR_BOOT_CODE_BYTES = 440;

    private DiskFactsProbe() {}

    /** The facts with the partition table the guest's scan read when it was opened (no second read of it). */
    public static DiskFacts read(ByteSource disk, GuestDisk guest) throws IOException {
        return read(disk, guest, guest.scan().table());
    }

    /**
     * @param table the disk's partition table as it is now: the scan's while nothing below the file systems changed,
     *              read again after a disk-level patch ({@link GptSwapPatch})
     */
    static DiskFacts read(ByteSource disk, GuestDisk guest, PartitionTable table) throws IOException {
        DiskScan scan = guest.scan();
        String scheme = table == null ? "NONE" : table.scheme().toUpperCase(java.util.Locale.ROOT);
        boolean bootCode = false;
        if (disk.size() >= 512) {
            for (byte b : disk.readBytes(0, MBR_BOOT_CODE_BYTES)) {
                if (b != 0) {
                    bootCode = true;
                    break;
                }
            }
        }
        boolean biosBoot = false;
        boolean esp = false;
        boolean bootx64 = false;
        boolean rootOnLvm = false;
        List<String> swaps = new ArrayList<>();
        for (Volume v : scan.volumes()) {
            String kind = v.partition() == null ? "" : v.partition().kind();
            if ("bios-boot".equals(kind)) {
                biosBoot = true;
            }
            if ("esp".equals(kind)) {
                esp = true;
                bootx64 |= hasFallbackLoader(guest, v);
            }
            if ("swap".equals(kind) || "swap".equals(v.content())) {
                swaps.add(v.name());
            }
            if (v.name().equals(guest.rootVolume()) && v.lv() != null) {
                rootOnLvm = true;
            }
        }
        return new DiskFacts(
                scheme, bootCode, biosBoot, esp, bootx64, rootOnLvm, swaps, swapTypePartitions(table), gptFacts(disk));
    }

    /**
     * Partitions of a swap type in {@code t} (the current table: a disk-level patch may just have changed their
     * attributes): GPT 0657FD6D-A4AB-43C4-84E5-0933C84B4F4F with its attribute bits, MBR 0x82.
     */
    static List<DiskFacts.SwapPartition> swapTypePartitions(PartitionTable t) {
        List<DiskFacts.SwapPartition> out = new ArrayList<>();
        if (t == null) {
            return out;
        }
        for (Partition p : t.partitions()) {
            if ("gpt".equals(t.scheme()) && PartitionTypes.GPT_LINUX_SWAP.equals(p.typeCode())) {
                out.add(new DiskFacts.SwapPartition(p.number(), "GPT", p.noAuto(), p.attributes()));
            } else if ("mbr".equals(t.scheme()) && "82".equals(p.typeCode())) {
                out.add(new DiskFacts.SwapPartition(p.number(), "MBR", false, 0));
            }
        }
        return out;
    }

    /** DISK-GPT at the disk's own size; null without a GPT. */
    static DiskFacts.GptFacts gptFacts(ByteSource disk) throws IOException {
        Gpt.State st = Gpt.inspect(disk);
        if (!st.present()) {
            return null;
        }
        return new DiskFacts.GptFacts(
                st.consistent(), st.summary(), st.problems(), st.primary() != null || st.backup() != null);
    }

    /** True when the ESP holds {@code \EFI\BOOT\BOOTX64.EFI} (FAT lookups are case-insensitive). */
    static boolean hasFallbackLoader(GuestDisk guest, Volume esp) {
        try {
            FileSystem fs = guest.fileSystem(esp);
            Optional<FileSystem.Node> n = Optional.of(fs.root());
            for (String name : new String[] {"EFI", "BOOT", "BOOTX64.EFI"}) {
                n = fs.lookup(n.get(), name);
                if (n.isEmpty()) {
                    return false;
                }
            }
            return n.get().size() > 0;
        } catch (IOException | RuntimeException e) {
            // a damaged FAT is the disk's corruption (exit 3), not "no loader"
            dev.linuximage.core.fs.StorageDamage.rethrow(e);
            return false; // not a readable FAT file system: no loader Azure's firmware could start
        }
    }
}
