package dev.linuximage.core.format.qcow2;

import dev.linuximage.core.format.FormatException;

/**
 * Finds where one Zstandard frame ends (RFC 8878 section 3.1.1) by walking its header and block headers, without
 * decoding. A qcow2 zstd cluster is one frame followed by whatever the sector-rounded length covers (the start of
 * the next compressed cluster, or zeros); the decoder must see exactly the frame, or it parses the rest as a next
 * frame and fails ("Invalid magic prefix").
 */
final class ZstdFrame {
    static final int MAGIC = 0xFD2FB528;

    private ZstdFrame() {
    }

    /**
     * @return the length in bytes of the frame starting at {@code b[off]}, within {@code len} bytes
     * @throws FormatException if the bytes are not one complete frame within {@code len}
     */
    static int length(byte[] b, int off, int len, long where) {
        int end = off + len;
        int p = off;
        need(p + 5, end, where, "frame header");
        int magic = (b[p] & 0xFF) | (b[p + 1] & 0xFF) << 8 | (b[p + 2] & 0xFF) << 16 | (b[p + 3] & 0xFF) << 24;
        if (magic != MAGIC) {
            throw new FormatException("qcow2", "zstd cluster", where,
                    "no zstd frame magic (0x" + Integer.toHexString(magic) + ")");
        }
        int fhd = b[p + 4] & 0xFF;
        p += 5;
        int fcsFlag = fhd >>> 6;
        boolean singleSegment = (fhd & 0x20) != 0;
        boolean checksum = (fhd & 0x04) != 0;
        int dictFlag = fhd & 0x03;
        if ((fhd & 0x08) != 0) {
            throw new FormatException("qcow2", "zstd cluster", where, "reserved frame header bit set");
        }
        int header = (singleSegment ? 0 : 1) + new int[] {0, 1, 2, 4}[dictFlag]
                + (fcsFlag == 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag);
        p += header;
        while (true) {
            need(p + 3, end, where, "block header");
            int bh = (b[p] & 0xFF) | (b[p + 1] & 0xFF) << 8 | (b[p + 2] & 0xFF) << 16;
            p += 3;
            boolean last = (bh & 1) != 0;
            int type = (bh >>> 1) & 3;
            int size = bh >>> 3;
            int body = switch (type) {
                case 0, 2 -> size;
                case 1 -> 1;
                default -> throw new FormatException("qcow2", "zstd cluster", where, "reserved block type 3");
            };
            need((long) p + body, end, where, "block of " + body + " bytes");
            p += body;
            if (last) {
                break;
            }
        }
        if (checksum) {
            need(p + 4L, end, where, "content checksum");
            p += 4;
        }
        return p - off;
    }

    private static void need(long upTo, int end, long where, String what) {
        if (upTo > end) {
            throw new FormatException("qcow2", "zstd cluster", where,
                    "the " + what + " runs past the compressed cluster's length");
        }
    }
}
