package dev.linuximage.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The test oracle for the image digest: a deliberately naive implementation of the definition written in
 * docs/upload.md ("Digest"), independent of the production scanner: every byte is read, page by page, runs are
 * collected in a list, then hashed.
 * <pre>
 *   data   = SHA-256(bytes of the non-zero 512-byte pages in offset order)
 *   ranges = SHA-256(start, end of each maximal run of non-zero pages, u64 big-endian)
 *   digest = SHA-256("linuximage sparse-sha256-v1\n" || size u64 BE || data || ranges)
 * </pre>
 */
public final class ReferenceDigest {
    private ReferenceDigest() {}

    /** Reads {@code len} bytes at {@code offset}. */
    public interface BytesAt {
        byte[] read(long offset, int len) throws IOException;
    }

    /** The digest of a whole file, every byte read. */
    public static String ofFile(Path file) throws Exception {
        MessageDigest data = MessageDigest.getInstance("SHA-256");
        List<long[]> runs = new ArrayList<>();
        long size = Files.size(file);
        byte[] page = new byte[512];
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            for (long off = 0; off < size; off += 512) {
                int got = in.readNBytes(page, 0, 512);
                if (got != 512) {
                    throw new IOException("short read at " + off);
                }
                boolean zero = true;
                for (byte b : page) {
                    if (b != 0) {
                        zero = false;
                        break;
                    }
                }
                if (!zero) {
                    data.update(page);
                    addRun(runs, off, off + 512);
                }
            }
        }
        return combine(size, data.digest(), runs);
    }

    /** The digest given the image's non-zero page runs and a way to read them. */
    public static String of(long size, List<long[]> runs, BytesAt bytes) throws Exception {
        MessageDigest data = MessageDigest.getInstance("SHA-256");
        for (long[] r : runs) {
            for (long o = r[0]; o < r[1]; o += 512) {
                data.update(bytes.read(o, 512));
            }
        }
        return combine(size, data.digest(), runs);
    }

    private static void addRun(List<long[]> runs, long s, long e) {
        if (!runs.isEmpty() && runs.get(runs.size() - 1)[1] == s) {
            runs.get(runs.size() - 1)[1] = e;
        } else {
            runs.add(new long[] {s, e});
        }
    }

    private static String combine(long size, byte[] dataHash, List<long[]> runs) throws Exception {
        MessageDigest ranges = MessageDigest.getInstance("SHA-256");
        for (long[] r : runs) {
            ranges.update(ByteBuffer.allocate(16).putLong(r[0]).putLong(r[1]).array());
        }
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        d.update("linuximage sparse-sha256-v1\n".getBytes(StandardCharsets.US_ASCII));
        d.update(ByteBuffer.allocate(8).putLong(size).array());
        d.update(dataHash);
        d.update(ranges.digest());
        return "sparse-sha256-v1:" + HexFormat.of().formatHex(d.digest());
    }
}
