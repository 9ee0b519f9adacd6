package dev.linuximage.core.upload;

import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.ResultReasons;

/**
 * The credentials given are unusable before any request is sent: a missing, unreadable, empty or too large
 * credentials file, or a malformed connection string. A retry with the same Secret cannot succeed, so the core
 * exits with the usage code (2) and reason {@code MissingCredentials}. The message never carries the secret.
 */
public class CredentialsException extends UploadException {
    public CredentialsException(String message) {
        super(message);
    }

    @Override
    public int exitCode() {
        return ExitCodes.USAGE;
    }

    @Override
    public String resultReason() {
        return ResultReasons.MISSING_CREDENTIALS;
    }
}
