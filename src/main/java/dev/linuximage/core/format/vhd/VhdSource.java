package dev.linuximage.core.format.vhd;

import dev.linuximage.core.format.Check;
import dev.linuximage.core.format.MappedSource;
import dev.linuximage.core.format.OffsetCache;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;

/** Dynamic VHD data view: BAT lookups, sector bitmaps honoured (a clear bit reads as zero). */
final class VhdSource extends MappedSource {
    private final int[] bat;
    private final long blockSize;
    private final long bitmapBytes;
    /**
     * The sector bitmaps of the blocks read last, a few per reading worker (each worker's 4 MiB chunk spans two or
     * more blocks): bounded, {@value #BITMAPS} × the bitmap size. A miss is read outside the lock, so the workers'
     * cold bitmap reads overlap instead of queueing behind one another ({@link OffsetCache}).
     */
    private static final int BITMAPS = 64;

    private final OffsetCache<byte[]> bitmaps = new OffsetCache<>(BITMAPS);

    VhdSource(ByteSource file, VhdHeader h) {
        super(VhdHeader.LABEL, file, h.footer().currentSize());
        this.bat = h.dynamic().bat();
        this.blockSize = h.dynamic().blockSize();
        this.bitmapBytes = h.dynamic().bitmapBytes();
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
        byte[] bm = bitmaps.get(blockOff, off -> file.readBytes(off, (int) bitmapBytes));
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
