package dev.linuximage.core.volume;

import java.io.IOException;

/** Malformed or unsupported LVM2 on-disk data; the message names the structure, field and value. */
public class LvmException extends IOException {
    public LvmException(String message) {
        super(message);
    }
}
