package dev.linuximage.core.format.qcow2;

import dev.linuximage.core.format.Check;
import dev.linuximage.core.format.FormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The qcow2 header (QEMU docs/interop/qcow2.txt, "Header"), big-endian. Parsed and checked in the fixed order
 * magic, version, bounds, offset+length within the file, alignment.
 */
public record Qcow2Header(
        int version,
        int clusterBits,
        long size,
        long l1Size,
        long l1Offset,
        long refcountTableOffset,
        long refcountTableClusters,
        long snapshots,
        long snapshotsOffset,
        long incompatibleFeatures,
        int compressionType,
        List<String> warnings) {

    /** The format's name in the errors this class raises (the format field of a FormatException). */

    /** The format's name in the errors this class raises (the format field of a FormatException). */
    static final String LABEL = "qcow2";

    public static final int MAGIC = 0x514649fb;
    /** QEMU's own limit on the L1 table (QCOW_MAX_L1_SIZE): 32 MiB. */
    static final long MAX_L1_BYTES = 32L << 20;

    public int clusterSize() {
        return 1 << clusterBits;
    }

    public static boolean probe(byte[] first) {
        return first.length >= 4 && ByteBuffer.wrap(first).getInt(0) == MAGIC;
    }

    /** @param h the first bytes of the file (at least 512 or the whole file if smaller) */
    public static Qcow2Header parse(byte[] h, long fileSize, long maxVirtualSize) throws FormatException {
        Check.that(h.length >= 72, LABEL, "header", h.length, "truncated header (need 72 bytes)");
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.BIG_ENDIAN);
        // 1. magic
        Check.that(b.getInt(0) == MAGIC, LABEL, "magic", Integer.toHexString(b.getInt(0)), "not a qcow2 file");
        // 2. version
        int version = b.getInt(4);
        Check.that(version == 2 || version == 3, LABEL, "version", version, "only versions 2 and 3 are supported");
        List<String> warnings = new ArrayList<>();
        long backingOffset = b.getLong(8);
        Check.that(
                backingOffset == 0,
                LABEL,
                "backing_file_offset",
                backingOffset,
                "image has a backing file: convert the whole chain first (qemu-img convert) - refused");
        int clusterBits = b.getInt(20);
        Check.range(LABEL, "cluster_bits", clusterBits, 9, 21);
        long size = b.getLong(24);
        Check.range(LABEL, "size", size, 0, maxVirtualSize);
        int crypt = b.getInt(32);
        Check.that(crypt == 0, LABEL, "crypt_method", crypt, "encrypted images are refused");
        long l1Size = Check.u32(b.getInt(36));
        long l1Offset = b.getLong(40);
        long rtOffset = b.getLong(48);
        long rtClusters = Check.u32(b.getInt(56));
        long nbSnapshots = Check.u32(b.getInt(60));
        long snapOffset = b.getLong(64);
        long incompatible = 0;
        int compressionType = 0;
        int clusterSize = 1 << clusterBits;
        if (version == 3) {
            Check.that(h.length >= 104, LABEL, "header", h.length, "truncated v3 header (need 104 bytes)");
            incompatible = b.getLong(72);
            long headerLength = Check.u32(b.getInt(100));
            Check.range(LABEL, "header_length", headerLength, 104, clusterSize);
            int refcountOrder = b.getInt(96);
            Check.range(LABEL, "refcount_order", refcountOrder, 0, 6);
            if ((incompatible & 1) != 0) {
                warnings.add("qcow2 dirty bit set (refcounts may be stale; guest data is read through L1/L2 only)");
            }
            Check.that(
                    (incompatible & 2) == 0,
                    LABEL,
                    "incompatible_features",
                    "corrupt",
                    "image is marked corrupt - refused");
            Check.that(
                    (incompatible & 4) == 0,
                    LABEL,
                    "incompatible_features",
                    "external data file",
                    "external data files are refused");
            Check.that(
                    (incompatible & 16) == 0,
                    LABEL,
                    "incompatible_features",
                    "extended L2",
                    "extended L2 entries (subclusters) are not supported");
            long unknown = incompatible & ~0x1FL;
            Check.that(
                    unknown == 0,
                    LABEL,
                    "incompatible_features",
                    Long.toHexString(incompatible),
                    "unknown incompatible feature bits");
            if (headerLength > 104) {
                Check.that(h.length > 104, LABEL, "header", h.length, "truncated header (compression_type)");
                compressionType = h[104] & 0xFF;
            }
            Check.that(
                    compressionType == 0 || compressionType == 1,
                    LABEL,
                    "compression_type",
                    compressionType,
                    "only zlib (0) and zstd (1) are known");
            Check.that(
                    (compressionType != 0) == ((incompatible & 8) != 0),
                    LABEL,
                    "compression_type",
                    compressionType,
                    "does not match the compression-type incompatible feature bit");
        }
        // 3. bounds
        Check.that(l1Size * 8 <= MAX_L1_BYTES, LABEL, "l1_size", l1Size, "L1 table larger than 32 MiB");
        int l2Bits = clusterBits - 3;
        long bytesPerL1 = 1L << (clusterBits + l2Bits);
        long needL1 = size == 0 ? 0 : (size - 1) / bytesPerL1 + 1;
        Check.that(l1Size >= needL1, LABEL, "l1_size", l1Size, "too small for size " + size + " (need " + needL1 + ")");
        if (nbSnapshots > 0) {
            Check.range(LABEL, "nb_snapshots", nbSnapshots, 0, 65536);
            warnings.add("qcow2 has " + nbSnapshots + " internal snapshot(s); only the active image is read");
        }
        // 4. offset + length within the file
        if (l1Size > 0) {
            Check.within(LABEL, "l1_table_offset", l1Offset, l1Size * 8, fileSize);
        }
        Check.within(
                LABEL,
                "refcount_table_offset",
                rtOffset,
                Check.mul(LABEL, "refcount_table_clusters", rtClusters, clusterSize),
                fileSize);
        if (nbSnapshots > 0) {
            Check.within(LABEL, "snapshots_offset", snapOffset, 1, fileSize);
        }
        // 5. alignment
        Check.aligned(LABEL, "l1_table_offset", l1Offset, clusterSize);
        Check.aligned(LABEL, "refcount_table_offset", rtOffset, clusterSize);
        Check.that(l1Size == 0 || l1Offset >= clusterSize, LABEL, "l1_table_offset", l1Offset, "overlaps the header");
        return new Qcow2Header(
                version,
                clusterBits,
                size,
                l1Size,
                l1Offset,
                rtOffset,
                rtClusters,
                nbSnapshots,
                snapOffset,
                incompatible,
                compressionType,
                List.copyOf(warnings));
    }

    public String subformat() {
        return version == 2 ? "v2 (compat=0.10)" : "v3 (compat=1.1)";
    }

    static FormatException bad(String field, Object v, String msg) {
        return new FormatException(LABEL, field, v, msg);
    }
}
