package dev.linuximage.core.upload;

import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.ResultReasons;

/**
 * A newer writer owns the blob: its sequence number (the fencing generation) is greater than ours, or became so
 * during the upload (a Put Page failed with 412 SequenceNumberConditionNotMet). Retrying cannot help.
 */
public class StaleWriterException extends UploadException {
    public StaleWriterException(String message) {
        super(message);
    }

    @Override
    public int exitCode() {
        return ExitCodes.USAGE;
    }

    @Override
    public String resultReason() {
        return ResultReasons.SUPERSEDED;
    }
}
