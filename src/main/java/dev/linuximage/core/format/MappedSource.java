package dev.linuximage.core.format;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.Extent;
import dev.linuximage.core.io.ExtentMerger;
import dev.linuximage.core.io.ExtentVisitor;
import dev.linuximage.core.io.ZeroScan;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

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
    private final Map<Long, byte[]> clusterCache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, byte[]> e) {
            return size() > 32;
        }
    };

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

    private byte[] cluster(Run r) throws IOException {
        synchronized (clusterCache) {
            byte[] c = clusterCache.get(r.fileOffset);
            if (c != null) {
                return c;
            }
        }
        Check.within(format, "compressed cluster", r.fileOffset, r.compressedLength, file.size());
        if (r.compressedLength > 2L * r.clusterSize + 4096) {
            throw new FormatException(format, "compressed length", r.compressedLength,
                    "larger than twice the cluster size " + r.clusterSize);
        }
        byte[] comp = file.readBytes(r.fileOffset, (int) r.compressedLength);
        byte[] c = decompress(r, comp);
        if (c.length != r.clusterSize) {
            throw new FormatException(format, "compressed cluster", r.fileOffset,
                    "decompressed to " + c.length + " bytes instead of " + r.clusterSize);
        }
        synchronized (clusterCache) {
            clusterCache.put(r.fileOffset, c);
        }
        return c;
    }

    @Override
    public void extents(long offset, long length, ExtentVisitor visitor) throws IOException {
        long start = Math.max(0, offset);
        long end = Math.min(size, offset + length);
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
    protected static byte[] inflate(String format, long where, byte[] comp, int off, int len, int outLen,
                                    boolean nowrap, boolean exact) {
        java.util.zip.Inflater inf = (nowrap ? RAW_INFLATER : ZLIB_INFLATER).get();
        inf.reset();
        try {
            inf.setInput(comp, off, len);
            byte[] out = new byte[outLen];
            int n = 0;
            while (n < outLen && !inf.finished()) {
                int k = inf.inflate(out, n, outLen - n);
                if (k == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    break;
                }
                n += k;
            }
            if (exact ? n != outLen : (!inf.finished() && n < outLen)) {
                throw new FormatException(format, "compressed cluster", where,
                        "inflated to " + n + " bytes instead of " + outLen);
            }
            return out;
        } catch (java.util.zip.DataFormatException e) {
            throw new FormatException(format, "compressed cluster", where, "corrupt deflate data: " + e.getMessage());
        }
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
