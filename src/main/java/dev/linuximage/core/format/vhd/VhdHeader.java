package dev.linuximage.core.format.vhd;

import dev.linuximage.core.format.Check;
import dev.linuximage.core.format.FormatException;
import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The parsed, validated footer (and, for a dynamic disk, dynamic header and BAT) of a fixed or dynamic VHD (spec
 * v1.0). Fixed: data then footer at the end; dynamic: footer copy at 0, dynamic
 * header at the footer's data offset, BAT of big-endian sector numbers, each block a sector bitmap then data.
 * Differencing disks are refused.
 */
record VhdHeader(VhdFooter footer, String subformat, Dynamic dynamic, List<String> warnings) {
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    static final String LABEL = "vhd";
    /** At most 16 M BAT entries (64 MiB of table); QEMU caps the size at 2040 GiB anyway. */
    static final long MAX_BAT_ENTRIES = 1L << 24;

    /** True when the file ends with a VHD footer (or, for dynamic disks, begins with a footer copy). */
    public static boolean probe(ByteSource file) throws IOException {
        long n = file.size();
        if (n < VhdFooter.SIZE) {
            return false;
        }
        if (VhdFooter.hasCookie(file.readBytes(n - 512, 8), 0)) {
            return true;
        }
        // a dynamic disk always starts with a copy of the footer
        return n >= 1024 && VhdFooter.hasCookie(file.readBytes(0, 8), 0);
    }

    /**
     * Reads the footer (at the end, else its copy at 0), checks current_size, disk type and geometry, and for a dynamic
     * disk the dynamic header and BAT. Offsets in bytes.
     */
    public static VhdHeader read(ByteSource file, OpenOptions opts) throws IOException {
        long fileSize = file.size();
        Check.that(fileSize >= VhdFooter.SIZE, LABEL, "file size", fileSize, "too small for a footer");
        List<String> warnings = new ArrayList<>();
        byte[] tail = file.readBytes(fileSize - 512, 512);
        VhdFooter footer;
        if (VhdFooter.hasCookie(tail, 0)) {
            footer = VhdFooter.parse(tail);
        } else {
            // redundant copy at offset 0 (dynamic disks): read with fallback, as the spec suggests
            byte[] head = file.readBytes(0, 512);
            footer = VhdFooter.parse(head);
            warnings.add("VHD footer at end of file is missing; used the copy at offset 0");
        }
        Check.range(LABEL, "current_size", footer.currentSize(), 0, opts.maxVirtualSize());
        switch (footer.diskType()) {
            case VhdFooter.TYPE_FIXED -> {
                long dataBytes = fileSize - 512;
                Check.that(
                        footer.currentSize() <= dataBytes,
                        LABEL,
                        "current_size",
                        footer.currentSize(),
                        "larger than the " + dataBytes + " data bytes before the footer");
                if (footer.currentSize() < dataBytes) {
                    warnings.add("fixed VHD has " + (dataBytes - footer.currentSize())
                            + " bytes between the disk and the footer; ignored");
                }
                checkGeometry(footer, warnings);
                return new VhdHeader(footer, "fixed", null, List.copyOf(warnings));
            }
            case VhdFooter.TYPE_DYNAMIC -> {
                checkGeometry(footer, warnings);
                return new VhdHeader(footer, "dynamic", dynamic(file, footer), List.copyOf(warnings));
            }
            case VhdFooter.TYPE_DIFFERENCING ->
                throw new FormatException(
                        LABEL, "disk_type", 4, "differencing VHD needs its parent: merge the chain first - refused");
            default -> throw new FormatException(LABEL, "disk_type", footer.diskType(), "unknown disk type");
        }
    }

    private static void checkGeometry(VhdFooter f, List<String> warnings) {
        long chs = (long) f.cylinders() * f.heads() * f.sectorsPerTrack() * 512;
        if (chs != f.currentSize() && !(f.cylinders() == 65535 && f.heads() == 16 && f.sectorsPerTrack() == 255)) {
            warnings.add("VHD geometry " + f.cylinders() + "/" + f.heads() + "/" + f.sectorsPerTrack() + " (" + chs
                    + " bytes) differs from current_size " + f.currentSize() + "; current_size is used");
        }
    }

    /**
     * A dynamic disk's block layout: {@code bat[i]} is the sector number (512-byte units) of block {@code i}'s sector
     * bitmap, -1 when unallocated; the block's data follows its {@code bitmapBytes}-byte bitmap.
     */
    public record Dynamic(int[] bat, long blockSize, long bitmapBytes) {}

    /** The dynamic header ("cxsparse", big-endian) at the footer's data_offset and the BAT it points to. */
    private static Dynamic dynamic(ByteSource file, VhdFooter footer) throws IOException {
        long fileSize = file.size();
        long hdrOff = footer.dataOffset();
        Check.within(LABEL, "data_offset", hdrOff, 1024, fileSize);
        byte[] hb = file.readBytes(hdrOff, 1024);
        ByteBuffer b = ByteBuffer.wrap(hb).order(ByteOrder.BIG_ENDIAN);
        // magic
        String cookie = new String(hb, 0, 8, java.nio.charset.StandardCharsets.ISO_8859_1);
        Check.that(cookie.equals("cxsparse"), LABEL, "dynamic header cookie", cookie, "not a dynamic disk header");
        // version
        long version = Check.u32(b.getInt(24));
        Check.that(version == 0x00010000L, LABEL, "header_version", Long.toHexString(version), "unknown version");
        // bounds
        long tableOffset = b.getLong(16);
        long entries = Check.u32(b.getInt(28));
        long blockSize = Check.u32(b.getInt(32));
        Check.that(
                blockSize >= 512 && blockSize <= (256L << 20) && Long.bitCount(blockSize) == 1,
                LABEL,
                "block_size",
                blockSize,
                "must be a power of two between 512 bytes and 256 MiB");
        Check.range(LABEL, "max_table_entries", entries, 0, MAX_BAT_ENTRIES);
        long size = footer.currentSize();
        Check.that(
                Check.mul(LABEL, "max_table_entries", entries, blockSize) >= size,
                LABEL,
                "max_table_entries",
                entries,
                "BAT too small for current_size " + size);
        // offset + length within the file
        Check.within(LABEL, "table_offset", tableOffset, entries * 4, fileSize);
        // alignment
        Check.aligned(LABEL, "table_offset", tableOffset, 512);
        // checksum
        long sum = 0;
        for (int i = 0; i < 1024; i++) {
            if (i < 36 || i > 39) {
                sum += hb[i] & 0xFF;
            }
        }
        long stored = Check.u32(b.getInt(36));
        Check.that(
                stored == (~sum & 0xFFFFFFFFL),
                LABEL,
                "dynamic header checksum",
                Long.toHexString(stored),
                "checksum mismatch");
        long bitmapBytes = ((blockSize / 512 + 7) / 8 + 511) / 512 * 512;
        long needed = (size + blockSize - 1) / blockSize;
        int[] bat = new int[(int) needed];
        ByteBuffer t = ByteBuffer.allocate((int) needed * 4);
        file.readFully(tableOffset, t);
        t.flip();
        long batEnd = tableOffset + entries * 4;
        for (int i = 0; i < needed; i++) {
            int e = t.getInt();
            bat[i] = e;
            if (e != -1) {
                long off = Check.u32(e) * 512;
                Check.within(LABEL, "BAT[" + i + "]", off, bitmapBytes + blockSize, fileSize);
                boolean inHeader = off < hdrOff + 1024 && hdrOff < off + bitmapBytes + blockSize;
                boolean inBat = off < batEnd && tableOffset < off + bitmapBytes + blockSize;
                Check.that(
                        off >= 512 && !inHeader && !inBat,
                        LABEL,
                        "BAT[" + i + "]",
                        off,
                        "block overlaps the footer copy, dynamic header or BAT");
            }
        }
        int[] sorted =
                Arrays.stream(bat).filter(x -> x != -1).map(x -> x).sorted().toArray();
        for (int i = 1; i < sorted.length; i++) {
            Check.that(
                    sorted[i] != sorted[i - 1],
                    LABEL,
                    "BAT",
                    Check.u32(sorted[i]) * 512,
                    "two BAT entries point at the same block");
        }
        return new Dynamic(bat, blockSize, bitmapBytes);
    }
}
