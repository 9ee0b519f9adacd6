package dev.linuximage.core.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An in-place output ({@link InPlaceOutput}: a block device, or a pre-sized file) smaller than the fixed VHD it
 * should receive. Raised before anything is written. The pipeline reports it as a usage error (exit 2, not retried:
 * a retry writes the same VHD) with the reason of a full output volume (the fix is a larger volume).
 */
public class OutputTooSmallException extends IOException {
    private final long outputBytes;
    private final long vhdBytes;

    public OutputTooSmallException(Path target, long outputBytes, long vhdBytes) {
        super("output " + target + " holds " + outputBytes + " bytes (" + (outputBytes >> 20) + " MiB), the fixed VHD"
                + " needs " + vhdBytes + " bytes (" + ((vhdBytes + (1 << 20) - 1) >> 20) + " MiB, footer included):"
                + " use a volume of at least that size; nothing was written");
        this.outputBytes = outputBytes;
        this.vhdBytes = vhdBytes;
    }

    /** The output's size in bytes. */
    public long outputBytes() {
        return outputBytes;
    }

    /** The fixed VHD's size in bytes, footer included. */
    public long vhdBytes() {
        return vhdBytes;
    }
}
