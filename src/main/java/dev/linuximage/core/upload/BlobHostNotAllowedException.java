package dev.linuximage.core.upload;

import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.ResultReasons;

/**
 * The blob URL's host is not in the uploader's allow-list ({@link BlobHostAllowList}), or plain http goes to a
 * host that is not loopback. Thrown before any request: no credential has left the process. A retry cannot help.
 */
public class BlobHostNotAllowedException extends UploadException {
    public BlobHostNotAllowedException(String message) {
        super(message);
    }

    @Override
    public int exitCode() {
        return ExitCodes.USAGE;
    }

    @Override
    public String resultReason() {
        return ResultReasons.BLOB_HOST_NOT_ALLOWED;
    }
}
