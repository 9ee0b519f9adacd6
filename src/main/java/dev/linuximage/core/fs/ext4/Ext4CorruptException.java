package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.report.BadInputException;

/** An ext2/3/4 structure that fails validation; the message names the structure, field and value. */
public class Ext4CorruptException extends BadInputException {
    public Ext4CorruptException(String message) {
        super(Reason.CORRUPT_IMAGE, "ext4: " + message);
    }
}
