package dev.linuximage.core.initramfs;

import dev.linuximage.core.report.BadInputException;

/**
 * Hostile, corrupt or unsupported initramfs / kernel-module input. The message names the structure, the field and the
 * offending value so a report can say exactly what was refused.
 */
public class InitramfsException extends BadInputException {
    private final String field;

    public InitramfsException(String field, String problem) {
        super(Reason.CORRUPT_IMAGE, field + ": " + problem);
        this.field = field;
    }

    public InitramfsException(String field, String problem, Throwable cause) {
        super(Reason.CORRUPT_IMAGE, field + ": " + problem, cause);
        this.field = field;
    }

    /** The structure/field that was refused, e.g. {@code cpio.namesize} or {@code gzip.trailer.crc32}. */
    public String field() {
        return field;
    }
}
