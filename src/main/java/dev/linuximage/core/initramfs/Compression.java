package dev.linuximage.core.initramfs;

/**
 * The member encodings the Linux initramfs unpacker accepts ({@code init/initramfs.c}, {@code lib/decompress.c}),
 * recognised by their leading magic bytes.
 */
public enum Compression {
    /** A plain cpio archive (newc {@code 070701} or crc {@code 070702}). */
    NONE("cpio"),
    /** RFC 1952 gzip: {@code 1f 8b}. */
    GZIP("gzip"),
    /** .xz container: {@code fd 37 7a 58 5a 00}. */
    XZ("xz"),
    /** zstd frame(s): {@code 28 b5 2f fd} (little-endian 0xFD2FB528). */
    ZSTD("zstd"),
    /** LZ4 legacy frame format: magic 0x184C2102 little-endian, then 4-byte LE block sizes. */
    LZ4_LEGACY("lz4-legacy"),
    /** bzip2: {@code "BZh"} + block-size digit. */
    BZIP2("bzip2"),
    /** Legacy .lzma (LZMA_Alone): properties byte {@code 0x5d}, dictionary size, 8-byte size. */
    LZMA("lzma"),
    /** LZO ({@code 89 4c 5a 4f}): recognised so it can be refused by name; no pure-Java decoder is used. */
    LZO("lzo");

    private final String label;

    Compression(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /**
     * Detects the encoding of the member starting at {@code off}. Magic bytes are compared in the order the kernel's
     * {@code decompress_method()} table lists them.
     *
     * @return the encoding, or {@code null} when nothing matches
     */
    public static Compression detect(byte[] b, int off, int len) {
        if (len >= 6
                && b[off] == '0'
                && b[off + 1] == '7'
                && b[off + 2] == '0'
                && b[off + 3] == '7'
                && b[off + 4] == '0'
                && (b[off + 5] == '1' || b[off + 5] == '2')) {
            return NONE;
        }
        if (len >= 2 && u(b, off) == 0x1f && (u(b, off + 1) == 0x8b || u(b, off + 1) == 0x9e)) {
            return GZIP;
        }
        if (len >= 6
                && u(b, off) == 0xfd
                && b[off + 1] == '7'
                && b[off + 2] == 'z'
                && b[off + 3] == 'X'
                && b[off + 4] == 'Z'
                && b[off + 5] == 0) {
            return XZ;
        }
        if (len >= 4 && u(b, off) == 0x28 && u(b, off + 1) == 0xb5 && u(b, off + 2) == 0x2f && u(b, off + 3) == 0xfd) {
            return ZSTD;
        }
        if (len >= 4 && u(b, off) == 0x02 && u(b, off + 1) == 0x21 && u(b, off + 2) == 0x4c && u(b, off + 3) == 0x18) {
            return LZ4_LEGACY;
        }
        if (len >= 4
                && b[off] == 'B'
                && b[off + 1] == 'Z'
                && b[off + 2] == 'h'
                && b[off + 3] >= '1'
                && b[off + 3] <= '9') {
            return BZIP2;
        }
        if (len >= 3 && u(b, off) == 0x5d && b[off + 1] == 0 && b[off + 2] == 0) {
            return LZMA;
        }
        if (len >= 4 && u(b, off) == 0x89 && b[off + 1] == 'L' && b[off + 2] == 'Z' && b[off + 3] == 'O') {
            return LZO;
        }
        return null;
    }

    private static int u(byte[] b, int i) {
        return b[i] & 0xff;
    }
}
