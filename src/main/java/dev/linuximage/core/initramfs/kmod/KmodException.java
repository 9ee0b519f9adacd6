package dev.linuximage.core.initramfs.kmod;

import dev.linuximage.core.initramfs.InitramfsException;

/** A kernel module or module index that cannot be read safely; the message names the field. */
public class KmodException extends InitramfsException {
    public KmodException(String field, String problem) {
        super(field, problem);
    }

    public KmodException(String field, String problem, Throwable cause) {
        super(field, problem, cause);
    }
}
