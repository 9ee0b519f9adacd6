package dev.linuximage.core.format;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.Extent;
import dev.linuximage.core.io.ExtentMerger;
import dev.linuximage.core.io.ExtentVisitor;
import dev.linuximage.core.io.ZeroScan;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The guest view of a block-mapped container (qcow2, dynamic VHD, VHDX, sparse VMDK, VDI). A subclass maps a
 * virtual offset to a {@link Run}: zeros, plain data at a file offset, or a compressed cluster. Reads coalesce runs
 * that are contiguous in the file into one positional read; decompressed clusters are kept in a small LRU cache.
 * Offsets in bytes. Thread-safe if the subclass's {@link #map} is.
 */
public abstract class MappedSource implements ByteSource {
    protected static final int ZERO = 0;
    protected static final int DATA = 1;
    protected static final int COMPRESSED = 2;

    /** One mapping answer: {@code length} bytes from the asked virtual offset. */
    protected static final class Run {
        public int kind;
        public long length;
        /** DATA: file offset of the first byte. COMPRESSED: file offset of the compressed cluster. */
        public long fileOffset;
        /** COMPRESSED: bytes of compressed data to read. */
        public long compressedLength;
        /** COMPRESSED: offset of the asked byte within the decompressed cluster. */
        public int within;
        /** COMPRESSED: decompressed cluster size in bytes. */
        public int clusterSize;
        /** COMPRESSED: virtual offset of the first byte of the cluster. */
        public long clusterStart;

        public Run zero(long len) {
            kind = ZERO;
            length = len;
            return this;
        }

        public Run data(long off, long len) {
            kind = DATA;
            fileOffset = off;
            length = len;
            return this;
        }
    }

    protected final String format;
    protected final ByteSource file;
    protected final long size;
    private final OffsetCache<byte[]> clusterCache = new OffsetCache<>(32);

    /** Per reading thread: the compressed bytes of one cluster (at most 2 clusters + 4 KiB, see checkCompressed). */
    private final ThreadLocal<byte[]> compressedBuffer = ThreadLocal.withInitial(() -> new byte[0]);

    protected MappedSource(String format, ByteSource file, long size) {
        this.format = format;
        this.file = file;
        this.size = size;
    }

    /**
     * Maps virtual offset {@code vOffset} ({@code 0 <= vOffset < size}) and fills {@code r} with a run of at most
     * {@code maxLen} bytes (at least 1). Must validate every file offset it returns against the file size.
     */
    protected abstract void map(long vOffset, long maxLen, Run r) throws IOException;

    /** Decompresses the cluster described by {@code r} into exactly {@code r.clusterSize} bytes. */
    protected byte[] decompress(Run r, byte[] compressed) throws IOException {
        throw new FormatException(format, "cluster", r.fileOffset, "compressed clusters are not expected here");
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
        if (offset >= size) {
            return -1;
        }
        int want = (int) Math.min(dst.remaining(), size - offset);
        long pos = offset;
        long end = offset + want;
        Run r = new Run();
        Run next = new Run();
        while (pos < end) {
            map(pos, end - pos, r);
            long len = Math.min(r.length, end - pos);
            if (len <= 0) {
                throw new IllegalStateException(format + " mapper returned an empty run at " + pos);
            }
            switch (r.kind) {
                case ZERO -> ZeroScan.fillZero(dst, (int) len);
                case DATA -> {
                    // coalesce runs that continue in the file, for large sequential reads
                    while (pos + len < end) {
                        map(pos + len, end - pos - len, next);
                        if (next.kind != DATA || next.fileOffset != r.fileOffset + len) {
                            break;
                        }
                        len += Math.min(next.length, end - pos - len);
                    }
                    ByteBuffer view = dst.slice().limit((int) len);
                    Check.within(format, "data offset", r.fileOffset, len, file.size());
                    file.readFully(r.fileOffset, view);
                    dst.position(dst.position() + (int) len);
                }
                case COMPRESSED -> {
                    if (r.within == 0 && len == r.clusterSize) {
                        // a whole cluster (the sequential case: convert, upload): decompress straight into the
                        // caller's buffer from a reused per-thread buffer; no allocation, no cache, no extra copy
                        ByteBuffer out = dst.slice().limit((int) len);
                        wholeCluster(r, out);
                        dst.position(dst.position() + (int) len);
                        break;
                    }
                    byte[] cluster = cluster(r);
                    int n = (int) Math.min(len, cluster.length - r.within);
                    dst.put(cluster, r.within, n);
                    len = n;
                }
                default -> throw new IllegalStateException("bad run kind " + r.kind);
            }
            pos += len;
        }
        return want;
    }

    private void wholeCluster(Run r, ByteBuffer out) throws IOException {
        checkCompressed(r);
        int n = (int) r.compressedLength;
        byte[] comp = compressedBuffer.get();
        if (comp.length < n) {
            comp = new byte[n];
            compressedBuffer.set(comp);
        }
        file.readFully(r.fileOffset, ByteBuffer.wrap(comp, 0, n));
        decompressInto(r, comp, n, out);
        if (out.hasRemaining()) {
            throw new FormatException(
                    format,
                    "compressed cluster",
                    r.fileOffset,
                    "decompressed to " + out.position() + " bytes instead of " + r.clusterSize);
        }
    }

    /**
     * The calling thread's buffer for compressed bytes, grown to at least {@code n} bytes keeping its first
     * {@code keep} bytes ({@code current} must be the array passed to {@link #decompressInto}). {@code n} must be
     * checked against the format's bounds by the caller.
     */
    protected final byte[] compressedBuffer(byte[] current, int keep, int n) {
        if (current.length >= n) {
            return current;
        }
        byte[] b = java.util.Arrays.copyOf(current, Math.max(n, keep));
        compressedBuffer.set(b);
        return b;
    }

    private void checkCompressed(Run r) throws FormatException {
        Check.within(format, "compressed cluster", r.fileOffset, r.compressedLength, file.size());
        if (r.compressedLength > 2L * r.clusterSize + 4096) {
            throw new FormatException(
                    format,
                    "compressed length",
                    r.compressedLength,
                    "larger than twice the cluster size " + r.clusterSize);
        }
    }

    /**
     * Decompresses the cluster described by {@code r} into {@code out}, which has exactly {@code r.clusterSize}
     * bytes remaining; {@code comp[0, compLen)} holds the {@code r.compressedLength} bytes at {@code r.fileOffset}.
     * The default goes through {@link #decompress}; formats on the hot path override it to avoid the allocation.
     */
    protected void decompressInto(Run r, byte[] comp, int compLen, ByteBuffer out) throws IOException {
        byte[] c = decompress(r, java.util.Arrays.copyOf(comp, compLen));
        if (c.length != out.remaining()) {
            throw new FormatException(
                    format,
                    "compressed cluster",
                    r.fileOffset,
                    "decompressed to " + c.length + " bytes instead of " + r.clusterSize);
        }
        out.put(c);
    }

    private byte[] cluster(Run r) throws IOException {
        return clusterCache.get(r.fileOffset, off -> {
            checkCompressed(r);
            byte[] comp = file.readBytes(off, (int) r.compressedLength);
            byte[] c = decompress(r, comp);
            if (c.length != r.clusterSize) {
                throw new FormatException(
                        format,
                        "compressed cluster",
                        off,
                        "decompressed to " + c.length + " bytes instead of " + r.clusterSize);
            }
            return c;
        });
    }

    @Override
    public void extents(long offset, long length, ExtentVisitor visitor) throws IOException {
        ByteSource.Range range = ByteSource.clip(offset, length, size);
        long start = range.start();
        long end = range.end();
        ExtentMerger merger = new ExtentMerger(visitor);
        Run r = new Run();
        long pos = start;
        while (pos < end) {
            map(pos, end - pos, r);
            long len = Math.min(r.length, end - pos);
            if (len <= 0) {
                throw new IllegalStateException(format + " mapper returned an empty run at " + pos);
            }
            merger.add(pos, len, r.kind == ZERO ? Extent.Kind.ZERO : Extent.Kind.DATA);
            pos += len;
        }
        merger.finish();
    }

    private static final ThreadLocal<java.util.zip.Inflater> RAW_INFLATER =
            ThreadLocal.withInitial(() -> new java.util.zip.Inflater(true));
    private static final ThreadLocal<java.util.zip.Inflater> ZLIB_INFLATER =
            ThreadLocal.withInitial(() -> new java.util.zip.Inflater(false));

    /**
     * Inflates {@code len} bytes of {@code comp} from {@code off} with the JDK's zlib ({@code nowrap}: raw deflate)
     * into at most {@code outLen} bytes. One reusable inflater per thread (no per-cluster native allocation).
     *
     * @param exact require exactly {@code outLen} bytes (qcow2); otherwise a shorter stream is zero-padded (the last
     *              grain of a streamOptimized VMDK)
     */
    protected static byte[] inflate(
            String format, long where, byte[] comp, int off, int len, int outLen, boolean nowrap, boolean exact)
            throws FormatException {
        byte[] out = new byte[outLen];
        inflateInto(format, where, comp, off, len, ByteBuffer.wrap(out), nowrap, exact);
        return out;
    }

    /**
     * Like {@link #inflate} but into the remaining bytes of {@code out} (heap or direct), which it fills completely:
     * exactly with inflated data if {@code exact}, otherwise a shorter stream is followed by zeros.
     */
    protected static void inflateInto(
            String format, long where, byte[] comp, int off, int len, ByteBuffer out, boolean nowrap, boolean exact)
            throws FormatException {
        java.util.zip.Inflater inf = (nowrap ? RAW_INFLATER : ZLIB_INFLATER).get();
        inf.reset();
        int outLen = out.remaining();
        int start = out.position();
        try {
            inf.setInput(comp, off, len);
            while (out.hasRemaining() && !inf.finished()) {
                int k = inf.inflate(out);
                if (k == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    break;
                }
            }
            int n = out.position() - start;
            if (exact ? n != outLen : (!inf.finished() && n < outLen)) {
                throw new FormatException(
                        format, "compressed cluster", where, "inflated to " + n + " bytes instead of " + outLen);
            }
            if (out.hasRemaining()) {
                ZeroScan.fillZero(out, out.remaining());
            }
        } catch (java.util.zip.DataFormatException e) {
            throw new FormatException(format, "compressed cluster", where, "corrupt deflate data: " + e.getMessage());
        }
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
