package dev.linuximage.core.upload;

/** The blob's content, page ranges or footer differ from the source, or the service saw other bytes than we sent. */
public class VerificationException extends UploadException {
    public VerificationException(String message) {
        super(message);
    }

    /** @param httpStatus the service's status when it detected the difference (400 {@code Md5Mismatch}), else 0 */
    public VerificationException(String message, int httpStatus) {
        super(message, null, httpStatus);
    }
}
