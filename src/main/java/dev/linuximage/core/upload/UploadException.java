package dev.linuximage.core.upload;

import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.ResultReasons;
import java.io.IOException;

/**
 * An upload failed. The message and the whole cause chain are scrubbed of secrets (see {@link Secrets}): it is safe
 * to log, to put in a report or in a resource status.
 */
public class UploadException extends IOException implements ExitCodes.Classified {
    private final int httpStatus;

    public UploadException(String message) {
        this(message, null, 0);
    }

    public UploadException(String message, Throwable scrubbedCause) {
        this(message, scrubbedCause, 0);
    }

    /** @param httpStatus the storage service's final HTTP status code, 0 when there was no response */
    public UploadException(String message, Throwable scrubbedCause, int httpStatus) {
        super(message, scrubbedCause);
        this.httpStatus = httpStatus;
    }

    /** The storage service's final HTTP status code, 0 when unknown (no response, or not an HTTP failure). */
    public int httpStatus() {
        return httpStatus;
    }

    /** Whether the service refused the credentials (401/403): a retry with the same credentials cannot succeed. */
    public boolean unauthorized() {
        return httpStatus == 401 || httpStatus == 403;
    }

    /** Refused credentials are a usage error (a retry with the same Secret cannot succeed); the rest may be retried. */
    @Override
    public int exitCode() {
        return unauthorized() ? ExitCodes.USAGE : ExitCodes.ERROR;
    }

    @Override
    public String resultReason() {
        return unauthorized() ? ResultReasons.UPLOAD_UNAUTHORIZED : ResultReasons.UPLOAD_FAILED;
    }
}
