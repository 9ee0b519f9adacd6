package dev.linuximage.core.format.vdi;

import dev.linuximage.core.format.MappedSource;
import dev.linuximage.core.io.ByteSource;

/**
 * Guest data of a VDI: block {@code i} of the virtual disk lives at {@code offData + map[i] * (cbBlock + cbExtra) +
 * cbExtra} (offsets in bytes); free and zero blocks read as zeros.
 */
final class VdiSource extends MappedSource {
    private final long blockSize;
    private final long extra;
    private final long offData;
    private final int[] map;

    VdiSource(ByteSource file, VdiHeader h) {
        super(VdiHeader.LABEL, file, h.size());
        this.blockSize = h.blockSize();
        this.extra = h.blockExtra();
        this.offData = h.dataOffset();
        this.map = h.blockMap();
    }

    @Override
    protected void map(long vOffset, long maxLen, Run r) {
        long bi = vOffset / blockSize;
        long within = vOffset - bi * blockSize;
        long len = Math.min(maxLen, blockSize - within);
        int e = map[(int) bi];
        if (e == VdiHeader.BLOCK_FREE || e == VdiHeader.BLOCK_ZERO) {
            r.zero(len);
        } else {
            r.data(offData + (e & 0xFFFFFFFFL) * (blockSize + extra) + extra + within, len);
        }
    }
}
