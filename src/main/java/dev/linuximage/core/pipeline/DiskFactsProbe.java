package dev.linuximage.core.pipeline;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.guest.DiskScan;
import dev.linuximage.core.fs.guest.GuestDisk;
import dev.linuximage.core.fs.guest.Volume;
import dev.linuximage.core.guest.DiskFacts;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.partition.PartitionTable;

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

    private DiskFactsProbe() {
    }

    public static DiskFacts read(ByteSource disk, GuestDisk guest) throws IOException {
        DiskScan scan = guest.scan();
        PartitionTable table = scan.table();
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
        return new DiskFacts(scheme, bootCode, biosBoot, esp, bootx64, rootOnLvm, swaps);
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
            return false; // not a readable FAT file system: no loader Azure's firmware could start
        }
    }
}
