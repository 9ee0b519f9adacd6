package dev.linuximage.core.upload;

/**
 * The credentials given are unusable before any request is sent: a missing, unreadable, empty or too large
 * credentials file, or a malformed connection string. A retry with the same Secret cannot succeed, so the core
 * exits with the usage code (2) and reason {@code MissingCredentials}. The message never carries the secret.
 */
public class CredentialsException extends UploadException {
    public CredentialsException(String message) {
        super(message);
    }
}
