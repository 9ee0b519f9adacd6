package dev.linuximage.core.format.vhd;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.WritableByteSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Moves a GPT's backup header and entry array to the new last sector when a disk grows (UEFI 2.10 §5.3.2: the
 * backup header lives in the last LBA, its entries just before it). Fixes the primary header's alternate LBA and
 * last usable LBA (when it was at the old maximum), both header CRCs and the protective MBR's size. Assumes 512-byte
 * logical sectors; all GPT fields are little-endian. Only writes through the given overlay, never to the input.
 */
final class GptRelocation {
    private static final int SECTOR = 512;
    private static final long MAX_ENTRY_BYTES = 1 << 20;

    private GptRelocation() {
    }

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
     * @param view    the grown disk view (overlay) to patch
     * @param oldSize bytes of the original disk (the old end)
     * @param newSize bytes of the grown disk
     */
    static void relocate(WritableByteSource view, long oldSize, long newSize, List<String> notes,
                         List<String> warnings) throws IOException {
        if (oldSize < 3 * SECTOR) {
            return;
        }
        byte[] hdr = view.readBytes(SECTOR, SECTOR);
        if (!new String(hdr, 0, 8, StandardCharsets.ISO_8859_1).equals("EFI PART")) {
            warnIf4Kn(view, oldSize, warnings);
            return; // no GPT (or not with 512-byte sectors): nothing to move
        }
        if (oldSize % SECTOR != 0 || newSize <= oldSize) {
            return;
        }
        ByteBuffer h = ByteBuffer.wrap(hdr).order(ByteOrder.LITTLE_ENDIAN);
        int hsize = h.getInt(12);
        if (hsize < 92 || hsize > SECTOR) {
            notes.add("GPT header size " + hsize + " is invalid; backup GPT not moved");
            return;
        }
        if (crc(hdr, hsize, 16) != h.getInt(16)) {
            notes.add("primary GPT header CRC mismatch; backup GPT not moved");
            return;
        }
        long oldLast = oldSize / SECTOR - 1;
        long newLast = newSize / SECTOR - 1;
        long myLba = h.getLong(24);
        long alternate = h.getLong(32);
        long lastUsable = h.getLong(48);
        long entriesLba = h.getLong(72);
        long count = h.getInt(80) & 0xFFFFFFFFL;
        long esize = h.getInt(84) & 0xFFFFFFFFL;
        if (myLba != 1 || alternate != oldLast) {
            notes.add("GPT backup header is not at the old last sector (alternate LBA " + alternate + " vs " + oldLast
                    + "); not moved");
            return;
        }
        if (esize < 128 || esize > 4096 || count * esize > MAX_ENTRY_BYTES || count == 0) {
            notes.add("GPT entry array " + count + "x" + esize + " is implausible; backup GPT not moved");
            return;
        }
        int entryBytes = (int) (count * esize);
        long entrySectors = (entryBytes + SECTOR - 1) / SECTOR;
        if (entriesLba < 2 || entriesLba + entrySectors > oldLast) {
            notes.add("GPT entry array LBA " + entriesLba + " is outside the disk; backup GPT not moved");
            return;
        }
        byte[] entries = view.readBytes(entriesLba * SECTOR, (int) (entrySectors * SECTOR));
        if (crc(entries, entryBytes, -1) != h.getInt(88)) {
            notes.add("GPT entry array CRC mismatch; backup GPT not moved");
            return;
        }
        long newEntriesLba = newLast - entrySectors;
        // 1. clear the old backup header so no stale copy is found at the old end
        view.write(oldLast * SECTOR, ByteBuffer.allocate(SECTOR));
        // 2. primary: alternate LBA and (if it was the maximum) last usable LBA
        h.putLong(32, newLast);
        if (lastUsable == oldLast - entrySectors - 1) {
            h.putLong(48, newEntriesLba - 1);
        }
        h.putInt(16, 0);
        h.putInt(16, crc(hdr, hsize, -1));
        view.write(SECTOR, ByteBuffer.wrap(hdr));
        // 3. backup: same header with my/alternate LBAs swapped and the entries just before it
        byte[] bak = hdr.clone();
        ByteBuffer b = ByteBuffer.wrap(bak).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(24, newLast);
        b.putLong(32, 1);
        b.putLong(72, newEntriesLba);
        b.putInt(16, 0);
        b.putInt(16, crc(bak, hsize, -1));
        view.write(newEntriesLba * SECTOR, ByteBuffer.wrap(entries));
        view.write(newLast * SECTOR, ByteBuffer.wrap(bak));
        // 4. protective MBR (UEFI §5.2.3): size in LBA = disk size - 1, capped at 0xFFFFFFFF
        byte[] mbr = view.readBytes(0, SECTOR);
        if ((mbr[510] & 0xFF) == 0x55 && (mbr[511] & 0xFF) == 0xAA) {
            ByteBuffer m = ByteBuffer.wrap(mbr).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 4; i++) {
                int e = 446 + 16 * i;
                if ((mbr[e + 4] & 0xFF) == 0xEE && m.getInt(e + 8) == 1
                        && (m.getInt(e + 12) & 0xFFFFFFFFL) == Math.min(oldLast, 0xFFFFFFFFL)) {
                    m.putInt(e + 12, (int) Math.min(newLast, 0xFFFFFFFFL));
                    view.write(0, ByteBuffer.wrap(mbr));
                }
            }
        }
        notes.add("GPT backup header moved from LBA " + oldLast + " to LBA " + newLast);
    }

    /** CRC-32 of {@code len} bytes; the 4 bytes at {@code zeroAt} (if >= 0) are taken as zero. */
    private static int crc(byte[] b, int len, int zeroAt) {
        byte[] copy = java.util.Arrays.copyOf(b, len);
        if (zeroAt >= 0) {
            for (int i = 0; i < 4; i++) {
                copy[zeroAt + i] = 0;
            }
        }
        CRC32 c = new CRC32();
        c.update(copy);
        return (int) c.getValue();
    }

    static boolean hasGpt(ByteSource s) throws IOException {
        return s.size() >= 2 * SECTOR
                && new String(s.readBytes(SECTOR, 8), StandardCharsets.ISO_8859_1).equals("EFI PART");
    }
}
