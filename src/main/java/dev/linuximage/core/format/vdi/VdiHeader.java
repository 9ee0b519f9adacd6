package dev.linuximage.core.format.vdi;

import dev.linuximage.core.format.Check;
import dev.linuximage.core.format.FormatException;
import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The parsed, validated header and block map of a VirtualBox VDI version 1.1 (VBox/vd-vdi.h layout): 64-byte text
 * pre-header, signature 0xBEDA107F at 0x40, header at 0x48, block map of little-endian u32 (0xFFFFFFFF = unallocated,
 * 0xFFFFFFFE = zero block) at {@code offBlocks}, data blocks at {@code offData + index * (cbBlock + cbBlockExtra)}.
 * Fixed (static) and normal (dynamic) images; undo and differencing images are refused.
 */
record VdiHeader(int type, long size, long blockSize, long blockExtra, long dataOffset, int[] blockMap) {
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    static final String LABEL = "vdi";

    static final int SIGNATURE = 0xBEDA107F;
    static final int TYPE_NORMAL = 1;
    static final int TYPE_FIXED = 2;
    static final int TYPE_UNDO = 3;
    static final int TYPE_DIFF = 4;
    static final long MAX_BLOCKS = 1L << 24;
    static final int BLOCK_FREE = 0xFFFFFFFF;
    static final int BLOCK_ZERO = 0xFFFFFFFE;

    public static boolean probe(byte[] head) {
        return head.length >= 0x48
                && ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getInt(0x40) == SIGNATURE;
    }

    /** Reads and checks the header and block map in the order magic, version, bounds, within the file, alignment. */
    public static VdiHeader read(ByteSource file, OpenOptions opts) throws IOException {
        long fileSize = file.size();
        Check.that(fileSize >= 0x190, LABEL, "file size", fileSize, "too small for a VDI header");
        byte[] hb = file.readBytes(0, 0x190);
        ByteBuffer b = ByteBuffer.wrap(hb).order(ByteOrder.LITTLE_ENDIAN);
        // 1. magic
        Check.that(b.getInt(0x40) == SIGNATURE, LABEL, "signature", Integer.toHexString(b.getInt(0x40)), "not a VDI");
        // 2. version
        int version = b.getInt(0x44);
        Check.that(version == 0x00010001, LABEL, "version", Integer.toHexString(version), "only version 1.1 is known");
        long cbHeader = b.getInt(0x48) & 0xFFFFFFFFL;
        Check.range(LABEL, "header size", cbHeader, 0x180, 4096);
        int type = b.getInt(0x4C);
        Check.that(
                type != TYPE_DIFF && type != TYPE_UNDO,
                LABEL,
                "image type",
                type,
                "differencing/undo VDI needs its parent - refused");
        Check.that(type == TYPE_NORMAL || type == TYPE_FIXED, LABEL, "image type", type, "unknown image type");
        long offBlocks = b.getInt(0x154) & 0xFFFFFFFFL;
        long offData = b.getInt(0x158) & 0xFFFFFFFFL;
        long cbSector = b.getInt(0x168) & 0xFFFFFFFFL;
        long size = b.getLong(0x170);
        long cbBlock = b.getInt(0x178) & 0xFFFFFFFFL;
        long cbExtra = b.getInt(0x17C) & 0xFFFFFFFFL;
        long cBlocks = b.getInt(0x180) & 0xFFFFFFFFL;
        // 3. bounds
        Check.range(LABEL, "disk size", size, 0, opts.maxVirtualSize());
        Check.that(cbSector == 512, LABEL, "sector size", cbSector, "only 512-byte sectors are supported");
        Check.that(
                cbBlock >= 512 && cbBlock <= (256L << 20) && Long.bitCount(cbBlock) == 1,
                LABEL,
                "block size",
                cbBlock,
                "must be a power of two between 512 bytes and 256 MiB");
        Check.range(LABEL, "block extra", cbExtra, 0, cbBlock);
        Check.range(LABEL, "blocks", cBlocks, 0, MAX_BLOCKS);
        Check.that(
                Check.mul(LABEL, "blocks", cBlocks, cbBlock) >= size,
                LABEL,
                "blocks",
                cBlocks,
                "too few blocks for disk size " + size);
        // 4. offset + length within the file
        Check.within(LABEL, "block map offset", offBlocks, cBlocks * 4, fileSize);
        Check.that(offData <= fileSize, LABEL, "data offset", offData, "past the end of the file");
        // 5. alignment
        Check.aligned(LABEL, "block map offset", offBlocks, 512);
        Check.aligned(LABEL, "data offset", offData, 512);
        Check.that(offBlocks >= 0x48 + cbHeader, LABEL, "block map offset", offBlocks, "overlaps the header");
        Check.that(offData >= offBlocks + cBlocks * 4, LABEL, "data offset", offData, "overlaps the block map");
        long needed = (size + cbBlock - 1) / cbBlock;
        ByteBuffer t = ByteBuffer.allocate((int) (needed * 4)).order(ByteOrder.LITTLE_ENDIAN);
        file.readFully(offBlocks, t);
        t.flip();
        int[] map = new int[(int) needed];
        long stride = cbBlock + cbExtra;
        for (int i = 0; i < needed; i++) {
            int e = t.getInt();
            if (e != BLOCK_FREE && e != BLOCK_ZERO) {
                long idx = e & 0xFFFFFFFFL;
                Check.that(idx < cBlocks, LABEL, "block map[" + i + "]", idx, "block index beyond the block count");
                long at = Check.add(LABEL, "block map[" + i + "]", offData, Check.mul(LABEL, "block map", idx, stride));
                Check.within(
                        LABEL,
                        "block map[" + i + "]",
                        at + cbExtra,
                        Math.min(cbBlock, size - (long) i * cbBlock),
                        fileSize);
            }
            map[i] = e;
        }
        int[] sorted = Arrays.stream(map)
                .filter(x -> x != BLOCK_FREE && x != BLOCK_ZERO)
                .sorted()
                .toArray();
        for (int i = 1; i < sorted.length; i++) {
            Check.that(
                    sorted[i] != sorted[i - 1], LABEL, "block map", sorted[i], "two entries point at the same block");
        }
        return new VdiHeader(type, size, cbBlock, cbExtra, offData, map);
    }

    /** {@code fixed} (static) or {@code dynamic} (normal). */
    public String subformat() {
        return type == TYPE_FIXED ? "fixed" : "dynamic";
    }

    static FormatException bad(String field, Object v, String m) {
        return new FormatException(LABEL, field, v, m);
    }
}
