package dev.linuximage.core.partition;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.WritableByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * The GUID partition table as a pair of redundant structures (UEFI 2.10 §5.3): validation of both headers and entry
 * arrays, a consistency verdict at the disk's current size, the repair that makes them consistent (rebuild the backup
 * at the last LBA from a valid primary, as {@code sgdisk -e} does, or restore the primary from a valid backup), and
 * the rewrite of partition attribute bits in both arrays.
 *
 * <p>Logical sectors are 512 bytes; every on-disk field is little-endian; LBAs are sector numbers. Everything read is
 * hostile: sizes are bounded before any allocation and offsets are compared without overflow. Nothing is written
 * except through the {@link WritableByteSource} given to {@link #repair} or {@link #setAttributes}.
 */
public final class Gpt {
    public static final int SECTOR = 512;
    /** Partition attribute bit 63, "no-auto" (Discoverable Partitions Specification, systemd's GPT_FLAG_NO_AUTO). */
    public static final long ATTR_NO_AUTO = 1L << 63;
    /** Entry-array bytes we accept (the usual array is 16 KiB: 128 entries of 128 bytes). */
    static final int MAX_ARRAY_BYTES = PartitionTables.MAX_GPT_ARRAY_BYTES;

    private static final String SIGNATURE = "EFI PART";

    private Gpt() {}

    /** A GPT header that failed validation: names the header, the field and the value. */
    public static final class GptException extends PartitionTableException {
        private final String field;

        GptException(String where, String field, Object value, String problem) {
            super("GPT " + where + ": " + field + " " + value + ": " + problem);
            this.field = field;
        }

        /** The header field that was refused (e.g. {@code entry size}). */
        public String field() {
            return field;
        }
    }

    /**
     * A validated header with its entry array.
     *
     * @param sector  the 512-byte header sector as read
     * @param entries the entry array bytes ({@code count × entrySize})
     */
    public record Header(
            long lba,
            int headerSize,
            long alternateLba,
            long firstUsable,
            long lastUsable,
            String diskGuid,
            long entriesLba,
            int entryCount,
            int entrySize,
            int entriesCrc,
            byte[] sector,
            byte[] entries) {
        /** Sectors the entry array occupies. */
        public long entrySectors() {
            return ((long) entryCount * entrySize + SECTOR - 1) / SECTOR;
        }

        String describe() {
            return "header LBA " + lba + ", entries LBA " + entriesLba + " (" + entryCount + " x " + entrySize
                    + " bytes), usable LBA " + firstUsable + ".." + lastUsable + ", alternate LBA " + alternateLba;
        }
    }

    /**
     * What {@link #inspect} found.
     *
     * @param present    a GPT signature or a valid GPT header was found (false: MBR or no table)
     * @param primary    the valid primary header, or null
     * @param backup     the valid backup header (at the last LBA or elsewhere), or null
     * @param consistent primary and backup valid, agreeing, the backup in the last LBA with its entries just before
     * @param problems   what is inconsistent or invalid, one sentence each (empty when consistent)
     */
    public record State(boolean present, Header primary, Header backup, boolean consistent, List<String> problems) {
        public State {
            problems = List.copyOf(problems);
        }

        /** One line for evidence. */
        public String summary() {
            if (!present) {
                return "no GPT";
            }
            if (consistent) {
                return "primary " + primary.describe() + "; backup " + backup.describe() + "; header and entry CRC32s"
                        + " valid";
            }
            return String.join("; ", problems);
        }
    }

    /**
     * The outcome of {@link #repair}.
     *
     * @param before  the state found
     * @param actions what was rewritten (empty when nothing was needed or possible)
     * @param refused why an inconsistent GPT was left unchanged, or null
     */
    public record Repair(State before, List<String> actions, String refused) {
        public Repair {
            actions = List.copyOf(actions);
        }

        public boolean changed() {
            return !actions.isEmpty();
        }
    }

    // ---- validation -------------------------------------------------------------------------------------------

    /**
     * Reads and validates the header at {@code lba} and its entry array on a disk of {@code diskSectors} sectors:
     * signature, revision 1.x, header size 92..512, header CRC32, MyLBA, usable range, entry size (128 x 2^n),
     * entry count (1.. and at most 1 MiB of entries), entry-array position (inside the disk, clear of both headers
     * and of the usable range), entry-array CRC32, every used entry inside the usable range, no overlaps.
     */
    public static Header readHeader(ByteSource disk, long lba) throws IOException {
        long sectors = disk.size() / SECTOR;
        String where = (lba == 1 ? "primary" : "backup") + " header at LBA " + lba;
        if (lba < 1 || lba >= sectors) {
            throw new GptException(where, "LBA", lba, "outside the disk of " + sectors + " sectors");
        }
        byte[] h = disk.readBytes(lba * SECTOR, SECTOR);
        if (!new String(h, 0, 8, StandardCharsets.ISO_8859_1).equals(SIGNATURE)) {
            throw new GptException(where, "signature", hexOf(h, 0, 8), "not \"EFI PART\"");
        }
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        long revision = b.getInt(8) & 0xFFFFFFFFL;
        if (revision >>> 16 != 1) {
            throw new GptException(where, "revision", "0x" + Long.toHexString(revision), "not 1.x");
        }
        long headerSize = b.getInt(12) & 0xFFFFFFFFL;
        if (headerSize < 92 || headerSize > SECTOR) {
            throw new GptException(where, "header size", headerSize, "outside 92..512");
        }
        int stored = b.getInt(16);
        int computed = headerCrc(h, (int) headerSize);
        if (stored != computed) {
            throw new GptException(where, "header CRC32", hex32(stored), "computed " + hex32(computed));
        }
        long myLba = b.getLong(24);
        if (myLba != lba) {
            throw new GptException(where, "MyLBA", myLba, "the header is at LBA " + lba);
        }
        long alternate = b.getLong(32);
        long first = b.getLong(40);
        long last = b.getLong(48);
        long entriesLba = b.getLong(72);
        long count = b.getInt(80) & 0xFFFFFFFFL;
        long entrySize = b.getInt(84) & 0xFFFFFFFFL;
        int entriesCrc = b.getInt(88);
        // UEFI 2.10 §5.3.2: SizeOfPartitionEntry "shall be set to a value of 128 x 2^n" (128, 256, 512, ...)
        if (entrySize < 128 || Long.bitCount(entrySize) != 1 || entrySize > MAX_ARRAY_BYTES) {
            throw new GptException(where, "entry size", entrySize, "not 128 x 2^n in 128.." + MAX_ARRAY_BYTES);
        }
        if (count == 0 || count * entrySize > MAX_ARRAY_BYTES) {
            throw new GptException(
                    where,
                    "number of entries",
                    count,
                    "with " + entrySize + "-byte entries" + " outside 1.." + MAX_ARRAY_BYTES + " bytes");
        }
        long arrayBytes = count * entrySize;
        long arraySectors = (arrayBytes + SECTOR - 1) / SECTOR;
        if (first < 2 || last < first || last >= sectors) {
            throw new GptException(where, "usable LBAs", first + ".." + last, "outside 2.." + (sectors - 1));
        }
        if (lba == 1 ? last >= sectors - 1 : last >= lba) {
            throw new GptException(where, "last usable LBA", last, "reaches the backup header");
        }
        if (entriesLba < 2 || entriesLba > sectors - arraySectors) {
            throw new GptException(
                    where,
                    "partition entry LBA",
                    entriesLba,
                    arraySectors + " sectors of entries do" + " not fit between LBA 2 and the end of the disk ("
                            + sectors + " sectors)");
        }
        long entriesEnd = entriesLba + arraySectors; // exclusive; no overflow: entriesLba <= sectors - arraySectors
        boolean beforeUsable = entriesEnd <= first;
        boolean afterUsable = entriesLba > last;
        if (!beforeUsable && !afterUsable) {
            throw new GptException(
                    where,
                    "partition entry LBA",
                    entriesLba,
                    "the entry array overlaps the usable" + " LBAs " + first + ".." + last);
        }
        if (lba >= entriesLba && lba < entriesEnd) {
            throw new GptException(where, "partition entry LBA", entriesLba, "the entry array overlaps its header");
        }
        byte[] entries = disk.readBytes(entriesLba * SECTOR, (int) arrayBytes);
        CRC32 crc = new CRC32();
        crc.update(entries);
        if ((int) crc.getValue() != entriesCrc) {
            throw new GptException(
                    where, "partition entry array CRC32", hex32(entriesCrc), "computed " + hex32((int) crc.getValue()));
        }
        checkEntries(where, entries, (int) count, (int) entrySize, first, last);
        return new Header(
                lba,
                (int) headerSize,
                alternate,
                first,
                last,
                PartitionTypes.guid(h, 56),
                entriesLba,
                (int) count,
                (int) entrySize,
                entriesCrc,
                h,
                entries);
    }

    private static void checkEntries(String where, byte[] arr, int count, int size, long first, long last)
            throws GptException {
        List<long[]> used = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(arr).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            int o = i * size;
            if (b.getLong(o) == 0 && b.getLong(o + 8) == 0) {
                continue;
            }
            long s = b.getLong(o + 32);
            long e = b.getLong(o + 40);
            if (s < first || e > last || s > e) {
                throw new GptException(
                        where,
                        "entry " + (i + 1) + " LBAs",
                        s + ".." + e,
                        "outside the usable LBAs " + first + ".." + last);
            }
            used.add(new long[] {s, e, i + 1});
        }
        used.sort((x, y) -> Long.compare(x[0], y[0]));
        for (int i = 1; i < used.size(); i++) {
            if (used.get(i)[0] <= used.get(i - 1)[1]) {
                throw new GptException(
                        where,
                        "entry " + used.get(i)[2] + " LBAs",
                        used.get(i)[0] + ".." + used.get(i)[1],
                        "overlaps entry " + used.get(i - 1)[2]);
            }
        }
    }

    // ---- inspection -------------------------------------------------------------------------------------------

    /** The consistency verdict at the disk's own size (what {@code sgdisk -v} judges). */
    public static State inspect(ByteSource disk) throws IOException {
        return inspect(disk, disk.size());
    }

    /**
     * @param originalSize bytes of the disk before something moved its end (the converter's input size); its last
     *                     LBA is one more place a backup header is looked for
     */
    public static State inspect(ByteSource disk, long originalSize) throws IOException {
        long sectors = disk.size() / SECTOR;
        if (sectors < 3) {
            return new State(false, null, null, false, List.of());
        }
        List<String> problems = new ArrayList<>();
        Header primary = null;
        boolean signature = false;
        byte[] raw = disk.readBytes(SECTOR, SECTOR);
        if (new String(raw, 0, 8, StandardCharsets.ISO_8859_1).equals(SIGNATURE)) {
            signature = true;
        }
        try {
            primary = readHeader(disk, 1);
        } catch (GptException e) {
            if (signature) {
                problems.add("primary invalid: " + e.getMessage());
            }
        }
        long last = sectors - 1;
        Set<Long> candidates = backupCandidates(raw, sectors, originalSize);
        Header backup = null;
        List<String> backupErrors = new ArrayList<>();
        for (long c : candidates) {
            try {
                backup = readHeader(disk, c);
                break;
            } catch (GptException e) {
                backupErrors.add(e.getMessage());
            }
        }
        if (primary == null && backup == null) {
            boolean anySignature = signature || backupErrors.stream().anyMatch(m -> !m.contains(": signature "));
            if (!anySignature) {
                return new State(false, null, null, false, List.of());
            }
            problems.add("no valid backup header (" + String.join("; ", backupErrors) + ")");
            return new State(true, null, null, false, problems);
        }
        if (backup == null) {
            problems.add("backup header invalid or missing: " + backupErrors.get(0));
        } else if (backup.lba() != last) {
            problems.add("backup header at LBA " + backup.lba() + " does not reside at the end of the disk (last LBA "
                    + last + ")");
        }
        if (primary != null) {
            if (primary.alternateLba() != last) {
                problems.add(
                        "primary header's alternate LBA is " + primary.alternateLba() + ", not the last LBA " + last);
            }
            if (backup != null && !agree(primary, backup)) {
                problems.add("primary and backup headers or entry arrays differ");
            }
        }
        if (backup != null) {
            if (backup.alternateLba() != 1) {
                problems.add("backup header's alternate LBA is " + backup.alternateLba() + ", not 1");
            }
            if (backup.entriesLba() + backup.entrySectors() != backup.lba()) {
                problems.add("backup entry array at LBA " + backup.entriesLba() + " does not end just before the"
                        + " backup header at LBA " + backup.lba());
            }
        }
        return new State(true, primary, backup, problems.isEmpty(), problems);
    }

    private static boolean agree(Header p, Header b) {
        return p.diskGuid().equals(b.diskGuid())
                && p.firstUsable() == b.firstUsable()
                && p.lastUsable() == b.lastUsable()
                && p.entryCount() == b.entryCount()
                && p.entrySize() == b.entrySize()
                && p.entriesCrc() == b.entriesCrc()
                && Arrays.equals(p.entries(), b.entries());
    }

    // ---- repair -----------------------------------------------------------------------------------------------

    /**
     * Makes the GPT consistent at the disk's size: the valid primary (or, when only the backup is valid, the backup)
     * is the source; the primary is rewritten at LBA 1 with its entries (at LBA 2 when restored from the backup),
     * the backup header at the last LBA with its entries just before it; the last usable LBA follows the end when it
     * was at its maximum (and must, when it would overlap the new backup entries); stale validated backup headers
     * outside every partition are zeroed; a protective MBR's 0xEE entry is resized to the disk. A consistent GPT is
     * not touched.
     *
     * @param disk         the disk at its final size, written in place (the converter's overlay, never the input)
     * @param originalSize bytes of the disk before its end moved (MiB alignment, CHS rounding), for the search of
     *                     the old backup header
     */
    public static Repair repair(WritableByteSource disk, long originalSize) throws IOException {
        State st = inspect(disk, originalSize);
        if (!st.present() || st.consistent()) {
            return new Repair(st, List.of(), null);
        }
        Header src = st.primary() != null ? st.primary() : st.backup();
        if (src == null) {
            return new Repair(st, List.of(), "neither GPT header is valid; nothing to rebuild from");
        }
        long sectors = disk.size() / SECTOR;
        long last = sectors - 1;
        long arraySectors = src.entrySectors();
        long backupEntries = last - arraySectors;
        long primaryEntries = st.primary() != null ? st.primary().entriesLba() : 2;
        if (st.primary() == null && 2 + arraySectors > src.firstUsable()) {
            return new Repair(
                    st,
                    List.of(),
                    "the backup's entry array (" + arraySectors + " sectors) does not fit"
                            + " between LBA 2 and the first usable LBA " + src.firstUsable());
        }
        long maxLastUsable = backupEntries - 1;
        // where the source's backup entries were: its own LBA (backup) or its alternate LBA (primary)
        long oldBackupLba = src.lba() == 1 ? src.alternateLba() : src.lba();
        long lastUsable = src.lastUsable();
        long highest = highestUsedLba(src);
        if (lastUsable == oldBackupLba - arraySectors - 1 || lastUsable > maxLastUsable) {
            if (highest > maxLastUsable) {
                return new Repair(
                        st,
                        List.of(),
                        "partitions reach LBA " + highest + ", beyond the last usable LBA " + maxLastUsable
                                + " of a disk of " + sectors + " sectors");
            }
            lastUsable = maxLastUsable;
        }
        if (src.firstUsable() > lastUsable) {
            return new Repair(
                    st,
                    List.of(),
                    "first usable LBA " + src.firstUsable() + " is beyond the last usable" + " LBA " + lastUsable);
        }
        List<String> actions = new ArrayList<>();
        // stale backup headers (validated, so certainly GPT headers) outside every partition
        for (Header stale : new Header[] {st.backup()}) {
            if (stale != null && stale.lba() != last && !insidePartition(src, stale.lba())) {
                disk.write(stale.lba() * SECTOR, ByteBuffer.allocate(SECTOR));
                actions.add("cleared the stale backup header at LBA " + stale.lba());
            }
        }
        byte[] primary = withLayout(src, 1, last, primaryEntries, lastUsable);
        byte[] backup = withLayout(src, last, 1, backupEntries, lastUsable);
        if (st.primary() == null) {
            disk.write(primaryEntries * SECTOR, ByteBuffer.wrap(padded(src.entries(), arraySectors)));
            actions.add("restored the primary entry array at LBA " + primaryEntries + " from the backup");
        }
        disk.write(SECTOR, ByteBuffer.wrap(primary));
        actions.add((st.primary() == null
                        ? "restored the primary header from the backup"
                        : "rewrote the primary" + " header")
                + " (alternate LBA " + last + ", last usable LBA " + lastUsable + ")");
        disk.write(backupEntries * SECTOR, ByteBuffer.wrap(padded(src.entries(), arraySectors)));
        disk.write(last * SECTOR, ByteBuffer.wrap(backup));
        actions.add("rebuilt the backup header at LBA " + last + " and its entry array at LBA " + backupEntries
                + " from the " + (st.primary() != null ? "primary" : "backup"));
        String mbr = fixProtectiveMbr(disk, last);
        if (mbr != null) {
            actions.add(mbr);
        }
        return new Repair(st, actions, null);
    }

    private static long highestUsedLba(Header h) {
        ByteBuffer b = ByteBuffer.wrap(h.entries()).order(ByteOrder.LITTLE_ENDIAN);
        long max = -1;
        for (int i = 0; i < h.entryCount(); i++) {
            int o = i * h.entrySize();
            if (b.getLong(o) != 0 || b.getLong(o + 8) != 0) {
                max = Math.max(max, b.getLong(o + 40));
            }
        }
        return max;
    }

    private static boolean insidePartition(Header h, long lba) {
        ByteBuffer b = ByteBuffer.wrap(h.entries()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < h.entryCount(); i++) {
            int o = i * h.entrySize();
            if ((b.getLong(o) != 0 || b.getLong(o + 8) != 0) && lba >= b.getLong(o + 32) && lba <= b.getLong(o + 40)) {
                return true;
            }
        }
        return false;
    }

    /** The source header sector with the given position fields and both CRCs recomputed. */
    private static byte[] withLayout(Header src, long my, long alternate, long entriesLba, long lastUsable) {
        byte[] h = src.sector().clone();
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(24, my);
        b.putLong(32, alternate);
        b.putLong(48, lastUsable);
        b.putLong(72, entriesLba);
        b.putInt(88, src.entriesCrc());
        b.putInt(16, headerCrc(h, src.headerSize()));
        return h;
    }

    private static byte[] padded(byte[] entries, long sectors) {
        return Arrays.copyOf(entries, (int) (sectors * SECTOR));
    }

    /**
     * A protective MBR (UEFI §5.2.3: one 0xEE entry starting at LBA 1, the others empty) gets the size
     * {@code min(last LBA, 0xFFFFFFFF)}. Hybrid MBRs (other entries in use) are left alone.
     */
    private static String fixProtectiveMbr(WritableByteSource disk, long last) throws IOException {
        byte[] mbr = disk.readBytes(0, SECTOR);
        if ((mbr[510] & 0xFF) != 0x55 || (mbr[511] & 0xFF) != 0xAA) {
            return null;
        }
        ByteBuffer m = ByteBuffer.wrap(mbr).order(ByteOrder.LITTLE_ENDIAN);
        int ee = -1;
        for (int i = 0; i < 4; i++) {
            int e = 446 + 16 * i;
            int type = mbr[e + 4] & 0xFF;
            if (type == 0xEE && ee < 0) {
                ee = e;
            } else if (type != 0) {
                return null; // hybrid MBR: its entries mean something to someone; not ours to change
            }
        }
        long want = Math.min(last, 0xFFFFFFFFL);
        if (ee < 0 || m.getInt(ee + 8) != 1 || (m.getInt(ee + 12) & 0xFFFFFFFFL) == want) {
            return null;
        }
        long was = m.getInt(ee + 12) & 0xFFFFFFFFL;
        m.putInt(ee + 12, (int) want);
        disk.write(0, ByteBuffer.wrap(mbr));
        return "resized the protective MBR partition from " + was + " to " + want + " sectors";
    }

    // ---- attributes -------------------------------------------------------------------------------------------

    /**
     * One change of {@link #setAttributes}.
     *
     * @param entry  1-based entry number (the Linux partition number)
     * @param before attribute bits before
     * @param after  attribute bits after
     */
    public record AttributeChange(int entry, long before, long after) {}

    /**
     * ORs {@code bits} into the attributes (entry bytes 48..55) of the used entries whose type GUID is
     * {@code typeGuid}, in both entry arrays, and rewrites both arrays' CRCs and both header CRCs. Refuses an
     * inconsistent GPT (repair it first): writing one copy of a pair that already disagrees would pick a winner
     * silently.
     */
    public static List<AttributeChange> setAttributes(WritableByteSource disk, String typeGuid, long bits)
            throws IOException {
        State st = inspect(disk);
        if (!st.present()) {
            return List.of();
        }
        if (!st.consistent()) {
            throw new PartitionTableException(
                    "GPT is inconsistent (" + String.join("; ", st.problems()) + "); partition attributes not changed");
        }
        Header p = st.primary();
        byte[] entries = p.entries().clone();
        ByteBuffer b = ByteBuffer.wrap(entries).order(ByteOrder.LITTLE_ENDIAN);
        List<AttributeChange> changes = new ArrayList<>();
        String want = typeGuid.toLowerCase(Locale.ROOT);
        for (int i = 0; i < p.entryCount(); i++) {
            int o = i * p.entrySize();
            if (b.getLong(o) == 0 && b.getLong(o + 8) == 0) {
                continue;
            }
            if (!PartitionTypes.guid(entries, o).equals(want)) {
                continue;
            }
            long attrs = b.getLong(o + 48);
            if ((attrs & bits) != bits) {
                b.putLong(o + 48, attrs | bits);
                changes.add(new AttributeChange(i + 1, attrs, attrs | bits));
            }
        }
        if (changes.isEmpty()) {
            return changes;
        }
        CRC32 crc = new CRC32();
        crc.update(entries);
        int entriesCrc = (int) crc.getValue();
        for (Header h : new Header[] {p, st.backup()}) {
            byte[] sector = h.sector().clone();
            ByteBuffer hb = ByteBuffer.wrap(sector).order(ByteOrder.LITTLE_ENDIAN);
            hb.putInt(88, entriesCrc);
            hb.putInt(16, headerCrc(sector, h.headerSize()));
            disk.write(h.entriesLba() * SECTOR, ByteBuffer.wrap(entries));
            disk.write(h.lba() * SECTOR, ByteBuffer.wrap(sector));
        }
        return changes;
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    /**
     * Where a backup header may be, in the order to try (UEFI 2.10 §5.3.2): the last LBA; the LBA named by the
     * primary's alternate field when the primary sector carries the signature (a disk grown after partitioning keeps
     * its backup at the old end), even if the primary is otherwise invalid; the last LBA of a disk of
     * {@code originalSize} bytes. Only LBAs 2..sectors-1, each once.
     *
     * @param primarySector the 512-byte sector at LBA 1 as read (alternate LBA: little-endian u64 at byte 32)
     * @param sectors       512-byte sectors of the disk (at least 3)
     * @param originalSize  bytes of the disk before its end moved (pass the disk's size when it did not)
     */
    static Set<Long> backupCandidates(byte[] primarySector, long sectors, long originalSize) {
        Set<Long> candidates = new LinkedHashSet<>();
        candidates.add(sectors - 1);
        if (new String(primarySector, 0, 8, StandardCharsets.ISO_8859_1).equals(SIGNATURE)) {
            long alternate = ByteBuffer.wrap(primarySector)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .getLong(32);
            if (alternate > 1 && alternate < sectors) {
                candidates.add(alternate);
            }
        }
        if (originalSize % SECTOR == 0 && originalSize / SECTOR - 1 > 1 && originalSize / SECTOR - 1 < sectors) {
            candidates.add(originalSize / SECTOR - 1);
        }
        return candidates;
    }

    /** CRC32 of the first {@code size} bytes of a header sector, with the CRC field (bytes 16..19) taken as zero. */
    static int headerCrc(byte[] h, int size) {
        byte[] copy = Arrays.copyOf(h, size);
        copy[16] = copy[17] = copy[18] = copy[19] = 0;
        CRC32 c = new CRC32();
        c.update(copy);
        return (int) c.getValue();
    }

    private static String hex32(int v) {
        return String.format(Locale.ROOT, "0x%08x", v);
    }

    private static String hexOf(byte[] b, int off, int len) {
        StringBuilder s = new StringBuilder("0x");
        for (int i = off; i < off + len; i++) {
            s.append(String.format(Locale.ROOT, "%02x", b[i] & 0xFF));
        }
        return s.toString();
    }
}
