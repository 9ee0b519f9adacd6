package dev.linuximage.core.format.vmdk;

import dev.linuximage.core.format.Check;
import dev.linuximage.core.format.FormatException;
import dev.linuximage.core.format.MappedSource;
import dev.linuximage.core.format.OffsetCache;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One hosted sparse extent (monolithicSparse, twoGbMaxExtentSparse part, streamOptimized): grain directory →
 * grain tables (512 little-endian u32 sector numbers) → grains. GTE 0 = unallocated (zeros: no parent), 1 = zero
 * grain. Compressed grains (streamOptimized) start with a 12-byte marker (LBA u64, size u32) followed by zlib data.
 * If the header's gdOffset is GD_AT_END, the footer copy of the header 1024 bytes before the end is used.
 */
final class VmdkSource extends MappedSource {
    private final VmdkHeader h;
    private final long grainBytes;
    private final long gtCoverage;
    private final long[] gd;
    private final long[] sortedGts;
    private final long gdStart;
    private final long gdEnd;
    private final OffsetCache<int[]> gtCache = new OffsetCache<>(64);

    /** Bytes read at a compressed grain before its marker says how long it is. */
    static final int FIRST_READ = 4096;

    private VmdkSource(ByteSource file, VmdkHeader h, long[] gd, long gdStart, long gdEnd) throws FormatException {
        super("vmdk", file, h.capacity() * 512);
        this.h = h;
        this.grainBytes = h.grainSize() * 512;
        this.gtCoverage = grainBytes * h.numGTEsPerGT();
        this.gd = gd;
        this.gdStart = gdStart;
        this.gdEnd = gdEnd;
        this.sortedGts = Arrays.stream(gd).filter(x -> x != 0).sorted().toArray();
        for (int i = 1; i < sortedGts.length; i++) {
            if (sortedGts[i] == sortedGts[i - 1]) {
                throw new FormatException(
                        "vmdk",
                        "grain directory",
                        sortedGts[i],
                        "two grain directory entries point at the same grain table");
            }
        }
    }

    VmdkHeader header() {
        return h;
    }

    static VmdkSource open(ByteSource file, long maxSectors) throws IOException {
        String f = "vmdk";
        long fileSize = file.size();
        Check.that(fileSize >= 512, f, "file size", fileSize, "too small for a sparse extent header");
        VmdkHeader h = VmdkHeader.parse(file.readBytes(0, 512), maxSectors);
        if (h.gdOffset() == VmdkHeader.GD_AT_END) {
            // streamOptimized: the real header is the footer, 1024 bytes before the end (after a footer marker)
            Check.that(fileSize >= 2048, f, "file size", fileSize, "too small for a footer");
            byte[] fm = file.readBytes(fileSize - 1536, 512);
            ByteBuffer m = ByteBuffer.wrap(fm).order(ByteOrder.LITTLE_ENDIAN);
            Check.that(
                    m.getInt(8) == 0 && m.getInt(12) == 3,
                    f,
                    "footer marker",
                    m.getInt(12),
                    "no footer marker before the footer");
            VmdkHeader foot = VmdkHeader.parse(file.readBytes(fileSize - 1024, 512), maxSectors);
            Check.that(
                    foot.gdOffset() != VmdkHeader.GD_AT_END,
                    f,
                    "footer gdOffset",
                    -1,
                    "footer has no grain directory either");
            Check.that(
                    foot.capacity() == h.capacity() && foot.grainSize() == h.grainSize(),
                    f,
                    "footer",
                    "capacity",
                    "footer disagrees with the header");
            h = foot;
        }
        long grainBytes = h.grainSize() * 512;
        long coverage = grainBytes * h.numGTEsPerGT();
        long nGts = (h.capacity() * 512 + coverage - 1) / coverage;
        Check.range(f, "grain directory entries", nGts, 0, 1L << 24);
        long gdOff = Check.mul(f, "gdOffset", h.gdOffset(), 512);
        Check.that(h.gdOffset() >= 1, f, "gdOffset", h.gdOffset(), "points into the header");
        Check.within(f, "gdOffset", gdOff, nGts * 4, fileSize);
        ByteBuffer t = ByteBuffer.allocate((int) (nGts * 4)).order(ByteOrder.LITTLE_ENDIAN);
        file.readFully(gdOff, t);
        t.flip();
        long[] gd = new long[(int) nGts];
        long gtBytes = h.numGTEsPerGT() * 4;
        for (int i = 0; i < nGts; i++) {
            long s = t.getInt() & 0xFFFFFFFFL;
            if (s != 0) {
                long off = s * 512;
                Check.that(s >= 1, f, "GD[" + i + "]", s, "points into the header");
                Check.within(f, "GD[" + i + "]", off, gtBytes, fileSize);
                Check.that(
                        off + gtBytes <= gdOff || off >= gdOff + nGts * 4,
                        f,
                        "GD[" + i + "]",
                        s,
                        "grain table overlaps the grain directory");
            }
            gd[i] = s * 512;
        }
        return new VmdkSource(file, h, gd, gdOff, gdOff + nGts * 4);
    }

    private int[] gt(long off) throws IOException {
        return gtCache.get(off, this::readGt);
    }

    private int[] readGt(long off) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) (h.numGTEsPerGT() * 4)).order(ByteOrder.LITTLE_ENDIAN);
        file.readFully(off, b);
        b.flip();
        int[] t = new int[(int) h.numGTEsPerGT()];
        for (int i = 0; i < t.length; i++) {
            t[i] = b.getInt();
        }
        return t;
    }

    @Override
    protected void map(long vOffset, long maxLen, Run r) throws IOException {
        long gdi = vOffset / gtCoverage;
        long gtOff = gd[(int) gdi];
        if (gtOff == 0) {
            r.zero(Math.min(maxLen, gtCoverage - (vOffset - gdi * gtCoverage)));
            return;
        }
        int[] t = gt(gtOff);
        long grainIndex = (vOffset - gdi * gtCoverage) / grainBytes;
        long within = vOffset % grainBytes;
        long inGrain = Math.min(maxLen, grainBytes - within);
        long e = t[(int) grainIndex] & 0xFFFFFFFFL;
        if (e == 0 || e == 1) {
            long len = grainBytes - within;
            int i = (int) grainIndex + 1;
            while (len < maxLen && i < t.length && (t[i] == 0 || t[i] == 1)) {
                len += grainBytes;
                i++;
            }
            r.zero(Math.min(maxLen, len));
            return;
        }
        long off = e * 512;
        Check.that(
                off >= gdEnd || off + grainBytes <= gdStart || h.compressed(),
                "vmdk",
                "GTE",
                e,
                "grain overlaps the grain directory");
        if (Arrays.binarySearch(sortedGts, off) >= 0) {
            throw new FormatException("vmdk", "GTE", e, "grain points at a grain table");
        }
        if (!h.compressed()) {
            Check.within("vmdk", "GTE", off, grainBytes, file.size());
            r.data(off + within, inGrain);
            return;
        }
        // compressed grain: marker (LBA u64, size u32) then zlib data of 'size' bytes. The marker is read with the
        // start of the data (no read while only mapping extents): read 4 KiB, which holds a well-compressed grain
        // whole, and the rest only if the marker says the grain is longer (reading a whole grain's worth for every
        // grain read 64 KiB from the file for a 100-byte grain of text).
        Check.within("vmdk", "GTE", off, 12, file.size());
        r.kind = COMPRESSED;
        r.fileOffset = off;
        r.compressedLength = Math.min(FIRST_READ, file.size() - off);
        r.clusterSize = (int) grainBytes;
        r.clusterStart = vOffset - within;
        r.within = (int) within;
        r.length = inGrain;
    }

    @Override
    protected void decompressInto(Run r, byte[] first, int firstLen, ByteBuffer out) throws IOException {
        long csize = checkMarker(r, first);
        int total = (int) (12 + csize);
        byte[] comp = first;
        if (total > firstLen) {
            // the rest of a grain that did not fit the first read, appended in the (reused) per-thread buffer
            comp = compressedBuffer(first, firstLen, total);
            file.readFully(r.fileOffset + firstLen, ByteBuffer.wrap(comp, firstLen, total - firstLen));
        }
        inflateInto("vmdk", r.fileOffset, comp, 12, (int) csize, out, false, false);
    }

    /** Checks the grain marker (LBA u64, size u32) at the start of {@code first}; returns the compressed size. */
    private long checkMarker(Run r, byte[] first) throws FormatException {
        ByteBuffer m = ByteBuffer.wrap(first, 0, 12).order(ByteOrder.LITTLE_ENDIAN);
        long lba = m.getLong(0);
        long csize = m.getInt(8) & 0xFFFFFFFFL;
        long expectLba = r.clusterStart / 512;
        Check.that(lba == expectLba, "vmdk", "grain marker LBA", lba, "expected " + expectLba);
        Check.that(
                csize > 0 && csize <= 2 * grainBytes + 4096,
                "vmdk",
                "grain marker size",
                csize,
                "implausible compressed grain size");
        Check.within("vmdk", "compressed grain", r.fileOffset + 12, csize, file.size());
        return csize;
    }

    @Override
    protected byte[] decompress(Run r, byte[] first) throws IOException {
        long csize = checkMarker(r, first);
        // streamOptimized grains are zlib (RFC 1950) streams; the last grain of a disk may inflate to less than a
        // full grain, the rest is zeros
        if (12 + csize <= first.length) {
            return inflate("vmdk", r.fileOffset, first, 12, (int) csize, r.clusterSize, false, false);
        }
        byte[] comp = file.readBytes(r.fileOffset + 12, (int) csize);
        return inflate("vmdk", r.fileOffset, comp, 0, comp.length, r.clusterSize, false, false);
    }
}
