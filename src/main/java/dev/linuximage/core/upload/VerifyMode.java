package dev.linuximage.core.upload;

/**
 * How the uploader proves the blob holds the image before it reports success.
 *
 * <ul>
 *   <li>{@link #READBACK} (default): lists the blob's page ranges and downloads exactly those ranges (in parallel,
 *   ranged GETs of at most 4 MiB), feeding zeros for the gaps into a SHA-256: the result must equal the SHA-256 of
 *   the source computed while uploading. This proves the content of every byte of the blob (unlisted pages read as
 *   zeros by definition of a page blob) and costs a download of the non-zero bytes only, not of the virtual size,
 *   so it stays affordable for 100s of GiB with little data.</li>
 *   <li>{@link #RANGES}: cheap: every Put Page already carried a Content-MD5 the service checked; the blob's page
 *   range list must equal the list of non-zero 512-byte pages of the source (compared as a SHA-256 over the merged
 *   range list, so memory stays bounded), and the footer page is read back. It does not re-read the data.</li>
 * </ul>
 * In both modes the footer page is read back and compared.
 */
public enum VerifyMode {
    READBACK, RANGES
}
