package dev.linuximage.core.format.vhd;

import dev.linuximage.core.format.Check;
import dev.linuximage.core.format.MappedSource;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;

/** Dynamic VHD data view: BAT lookups, sector bitmaps honoured (a clear bit reads as zero). */
final class VhdSource extends MappedSource {
    private final int[] bat;
    private final long blockSize;
    private final long bitmapBytes;
    private long cachedBitmapBlock = -1;
    private byte[] cachedBitmap;

    VhdSource(ByteSource file, VhdHeader h) {
        super(VhdHeader.LABEL, file, h.footer().currentSize());
        this.bat = h.dynamic().bat();
        this.blockSize = h.dynamic().blockSize();
        this.bitmapBytes = h.dynamic().bitmapBytes();
    }

    private synchronized byte[] bitmap(long block, long blockOff) throws IOException {
        if (block != cachedBitmapBlock) {
            cachedBitmap = file.readBytes(blockOff, (int) bitmapBytes);
            cachedBitmapBlock = block;
        }
        return cachedBitmap;
    }

    @Override
    protected void map(long vOffset, long maxLen, Run r) throws IOException {
        long block = vOffset / blockSize;
        long within = vOffset - block * blockSize;
        long inBlock = Math.min(maxLen, blockSize - within);
        int e = bat[(int) block];
        if (e == -1) {
            r.zero(inBlock);
            return;
        }
        long blockOff = Check.u32(e) * 512;
        byte[] bm = bitmap(block, blockOff);
        long sector = within / 512;
        boolean present = bit(bm, sector);
        long len = 512 - (within % 512);
        long s = sector + 1;
        while (len < inBlock && bit(bm, s) == present) {
            len += 512;
            s++;
        }
        len = Math.min(len, inBlock);
        if (present) {
            r.data(blockOff + bitmapBytes + within, len);
        } else {
            r.zero(len);
        }
    }

    private static boolean bit(byte[] bm, long sector) {
        // bitmap bits are big-endian within each byte: sector 0 is the most significant bit of byte 0
        return (bm[(int) (sector >>> 3)] & (0x80 >>> (sector & 7))) != 0;
    }
}
