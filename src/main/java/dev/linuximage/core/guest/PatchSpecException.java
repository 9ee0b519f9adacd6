package dev.linuximage.core.guest;

import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.ResultReasons;

/** A LinuxImage manifest (or option) that cannot be used; names the offending field and value. */
public class PatchSpecException extends IllegalArgumentException implements ExitCodes.Classified {
    private final String field;

    public PatchSpecException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    /** The dotted path of the bad field, e.g. {@code spec.guest.imageKind}. */
    public String field() {
        return field;
    }

    @Override
    public int exitCode() {
        return ExitCodes.USAGE;
    }

    @Override
    public String resultReason() {
        return ResultReasons.INVALID_ARGUMENTS;
    }
}
