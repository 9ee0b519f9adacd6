package dev.linuximage.testsupport;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.Extent;
import dev.linuximage.core.io.ExtentVisitor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Test images: a fixed VHD (N MiB of data + a valid 512-byte footer) whose non-zero content is a set of random
 * chunks, held sparsely in memory ({@link #source()}, which reports real ZERO extents and fails any read of one) or
 * written as a sparse file ({@link #writeTo(Path)}).
 */
public final class TestVhds {
    public static final long MIB = 1024 * 1024;

    private final long dataSize;
    private final TreeMap<Long, byte[]> chunks = new TreeMap<>();
    private final byte[] footer;

    private TestVhds(long dataSize) {
        this.dataSize = dataSize;
        this.footer = footer(dataSize);
    }

    /** An all-zero disk of {@code mib} MiB. */
    public static TestVhds zero(long mib) {
        return new TestVhds(mib * MIB);
    }

    /**
     * Random chunks covering about {@code fraction} of {@code mib} MiB: chunk lengths 4 KiB..{@code maxChunk}, at
     * 4 KiB-aligned random offsets, non-overlapping; within each chunk some 512-byte pages are zero (a DATA extent
     * holding zero pages).
     */
    public static TestVhds random(long mib, double fraction, int maxChunk, long seed) {
        TestVhds t = new TestVhds(mib * MIB);
        Random r = new Random(seed);
        long target = (long) (mib * MIB * fraction);
        long have = 0;
        int guard = 0;
        while (have < target && guard++ < 1_000_000) {
            int len = 4096 * (1 + r.nextInt(Math.max(1, maxChunk / 4096)));
            long off = 4096L * (long) (r.nextDouble() * ((t.dataSize - len) / 4096));
            Map.Entry<Long, byte[]> before = t.chunks.floorEntry(off + len);
            if (before != null && before.getKey() + before.getValue().length + 4096 > off) {
                continue; // overlapping or adjacent: keep a gap so chunk boundaries are visible
            }
            byte[] b = new byte[len];
            r.nextBytes(b);
            if (len >= 8192 && r.nextInt(3) == 0) {
                int zp = r.nextInt(len / 512);
                java.util.Arrays.fill(b, zp * 512, zp * 512 + 512, (byte) 0);
            }
            t.chunks.put(off, b);
            have += len;
        }
        return t;
    }

    /** Puts explicit bytes at {@code offset} (must not overlap other chunks). */
    public TestVhds with(long offset, byte[] data) {
        chunks.put(offset, data);
        return this;
    }

    public long size() {
        return dataSize + 512;
    }

    public byte[] footer() {
        return footer.clone();
    }

    /** A VHD footer for a fixed disk of {@code size} bytes: conectix, fixed type, sizes, unique id, checksum. */
    public static byte[] footer(long size) {
        ByteBuffer f = ByteBuffer.allocate(512);
        f.put("conectix".getBytes(StandardCharsets.ISO_8859_1));
        f.putInt(8, 2);
        f.putInt(12, 0x00010000);
        f.putLong(16, -1L);
        f.putInt(24, 0x2ea0c000);
        f.put(28, "qemu".getBytes(StandardCharsets.ISO_8859_1));
        f.putInt(32, 0x00050003);
        f.putInt(36, 0x5769326b);
        f.putLong(40, size);
        f.putLong(48, size);
        f.putInt(56, 0xffff10ff);
        f.putInt(60, 2);
        new Random(size).nextBytes(new byte[0]);
        byte[] uid = new byte[16];
        new Random(size * 31 + 7).nextBytes(uid);
        f.position(68);
        f.put(uid);
        int sum = 0;
        for (byte b : f.array()) {
            sum += b & 0xff;
        }
        f.putInt(64, ~sum);
        return f.array();
    }

    /** The merged non-zero 512-byte page ranges of the image (footer included), as [start, end) pairs. */
    public List<long[]> nonZeroRanges() {
        List<long[]> out = new ArrayList<>();
        for (Map.Entry<Long, byte[]> e : chunks.entrySet()) {
            byte[] b = e.getValue();
            for (int p = 0; p < b.length; p += 512) {
                boolean zero = true;
                for (int i = p; i < Math.min(b.length, p + 512); i++) {
                    if (b[i] != 0) {
                        zero = false;
                        break;
                    }
                }
                if (!zero) {
                    add(out, e.getKey() + p, e.getKey() + p + 512);
                }
            }
        }
        add(out, dataSize, dataSize + 512);
        return out;
    }

    private static void add(List<long[]> out, long s, long e) {
        if (!out.isEmpty() && out.get(out.size() - 1)[1] == s) {
            out.get(out.size() - 1)[1] = e;
        } else {
            out.add(new long[] {s, e});
        }
    }

    public long nonZeroBytes() {
        return nonZeroRanges().stream().mapToLong(r -> r[1] - r[0]).sum();
    }

    /** The image's digest by the naive reference implementation ({@link ReferenceDigest}). */
    public String sparseDigest() throws Exception {
        return ReferenceDigest.of(size(), nonZeroRanges(), this::bytesAt);
    }

    /** The image's bytes {@code [offset, offset + len)}, zeros included, from the chunks and the footer. */
    public byte[] bytesAt(long offset, int len) {
        byte[] out = new byte[len];
        for (Map.Entry<Long, byte[]> e : chunks.entrySet()) {
            copyOverlap(e.getKey(), e.getValue(), offset, out);
        }
        copyOverlap(dataSize, footer, offset, out);
        return out;
    }

    private static void copyOverlap(long at, byte[] src, long offset, byte[] out) {
        long s = Math.max(at, offset);
        long e = Math.min(at + src.length, offset + out.length);
        if (s < e) {
            System.arraycopy(src, (int) (s - at), out, (int) (s - offset), (int) (e - s));
        }
    }

    /** SHA-256 of the whole image (zeros included), hex. */
    public String sha256() throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            ByteSource s = source();
            long pos = 0;
            byte[] zeros = new byte[1 << 20];
            for (Map.Entry<Long, byte[]> e : chunks.entrySet()) {
                for (long z = e.getKey() - pos; z > 0; ) {
                    int n = (int) Math.min(z, zeros.length);
                    sha.update(zeros, 0, n);
                    z -= n;
                }
                sha.update(e.getValue());
                pos = e.getKey() + e.getValue().length;
            }
            for (long z = dataSize - pos; z > 0; ) {
                int n = (int) Math.min(z, zeros.length);
                sha.update(zeros, 0, n);
                z -= n;
            }
            sha.update(footer);
            s.close();
            return HexFormat.of().formatHex(sha.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the image as a sparse file. */
    public Path writeTo(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(0);
            f.setLength(size());
            for (Map.Entry<Long, byte[]> e : chunks.entrySet()) {
                f.seek(e.getKey());
                f.write(e.getValue());
            }
            f.seek(dataSize);
            f.write(footer);
        }
        return file;
    }

    /**
     * A sparse in-memory source: DATA extents are the chunks and the footer, ZERO extents everything else. Reading
     * any byte of a ZERO extent throws: the uploader must never read them.
     */
    public ByteSource source() {
        return new ByteSource() {
            @Override
            public long size() {
                return TestVhds.this.size();
            }

            @Override
            public int read(long offset, ByteBuffer dst) throws IOException {
                if (offset >= size()) {
                    return -1;
                }
                int n = (int) Math.min(dst.remaining(), size() - offset);
                for (int i = 0; i < n; i++) {
                    long o = offset + i;
                    if (o >= dataSize) {
                        dst.put(footer[(int) (o - dataSize)]);
                        continue;
                    }
                    Map.Entry<Long, byte[]> e = chunks.floorEntry(o);
                    if (e == null || o >= e.getKey() + e.getValue().length) {
                        throw new AssertionError("read of a ZERO extent at offset " + o);
                    }
                    int at = (int) (o - e.getKey());
                    int k = Math.min(n - i, e.getValue().length - at);
                    dst.put(e.getValue(), at, k);
                    i += k - 1;
                }
                return n;
            }

            @Override
            public void extents(long offset, long length, ExtentVisitor v) throws IOException {
                long end = Math.min(size(), offset + length);
                long pos = Math.max(0, offset);
                List<Extent> all = new ArrayList<>();
                long p = 0;
                for (Map.Entry<Long, byte[]> e : chunks.entrySet()) {
                    if (e.getKey() > p) {
                        all.add(new Extent(p, e.getKey() - p, Extent.Kind.ZERO));
                    }
                    all.add(new Extent(e.getKey(), e.getValue().length, Extent.Kind.DATA));
                    p = e.getKey() + e.getValue().length;
                }
                if (dataSize > p) {
                    all.add(new Extent(p, dataSize - p, Extent.Kind.ZERO));
                }
                all.add(new Extent(dataSize, 512, Extent.Kind.DATA));
                for (Extent x : all) {
                    long s = Math.max(x.offset(), pos);
                    long e = Math.min(x.end(), end);
                    if (s < e) {
                        v.visit(new Extent(s, e - s, x.kind()));
                    }
                }
            }
        };
    }
}
