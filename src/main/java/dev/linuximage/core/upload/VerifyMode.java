package dev.linuximage.core.upload;

/**
 * How the uploader proves the blob holds the image before it reports success.
 *
 * <ul>
 *   <li>{@link #READBACK} (default): lists the blob's page ranges and downloads exactly those ranges (in parallel,
 *   ranged GETs of at most 4 MiB) into a SHA-256 of the written pages in offset order: the result must equal the
 *   SHA-256 of the source's non-zero pages computed while uploading, and the range list must equal the source's
 *   non-zero pages (as in {@link #RANGES}). Together they prove the content of every byte of the blob (unlisted pages
 *   read as zeros by definition of a page blob, as they are zero in the source) at the cost of the non-zero bytes
 *   only, in download and in hashing, so it stays affordable for 100s of GiB with little data.</li>
 *   <li>{@link #RANGES}: cheap: every Put Page already carried a Content-MD5 the service checked; the blob's page
 *   range list must equal the list of non-zero 512-byte pages of the source (compared as a SHA-256 over the merged
 *   range list, so memory stays bounded), and the footer page is read back. It does not re-read the data.</li>
 * </ul>
 * In both modes the footer page is read back and compared.
 */
public enum VerifyMode {
    READBACK, RANGES
}
