package dev.linuximage.core.upload;

import java.time.Duration;

/**
 * The outcome of a verified upload. Sizes in bytes.
 *
 * @param blobUrl            the blob's URL without any query string (never carries a SAS)
 * @param imageBytes         size of the image (= blob length)
 * @param bytesSent          payload bytes sent by this run (Put Page bodies acknowledged)
 * @param bytesSkippedZero   bytes not sent because they are zero (known ZERO extents and detected zero pages)
 * @param bytesAlreadyThere  non-zero bytes not sent because an earlier run of the same source had written them
 * @param bytesCleared       bytes of stale pages cleared (Clear Pages) on a re-used blob
 * @param digest             the image's {@link SparseDigest}, {@code sparse-sha256-v1:<hex>}; also in the blob
 *                           metadata ({@link PageBlobUploader#META_DIGEST})
 * @param duration           wall time of the whole upload, verification included
 * @param retries            requests retried (any cause)
 * @param resumed            whether an earlier partial upload of the same source was continued
 * @param verification       how the content was verified
 * @param generation         the fencing generation (the blob's sequence number) this upload ran under
 */
public record UploadResult(
        String blobUrl,
        long imageBytes,
        long bytesSent,
        long bytesSkippedZero,
        long bytesAlreadyThere,
        long bytesCleared,
        String digest,
        Duration duration,
        long retries,
        boolean resumed,
        VerifyMode verification,
        long generation) {

    /** A compact JSON object (no external mapper: native-image friendly). */
    public String toJson() {
        return "{\"blobUrl\":\"" + jsonEscape(blobUrl) + "\",\"imageBytes\":" + imageBytes
                + ",\"bytesSent\":" + bytesSent + ",\"bytesSkippedZero\":" + bytesSkippedZero
                + ",\"bytesAlreadyThere\":" + bytesAlreadyThere + ",\"bytesCleared\":" + bytesCleared
                + ",\"digest\":\"" + digest + "\",\"durationMillis\":" + duration.toMillis()
                + ",\"retries\":" + retries + ",\"resumed\":" + resumed
                + ",\"verification\":\"" + verification + "\",\"generation\":" + generation + "}";
    }

    static String jsonEscape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }
}
