package dev.linuximage.core.format.vhdx;

import dev.linuximage.core.format.Check;
import dev.linuximage.core.format.FormatException;
import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The parsed, validated VHDX ([MS-VHDX] v1.0) headers, metadata and BAT: file identifier, the two headers (current =
 * valid CRC-32C with the higher sequence number, §2.2.2.1), region table (§2.2.3), metadata region (§2.6: file
 * parameters, virtual disk size, logical sector size) and BAT (§2.5, payload entries interleaved with sector-bitmap
 * entries every chunk ratio). All fields little-endian. A non-empty log (log GUID set: the file needs a log replay)
 * and differencing disks are refused.
 */
record VhdxHeader(boolean leaveAllocated, long size, long blockSize, long[] blocks, List<String> warnings) {
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    static final String LABEL = "vhdx";

    static final long KIB64 = 64 * 1024;
    static final long MIB = 1 << 20;
    static final UUID BAT_GUID = UUID.fromString("2DC27766-F623-4200-9D64-115E9BFD4A08");
    static final UUID METADATA_GUID = UUID.fromString("8B7CA206-4790-4B9A-B8FE-575F050F886E");
    static final UUID FILE_PARAMETERS = UUID.fromString("CAA16737-FA36-4D43-B3B6-33F0AA44E76B");
    static final UUID VIRTUAL_DISK_SIZE = UUID.fromString("2FA54224-CD1B-4876-B211-5DBED83BF4B8");
    static final UUID PAGE83 = UUID.fromString("BECA12AB-B2E6-4523-93EF-C309E000C746");
    static final UUID LOGICAL_SECTOR = UUID.fromString("8141BF1D-A96F-4709-BA47-F233A8FAAB5F");
    static final UUID PHYSICAL_SECTOR = UUID.fromString("CDA348C7-445D-4471-9CC9-E9885251C556");
    static final UUID PARENT_LOCATOR = UUID.fromString("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");
    static final long MAX_BAT_ENTRIES = 1L << 24;

    public static boolean probe(byte[] head) {
        return head.length >= 8 && new String(head, 0, 8, StandardCharsets.ISO_8859_1).equals("vhdxfile");
    }

    /** GUIDs are stored with their first three fields little-endian ([MS-DTYP] GUID). */
    static UUID guid(ByteBuffer b, int off) {
        ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long d1 = le.getInt(off) & 0xFFFFFFFFL;
        long d2 = le.getShort(off + 4) & 0xFFFFL;
        long d3 = le.getShort(off + 6) & 0xFFFFL;
        long hi = (d1 << 32) | (d2 << 16) | d3;
        long lo = b.duplicate().order(ByteOrder.BIG_ENDIAN).getLong(off + 8);
        return new UUID(hi, lo);
    }

    static int crc32c(byte[] b, int checksumAt) {
        byte[] c = b.clone();
        Arrays.fill(c, checksumAt, checksumAt + 4, (byte) 0);
        CRC32C crc = new CRC32C();
        crc.update(c);
        return (int) crc.getValue();
    }

    record Copy(long sequence, UUID logGuid, int version, long logLength, long logOffset) {}

    private static Copy header(ByteSource file, long at) throws IOException {
        byte[] h = file.readBytes(at, 4096);
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        if (!new String(h, 0, 4, StandardCharsets.ISO_8859_1).equals("head")) {
            return null;
        }
        if (crc32c(h, 4) != b.getInt(4)) {
            return null;
        }
        return new Copy(b.getLong(8), guid(b, 48), b.getShort(66) & 0xFFFF, b.getInt(68) & 0xFFFFFFFFL, b.getLong(72));
    }

    /**
     * Reads and checks the file in the order magic, headers (CRC-32C), version, region table, metadata, BAT.
     * Offsets in bytes; all fields little-endian.
     */
    public static VhdxHeader read(ByteSource file, OpenOptions opts) throws IOException {
        long fileSize = file.size();
        // 1. magic: file type identifier
        Check.that(fileSize >= 4 * KIB64 + KIB64, LABEL, "file size", fileSize, "too small for VHDX headers");
        Check.that(
                probe(file.readBytes(0, 8)),
                LABEL,
                "signature",
                new String(file.readBytes(0, 8), StandardCharsets.ISO_8859_1),
                "not a VHDX file");
        Copy h1 = header(file, KIB64);
        Copy h2 = header(file, 2 * KIB64);
        Check.that(h1 != null || h2 != null, LABEL, "header", "both", "no header with a valid signature and CRC-32C");
        Copy h = h1 == null ? h2 : h2 == null ? h1 : (h2.sequence() > h1.sequence() ? h2 : h1);
        List<String> warnings = new ArrayList<>();
        if (h1 == null || h2 == null) {
            warnings.add("one VHDX header is invalid; the other one was used");
        }
        // 2. version
        Check.that(h.version() == 1, LABEL, "header version", h.version(), "only version 1 is known");
        Check.that(
                h.logGuid().getMostSignificantBits() == 0 && h.logGuid().getLeastSignificantBits() == 0,
                LABEL,
                "log guid",
                h.logGuid(),
                "the log is not empty (the file was not closed cleanly): open it once in"
                        + " Hyper-V or qemu-img check -r all to replay the log - refused");
        // region table: first valid copy
        Region bat = null;
        Region meta = null;
        byte[] rt = null;
        for (long at : new long[] {3 * KIB64, 4 * KIB64}) {
            byte[] r = file.readBytes(at, (int) KIB64);
            ByteBuffer b = ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN);
            if (new String(r, 0, 4, StandardCharsets.ISO_8859_1).equals("regi") && crc32c(r, 4) == b.getInt(4)) {
                rt = r;
                break;
            }
            warnings.add("VHDX region table at " + at + " is invalid");
        }
        Check.that(rt != null, LABEL, "region table", "both", "no region table with a valid signature and CRC-32C");
        ByteBuffer r = ByteBuffer.wrap(rt).order(ByteOrder.LITTLE_ENDIAN);
        long count = r.getInt(8) & 0xFFFFFFFFL;
        Check.range(LABEL, "region entry count", count, 1, 2047);
        List<Region> regions = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int e = 16 + 32 * i;
            UUID id = guid(r, e);
            long off = r.getLong(e + 16);
            long len = r.getInt(e + 24) & 0xFFFFFFFFL;
            boolean required = (r.getInt(e + 28) & 1) != 0;
            Check.within(LABEL, "region " + id + " offset", off, len, fileSize);
            Check.aligned(LABEL, "region " + id + " offset", off, MIB);
            Check.that(off >= MIB, LABEL, "region " + id + " offset", off, "overlaps the header section");
            Region reg = new Region(off, len);
            for (Region o : regions) {
                Check.that(!reg.overlaps(o), LABEL, "region " + id + " offset", off, "overlaps another region");
            }
            regions.add(reg);
            if (id.equals(BAT_GUID)) {
                bat = reg;
            } else if (id.equals(METADATA_GUID)) {
                meta = reg;
            } else {
                Check.that(!required, LABEL, "region", id, "unknown required region");
            }
        }
        Check.that(bat != null, LABEL, "region table", "BAT", "no BAT region");
        Check.that(meta != null, LABEL, "region table", "metadata", "no metadata region");
        if (h.logLength() > 0) {
            Check.within(LABEL, "log offset", h.logOffset(), h.logLength(), fileSize);
            regions.add(new Region(h.logOffset(), h.logLength()));
        }
        Metadata md = metadata(file, meta, opts);
        long blockSize = md.blockSize;
        long chunkRatio = (1L << 23) * md.logicalSectorSize / blockSize;
        long dataBlocks = (md.size + blockSize - 1) / blockSize;
        long totalEntries = dataBlocks == 0 ? 0 : dataBlocks + (dataBlocks - 1) / chunkRatio;
        Check.range(LABEL, "BAT entries", totalEntries, 0, MAX_BAT_ENTRIES);
        Check.that(
                totalEntries * 8 <= bat.length(),
                LABEL,
                "BAT length",
                bat.length(),
                "too small for " + totalEntries + " entries");
        ByteBuffer t = ByteBuffer.allocate((int) (totalEntries * 8)).order(ByteOrder.LITTLE_ENDIAN);
        file.readFully(bat.offset(), t);
        t.flip();
        long[] entries = new long[(int) dataBlocks];
        boolean allPresent = dataBlocks > 0;
        List<Long> used = new ArrayList<>();
        for (long i = 0; i < dataBlocks; i++) {
            long e = t.getLong((int) ((i + i / chunkRatio) * 8));
            int state = (int) (e & 7);
            long off = (e >>> 20) * MIB;
            switch (state) {
                case 0, 1, 2, 3 -> {
                    allPresent = false;
                    e = 0;
                }
                case 6 -> {
                    Check.within(LABEL, "BAT[" + i + "]", off, blockSize, fileSize);
                    Check.that(off >= MIB, LABEL, "BAT[" + i + "]", off, "points into the header section");
                    Region blk = new Region(off, blockSize);
                    for (Region o : regions) {
                        Check.that(!blk.overlaps(o), LABEL, "BAT[" + i + "]", off, "points into a metadata region");
                    }
                    used.add(off);
                    e = off;
                }
                case 7 ->
                    throw new FormatException(
                            LABEL,
                            "BAT[" + i + "]",
                            "PARTIALLY_PRESENT",
                            "partially present blocks belong to differencing disks - refused");
                default -> throw new FormatException(LABEL, "BAT[" + i + "]", state, "unknown block state");
            }
            entries[(int) i] = e;
        }
        long[] sorted = used.stream().mapToLong(Long::longValue).sorted().toArray();
        for (int i = 1; i < sorted.length; i++) {
            Check.that(sorted[i] != sorted[i - 1], LABEL, "BAT", sorted[i], "two BAT entries point at the same block");
        }
        return new VhdxHeader(md.leaveAllocated, md.size, blockSize, entries, List.copyOf(warnings));
    }

    /** {@code fixed} when the file parameters say LeaveBlocksAllocated, else {@code dynamic}. */
    public String subformat() {
        return leaveAllocated ? "fixed" : "dynamic";
    }

    record Region(long offset, long length) {
        boolean overlaps(Region o) {
            return offset < o.offset + o.length && o.offset < offset + length;
        }
    }

    private static final class Metadata {
        long blockSize;
        boolean leaveAllocated;
        long size;
        long logicalSectorSize;
    }

    private static Metadata metadata(ByteSource file, Region meta, OpenOptions opts) throws IOException {
        Check.that(meta.length() >= KIB64, LABEL, "metadata region length", meta.length(), "smaller than 64 KiB");
        byte[] tb = file.readBytes(meta.offset(), (int) KIB64);
        ByteBuffer b = ByteBuffer.wrap(tb).order(ByteOrder.LITTLE_ENDIAN);
        Check.that(
                new String(tb, 0, 8, StandardCharsets.ISO_8859_1).equals("metadata"),
                LABEL,
                "metadata signature",
                new String(tb, 0, 8, StandardCharsets.ISO_8859_1),
                "bad metadata table signature");
        int count = b.getShort(10) & 0xFFFF;
        Check.range(LABEL, "metadata entry count", count, 0, 2047);
        Metadata md = new Metadata();
        boolean haveParams = false;
        boolean haveSize = false;
        boolean haveSector = false;
        for (int i = 0; i < count; i++) {
            int e = 32 + 32 * i;
            UUID id = guid(b, e);
            long off = b.getInt(e + 16) & 0xFFFFFFFFL;
            long len = b.getInt(e + 20) & 0xFFFFFFFFL;
            int flags = b.getInt(e + 24);
            if (len == 0) {
                continue;
            }
            Check.that(
                    off >= KIB64 && off <= meta.length() && len <= meta.length() - off,
                    LABEL,
                    "metadata item " + id + " offset",
                    off,
                    "outside the metadata region");
            if (id.equals(FILE_PARAMETERS)) {
                Check.that(len >= 8, LABEL, "file parameters length", len, "too short");
                ByteBuffer v =
                        ByteBuffer.wrap(file.readBytes(meta.offset() + off, 8)).order(ByteOrder.LITTLE_ENDIAN);
                md.blockSize = v.getInt(0) & 0xFFFFFFFFL;
                int fl = v.getInt(4);
                md.leaveAllocated = (fl & 1) != 0;
                Check.that(
                        (fl & 2) == 0,
                        LABEL,
                        "file parameters",
                        "HasParent",
                        "differencing VHDX needs its parent - refused");
                haveParams = true;
            } else if (id.equals(VIRTUAL_DISK_SIZE)) {
                Check.that(len >= 8, LABEL, "virtual disk size length", len, "too short");
                md.size = ByteBuffer.wrap(file.readBytes(meta.offset() + off, 8))
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getLong(0);
                haveSize = true;
            } else if (id.equals(LOGICAL_SECTOR)) {
                Check.that(len >= 4, LABEL, "logical sector size length", len, "too short");
                md.logicalSectorSize = ByteBuffer.wrap(file.readBytes(meta.offset() + off, 4))
                                .order(ByteOrder.LITTLE_ENDIAN)
                                .getInt(0)
                        & 0xFFFFFFFFL;
                haveSector = true;
            } else if (id.equals(PARENT_LOCATOR)) {
                throw new FormatException(LABEL, "metadata", "parent locator", "differencing VHDX - refused");
            } else if (!id.equals(PAGE83) && !id.equals(PHYSICAL_SECTOR)) {
                Check.that((flags & 4) == 0, LABEL, "metadata item", id, "unknown required metadata item");
            }
        }
        Check.that(
                haveParams && haveSize && haveSector,
                LABEL,
                "metadata",
                "required items",
                "file parameters, virtual disk size and logical sector size are all required");
        Check.that(
                md.blockSize >= MIB && md.blockSize <= 256 * MIB && Long.bitCount(md.blockSize) == 1,
                LABEL,
                "block size",
                md.blockSize,
                "must be a power of two between 1 MiB and 256 MiB");
        Check.that(
                md.logicalSectorSize == 512 || md.logicalSectorSize == 4096,
                LABEL,
                "logical sector size",
                md.logicalSectorSize,
                "must be 512 or 4096");
        Check.range(LABEL, "virtual disk size", md.size, 0, opts.maxVirtualSize());
        Check.aligned(LABEL, "virtual disk size", md.size, md.logicalSectorSize);
        return md;
    }
}
