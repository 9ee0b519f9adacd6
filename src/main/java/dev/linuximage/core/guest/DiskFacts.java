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
 * @param swapTypePartitions    partitions whose partition-table type says swap (GPT 0657FD6D-..., MBR 0x82), with
 *                              their GPT "no-auto" attribute; systemd-gpt-auto-generator enables the GPT ones
 * @param gpt                   the GPT's consistency at the disk's size (DISK-GPT); null when the disk has no GPT or
 *                              it was not examined
 */
public record DiskFacts(
        String partitionScheme,
        boolean hasMbrBootCode,
        boolean hasBiosBootPartition,
        boolean hasEsp,
        boolean espHasBootx64,
        boolean usesLvmForRoot,
        List<String> swapPartitions,
        List<SwapPartition> swapTypePartitions,
        GptFacts gpt) {
    public DiskFacts {
        swapPartitions = List.copyOf(swapPartitions == null ? List.of() : swapPartitions);
        swapTypePartitions = List.copyOf(swapTypePartitions == null ? List.of() : swapTypePartitions);
    }

    /** Facts without partition-type swap details or GPT state (tests, callers that do not read the table). */
    public DiskFacts(
            String partitionScheme,
            boolean hasMbrBootCode,
            boolean hasBiosBootPartition,
            boolean hasEsp,
            boolean espHasBootx64,
            boolean usesLvmForRoot,
            List<String> swapPartitions) {
        this(
                partitionScheme,
                hasMbrBootCode,
                hasBiosBootPartition,
                hasEsp,
                espHasBootx64,
                usesLvmForRoot,
                swapPartitions,
                List.of(),
                null);
    }

    /**
     * A partition of a swap type.
     *
     * @param number Linux partition number
     * @param scheme {@code GPT} or {@code MBR}
     * @param noAuto GPT attribute bit 63 ("no-auto") is set: systemd-gpt-auto-generator skips the partition
     * @param attributes the GPT attribute bits (0 for MBR)
     */
    public record SwapPartition(int number, String scheme, boolean noAuto, long attributes) {}

    /**
     * @param consistent primary and backup GPT valid and agreeing, backup in the last LBA, its entries just before
     * @param summary    one line for evidence (the layout when consistent)
     * @param problems   what is inconsistent or invalid
     * @param repairable a {@code convert}/{@code prepare} can rebuild it (one valid header and entry array)
     */
    public record GptFacts(boolean consistent, String summary, List<String> problems, boolean repairable) {
        public GptFacts {
            problems = List.copyOf(problems);
        }
    }

    /** BIOS boot (Hyper-V Gen1): MBR with boot code, or GPT with a BIOS boot partition and protective-MBR code. */
    public boolean bootsGen1() {
        return hasMbrBootCode
                && ("MBR".equals(partitionScheme) || ("GPT".equals(partitionScheme) && hasBiosBootPartition));
    }

    /** UEFI boot (Gen2): GPT with an ESP holding the fallback loader (Azure keeps no NVRAM boot entries). */
    public boolean bootsGen2() {
        return "GPT".equals(partitionScheme) && hasEsp && espHasBootx64;
    }
}
