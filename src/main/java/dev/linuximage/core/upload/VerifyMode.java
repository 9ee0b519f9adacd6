package dev.linuximage.core.upload;

/**
 * How the uploader proves the blob holds the image before it reports success. In every mode the footer page is
 * read back and compared, and after the footer write the blob's page-range list (conditioned on that ETag) must
 * equal the image's runs of non-zero 512-byte pages (compared as a SHA-256 over the merged list: bounded memory):
 * unlisted pages read as zeros by definition of a page blob, as they are zero in the image.
 *
 * <ul>
 *   <li>{@link #MD5} (default since issue 14, round 2): no second transfer for the pages sent in this run. Every Put
 *   Page carries the MD5 of its body in {@code Content-MD5}; the service computes the MD5 of the body it received
 *   and rejects the put with 400 {@code Md5Mismatch} before writing if they differ (reported as a
 *   {@link VerificationException}). The body was copied from the same scan window that fed the image's
 *   {@link SparseDigest}, so an acknowledged put proves the service received exactly the image's bytes for those
 *   pages. Pages an earlier run of the same source had written (resume) were not sent now, so they are read back and
 *   compared as under {@link #READBACK}: a wrong source fingerprint cannot yield a silently wrong blob. Not proven:
 *   that the service stored what it acknowledged (its own durability), which {@link #READBACK} checks by reading.</li>
 *   <li>{@link #CRC64}: as {@link #MD5}, with the CRC-64 (CRC-64/NVME, {@link Crc64}) of each body in
 *   {@code x-ms-content-crc64} instead of its MD5: the service checks it the same way (400 {@code Crc64Mismatch}
 *   before writing; since service version 2019-02-02, the oldest this SDK sends) and answers the CRC-64 it
 *   computed, which must be ours. Cheaper for both ends (Azurite computes a CRC-64 of every body anyway, Azure answers
 *   one; ours costs a seventh of an MD5) and as strong against accidental damage
 *   (every burst of up to 64 bits, any other change but for a 2<sup>-64</sup> chance). Not against a deliberate
 *   one: a CRC is linear, so a hop that can change a body can keep its CRC-64, where it cannot keep its MD5 (no
 *   second preimage is known); that matters only where the header is signed and the body is not, i.e. a hop that
 *   terminates TLS and alters bodies under Shared Key.</li>
 *   <li>{@link #READBACK} (the default before MD5): every run of non-zero pages (≤ 4 MiB) is read back as soon as its puts are
 *   acknowledged, while later runs are sent (on the same worker threads: at most {@code parallel} requests in
 *   flight), and compared byte for byte with the buffer it was sent from; pages an earlier run of the same source
 *   had written are read back too. With the range list this proves every byte the blob held when each run was
 *   checked; later writes by a writer that follows the fencing protocol are excluded by the footer's sequence-number
 *   condition, but a foreign writer ignoring it that overwrites an already checked page before the footer is not
 *   seen (docs/upload.md "Verification").</li>
 *   <li>{@link #READBACK_AFTER} (the default before issue 14): after the footer write, lists the blob's page ranges
 *   and downloads exactly those (ranged GETs conditioned on the ETag) into a SHA-256 that must equal the
 *   {@code data} part of the image's {@link SparseDigest}: proves the blob's content at one instant, at the cost of
 *   a second pass after the upload.</li>
 *   <li>{@link #RANGES}: cheap: every Put Page already carried a Content-MD5 the service checked; only the range list
 *   is compared. It does not re-read the data, so pages a resumed run did not send are not checked.</li>
 * </ul>
 */
public enum VerifyMode {
    MD5,
    CRC64,
    READBACK,
    READBACK_AFTER,
    RANGES
}
