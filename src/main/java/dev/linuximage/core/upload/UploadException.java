package dev.linuximage.core.upload;

import java.io.IOException;

/**
 * An upload failed. The message and the whole cause chain are scrubbed of secrets (see {@link Secrets}): it is safe
 * to log, to put in a report or in a resource status.
 */
public class UploadException extends IOException {
    public UploadException(String message) {
        super(message);
    }

    public UploadException(String message, Throwable scrubbedCause) {
        super(message, scrubbedCause);
    }
}
