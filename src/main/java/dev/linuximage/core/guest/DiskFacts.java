package dev.linuximage.core.guest;

import java.util.List;

/**
 * Disk-level facts the guest file tree cannot tell, produced by the partition/volume layer (wired by the pipeline).
 *
 * @param partitionScheme       {@code MBR}, {@code GPT} or {@code NONE} (a bare file system)
 * @param hasMbrBootCode        the MBR (or GPT's protective MBR) carries boot code (non-zero bytes 0..439)
 * @param hasBiosBootPartition  GPT: a BIOS boot partition (type 21686148-6449-6E6F-744E-656564454649) exists
 * @param hasEsp                an EFI system partition exists
 * @param espHasBootx64         the ESP holds the fallback loader {@code \EFI\BOOT\BOOTX64.EFI}
 * @param usesLvmForRoot        the root file system is on an LVM logical volume
 * @param swapPartitions        swap partitions/volumes on the OS disk (descriptions, e.g. {@code partition 3})
 */
public record DiskFacts(String partitionScheme, boolean hasMbrBootCode, boolean hasBiosBootPartition, boolean hasEsp,
                        boolean espHasBootx64, boolean usesLvmForRoot, List<String> swapPartitions) {
    public DiskFacts {
        swapPartitions = List.copyOf(swapPartitions == null ? List.of() : swapPartitions);
    }

    /** BIOS boot (Hyper-V Gen1): MBR with boot code, or GPT with a BIOS boot partition and protective-MBR code. */
    public boolean bootsGen1() {
        return hasMbrBootCode && ("MBR".equals(partitionScheme) || ("GPT".equals(partitionScheme)
                && hasBiosBootPartition));
    }

    /** UEFI boot (Gen2): GPT with an ESP holding the fallback loader (Azure keeps no NVRAM boot entries). */
    public boolean bootsGen2() {
        return "GPT".equals(partitionScheme) && hasEsp && espHasBootx64;
    }
}
