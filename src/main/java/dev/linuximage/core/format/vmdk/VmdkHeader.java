package dev.linuximage.core.format.vmdk;

import dev.linuximage.core.format.Check;
import dev.linuximage.core.format.FormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The hosted sparse extent header ("Virtual Disk Format 5.0", SparseExtentHeader), 512 bytes, little-endian. All
 * offsets and sizes are in 512-byte sectors.
 */
record VmdkHeader(
        int version,
        int flags,
        long capacity,
        long grainSize,
        long descriptorOffset,
        long descriptorSize,
        long numGTEsPerGT,
        long rgdOffset,
        long gdOffset,
        long overHead,
        int compressAlgorithm) {
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    static final String LABEL = "vmdk";

    static final int MAGIC = 0x564d444b; // "KDMV"
    static final long GD_AT_END = -1L;
    static final int FLAG_COMPRESSED = 1 << 16;
    static final int FLAG_MARKERS = 1 << 17;

    static boolean probe(byte[] h) {
        return h.length >= 4
                && ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).getInt(0) == MAGIC;
    }

    boolean compressed() {
        return (flags & FLAG_COMPRESSED) != 0;
    }

    boolean markers() {
        return (flags & FLAG_MARKERS) != 0;
    }

    /** Magic, version and field ranges; offsets against the file are checked by the caller. */
    static VmdkHeader parse(byte[] h, long maxSectors) throws FormatException {
        Check.that(h.length >= 512, LABEL, "header", h.length, "truncated sparse extent header");
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        Check.that(b.getInt(0) == MAGIC, LABEL, "magic", Integer.toHexString(b.getInt(0)), "not a sparse VMDK extent");
        int version = b.getInt(4);
        Check.that(version >= 1 && version <= 3, LABEL, "version", version, "only versions 1 to 3 are known");
        int flags = b.getInt(8);
        long capacity = b.getLong(12);
        long grain = b.getLong(20);
        long numGtes = b.getInt(44) & 0xFFFFFFFFL;
        int compress = b.getShort(77) & 0xFFFF;
        Check.range(LABEL, "capacity", capacity, 0, maxSectors);
        Check.that(
                grain >= 1 && grain <= 2048 && Long.bitCount(grain) == 1,
                LABEL,
                "grainSize",
                grain,
                "must be a power of two between 1 and 2048 sectors");
        Check.that(numGtes == 512, LABEL, "numGTEsPerGT", numGtes, "must be 512");
        Check.that(compress == 0 || compress == 1, LABEL, "compressAlgorithm", compress, "only deflate (1) is known");
        Check.that(
                compress == 0 || (flags & FLAG_COMPRESSED) != 0,
                LABEL,
                "flags",
                Integer.toHexString(flags),
                "compression algorithm set without the compressed-grains flag");
        Check.that(
                (flags & FLAG_COMPRESSED) == 0 || compress == 1,
                LABEL,
                "compressAlgorithm",
                compress,
                "compressed-grains flag set without an algorithm");
        return new VmdkHeader(
                version,
                flags,
                capacity,
                grain,
                b.getLong(28),
                b.getLong(36),
                numGtes,
                b.getLong(48),
                b.getLong(56),
                b.getLong(64),
                compress);
    }
}
