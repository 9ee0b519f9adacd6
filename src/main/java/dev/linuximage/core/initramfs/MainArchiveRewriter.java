package dev.linuximage.core.initramfs;

import io.airlift.compress.lz4.Lz4Compressor;
import io.airlift.compress.zstd.ZstdOutputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZ;
import org.tukaani.xz.XZOutputStream;

/**
 * Rewrites the main (compressed) archive of an initramfs so that files added to it are seen by the distributions'
 * listing tools, which read the uncompressed early archives and then exactly one compressed archive: Debian's
 * {@code unmkinitramfs}/{@code lsinitramfs} ({@code splitinitramfs} skips the cpio archives that start with
 * {@code 070701}, then decompresses the rest as one stream) and dracut's {@code lsinitrd} ({@code skipcpio}, then
 * one decompressor). A member appended after the main archive is unpacked by the kernel but listed by neither.
 *
 * <p>Layout kept: every member before the main one (the early microcode/ACPI cpio archives, dracut's
 * {@code early_cpio}) and the padding up to the main member stay byte-identical. The main member is decoded and its
 * entries streamed, in order and with their stored headers, into one new newc archive: entries listed in
 * {@code replace} get the new body in place (same position, name, inode, mode, owner, mtime), the {@code add}
 * entries follow at the end (their inode numbers above every copied one), then one {@code TRAILER!!!}. It is
 * compressed with the member's own compression when an encoder is available (gzip: JDK; xz: org.tukaani xz with the
 * kernel's CRC32 check and a 1 MiB dictionary, as {@code Documentation/staging/xz.rst} and dracut use; zstd:
 * aircompressor; LZ4 legacy: aircompressor blocks in the legacy frame with 8 MiB chunks, as {@code lz4 -l} and the
 * kernel's {@code unlz4} use; bzip2: commons-compress), otherwise with gzip ({@code CONFIG_RD_GZIP} is on in every
 * distribution kernel). Memory: the image and the new compressed member, plus one entry buffer; decoded data is
 * streamed under the reader's {@link InitramfsLimits}.
 */
final class MainArchiveRewriter {
    /** A new entry: a directory ({@code content == null}) or a regular file, mode 0755/0644, appended in order. */
    record Add(String path, byte[] content) {
        boolean directory() {
            return content == null;
        }
    }

    /**
     * @param image        the new initramfs
     * @param compression  compression of the new main member
     * @param replacedInPlace paths whose entry got the new body in place (the other {@code replace} files were added)
     */
    record Result(byte[] image, Compression compression, Set<String> replacedInPlace) {}

    private MainArchiveRewriter() {}

    /**
     * Why the image cannot be rewritten this way, or null when it can: it must be zero or more uncompressed members
     * followed by exactly one compressed member, the last one.
     */
    static String layoutProblem(InitramfsReader.Summary s) {
        List<InitramfsReader.Member> m = s.members();
        if (m.isEmpty()) {
            return "the image has no archive";
        }
        InitramfsReader.Member last = m.get(m.size() - 1);
        if (last.compression() == Compression.NONE) {
            return "the image has no compressed main archive (all " + m.size() + " members are plain cpio)";
        }
        for (int i = 0; i < m.size() - 1; i++) {
            if (m.get(i).compression() != Compression.NONE) {
                return "member " + i + " (" + m.get(i).compression().label() + ") is followed by member " + (i + 1)
                        + ": more than one compressed archive, the listing tools read only the first";
            }
        }
        return null;
    }

    /** The compression the rewritten main member gets for a main member compressed with {@code c}. */
    static Compression encoding(Compression c) {
        return switch (c) {
            case GZIP, XZ, ZSTD, LZ4_LEGACY, BZIP2 -> c;
            default -> Compression.GZIP;
        };
    }

    /**
     * @param main    the last member of {@code image} ({@link #layoutProblem} returned null)
     * @param replace normalised path to new body; applied to every regular-file entry of the main member with that
     *                path; a path not found there is added at the end
     * @param add     new directories and files, appended in order after the copied entries
     */
    static Result rewrite(
            byte[] image,
            InitramfsReader reader,
            InitramfsReader.Member main,
            Map<String, byte[]> replace,
            List<Add> add)
            throws IOException {
        Compression enc = encoding(main.compression());
        ByteArrayOutputStream buf = new ByteArrayOutputStream(
                (int) Math.min(Integer.MAX_VALUE - 16, main.offset() + main.length() + (1 << 20)));
        buf.write(image, 0, (int) main.offset());
        Set<String> replaced = new HashSet<>();
        long[] maxIno = {0};
        // closing the buffered stream closes (finishes) the encoder exactly once
        try (OutputStream bo = new BufferedOutputStream(encoder(enc, new NonClosing(buf)), 256 << 10)) {
            CpioWriter w = new CpioWriter(bo);
            reader.read(image, (int) main.offset(), (int) main.length(), (e, in) -> {
                maxIno[0] = Math.max(maxIno[0], e.ino());
                byte[] body = e.isRegular() ? replace.get(e.path()) : null;
                if (body != null) {
                    w.replace(e, body);
                    replaced.add(e.path());
                } else {
                    w.copy(e, in);
                }
            });
            w.startInodesAt(maxIno[0] + 1);
            for (Add a : add) {
                if (a.directory()) {
                    w.directory(a.path(), 0755);
                } else if (!replaced.contains(a.path())) {
                    w.file(a.path(), 0644, a.content());
                }
            }
            for (Map.Entry<String, byte[]> r : replace.entrySet()) {
                if (!replaced.contains(r.getKey())
                        && add.stream().noneMatch(a -> a.path().equals(r.getKey()))) {
                    w.file(r.getKey(), 0644, r.getValue());
                }
            }
            w.finish();
        }
        return new Result(buf.toByteArray(), enc, replaced);
    }

    /** An encoder for {@code c} writing one complete member to {@code out} when closed. */
    static OutputStream encoder(Compression c, OutputStream out) throws IOException {
        return switch (c) {
            // level 6 (zlib's default), not the generators' -9: on a real 127 MiB dracut archive (mostly modules and
            // binaries) -9 took 132 s and -6 16 s (gzip 1.12 CLI, shared 2-core machine) for a 0.1 % larger result
            case GZIP -> new GZIPOutputStream(out, 64 << 10);
            case XZ -> {
                LZMA2Options o = new LZMA2Options(6);
                o.setDictSize(1 << 20);
                yield new XZOutputStream(out, o, XZ.CHECK_CRC32);
            }
            case ZSTD -> new ZstdOutputStream(out);
            case LZ4_LEGACY -> new Lz4LegacyOutput(out);
            case BZIP2 -> new BZip2CompressorOutputStream(out, 9);
            default -> throw new IllegalArgumentException("no encoder for " + c.label());
        };
    }

    /**
     * The LZ4 legacy frame ({@code lz4 -l}): magic {@code 0x184C2102} little-endian, then blocks of 4-byte
     * little-endian compressed size and an LZ4 block holding 8 MiB of data (the last one less), the chunk size the
     * kernel's {@code lib/decompress_unlz4.c} decodes into.
     */
    static final class Lz4LegacyOutput extends OutputStream {
        static final int CHUNK = 8 << 20;
        private final OutputStream out;
        private final Lz4Compressor lz4 = new Lz4Compressor();
        private final byte[] chunk = new byte[CHUNK];
        private byte[] block;
        private int fill;
        private boolean closed;

        Lz4LegacyOutput(OutputStream out) throws IOException {
            this.out = out;
            out.write(new byte[] {0x02, 0x21, 0x4c, 0x18});
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, CHUNK - fill);
                System.arraycopy(b, off, chunk, fill, n);
                fill += n;
                off += n;
                len -= n;
                if (fill == CHUNK) {
                    flushChunk();
                }
            }
        }

        private void flushChunk() throws IOException {
            if (fill == 0) {
                return;
            }
            if (block == null) {
                block = new byte[lz4.maxCompressedLength(CHUNK)];
            }
            int n = lz4.compress(chunk, 0, fill, block, 0, block.length);
            out.write(new byte[] {(byte) n, (byte) (n >>> 8), (byte) (n >>> 16), (byte) (n >>> 24)});
            out.write(block, 0, n);
            fill = 0;
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                flushChunk();
                out.close();
            }
        }
    }

    /** Keeps the target open (and readable) when the encoder closes it. */
    private static final class NonClosing extends OutputStream {
        private final OutputStream out;

        NonClosing(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }
    }
}
