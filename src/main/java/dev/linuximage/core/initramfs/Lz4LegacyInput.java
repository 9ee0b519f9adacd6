package dev.linuximage.core.initramfs;

import dev.linuximage.core.io.LittleEndian;
import io.airlift.compress.MalformedInputException;
import io.airlift.compress.lz4.Lz4Decompressor;
import java.io.IOException;
import java.io.InputStream;

/**
 * The LZ4 "legacy" frame format the kernel's {@code lib/decompress_unlz4.c} reads: magic 0x184C2102 (little-endian),
 * then blocks, each a 4-byte little-endian compressed size followed by an LZ4 block that decodes to at most 8 MiB.
 * The format has no end marker: like the kernel, a block size of zero (zero padding), the end of the image, or
 * (after a repeated magic, which the kernel skips) nothing more ends the member. Block bodies are decoded with
 * aircompressor's pure-Java {@link Lz4Decompressor} into one reusable 8 MiB buffer.
 */
final class Lz4LegacyInput extends InputStream {
    static final int MAGIC = 0x184C2102;
    static final int MAX_BLOCK = 8 << 20;
    /** LZ4_compressBound(8 MiB): the largest compressed block a legal encoder can produce. */
    static final int MAX_COMPRESSED_BLOCK = MAX_BLOCK + MAX_BLOCK / 255 + 16;

    private final byte[] b;
    private final int start;
    private final int end;
    private int pos;
    private final Lz4Decompressor decompressor = new Lz4Decompressor();
    private byte[] out;
    private int outPos;
    private int outLen;
    private boolean done;

    Lz4LegacyInput(byte[] b, int start, int end) throws InitramfsException {
        this.b = b;
        this.start = start;
        this.end = end;
        if (end - start < 4 || LittleEndian.u32(b, start) != MAGIC) {
            throw new InitramfsException("lz4.magic", "missing legacy magic 0x184c2102");
        }
        this.pos = start + 4;
    }

    long consumed() {
        return pos - start;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int r = read(one, 0, 1);
        return r < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (outPos >= outLen) {
            if (done || !nextBlock()) {
                done = true;
                return -1;
            }
        }
        int n = Math.min(len, outLen - outPos);
        System.arraycopy(out, outPos, dst, off, n);
        outPos += n;
        return n;
    }

    private boolean nextBlock() throws InitramfsException {
        while (true) {
            if (end - pos < 4) {
                return false; // end of the image (a 1..3-byte tail is left for the caller to judge)
            }
            long size = LittleEndian.u32(b, pos);
            if (size == MAGIC) {
                pos += 4;
                continue;
            }
            if (size == 0) {
                return false; // zero padding after the last block
            }
            if (size > MAX_COMPRESSED_BLOCK) {
                throw new InitramfsException(
                        "lz4.blocksize",
                        size + " bytes at offset " + pos + " exceeds LZ4_compressBound(8 MiB) = "
                                + MAX_COMPRESSED_BLOCK);
            }
            if (size > end - pos - 4) {
                throw new InitramfsException(
                        "lz4.block",
                        "block of " + size + " bytes at offset " + pos + " runs past the end of the image");
            }
            if (out == null) {
                out = new byte[MAX_BLOCK];
            }
            try {
                outLen = decompressor.decompress(b, pos + 4, (int) size, out, 0, MAX_BLOCK);
            } catch (MalformedInputException | IllegalArgumentException | IndexOutOfBoundsException e) {
                throw new InitramfsException("lz4.block", "corrupt block at offset " + pos + ": " + e.getMessage(), e);
            }
            outPos = 0;
            pos += 4 + (int) size;
            if (outLen > 0) {
                return true;
            }
        }
    }
}
