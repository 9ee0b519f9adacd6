package dev.linuximage.core.upload;

/**
 * The storage service refused a conditional request: HTTP 412 (Precondition Failed: an {@code If-Match} ETag or
 * another access condition no longer holds, the blob changed under us) or 409 (Conflict: e.g. Put Blob with
 * {@code If-None-Match: *} on a blob that exists). The uploader decides from {@link #httpStatus()} what that means
 * (look again, or a newer writer); it is typed so no caller has to search a message for "HTTP 412".
 */
public class ConditionNotMetException extends UploadException {
    public ConditionNotMetException(String message, Throwable scrubbedCause, int httpStatus) {
        super(message, scrubbedCause, httpStatus);
    }

    /** Whether the status is 412 Precondition Failed (not 409 Conflict). */
    public boolean preconditionFailed() {
        return httpStatus() == 412;
    }
}
