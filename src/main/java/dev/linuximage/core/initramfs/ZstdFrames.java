package dev.linuximage.core.initramfs;

/**
 * Walks zstd frames (RFC 8878 section 3.1) without decoding them, to find where the compressed member ends and to
 * refuse windows larger than the cap before any decoder allocates them. Consecutive frames (and skippable frames
 * between them) form one member, as the kernel's streaming {@code unzstd} decodes them in one pass.
 */
final class ZstdFrames {
    static final long MAGIC = 0xFD2FB528L;

    private ZstdFrames() {
    }

    /** A frame at {@code [offset, offset+length)}; {@code skippable} frames carry no data. */
    record Frame(int offset, int length, boolean skippable) {
    }

    /**
     * @return the frames starting at {@code start}, in order; the first must be a data frame
     */
    static java.util.List<Frame> scan(byte[] b, int start, int end, long maxWindow) throws InitramfsException {
        java.util.List<Frame> frames = new java.util.ArrayList<>();
        int p = start;
        while (end - p >= 4) {
            long magic = le(b, p, 4);
            if (magic == MAGIC) {
                int len = frameLength(b, p, end, maxWindow);
                frames.add(new Frame(p, len, false));
                p += len;
            } else if ((magic & 0xFFFFFFF0L) == 0x184D2A50L && !frames.isEmpty()) {
                need(b, p, 8, end, "zstd.skippable");
                long size = le(b, p + 4, 4);
                if (size > end - p - 8) {
                    throw new InitramfsException("zstd.skippable", "frame size " + size + " past the end");
                }
                frames.add(new Frame(p, (int) (8 + size), true));
                p += 8 + (int) size;
            } else {
                break;
            }
            if (frames.size() > 1_000_000) {
                throw new InitramfsException("zstd.frames", "too many frames");
            }
        }
        if (frames.isEmpty()) {
            throw new InitramfsException("zstd.magic", "no zstd frame at offset " + start);
        }
        return frames;
    }

    private static int frameLength(byte[] b, int start, int end, long maxWindow) throws InitramfsException {
        int p = start + 4;
        need(b, p, 1, end, "zstd.frame_header_descriptor");
        int fhd = b[p] & 0xff;
        p++;
        int fcsFlag = fhd >>> 6;
        boolean singleSegment = (fhd & 0x20) != 0;
        if ((fhd & 0x08) != 0) {
            throw new InitramfsException("zstd.frame_header_descriptor", "reserved bit set at offset " + (p - 1));
        }
        boolean checksum = (fhd & 0x04) != 0;
        int dictIdSize = new int[] {0, 1, 2, 4}[fhd & 3];
        long window = -1;
        if (!singleSegment) {
            need(b, p, 1, end, "zstd.window_descriptor");
            int wd = b[p] & 0xff;
            p++;
            int exponent = wd >>> 3;
            int mantissa = wd & 7;
            long base = 1L << (10 + exponent);
            window = base + (base / 8) * mantissa;
        }
        need(b, p, dictIdSize, end, "zstd.dictionary_id");
        if (dictIdSize > 0 && le(b, p, dictIdSize) != 0) {
            throw new InitramfsException("zstd.dictionary_id", "frames that need a dictionary are not supported");
        }
        p += dictIdSize;
        int fcsSize = switch (fcsFlag) {
            case 0 -> singleSegment ? 1 : 0;
            case 1 -> 2;
            case 2 -> 4;
            default -> 8;
        };
        need(b, p, fcsSize, end, "zstd.frame_content_size");
        if (fcsSize > 0) {
            long fcs = le(b, p, fcsSize) + (fcsSize == 2 ? 256 : 0);
            if (singleSegment) {
                window = fcs;
            }
        }
        p += fcsSize;
        if (window < 0 || window > maxWindow) {
            throw new InitramfsException("zstd.window_size", (window < 0 ? "overflowing" : String.valueOf(window))
                    + " bytes exceeds the cap of " + maxWindow);
        }
        while (true) {
            need(b, p, 3, end, "zstd.block_header");
            int h = (int) le(b, p, 3);
            p += 3;
            boolean last = (h & 1) != 0;
            int type = (h >>> 1) & 3;
            int size = h >>> 3;
            int body = switch (type) {
                case 0, 2 -> size;
                case 1 -> 1;
                default -> throw new InitramfsException("zstd.block_type", "reserved block type 3 at offset "
                        + (p - 3));
            };
            need(b, p, body, end, "zstd.block");
            p += body;
            if (last) {
                break;
            }
        }
        if (checksum) {
            need(b, p, 4, end, "zstd.content_checksum");
            p += 4;
        }
        return p - start;
    }

    private static void need(byte[] b, int p, int n, int end, String field) throws InitramfsException {
        if (p > end - n) {
            throw new InitramfsException(field, "truncated at offset " + p);
        }
    }

    private static long le(byte[] b, int p, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b[p + i] & 0xff);
        }
        return v;
    }
}
