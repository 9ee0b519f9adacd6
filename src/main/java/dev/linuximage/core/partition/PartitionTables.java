package dev.linuximage.core.partition;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.LittleEndian;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads MBR and GPT partition tables with 512-byte logical sectors. All sizes in the result are bytes; on-disk
 * fields are little-endian LBAs. Every partition is bounds-checked against the disk size; a partition that does not
 * fit is refused (typed {@link PartitionTableException}) rather than clipped silently.
 */
public final class PartitionTables {
    public static final int SECTOR = 512;
    /** Upper bound on GPT entry-array bytes we read (the spec's usual array is 16 KiB; 1 MiB is generous). */
    static final int MAX_GPT_ARRAY_BYTES = 1 << 20;
    /** Upper bound on logical partitions in an MBR extended chain (loop and bomb guard). */
    static final int MAX_LOGICAL = 256;

    private PartitionTables() {}

    /** Reads the partition table; {@code scheme = none} when sector 0 carries no MBR signature. */
    public static PartitionTable read(ByteSource disk) throws IOException {
        if (disk.size() < SECTOR) {
            return new PartitionTable("none", "", List.of(), List.of());
        }
        byte[] mbr = disk.readBytes(0, SECTOR);
        if ((mbr[510] & 0xff) != 0x55 || (mbr[511] & 0xff) != 0xaa) {
            // No MBR signature: maybe a GPT whose protective MBR was wiped; still try GPT headers.
            PartitionTable gpt = tryGpt(disk, new ArrayList<>(List.of("no MBR boot signature 0x55aa")));
            return gpt != null ? gpt : new PartitionTable("none", "", List.of(), List.of());
        }
        if (looksLikeFatBootSector(mbr)) {
            // A file system on the whole disk (e.g. a FAT "superfloppy"): its boot sector also ends in 55aa.
            return new PartitionTable("none", "", List.of(), List.of());
        }
        boolean protective = false;
        for (int i = 0; i < 4; i++) {
            if ((mbr[446 + i * 16 + 4] & 0xff) == 0xee) {
                protective = true;
            }
        }
        if (protective) {
            List<String> warnings = new ArrayList<>();
            PartitionTable gpt = tryGpt(disk, warnings);
            if (gpt == null) {
                throw new PartitionTableException("GPT: protective MBR present but neither the primary (LBA 1) nor the "
                        + "backup (LBA " + (disk.size() / SECTOR - 1) + ") GPT header is valid: " + warnings);
            }
            return gpt;
        }
        return readMbr(disk, mbr);
    }

    private static boolean looksLikeFatBootSector(byte[] s) {
        // Jump instruction + a power-of-two sector size in the BPB + "FAT" file-system type string.
        boolean jump = (s[0] & 0xff) == 0xeb || (s[0] & 0xff) == 0xe9;
        int bps = LittleEndian.u16(s, 11);
        String t16 = new String(s, 54, 5, StandardCharsets.US_ASCII);
        String t32 = new String(s, 82, 5, StandardCharsets.US_ASCII);
        return jump
                && (bps == 512 || bps == 1024 || bps == 2048 || bps == 4096)
                && (t16.startsWith("FAT") || t32.startsWith("FAT"));
    }

    // ---- MBR ----------------------------------------------------------------------------------------------------

    static PartitionTable readMbr(ByteSource disk, byte[] mbr) throws IOException {
        long sig = LittleEndian.u32(mbr, 440);
        String diskId = String.format(Locale.ROOT, "%08x", sig);
        List<Partition> parts = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        long diskSectors = disk.size() / SECTOR;
        int extendedSeen = 0;
        long extStart = -1;
        long extCount = 0;
        for (int i = 0; i < 4; i++) {
            int o = 446 + i * 16;
            int type = mbr[o + 4] & 0xff;
            long start = LittleEndian.u32(mbr, o + 8);
            long count = LittleEndian.u32(mbr, o + 12);
            if (type == 0 || count == 0) {
                continue;
            }
            checkBounds("MBR entry " + (i + 1), start, count, diskSectors);
            if (PartitionTypes.isMbrExtended(type)) {
                if (++extendedSeen > 1) {
                    warnings.add("MBR: more than one extended partition; only the first is followed");
                    continue;
                }
                extStart = start;
                extCount = count;
                continue;
            }
            parts.add(mbrPartition(i + 1, start, count, type, sig));
        }
        if (extStart >= 0) {
            readLogical(disk, extStart, extCount, diskSectors, sig, parts, warnings);
        }
        return new PartitionTable("mbr", diskId, parts, warnings);
    }

    private static void readLogical(
            ByteSource disk,
            long extStart,
            long extCount,
            long diskSectors,
            long sig,
            List<Partition> parts,
            List<String> warnings)
            throws IOException {
        Set<Long> visited = new HashSet<>();
        long ebr = extStart;
        int number = 5;
        while (true) {
            if (!visited.add(ebr)) {
                warnings.add("MBR: extended partition chain loops back to LBA " + ebr + "; stopped");
                return;
            }
            if (number - 4 > MAX_LOGICAL) {
                throw new PartitionTableException("MBR: more than " + MAX_LOGICAL + " logical partitions");
            }
            if (ebr < extStart || ebr >= extStart + extCount) {
                throw new PartitionTableException(
                        "MBR: EBR at LBA " + ebr + " outside the extended partition " + extStart + "+" + extCount);
            }
            byte[] s = disk.readBytes(ebr * SECTOR, SECTOR);
            if ((s[510] & 0xff) != 0x55 || (s[511] & 0xff) != 0xaa) {
                throw new PartitionTableException("MBR: EBR at LBA " + ebr + " lacks the 0x55aa signature");
            }
            int type = s[446 + 4] & 0xff;
            long rel = LittleEndian.u32(s, 446 + 8);
            long count = LittleEndian.u32(s, 446 + 12);
            if (type != 0 && count != 0) {
                long start = ebr + rel;
                checkBounds("MBR logical partition " + number, start, count, diskSectors);
                if (start + count > extStart + extCount) {
                    throw new PartitionTableException("MBR: logical partition " + number + " (LBA " + start + "+"
                            + count + ") extends beyond the extended partition " + extStart + "+" + extCount);
                }
                parts.add(mbrPartition(number, start, count, type, sig));
                number++;
            }
            int nextType = s[446 + 16 + 4] & 0xff;
            long nextRel = LittleEndian.u32(s, 446 + 16 + 8);
            if (nextType == 0 || !PartitionTypes.isMbrExtended(nextType)) {
                return;
            }
            // The link's start is relative to the extended partition's start (not to this EBR).
            ebr = extStart + nextRel;
        }
    }

    private static Partition mbrPartition(int number, long start, long count, int type, long sig) {
        return new Partition(
                number,
                start * SECTOR,
                count * SECTOR,
                String.format(Locale.ROOT, "%02x", type),
                PartitionTypes.mbrKind(type),
                "",
                String.format(Locale.ROOT, "%08x-%02x", sig, number));
    }

    private static void checkBounds(String what, long start, long count, long diskSectors)
            throws PartitionTableException {
        if (start < 1 || count < 1 || start > diskSectors || count > diskSectors - start) {
            throw new PartitionTableException(
                    what + ": LBA " + start + "+" + count + " sectors outside the disk of " + diskSectors + " sectors");
        }
    }

    // ---- GPT ----------------------------------------------------------------------------------------------------

    /**
     * Tries the primary header, then the backup at the last LBA, then at the LBA the primary's alternate field names
     * (a disk grown after partitioning keeps its backup at the old end); {@code null} when none is valid.
     */
    static PartitionTable tryGpt(ByteSource disk, List<String> warnings) throws IOException {
        long lastLba = disk.size() / SECTOR - 1;
        try {
            return readGpt(disk, 1, warnings);
        } catch (PartitionTableException e) {
            warnings.add("primary GPT: " + e.getMessage());
        }
        if (lastLba <= 1) {
            return null;
        }
        // the same search as Gpt.inspect at the disk's own size: last LBA, then the primary's alternate LBA
        byte[] primary = disk.readBytes(SECTOR, SECTOR);
        for (long lba : Gpt.backupCandidates(primary, lastLba + 1, disk.size())) {
            try {
                PartitionTable t = readGpt(disk, lba, warnings);
                warnings.add("used the backup GPT header at LBA " + lba);
                return new PartitionTable(t.scheme(), t.diskId(), t.partitions(), warnings);
            } catch (PartitionTableException e) {
                warnings.add("backup GPT at LBA " + lba + ": " + e.getMessage());
            }
        }
        return null;
    }

    /**
     * Parses the GPT header at {@code headerLba} and its entry array with the one rule set of {@link Gpt#readHeader}
     * (UEFI 2.10 §5.3.2, §5.3.3): a refused field is a {@link Gpt.GptException} naming it; every used entry is
     * inside the usable LBAs and overlaps no other.
     */
    static PartitionTable readGpt(ByteSource disk, long headerLba, List<String> warnings) throws IOException {
        Gpt.Header header = Gpt.readHeader(disk, headerLba);
        byte[] arr = header.entries();
        long entrySize = header.entrySize();
        long numEntries = header.entryCount();
        String diskGuid = header.diskGuid();
        List<Partition> parts = new ArrayList<>();
        for (int i = 0; i < numEntries; i++) {
            int o = (int) (i * entrySize);
            boolean empty = true;
            for (int k = 0; k < 16; k++) {
                if (arr[o + k] != 0) {
                    empty = false;
                    break;
                }
            }
            if (empty) {
                continue;
            }
            String type = PartitionTypes.guid(arr, o);
            String unique = PartitionTypes.guid(arr, o + 16);
            long first = LittleEndian.i64(arr, o + 32);
            long last = LittleEndian.i64(arr, o + 40);
            int nameLen = 0;
            int maxName = (int) Math.min(72, entrySize - 56);
            while (nameLen + 1 < maxName && (arr[o + 56 + nameLen] != 0 || arr[o + 57 + nameLen] != 0)) {
                nameLen += 2;
            }
            String name = new String(arr, o + 56, nameLen, StandardCharsets.UTF_16LE);
            parts.add(new Partition(
                    i + 1,
                    first * SECTOR,
                    (last - first + 1) * SECTOR,
                    type,
                    PartitionTypes.gptKind(type),
                    name,
                    unique,
                    LittleEndian.i64(arr, o + 48)));
        }
        return new PartitionTable("gpt", diskGuid, parts, warnings);
    }
}
