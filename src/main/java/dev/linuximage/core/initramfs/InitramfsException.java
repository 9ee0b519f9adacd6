package dev.linuximage.core.initramfs;

import java.io.IOException;

/**
 * Hostile, corrupt or unsupported initramfs / kernel-module input. The message names the structure, the field and the
 * offending value so a report can say exactly what was refused.
 */
public class InitramfsException extends IOException {
    private final String field;

    public InitramfsException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    public InitramfsException(String field, String problem, Throwable cause) {
        super(field + ": " + problem, cause);
        this.field = field;
    }

    /** The structure/field that was refused, e.g. {@code cpio.namesize} or {@code gzip.trailer.crc32}. */
    public String field() {
        return field;
    }
}
