package dev.linuximage.core.initramfs;

import io.airlift.compress.zstd.ZstdInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.tukaani.xz.LZMAInputStream;
import org.tukaani.xz.SingleXZInputStream;

/**
 * Reads a Linux initramfs image the way the kernel's {@code init/initramfs.c} unpacks it: a sequence of members,
 * each either a plain newc/crc cpio archive (which must start on a 4-byte boundary) or a compressed stream of cpio
 * archives (gzip, xz, zstd, LZ4 legacy, bzip2, legacy lzma), with any number of zero bytes between members.
 * Typically an uncompressed early-microcode member comes first and a compressed main member follows.
 *
 * <p>Streaming with bounded memory: decoded data is never held whole; each entry body is handed to an
 * {@link EntryHandler} as a bounded stream and skipped afterwards. Decoded bytes are capped in total and per member
 * relative to the compressed size (decompression bombs); names, entry sizes, entry and member counts, and the
 * LZMA/XZ dictionary and zstd window sizes are capped by {@link InitramfsLimits}. Any violation or corruption throws
 * {@link InitramfsException} naming the field.
 *
 * <p>Decoders: {@link java.util.zip.Inflater} (gzip, header/trailer parsed here to know the exact member end),
 * org.tukaani:xz (xz, lzma), aircompressor (zstd frames, LZ4 blocks), commons-compress (bzip2): all pure Java.
 */
public final class InitramfsReader {

    /** Receives each entry in archive order; {@code content} yields at most {@code entry.size()} bytes. */
    @FunctionalInterface
    public interface EntryHandler {
        void onEntry(CpioEntry entry, InputStream content) throws IOException;
    }

    /**
     * @param index            0-based member index
     * @param offset           byte offset of the member in the image
     * @param length           bytes of the image the member occupies (compressed size, without trailing padding)
     * @param decodedBytes     bytes after decompression
     * @param entries          cpio entries (trailers excluded)
     */
    public record Member(
            int index, long offset, long length, Compression compression, long decodedBytes, int entries) {}

    /** What was read: the members in image order. */
    public record Summary(List<Member> members, long imageBytes) {
        public long decodedBytes() {
            return members.stream().mapToLong(Member::decodedBytes).sum();
        }

        public int entries() {
            return members.stream().mapToInt(Member::entries).sum();
        }
    }

    private final InitramfsLimits limits;
    private final AtomicLong decodes = new AtomicLong();

    public InitramfsReader() {
        this(InitramfsLimits.defaults());
    }

    public InitramfsReader(InitramfsLimits limits) {
        this.limits = limits;
    }

    /**
     * How many times this reader has started decoding an image or a range of one ({@link #read}, {@link #list}):
     * each is a full decompression and cpio parse of that range. For tests and metrics (issue #14).
     */
    public long decodes() {
        return decodes.get();
    }

    /** Lists every entry (bodies skipped). Memory grows with the entry count, which is capped. */
    public List<CpioEntry> list(byte[] image) throws IOException {
        List<CpioEntry> out = new ArrayList<>();
        read(image, (e, in) -> out.add(e));
        return out;
    }

    /** Reads the whole image, calling {@code handler} for every entry of every member. */
    public Summary read(byte[] image, EntryHandler handler) throws IOException {
        return read(image, 0, image.length, handler);
    }

    /** Reads {@code image[offset, offset+length)}. */
    public Summary read(byte[] image, int offset, int length, EntryHandler handler) throws IOException {
        if (offset < 0 || length < 0 || offset > image.length - length) {
            throw new IllegalArgumentException("range outside the array");
        }
        decodes.incrementAndGet();
        int end = offset + length;
        int pos = offset;
        List<Member> members = new ArrayList<>();
        long[] totals = new long[2]; // [0] decoded bytes over all members, [1] entries
        while (pos < end) {
            if (image[pos] == 0) {
                pos++;
                continue;
            }
            if (members.size() >= limits.maxMembers()) {
                throw new InitramfsException("initramfs.members", "more than " + limits.maxMembers() + " members");
            }
            Compression c = Compression.detect(image, pos, end - pos);
            if (c == null) {
                throw new InitramfsException(
                        "initramfs.member.magic",
                        String.format(
                                "unknown member magic %s at offset %d",
                                hexBytes(image, pos, Math.min(6, end - pos)), pos));
            }
            int index = members.size();
            int[] entryCount = {0};
            CpioParser.EntryCounter counter = () -> {
                entryCount[0]++;
                if (++totals[1] > limits.maxEntries()) {
                    throw new InitramfsException("initramfs.entries", "more than " + limits.maxEntries() + " entries");
                }
            };
            long consumed;
            long decoded;
            if (c == Compression.NONE) {
                if ((pos - offset & 3) != 0) {
                    throw new InitramfsException(
                            "initramfs.member.alignment",
                            "cpio member at offset " + pos + " is not 4-byte aligned (the kernel requires it)");
                }
                SliceInput slice = new SliceInput(image, pos, end);
                CpioParser parser = new CpioParser(new PushbackInputStream(slice, 1), 0, limits, index, c, counter);
                parser.parseArchive(handler);
                consumed = slice.consumed();
                decoded = consumed;
                addTotal(totals, decoded);
            } else {
                Decoded d;
                try {
                    d = open(c, image, pos, end);
                } catch (InitramfsException e) {
                    throw e;
                } catch (IOException | RuntimeException e) {
                    throw new InitramfsException(
                            c.label() + ".header", "member " + index + " at offset " + pos + ": " + e, e);
                }
                Capped capped = new Capped(d.stream, c, d.progress, totals);
                PushbackInputStream in = new PushbackInputStream(capped, 1);
                // init/initramfs.c sets this_header = 0 before decompressing: alignment inside a compressed member
                // counts from the start of the decoded stream
                CpioParser parser = new CpioParser(in, 0, limits, index, c, counter);
                while (parser.parseArchive(handler) && parser.skipToNextArchive()) {
                    // next archive in the same compressed stream
                }
                // the decoder must be at its end: consume anything left (only zeros are legal)
                int r;
                while ((r = in.read()) >= 0) {
                    if (r != 0) {
                        throw new InitramfsException(
                                "initramfs.member",
                                "member " + index + " (" + c.label() + "): junk after the last cpio archive");
                    }
                }
                consumed = d.consumed.getAsLong();
                decoded = capped.count;
            }
            if (consumed <= 0) {
                throw new InitramfsException(
                        "initramfs.member", "member " + index + " at offset " + pos + " consumed no input");
            }
            members.add(new Member(index, pos, consumed, c, decoded, entryCount[0]));
            pos += (int) consumed;
        }
        return new Summary(Collections.unmodifiableList(members), length);
    }

    private void addTotal(long[] totals, long n) throws InitramfsException {
        totals[0] += n;
        if (totals[0] > limits.maxTotalUncompressed()) {
            throw new InitramfsException(
                    "initramfs.decoded_size", "more than " + limits.maxTotalUncompressed() + " decoded bytes");
        }
    }

    private record Decoded(InputStream stream, LongSupplier consumed, LongSupplier progress) {}

    private Decoded open(Compression c, byte[] b, int pos, int end) throws IOException {
        int dictKiB = limits.maxDictionary() / 1024;
        switch (c) {
            case GZIP -> {
                GzipMemberInput g = new GzipMemberInput(b, pos, end);
                return new Decoded(g, g::consumed, g::progress);
            }
            case XZ -> {
                SliceInput s = new SliceInput(b, pos, end);
                return new Decoded(new SingleXZInputStream(s, dictKiB), s::consumed, s::consumed);
            }
            case LZMA -> {
                SliceInput s = new SliceInput(b, pos, end);
                return new Decoded(new LZMAInputStream(s, dictKiB), s::consumed, s::consumed);
            }
            case BZIP2 -> {
                SliceInput s = new SliceInput(b, pos, end);
                return new Decoded(new BZip2CompressorInputStream(s, false), s::consumed, s::consumed);
            }
            case LZ4_LEGACY -> {
                Lz4LegacyInput l = new Lz4LegacyInput(b, pos, end);
                return new Decoded(l, l::consumed, l::consumed);
            }
            case ZSTD -> {
                List<ZstdFrames.Frame> frames = ZstdFrames.scan(b, pos, end, limits.maxDictionary());
                List<InputStream> parts = new ArrayList<>();
                for (ZstdFrames.Frame f : frames) {
                    if (!f.skippable()) {
                        parts.add(new LazyZstd(b, f.offset(), f.offset() + f.length()));
                    }
                }
                ZstdFrames.Frame last = frames.get(frames.size() - 1);
                long total = (long) last.offset() + last.length() - pos;
                Enumeration<InputStream> en = Collections.enumeration(parts);
                return new Decoded(new SequenceInputStream(en), () -> total, () -> total);
            }
            case LZO ->
                throw new InitramfsException(
                        "initramfs.member.compression",
                        "lzo-compressed member at offset " + pos + " is not supported (no pure-Java decoder)");
            default -> throw new IllegalStateException(c.name());
        }
    }

    /** Opens the zstd decoder for one frame only when the sequence reaches it. */
    private static final class LazyZstd extends InputStream {
        private final byte[] b;
        private final int start;
        private final int end;
        private InputStream in;

        LazyZstd(byte[] b, int start, int end) {
            this.b = b;
            this.start = start;
            this.end = end;
        }

        private InputStream in() {
            if (in == null) {
                in = new ZstdInputStream(new SliceInput(b, start, end));
            }
            return in;
        }

        @Override
        public int read() throws IOException {
            return in().read();
        }

        @Override
        public int read(byte[] dst, int off, int len) throws IOException {
            return in().read(dst, off, len);
        }
    }

    /**
     * Counts decoded bytes against the total and ratio caps and turns decoder failures (of any exception type the
     * libraries throw on corrupt input) into {@link InitramfsException}.
     */
    private final class Capped extends InputStream {
        private final InputStream in;
        private final Compression c;
        private final LongSupplier compressed;
        private final long[] totals;
        long count;

        Capped(InputStream in, Compression c, LongSupplier compressed, long[] totals) {
            this.in = in;
            this.c = c;
            this.compressed = compressed;
            this.totals = totals;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int r = read(one, 0, 1);
            return r < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] dst, int off, int len) throws IOException {
            int r;
            try {
                r = in.read(dst, off, len);
            } catch (InitramfsException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new InitramfsException(c.label() + ".data", "corrupt " + c.label() + " data: " + e, e);
            }
            if (r > 0) {
                count += r;
                addTotal(totals, r);
                if (count > limits.ratioGrace() && count / Math.max(1, compressed.getAsLong()) > limits.maxRatio()) {
                    throw new InitramfsException(
                            c.label() + ".ratio",
                            "member expands more than " + limits.maxRatio() + " times its compressed size (" + count
                                    + " decoded)");
                }
            }
            return r;
        }
    }

    private static String hexBytes(byte[] b, int off, int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = off; i < off + len; i++) {
            sb.append(String.format("%02x", b[i] & 0xff));
        }
        return sb.toString();
    }

    /** One line of a listing: {@code member compression type+mode size path [-> target]}. */
    public static String format(CpioEntry e) {
        return String.format(
                "%d %s %c%04o %d %s%s",
                e.member(),
                e.compression().label(),
                e.typeLetter(),
                e.mode() & 07777,
                e.size(),
                e.path().isEmpty() ? "." : e.path(),
                e.linkTarget() != null ? " -> " + e.linkTarget() : "");
    }
}
