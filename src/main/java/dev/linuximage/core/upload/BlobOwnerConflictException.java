package dev.linuximage.core.upload;

import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.ResultReasons;

/**
 * The blob belongs to another owner (metadata {@value PageBlobUploader#META_OWNER}: e.g. the uid of another
 * LinuxImage, or of a deleted and recreated one), or exists without an owner, and taking it over was not asked
 * for ({@link UploadOptions#withTakeOver(boolean)}). Nothing was written. A retry cannot help.
 */
public class BlobOwnerConflictException extends UploadException {
    public BlobOwnerConflictException(String message) {
        super(message);
    }

    @Override
    public int exitCode() {
        return ExitCodes.USAGE;
    }

    @Override
    public String resultReason() {
        return ResultReasons.BLOB_OWNED_BY_OTHER;
    }
}
