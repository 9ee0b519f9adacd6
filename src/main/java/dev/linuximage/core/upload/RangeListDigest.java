package dev.linuximage.core.upload;

import dev.linuximage.core.io.Sha256;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A SHA-256 over a list of ranges after merging adjacent ones, so two lists can be compared with bounded memory
 * whatever the number of ranges. Ranges must be added in increasing order. Offsets in bytes; each merged range is
 * hashed as two big-endian 64-bit integers (start, end).
 */
final class RangeListDigest {
    private final MessageDigest sha;
    private long start = -1;
    private long end = -1;
    private long bytes;
    private long count;

    RangeListDigest() {
        sha = Sha256.newDigest();
    }

    void add(long s, long e) {
        if (s >= e) {
            return;
        }
        if (s < end) {
            throw new IllegalStateException("range " + s + " before " + end);
        }
        bytes += e - s;
        if (end == s) {
            end = e;
            return;
        }
        emit();
        start = s;
        end = e;
    }

    private void emit() {
        if (start >= 0) {
            sha.update(ByteBuffer.allocate(16).putLong(start).putLong(end).array());
            count++;
        }
    }

    /** Total bytes added. */
    long bytes() {
        return bytes;
    }

    /** Finishes; returns hex digest and the number of merged ranges, e.g. {@code "ab12...:17"}. */
    String finish() {
        long n = count + (start >= 0 ? 1 : 0);
        return HexFormat.of().formatHex(finishRaw()) + ":" + n;
    }

    /** Finishes; returns the raw SHA-256 of the merged ranges (see {@link SparseDigest}). */
    byte[] finishRaw() {
        emit();
        start = -1;
        return sha.digest();
    }
}
