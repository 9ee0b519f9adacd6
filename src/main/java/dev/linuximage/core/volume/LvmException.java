package dev.linuximage.core.volume;

import dev.linuximage.core.report.BadInputException;

/** Malformed or unsupported LVM2 on-disk data; the message names the structure, field and value. */
public class LvmException extends BadInputException {
    public LvmException(String message) {
        super(Reason.CORRUPT_IMAGE, message);
    }
}
