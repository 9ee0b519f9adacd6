package dev.linuximage.core.fs.fat;

import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.LittleEndian;
import dev.linuximage.core.io.WritableByteSource;
import dev.linuximage.core.report.BadInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * The file allocation table (Microsoft FAT spec §4) held in memory: 12-, 16- or 28-bit little-endian entries, cluster
 * chains, allocation from the FSInfo next-free hint, freeing, the free count, and the write-back of the dirty FAT
 * sectors to every FAT copy plus the FAT32 FSInfo counters (§5: lead 0x41615252, struct 0x61417272, free count at
 * byte 488, next free at 492). Also the data region geometry: cluster {@code c} starts at byte
 * {@link #clusterOffset}.
 */
final class FatTable {
    private final ByteSource dev;
    private final int fatType;
    private final int bps;
    private final long reserved;
    private final int numFats;
    private final long fatSectors;
    private final long clusterCount;
    private final int fsInfoSector;
    private final int clusterBytes;
    private final long dataOffset;
    private final byte[] fat;
    private final BitSet dirtyFatSectors = new BitSet();
    private long freeClusters = -1;
    private long nextFreeHint = 2;

    /** Reads the first FAT copy; refuses one larger than {@link FatFileSystem#MAX_FAT_BYTES}. */
    FatTable(ByteSource dev, Bpb b, long dataOffset) throws IOException {
        this.dev = dev;
        this.fatType = b.fatType();
        this.bps = b.bytesPerSector();
        this.reserved = b.reservedSectors();
        this.numFats = b.numFats();
        this.fatSectors = b.fatSectors();
        this.clusterCount = b.clusterCount();
        this.fsInfoSector = b.fsInfoSector();
        this.clusterBytes = b.bytesPerSector() * b.sectorsPerCluster();
        this.dataOffset = dataOffset;
        long fatBytes = fatSectors * bps;
        if (fatBytes > FatFileSystem.MAX_FAT_BYTES) {
            throw new UnsupportedFsFeatureException(
                    "vfat", "FAT of " + fatBytes + " bytes (limit " + FatFileSystem.MAX_FAT_BYTES + ")");
        }
        this.fat = dev.readBytes(reserved * bps, (int) fatBytes);
    }

    /**
     * Starts from the volume's own FSInfo next-free hint (byte 492, little-endian; 0xFFFFFFFF = unknown, Microsoft
     * FAT spec "FSInfo Sector Structure"), so a session that ends with the same allocation writes the same FSInfo
     * back: an unchanged volume stays byte-identical.
     */
    void readFsInfoHint() throws IOException {
        if (fatType == 32 && fsInfoSector > 0 && fsInfoSector < reserved) {
            byte[] fi = dev.readBytes((long) fsInfoSector * bps, 512);
            if (LittleEndian.u32(fi, 0) == 0x41615252L
                    && LittleEndian.u32(fi, 484) == 0x61417272L
                    && validCluster(LittleEndian.u32(fi, 492))) {
                nextFreeHint = LittleEndian.u32(fi, 492);
            }
        }
    }

    long countFree() {
        if (freeClusters < 0) {
            long n = 0;
            for (long c = 2; c < clusterCount + 2; c++) {
                if (fatGet(c) == 0) {
                    n++;
                }
            }
            freeClusters = n;
        }
        return freeClusters;
    }

    long fatGet(long c) {
        switch (fatType) {
            case 12 -> {
                int o = (int) (c + c / 2);
                int v = (fat[o] & 0xff) | (fat[o + 1] & 0xff) << 8;
                return (c & 1) == 0 ? v & 0xfff : v >>> 4;
            }
            case 16 -> {
                int o = (int) (c * 2);
                return (fat[o] & 0xff) | (fat[o + 1] & 0xff) << 8;
            }
            default -> {
                int o = (int) (c * 4);
                return ((fat[o] & 0xffL)
                                | (fat[o + 1] & 0xffL) << 8
                                | (fat[o + 2] & 0xffL) << 16
                                | (fat[o + 3] & 0xffL) << 24)
                        & 0x0fffffffL;
            }
        }
    }

    void fatSet(long c, long v) {
        int o;
        switch (fatType) {
            case 12 -> {
                o = (int) (c + c / 2);
                int old = (fat[o] & 0xff) | (fat[o + 1] & 0xff) << 8;
                int nv = (c & 1) == 0 ? (old & 0xf000) | (int) (v & 0xfff) : (old & 0x000f) | (int) ((v & 0xfff) << 4);
                fat[o] = (byte) nv;
                fat[o + 1] = (byte) (nv >>> 8);
                dirtyFatSectors.set((o + 1) / bps);
            }
            case 16 -> {
                o = (int) (c * 2);
                fat[o] = (byte) v;
                fat[o + 1] = (byte) (v >>> 8);
                dirtyFatSectors.set((o + 1) / bps);
            }
            default -> {
                o = (int) (c * 4);
                // §4: the high 4 bits of a FAT32 entry are reserved and must be preserved.
                long nv = (v & 0x0fffffffL) | ((fat[o + 3] & 0xf0L) << 24);
                fat[o] = (byte) nv;
                fat[o + 1] = (byte) (nv >>> 8);
                fat[o + 2] = (byte) (nv >>> 16);
                fat[o + 3] = (byte) (nv >>> 24);
            }
        }
        dirtyFatSectors.set(o / bps);
    }

    private long eoc() {
        return fatType == 12 ? 0xfff : fatType == 16 ? 0xffff : 0x0fffffff;
    }

    private boolean isEoc(long v) {
        return v >= (fatType == 12 ? 0xff8 : fatType == 16 ? 0xfff8 : 0x0ffffff8L);
    }

    private boolean validCluster(long c) {
        return c >= 2 && c < clusterCount + 2;
    }

    /** The cluster chain from {@code first}; loop- and bounds-safe (typed error naming the cluster). */
    List<Long> chain(long first, String what) throws IOException {
        List<Long> out = new ArrayList<>();
        if (first == 0) {
            return out;
        }
        long c = first;
        while (true) {
            if (!validCluster(c)) {
                throw new FatCorruptException("vfat: " + what + ": cluster " + c + " outside 2.." + (clusterCount + 1));
            }
            if (out.size() > clusterCount) {
                throw new FatCorruptException("vfat: " + what + ": cluster chain loops (at cluster " + c + ")");
            }
            out.add(c);
            long next = fatGet(c);
            if (isEoc(next)) {
                return out;
            }
            if (next == 0 || next == (fatType == 12 ? 0xff7 : fatType == 16 ? 0xfff7 : 0x0ffffff7L)) {
                throw new FatCorruptException("vfat: " + what + ": cluster chain hits a " + (next == 0 ? "free" : "bad")
                        + " cluster after " + c);
            }
            c = next;
        }
    }

    long clusterOffset(long c) {
        return dataOffset + (c - 2) * clusterBytes;
    }

    List<Long> allocate(long n) throws IOException {
        if (n > countFree()) {
            throw BadInputException.unsupported(
                    "vfat: no space left (" + n + " clusters needed, " + countFree() + " free)");
        }
        List<Long> got = new ArrayList<>();
        long c = validCluster(nextFreeHint) ? nextFreeHint : 2;
        long scanned = 0;
        while (got.size() < n && scanned < clusterCount) {
            if (fatGet(c) == 0) {
                got.add(c);
            }
            c = c + 1 >= clusterCount + 2 ? 2 : c + 1;
            scanned++;
        }
        if (got.size() < n) {
            throw BadInputException.unsupported("vfat: no space left");
        }
        for (int i = 0; i < got.size(); i++) {
            fatSet(got.get(i), i + 1 < got.size() ? got.get(i + 1) : eoc());
        }
        freeClusters -= n;
        nextFreeHint = c;
        return got;
    }

    void freeChain(List<Long> chain) {
        for (long c : chain) {
            fatSet(c, 0);
        }
        if (freeClusters >= 0) {
            freeClusters += chain.size();
        }
    }

    /** Writes the dirty FAT sectors to every FAT copy, then the FSInfo counters (FAT32). */
    void writeFat() throws IOException {
        WritableByteSource w = (WritableByteSource) dev;
        for (int s = dirtyFatSectors.nextSetBit(0); s >= 0; s = dirtyFatSectors.nextSetBit(s + 1)) {
            for (int copy = 0; copy < numFats; copy++) {
                long off = (reserved + copy * fatSectors) * bps + (long) s * bps;
                w.write(off, ByteBuffer.wrap(fat, s * bps, bps));
            }
        }
        dirtyFatSectors.clear();
        if (fatType == 32 && fsInfoSector > 0 && fsInfoSector < reserved) {
            byte[] fi = dev.readBytes((long) fsInfoSector * bps, 512);
            if (LittleEndian.u32(fi, 0) == 0x41615252L && LittleEndian.u32(fi, 484) == 0x61417272L) {
                byte[] before = fi.clone();
                LittleEndian.put32(fi, 488, countFree());
                LittleEndian.put32(fi, 492, validCluster(nextFreeHint) ? nextFreeHint : 0xffffffffL);
                if (!Arrays.equals(before, fi)) {
                    w.write((long) fsInfoSector * bps, ByteBuffer.wrap(fi));
                }
            }
        }
    }
}
