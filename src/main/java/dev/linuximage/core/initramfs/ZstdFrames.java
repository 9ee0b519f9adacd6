package dev.linuximage.core.initramfs;

import dev.linuximage.core.compress.ZstdFrame;
import dev.linuximage.core.io.LittleEndian;

/**
 * Walks zstd frames (RFC 8878 section 3.1) without decoding them, to find where the compressed member ends and to
 * refuse windows larger than the cap before any decoder allocates them. Consecutive frames (and skippable frames
 * between them) form one member, as the kernel's streaming {@code unzstd} decodes them in one pass.
 */
final class ZstdFrames {
    static final long MAGIC = ZstdFrame.MAGIC;

    private ZstdFrames() {}

    /** A frame at {@code [offset, offset+length)}; {@code skippable} frames carry no data. */
    record Frame(int offset, int length, boolean skippable) {}

    /**
     * @return the frames starting at {@code start}, in order; the first must be a data frame
     */
    static java.util.List<Frame> scan(byte[] b, int start, int end, long maxWindow) throws InitramfsException {
        java.util.List<Frame> frames = new java.util.ArrayList<>();
        int p = start;
        while (end - p >= 4) {
            long magic = LittleEndian.u32(b, p);
            if (magic == MAGIC) {
                int len = frameLength(b, p, end, maxWindow);
                frames.add(new Frame(p, len, false));
                p += len;
            } else if ((magic & 0xFFFFFFF0L) == 0x184D2A50L && !frames.isEmpty()) {
                need(b, p, 8, end, "zstd.skippable");
                long size = LittleEndian.u32(b, p + 4);
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
        try {
            return ZstdFrame.length(b, start, end, maxWindow);
        } catch (ZstdFrame.Invalid e) {
            throw new InitramfsException(e.field(), e.detail());
        }
    }

    private static void need(byte[] b, int p, int n, int end, String field) throws InitramfsException {
        if (p > end - n) {
            throw new InitramfsException(field, "truncated at offset " + p);
        }
    }
}
