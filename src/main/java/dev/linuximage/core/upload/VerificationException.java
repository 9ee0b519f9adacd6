package dev.linuximage.core.upload;

/** The blob's content, page ranges or footer differ from the source after the upload. */
public class VerificationException extends UploadException {
    public VerificationException(String message) {
        super(message);
    }
}
