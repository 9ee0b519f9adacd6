package dev.linuximage.core.fs.fat;

import dev.linuximage.core.io.LittleEndian;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The BIOS Parameter Block of a FAT boot sector (FAT spec 1.03 §3), checked in a fixed order: boot signature,
 * sector size, cluster size, reserved sectors, FAT count, sizes within the device, then the FAT type from the
 * cluster count (§3.5). Sizes are in sectors unless named bytes; fields are little-endian.
 */
record Bpb(
        int bytesPerSector,
        int sectorsPerCluster,
        int reservedSectors,
        int numFats,
        int rootEntries,
        long totalSectors,
        long fatSectors,
        long rootCluster,
        int fsInfoSector,
        long volumeId,
        String label,
        long clusterCount,
        int fatType) {

    static Bpb parse(byte[] s, long deviceBytes) throws IOException {
        if ((s[510] & 0xff) != 0x55 || (s[511] & 0xff) != 0xaa) {
            throw new FatCorruptException("vfat: boot sector lacks the 0x55aa signature");
        }
        int j = s[0] & 0xff;
        if (j != 0xeb && j != 0xe9) {
            throw new FatCorruptException(
                    "vfat: boot sector jump byte 0x" + Integer.toHexString(j) + " is not EB or E9");
        }
        int bps = LittleEndian.u16(s, 11);
        if (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096) {
            throw new FatCorruptException("vfat: BPB bytes per sector " + bps + " not 512..4096");
        }
        int spc = s[13] & 0xff;
        if (spc == 0 || Integer.bitCount(spc) != 1 || (long) spc * bps > 256 * 1024) {
            throw new FatCorruptException("vfat: BPB sectors per cluster " + spc + " invalid");
        }
        int rsvd = LittleEndian.u16(s, 14);
        if (rsvd < 1) {
            throw new FatCorruptException("vfat: BPB reserved sectors 0");
        }
        int nfats = s[16] & 0xff;
        if (nfats < 1 || nfats > 4) {
            throw new FatCorruptException("vfat: BPB FAT count " + nfats + " outside 1..4");
        }
        int rootEnt = LittleEndian.u16(s, 17);
        long tot = LittleEndian.u16(s, 19);
        if (tot == 0) {
            tot = LittleEndian.u32(s, 32);
        }
        long fatSz = LittleEndian.u16(s, 22);
        boolean fat32Layout = fatSz == 0;
        if (fat32Layout) {
            fatSz = LittleEndian.u32(s, 36);
        }
        if (fatSz == 0 || tot == 0) {
            throw new FatCorruptException("vfat: BPB FAT size or total sectors is 0");
        }
        if (tot > deviceBytes / bps) {
            throw new FatCorruptException(
                    "vfat: BPB total sectors " + tot + " exceed the device (" + deviceBytes / bps + " sectors)");
        }
        long rootSecs = ((long) rootEnt * 32 + bps - 1) / bps;
        long meta = rsvd + nfats * fatSz + rootSecs;
        if (meta >= tot) {
            throw new FatCorruptException("vfat: BPB metadata (" + meta + " sectors) fills the whole volume of " + tot);
        }
        long clusters = (tot - meta) / spc;
        int type = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
        if ((type == 32) != fat32Layout) {
            throw new FatCorruptException("vfat: BPB layout (FATSz16 " + (fat32Layout ? "0" : "set")
                    + ") disagrees with the " + "cluster count " + clusters + " (FAT" + type + ")");
        }
        if (type == 32 && rootEnt != 0) {
            throw new FatCorruptException("vfat: FAT32 BPB has root entry count " + rootEnt);
        }
        if (type != 32 && rootEnt == 0) {
            throw new FatCorruptException("vfat: FAT" + type + " BPB has root entry count 0");
        }
        // The FAT must have an entry for every cluster (+2 reserved entries).
        long need = type == 12 ? (clusters + 2) * 3 / 2 + 1 : (clusters + 2) * (type / 8);
        if (fatSz * bps < need) {
            throw new FatCorruptException("vfat: FAT of " + fatSz + " sectors too small for " + clusters + " clusters");
        }
        int sigOff = type == 32 ? 66 : 38;
        long volId = 0;
        String label = "";
        int sig = s[sigOff] & 0xff;
        if (sig == 0x29 || sig == 0x28) {
            volId = LittleEndian.u32(s, sigOff + 1);
            if (sig == 0x29) {
                label = new String(s, sigOff + 5, 11, StandardCharsets.ISO_8859_1).stripTrailing();
                if (label.equals("NO NAME")) {
                    label = "";
                }
            }
        }
        long rootClus = type == 32 ? LittleEndian.u32(s, 44) : 0;
        int fsInfo = type == 32 ? LittleEndian.u16(s, 48) : 0;
        if (type == 32) {
            int ver = LittleEndian.u16(s, 42);
            if (ver != 0) {
                throw new FatCorruptException("vfat: FAT32 version " + ver + " (only 0.0 is defined)");
            }
        }
        return new Bpb(bps, spc, rsvd, nfats, rootEnt, tot, fatSz, rootClus, fsInfo, volId, label, clusters, type);
    }
}
