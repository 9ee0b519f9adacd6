package dev.linuximage.core.upload;

/**
 * The blob URL's host is not in the uploader's allow-list ({@link BlobHostAllowList}), or plain http goes to a
 * host that is not loopback. Thrown before any request: no credential has left the process. A retry cannot help.
 */
public class BlobHostNotAllowedException extends UploadException {
    public BlobHostNotAllowedException(String message) {
        super(message);
    }
}
