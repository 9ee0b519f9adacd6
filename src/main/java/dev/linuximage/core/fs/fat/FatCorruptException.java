package dev.linuximage.core.fs.fat;

import dev.linuximage.core.report.BadInputException;

/**
 * A FAT structure that fails validation (boot sector, BPB field, a cluster chain that loops or leaves the volume,
 * an oversized directory); the message starts with {@code vfat:} and names the field and the value.
 */
public class FatCorruptException extends BadInputException {
    public FatCorruptException(String message) {
        super(Reason.CORRUPT_IMAGE, message);
    }
}
