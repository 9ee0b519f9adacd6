package dev.linuximage.core.format.qcow2;

import dev.linuximage.core.format.Check;
import dev.linuximage.core.format.FormatException;
import dev.linuximage.core.format.MappedSource;
import dev.linuximage.core.format.OffsetCache;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Guest view of a qcow2 image through its active L1/L2 tables (qcow2.txt "Cluster mapping"). Unallocated and
 * zero clusters are ZERO extents; compressed clusters (zlib raw deflate, or zstd with compression_type=1) are
 * decompressed on read. Every table and data offset is checked against the file size, cluster alignment and the
 * metadata areas (header, L1 table, refcount table, L2 tables) before use.
 */
public final class Qcow2Source extends MappedSource {
    private static final long L1_OFFSET_MASK = 0x00fffffffffffe00L;
    private static final long L2_OFFSET_MASK = 0x00fffffffffffe00L;
    private static final long COMPRESSED_BIT = 1L << 62;

    private final Qcow2Header h;
    private final int clusterBits;
    private final int clusterSize;
    private final int l2Bits;
    private final long[] l1;
    private final long[] sortedL2Offsets;
    private final OffsetCache<long[]> l2Cache;

    public Qcow2Source(ByteSource file, Qcow2Header h) throws IOException {
        super("qcow2", file, h.size());
        this.h = h;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.l2Bits = clusterBits - 3;
        int n = (int) h.l1Size();
        this.l1 = new long[n];
        if (n > 0) {
            ByteBuffer b = ByteBuffer.allocate(n * 8);
            file.readFully(h.l1Offset(), b);
            b.flip();
            for (int i = 0; i < n; i++) {
                long e = b.getLong();
                long off = e & L1_OFFSET_MASK;
                if (off != 0) {
                    checkMetadataTarget("L1[" + i + "]", off, clusterSize);
                }
                l1[i] = off;
            }
        }
        this.sortedL2Offsets = Arrays.stream(l1).filter(x -> x != 0).sorted().toArray();
        for (int i = 1; i < sortedL2Offsets.length; i++) {
            if (sortedL2Offsets[i] == sortedL2Offsets[i - 1]) {
                throw new FormatException(
                        "qcow2", "L1 table", sortedL2Offsets[i], "two L1 entries point at the same L2 table");
            }
        }
        int maxTables = Math.max(4, (16 << 20) / clusterSize);
        this.l2Cache = new OffsetCache<>(maxTables);
    }

    /** A table or data cluster must be aligned, inside the file and outside header, L1 and refcount table. */
    private void checkMetadataTarget(String field, long off, long len) throws FormatException {
        Check.aligned("qcow2", field, off, clusterSize);
        Check.within("qcow2", field, off, len, file.size());
        if (off < clusterSize) {
            throw new FormatException("qcow2", field, off, "points into the header cluster");
        }
        if (overlaps(off, len, h.l1Offset(), h.l1Size() * 8)) {
            throw new FormatException("qcow2", field, off, "points into the L1 table");
        }
        if (overlaps(off, len, h.refcountTableOffset(), h.refcountTableClusters() * clusterSize)) {
            throw new FormatException("qcow2", field, off, "points into the refcount table");
        }
    }

    private static boolean overlaps(long a, long alen, long b, long blen) {
        return blen > 0 && a < b + blen && b < a + alen;
    }

    private long[] l2Table(long offset) throws IOException {
        return l2Cache.get(offset, this::readL2Table);
    }

    private long[] readL2Table(long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(clusterSize);
        file.readFully(offset, b);
        b.flip();
        long[] t = new long[clusterSize / 8];
        for (int i = 0; i < t.length; i++) {
            t[i] = b.getLong();
        }
        return t;
    }

    @Override
    protected void map(long vOffset, long maxLen, Run r) throws IOException {
        long l1Index = vOffset >>> (clusterBits + l2Bits);
        long within = vOffset & (clusterSize - 1);
        long inCluster = clusterSize - within;
        long l2Span = 1L << (clusterBits + l2Bits);
        long l2Off = l1[(int) l1Index];
        if (l2Off == 0) {
            r.zero(Math.min(maxLen, l2Span - (vOffset & (l2Span - 1))));
            return;
        }
        long[] t = l2Table(l2Off);
        int l2Index = (int) ((vOffset >>> clusterBits) & ((1L << l2Bits) - 1));
        long e = t[l2Index];
        if ((e & COMPRESSED_BIT) != 0) {
            int x = 62 - (clusterBits - 8);
            long desc = e & ((1L << 62) - 1);
            long off = desc & ((1L << x) - 1);
            long sectors = ((desc >>> x) & ((1L << (clusterBits - 8)) - 1)) + 1;
            long clen = sectors * 512 - (off & 511);
            if (off < clusterSize || clen <= 0) {
                throw new FormatException(
                        "qcow2", "L2 compressed entry", Long.toHexString(e), "compressed cluster offset in the header");
            }
            // the compressed length is rounded up to sectors and may run past EOF at the very end of the file
            clen = Math.min(clen, file.size() - Math.min(off, file.size()));
            Check.within("qcow2", "compressed cluster", off, clen, file.size());
            r.kind = COMPRESSED;
            r.fileOffset = off;
            r.compressedLength = clen;
            r.clusterSize = clusterSize;
            r.within = (int) within;
            r.length = Math.min(maxLen, inCluster);
            return;
        }
        long off = e & L2_OFFSET_MASK;
        boolean zeroFlag = (e & 1) != 0 && h.version() == 3;
        if (zeroFlag || off == 0) {
            // unallocated, or an explicit zero cluster (v3): extend over following zero entries of this table
            long len = inCluster;
            int i = l2Index + 1;
            while (len < maxLen && i < t.length && isZeroEntry(t[i])) {
                len += clusterSize;
                i++;
            }
            r.zero(Math.min(maxLen, len));
            return;
        }
        if ((e & 0x1FEL) != 0 || (e & 0x3F00000000000000L) != 0) {
            // qcow2.txt "Standard Cluster Descriptor": bits 1-8 and 56-61 are reserved and must be zero
            throw new FormatException("qcow2", "L2 entry", Long.toHexString(e), "reserved bits set");
        }
        checkMetadataTarget("L2 entry", off, clusterSize);
        int idx = Arrays.binarySearch(sortedL2Offsets, off);
        if (idx >= 0) {
            throw new FormatException("qcow2", "L2 entry", off, "data cluster points at an L2 table");
        }
        r.data(off + within, Math.min(maxLen, inCluster));
    }

    private boolean isZeroEntry(long e) {
        if ((e & COMPRESSED_BIT) != 0) {
            return false;
        }
        return (e & L2_OFFSET_MASK) == 0 || ((e & 1) != 0 && h.version() == 3);
    }

    @Override
    protected void decompressInto(Run r, byte[] comp, int compLen, ByteBuffer out) throws IOException {
        if (h.compressionType() == 0) {
            inflateInto("qcow2", r.fileOffset, comp, 0, compLen, out, true, true);
        } else {
            super.decompressInto(r, comp, compLen, out);
        }
    }

    @Override
    protected byte[] decompress(Run r, byte[] comp) throws IOException {
        if (h.compressionType() == 0) {
            // qcow2 zlib clusters are raw deflate streams (no zlib header), window bits -12
            return inflate("qcow2", r.fileOffset, comp, 0, comp.length, clusterSize, true, true);
        }
        // decode exactly one frame: the sector-rounded compressed length also covers the start of the next
        // compressed cluster (or zeros), which the decoder would otherwise try to read as a next frame
        int frame;
        try {
            // a cluster's frame never needs a window larger than the cluster (qcow2 clusters are at most 2 MiB)
            frame = dev.linuximage.core.compress.ZstdFrame.length(comp, 0, comp.length, Math.max(clusterSize, 1 << 21));
        } catch (dev.linuximage.core.compress.ZstdFrame.Invalid e) {
            throw new FormatException("qcow2", "zstd cluster", r.fileOffset, e.getMessage());
        }
        byte[] out = new byte[clusterSize];
        int n;
        try {
            n = new io.airlift.compress.zstd.ZstdDecompressor().decompress(comp, 0, frame, out, 0, clusterSize);
        } catch (RuntimeException e) {
            throw new FormatException("qcow2", "zstd cluster", r.fileOffset, "corrupt zstd data: " + e.getMessage());
        }
        if (n != clusterSize) {
            throw new FormatException(
                    "qcow2", "zstd cluster", r.fileOffset, "decompressed to " + n + " bytes instead of " + clusterSize);
        }
        return out;
    }
}
