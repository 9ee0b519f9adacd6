package dev.linuximage.core.upload;

/**
 * A snapshot of an upload's progress. All sizes in bytes.
 *
 * @param phase          the current phase
 * @param bytesSent      payload bytes acknowledged by the service in this run (Put Page bodies)
 * @param bytesToSend    payload bytes this run has to send: exact once {@code totalExact}, before that an upper bound
 *                       that never grows (non-zero bytes found so far plus the DATA bytes not yet scanned plus the
 *                       footer; zero pages inside DATA extents are only known once read)
 * @param totalExact     whether the whole source has been scanned and {@code bytesToSend} is final
 * @param bytesScanned   bytes of the source scanned so far (zeros included)
 * @param imageSize      size of the whole source (the VHD file, footer included)
 * @param bytesPerSecond average payload rate of this run's uploading phase
 * @param retries        retried requests so far
 */
public record UploadProgress(
        UploadPhase phase,
        long bytesSent,
        long bytesToSend,
        boolean totalExact,
        long bytesScanned,
        long imageSize,
        double bytesPerSecond,
        long retries) {

    /** Fraction of the bytes to send that are sent, 0..1 (1 when nothing is to be sent). */
    public double fraction() {
        return bytesToSend <= 0
                ? (phase == UploadPhase.UPLOADING && !totalExact ? 0 : 1)
                : Math.min(1.0, (double) bytesSent / bytesToSend);
    }
}
