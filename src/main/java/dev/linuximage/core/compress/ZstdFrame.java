package dev.linuximage.core.compress;

import dev.linuximage.core.io.LittleEndian;

/**
 * Walks one Zstandard frame (RFC 8878 section 3.1.1) through its header and block headers, without decoding, to find
 * where it ends and to refuse a window larger than a cap before any decoder allocates it. Used where a frame is
 * followed by other bytes the decoder must not see: a qcow2 zstd cluster (the sector-rounded length covers the start
 * of the next cluster, or zeros) and an initramfs member (the next cpio member follows).
 */
public final class ZstdFrame {
    /** Little-endian magic number of a data frame. */
    public static final long MAGIC = 0xFD2FB528L;

    /** The bytes are not one complete, acceptable frame; {@link #field()} names the frame part, e.g. {@code zstd.block}. */
    public static final class Invalid extends Exception {
        private final String field;

        Invalid(String field, String message) {
            super(field + ": " + message);
            this.field = field;
        }

        public String field() {
            return field;
        }

        /** The message without the field name. */
        public String detail() {
            return getMessage().substring(field.length() + 2);
        }
    }

    private ZstdFrame() {}

    /**
     * @param b         the bytes
     * @param start     where the frame's magic number is
     * @param end       end (exclusive) of the bytes that may belong to the frame
     * @param maxWindow largest window size in bytes to accept
     * @return the length in bytes of the frame starting at {@code start}
     */
    public static int length(byte[] b, int start, int end, long maxWindow) throws Invalid {
        need(start, 4, end, "zstd.magic");
        if (LittleEndian.u32(b, start) != MAGIC) {
            throw new Invalid(
                    "zstd.magic",
                    "no zstd frame magic at offset " + start + " (0x" + Long.toHexString(LittleEndian.u32(b, start))
                            + ")");
        }
        int p = start + 4;
        need(p, 1, end, "zstd.frame_header_descriptor");
        int fhd = b[p] & 0xff;
        p++;
        int fcsFlag = fhd >>> 6;
        boolean singleSegment = (fhd & 0x20) != 0;
        if ((fhd & 0x08) != 0) {
            throw new Invalid("zstd.frame_header_descriptor", "reserved bit set at offset " + (p - 1));
        }
        boolean checksum = (fhd & 0x04) != 0;
        int dictIdSize = new int[] {0, 1, 2, 4}[fhd & 3];
        long window = -1;
        if (!singleSegment) {
            need(p, 1, end, "zstd.window_descriptor");
            int wd = b[p] & 0xff;
            p++;
            long base = 1L << (10 + (wd >>> 3));
            window = base + (base / 8) * (wd & 7);
        }
        need(p, dictIdSize, end, "zstd.dictionary_id");
        if (dictIdSize > 0 && le(b, p, dictIdSize) != 0) {
            throw new Invalid("zstd.dictionary_id", "frames that need a dictionary are not supported");
        }
        p += dictIdSize;
        int fcsSize = switch (fcsFlag) {
            case 0 -> singleSegment ? 1 : 0;
            case 1 -> 2;
            case 2 -> 4;
            default -> 8;
        };
        need(p, fcsSize, end, "zstd.frame_content_size");
        if (fcsSize > 0 && singleSegment) {
            window = le(b, p, fcsSize) + (fcsSize == 2 ? 256 : 0);
        }
        p += fcsSize;
        if (window < 0 || window > maxWindow) {
            throw new Invalid(
                    "zstd.window_size",
                    (window < 0 ? "overflowing" : String.valueOf(window)) + " bytes exceeds the cap of " + maxWindow);
        }
        while (true) {
            need(p, 3, end, "zstd.block_header");
            int h = (int) le(b, p, 3);
            p += 3;
            int size = h >>> 3;
            int body = switch ((h >>> 1) & 3) {
                case 0, 2 -> size;
                case 1 -> 1;
                default -> throw new Invalid("zstd.block_type", "reserved block type 3 at offset " + (p - 3));
            };
            need(p, body, end, "zstd.block");
            p += body;
            if ((h & 1) != 0) {
                break;
            }
        }
        if (checksum) {
            need(p, 4, end, "zstd.content_checksum");
            p += 4;
        }
        return p - start;
    }

    private static void need(int p, int n, int end, String field) throws Invalid {
        if (p > end - n) {
            throw new Invalid(
                    field, "runs past the end of the data (" + n + " bytes at offset " + p + ", end " + end + ")");
        }
    }

    /** {@code n} bytes at {@code p}, little-endian; {@code n} varies (1 to 8: zstd frame header fields), so not a
     * {@link LittleEndian} fixed-width read. */
    public static long le(byte[] b, int p, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b[p + i] & 0xff);
        }
        return v;
    }
}
