package dev.linuximage.core.fs.ext4;

/**
 * The two checksums ext4 uses, in the kernel's "raw" form: no pre- or post-inversion, the caller passes the running
 * value (kernel {@code crc32c_le(crc, p, len)} and {@code crc16(crc, p, len)}). {@link java.util.zip.CRC32C} cannot
 * start from an arbitrary value, which metadata_csum needs (seeded by the UUID, then by inode number and
 * generation), so the table-driven form is written here; a unit test pins it to the JDK's CRC32C.
 */
final class Crc {
    private static final int[] C32 = new int[256];
    private static final int[] C16 = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ 0x82F63B78 : c >>> 1; // Castagnoli, reflected
            }
            C32[i] = c;
            int d = i;
            for (int k = 0; k < 8; k++) {
                d = (d & 1) != 0 ? (d >>> 1) ^ 0xA001 : d >>> 1; // CRC-16/ANSI (0x8005), reflected
            }
            C16[i] = d;
        }
    }

    private Crc() {}

    static int crc32c(int crc, byte[] b, int off, int len) {
        for (int i = off, end = off + len; i < end; i++) {
            crc = C32[(crc ^ b[i]) & 0xFF] ^ (crc >>> 8);
        }
        return crc;
    }

    static int crc32c(int crc, byte[] b) {
        return crc32c(crc, b, 0, b.length);
    }

    static int crc16(int crc, byte[] b, int off, int len) {
        for (int i = off, end = off + len; i < end; i++) {
            crc = (C16[(crc ^ b[i]) & 0xFF] ^ (crc >>> 8)) & 0xFFFF;
        }
        return crc;
    }
}
