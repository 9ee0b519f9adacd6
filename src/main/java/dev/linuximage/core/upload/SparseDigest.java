package dev.linuximage.core.upload;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.Sha256;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The image digest {@value #ALGORITHM}: a SHA-256 that does not hash zeros, so its cost follows the data, not the
 * virtual size (a whole-image SHA-256 of a 1 TiB mostly empty disk hashes 1 TiB of zeros: ~15 min).
 *
 * <p>Definition, for an image of {@code size} bytes (a multiple of 512) cut into 512-byte pages; a page is
 * <em>non-zero</em> if any of its bytes is not 0; a <em>run</em> is a maximal sequence of adjacent non-zero pages:
 * <pre>
 *   data   = SHA-256( the bytes of every non-zero page, in increasing offset order )
 *   ranges = SHA-256( for each run, in increasing order: start, end  — byte offsets, end exclusive,
 *                     each an unsigned 64-bit big-endian integer )
 *   digest = SHA-256( "linuximage sparse-sha256-v1\n" (ASCII) || size (64-bit big-endian) || data || ranges )
 * </pre>
 * written {@code sparse-sha256-v1:<64 lower-case hex>}. The (size, runs, data) triple determines every byte of the
 * image (pages outside the runs are zero) and is determined by it, so two images have the same digest exactly when
 * they have the same bytes (up to SHA-256 collisions): how the zeros are stored (holes, written zeros, ZERO extents
 * of a converted view) does not matter, and changing any byte — a zero byte too, which makes its page non-zero and
 * changes the runs — changes it. Both inner hashes are streams, so memory is bounded whatever the number of runs.
 *
 * <p>The uploader computes it on the way ({@code data} is also what read-back verification compares), and
 * {@link #of(ByteSource)} recomputes it from any source reading only its DATA extents.
 */
public final class SparseDigest {
    /** Algorithm name, the prefix of {@link #finish} and the value in reports. */
    public static final String ALGORITHM = "sparse-sha256-v1";

    private static final int PAGE = 512;

    private final MessageDigest data = sha256();
    private final RangeListDigest ranges = new RangeListDigest();
    private String dataHex;

    /**
     * Adds non-zero pages {@code [offset, offset + len)} with bytes {@code b[off, off + len)}. Calls must come in
     * increasing offset order; adjacent spans merge into one run. The caller guarantees every page is non-zero.
     */
    public void add(long offset, byte[] b, int off, int len) {
        if (offset % PAGE != 0 || len % PAGE != 0) {
            throw new IllegalArgumentException("span " + offset + "+" + len + " not 512-byte aligned");
        }
        data.update(b, off, len);
        ranges.add(offset, offset + len);
    }

    /** Bytes of non-zero pages added so far. */
    public long nonZeroBytes() {
        return ranges.bytes();
    }

    /** Ends the digest of an image of {@code size} bytes: {@code sparse-sha256-v1:<hex>}. */
    public String finish(long size) {
        byte[] d = data.digest();
        dataHex = HexFormat.of().formatHex(d);
        return combine(size, d, ranges.finishRaw());
    }

    /** After {@link #finish}: the hex SHA-256 of the non-zero pages' bytes alone (the {@code data} part). */
    String dataHex() {
        return dataHex;
    }

    static String combine(long size, byte[] dataHash, byte[] rangesHash) {
        MessageDigest d = sha256();
        d.update(("linuximage " + ALGORITHM + "\n").getBytes(StandardCharsets.US_ASCII));
        d.update(ByteBuffer.allocate(8).putLong(size).array());
        d.update(dataHash);
        d.update(rangesHash);
        return ALGORITHM + ":" + HexFormat.of().formatHex(d.digest());
    }

    /**
     * The digest of a whole source: reads only its DATA extents (4 MiB windows, tested per 512-byte page); ZERO
     * extents cost nothing. Memory: one 4 MiB window.
     *
     * @throws IllegalArgumentException the size is not a multiple of 512
     */
    public static String of(ByteSource source) throws IOException {
        long size = source.size();
        if (size % PAGE != 0) {
            throw new IllegalArgumentException("size " + size + " bytes is not a multiple of 512");
        }
        SparseDigest d = new SparseDigest();
        new ImageScanner(source, size, null).scan(d::add);
        return d.finish(size);
    }

    static MessageDigest sha256() {
        return Sha256.newDigest();
    }
}
