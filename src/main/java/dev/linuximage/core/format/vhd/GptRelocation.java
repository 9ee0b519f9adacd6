package dev.linuximage.core.format.vhd;

import dev.linuximage.core.io.WritableByteSource;
import dev.linuximage.core.partition.Gpt;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Moves a GPT's backup header and entry array to the new last sector when a disk grows (UEFI 2.10 §5.3.2: the
 * backup header lives in the last LBA, its entries just before it), and repairs any other inconsistency of the pair
 * ({@link Gpt#repair}). Assumes 512-byte logical sectors; all GPT fields are little-endian. Only writes through the
 * given overlay, never to the input.
 */
final class GptRelocation {
    private static final int SECTOR = 512;

    private GptRelocation() {}

    /** Logical sector size of a 4Kn disk, where the GPT header is LBA 1 = byte 4096 (UEFI 2.10 section 5.3.1). */
    static final int SECTOR_4KN = 4096;

    /**
     * A GPT made for 4096-byte logical sectors has its header at byte 4096. A VHD has 512-byte sectors (VHD spec:
     * sizes and offsets in 512-byte sectors; Azure presents 512e disks), so firmware and Linux look for the header at
     * byte 512 and find only the protective MBR: the partitions are invisible and the disk does not boot. The bytes
     * are converted as they are (a data disk read with 4 KiB sectors elsewhere stays intact), with a warning; the
     * backup GPT is not moved since nothing would read it.
     */
    private static void warnIf4Kn(WritableByteSource view, long size, List<String> warnings) throws IOException {
        if (size < 3L * SECTOR_4KN) {
            return;
        }
        byte[] h = view.readBytes(SECTOR_4KN, 8);
        if (new String(h, 0, 8, StandardCharsets.ISO_8859_1).equals("EFI PART")) {
            warnings.add("the disk has a GPT for 4096-byte logical sectors (header at byte 4096), but a VHD has"
                    + " 512-byte sectors: firmware and Linux will not find these partitions and the disk will not"
                    + " boot as is; converted unchanged, backup GPT not moved. Re-partition the source with 512-byte"
                    + " sectors (512e) before converting it for Azure");
        }
    }

    /**
     * Makes a GPT consistent at the new size (DISK-GPT) whatever moved the end of the disk: this alignment, a dynamic
     * VHD's CHS rounding, a {@code qemu-img resize}. See {@link Gpt#repair}. A GPT for 4096-byte sectors is left
     * alone with a warning.
     *
     * @param view    the grown disk view (overlay) to patch
     * @param oldSize bytes of the original disk (the old end)
     * @return the repair made (or refused), or null when the disk has no 512-byte-sector GPT
     */
    static Gpt.Repair relocate(WritableByteSource view, long oldSize, List<String> notes, List<String> warnings)
            throws IOException {
        if (oldSize < 3 * SECTOR) {
            return null;
        }
        Gpt.Repair r = Gpt.repair(view, oldSize);
        if (!r.before().present()) {
            warnIf4Kn(view, oldSize, warnings);
            return null;
        }
        if (r.changed()) {
            notes.add("GPT was inconsistent at " + view.size() + " bytes ("
                    + String.join("; ", r.before().problems()) + "): " + String.join("; ", r.actions()));
        } else if (r.refused() != null) {
            warnings.add("the GPT is inconsistent ("
                    + String.join("; ", r.before().problems()) + ") and was not" + " repaired: " + r.refused());
        }
        return r;
    }
}
