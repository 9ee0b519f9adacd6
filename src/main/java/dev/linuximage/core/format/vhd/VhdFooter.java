package dev.linuximage.core.format.vhd;

import dev.linuximage.core.format.Check;
import dev.linuximage.core.format.FormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The 512-byte VHD footer ("Virtual Hard Disk Image Format Specification" v1.0, "Hard Disk Footer Format"), all
 * fields big-endian. Sizes in bytes, timestamp in seconds since 2000-01-01 00:00:00 UTC.
 */
public record VhdFooter(
        long features,
        long version,
        long dataOffset,
        long timestamp,
        String creatorApp,
        long creatorVersion,
        long creatorHostOs,
        long originalSize,
        long currentSize,
        int cylinders,
        int heads,
        int sectorsPerTrack,
        int diskType,
        long checksum,
        UUID uniqueId,
        int savedState) {

    /** The format's name in the errors this class raises (the format field of a FormatException). */

    /** The format's name in the errors this class raises (the format field of a FormatException). */
    static final String LABEL = "vhd";

    public static final int SIZE = 512;
    public static final byte[] COOKIE = "conectix".getBytes(StandardCharsets.US_ASCII);
    public static final int TYPE_FIXED = 2;
    public static final int TYPE_DYNAMIC = 3;
    public static final int TYPE_DIFFERENCING = 4;
    /** Seconds between the Unix epoch and the VHD epoch (2000-01-01T00:00:00Z). */
    public static final long VHD_EPOCH = 946684800L;

    public static boolean hasCookie(byte[] b, int off) {
        if (b.length < off + 8) {
            return false;
        }
        for (int i = 0; i < 8; i++) {
            if (b[off + i] != COOKIE[i]) {
                return false;
            }
        }
        return true;
    }

    /** One's complement of the byte sum of the footer with the checksum field (bytes 64..67) taken as zero. */
    public static long checksum(byte[] f) {
        long sum = 0;
        for (int i = 0; i < SIZE; i++) {
            if (i < 64 || i > 67) {
                sum += f[i] & 0xFF;
            }
        }
        return ~sum & 0xFFFFFFFFL;
    }

    /** Parses and checks a footer: cookie, version, checksum. Bounds are checked by the reader. */
    public static VhdFooter parse(byte[] f) throws FormatException {
        Check.that(f.length >= SIZE, LABEL, "footer", f.length, "truncated footer");
        Check.that(
                hasCookie(f, 0), LABEL, "cookie", new String(f, 0, 8, StandardCharsets.ISO_8859_1), "not a VHD footer");
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.BIG_ENDIAN);
        long version = Check.u32(b.getInt(12));
        Check.that(
                (version >>> 16) == 1,
                LABEL,
                "file_format_version",
                Long.toHexString(version),
                "only major version 1 is known");
        long sum = Check.u32(b.getInt(64));
        Check.that(
                sum == checksum(f),
                LABEL,
                "checksum",
                Long.toHexString(sum),
                "footer checksum mismatch (expected " + Long.toHexString(checksum(f)) + ")");
        int geo = b.getInt(56);
        return new VhdFooter(
                Check.u32(b.getInt(8)),
                version,
                b.getLong(16),
                Check.u32(b.getInt(24)),
                new String(f, 28, 4, StandardCharsets.ISO_8859_1),
                Check.u32(b.getInt(32)),
                Check.u32(b.getInt(36)),
                b.getLong(40),
                b.getLong(48),
                (geo >>> 16) & 0xFFFF,
                (geo >>> 8) & 0xFF,
                geo & 0xFF,
                b.getInt(60),
                sum,
                new UUID(b.getLong(68), b.getLong(76)),
                f[84] & 0xFF);
    }

    /**
     * Builds a footer for a fixed disk of {@code size} bytes. Geometry is the maximum 65535/16/255 so readers
     * (QEMU's vpc driver, Hyper-V, Azure) take the size from the current-size field rather than from CHS.
     *
     * @param timestamp seconds since 2000-01-01T00:00:00Z
     */
    public static byte[] fixed(long size, long timestamp, UUID uniqueId) {
        byte[] f = new byte[SIZE];
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.BIG_ENDIAN);
        b.put(0, COOKIE);
        b.putInt(8, 2); // features: reserved bit always set
        b.putInt(12, 0x00010000); // file format version 1.0
        b.putLong(16, -1L); // data offset: none for fixed disks
        b.putInt(24, (int) timestamp);
        b.put(28, "limg".getBytes(StandardCharsets.US_ASCII));
        b.putInt(32, 0x00010000); // creator version 1.0
        b.putInt(36, 0x5769326B); // creator host OS "Wi2k", the value every reader accepts
        b.putLong(40, size);
        b.putLong(48, size);
        b.putInt(56, (65535 << 16) | (16 << 8) | 255);
        b.putInt(60, TYPE_FIXED);
        b.putLong(68, uniqueId.getMostSignificantBits());
        b.putLong(76, uniqueId.getLeastSignificantBits());
        f[84] = 0;
        b.putInt(64, (int) checksum(f));
        return f;
    }

    public String typeName() {
        return switch (diskType) {
            case TYPE_FIXED -> "fixed";
            case TYPE_DYNAMIC -> "dynamic";
            case TYPE_DIFFERENCING -> "differencing";
            default -> "type " + diskType;
        };
    }
}
