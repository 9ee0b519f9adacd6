package dev.linuximage.core.format.vhdx;

import dev.linuximage.core.format.MappedSource;
import dev.linuximage.core.io.ByteSource;

/**
 * Guest data of a VHDX: payload block {@code i} at file offset {@code blocks[i]} (bytes); 0 = not present / zero /
 * unmapped, which reads as zeros for a non-differencing disk.
 */
final class VhdxSource extends MappedSource {
    private final long blockSize;
    private final long[] blocks;

    VhdxSource(ByteSource file, VhdxHeader h) {
        super(VhdxHeader.LABEL, file, h.size());
        this.blockSize = h.blockSize();
        this.blocks = h.blocks();
    }

    @Override
    protected void map(long vOffset, long maxLen, Run r) {
        long bi = vOffset / blockSize;
        long within = vOffset - bi * blockSize;
        long len = Math.min(maxLen, blockSize - within);
        long off = blocks[(int) bi];
        if (off == 0) {
            r.zero(len);
        } else {
            r.data(off + within, len);
        }
    }
}
