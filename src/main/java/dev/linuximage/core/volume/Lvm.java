package dev.linuximage.core.volume;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.ConcatSource;
import dev.linuximage.core.io.LittleEndian;
import dev.linuximage.core.io.WritableByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads LVM2 physical volumes and maps linear logical volumes, without device-mapper.
 *
 * <p>On-disk layout (lvm2 {@code lib/format_text/layout.h}, {@code lib/label/label.h}), all integers little-endian:
 * a 512-byte label in one of sectors 0..3 ({@code LABELONE}, sector u64, crc u32 over bytes 20..511, offset u32,
 * type {@code LVM2 001}); the PV header at label sector + offset (UUID[32], device size u64, then data-area and
 * metadata-area location lists {@code (offset u64, size u64)} each ended by a zero pair); each metadata area starts
 * with a 512-byte mda header (crc u32 over bytes 4..511, magic, version 1, start u64, size u64, raw locations) and
 * holds the text metadata in a circular buffer that wraps to {@code start + 512}.
 */
public final class Lvm {
    static final byte[] MDA_MAGIC = " LVM2 x[5A%r0N*>".getBytes(StandardCharsets.US_ASCII);
    static final long INITIAL_CRC = 0xf597a6cfL;
    /** Upper bound on a metadata text we read (lvm2's default metadata area is 1 MiB). */
    static final int MAX_TEXT = 16 << 20;

    private static final int[] TABLE = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
            }
            TABLE[i] = c;
        }
    }

    private Lvm() {}

    /** lvm2's {@code calc_crc}: the CRC-32 table walk with a fixed initial value and no final inversion. */
    public static long crc(long initial, byte[] b, int off, int len) {
        int c = (int) initial;
        for (int i = off; i < off + len; i++) {
            c = TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
        }
        return c & 0xffffffffL;
    }

    /** True when one of sectors 0..3 holds an LVM2 label. */
    public static boolean probe(ByteSource dev) throws IOException {
        return findLabel(dev) >= 0;
    }

    private static int findLabel(ByteSource dev) throws IOException {
        for (int sector = 0; sector < 4; sector++) {
            if ((long) (sector + 1) * 512 > dev.size()) {
                return -1;
            }
            byte[] s = dev.readBytes(sector * 512L, 512);
            if (ascii(s, 0, 8).equals("LABELONE") && ascii(s, 24, 8).equals("LVM2 001")) {
                return sector;
            }
        }
        return -1;
    }

    /** Reads the PV on {@code dev}, or empty when it carries no LVM2 label. */
    public static Optional<PhysicalVolume> readPv(ByteSource dev, String deviceName) throws IOException {
        int sector = findLabel(dev);
        if (sector < 0) {
            return Optional.empty();
        }
        byte[] s = dev.readBytes(sector * 512L, 512);
        long labelSector = LittleEndian.i64(s, 8);
        if (labelSector != sector) {
            throw new LvmException("LVM2 label on " + deviceName + ": sector field " + labelSector + " but found in "
                    + "sector " + sector);
        }
        long crc = LittleEndian.u32(s, 16);
        if (crc(INITIAL_CRC, s, 20, 512 - 20) != crc) {
            throw new LvmException("LVM2 label on " + deviceName + ": label CRC mismatch");
        }
        long off = LittleEndian.u32(s, 20);
        if (off < 32 || off > 512 - 32 - 8 - 16) {
            throw new LvmException("LVM2 label on " + deviceName + ": PV header offset " + off + " outside the sector");
        }
        int p = (int) off;
        String uuid = dashed(ascii(s, p, 32));
        p += 40;
        List<long[]> mdas = new ArrayList<>();
        int list = 0;
        while (list < 2) {
            if (p + 16 > 512) {
                throw new LvmException("LVM2 PV header on " + deviceName + ": area list runs past the label sector");
            }
            long o = LittleEndian.i64(s, p);
            long l = LittleEndian.i64(s, p + 8);
            p += 16;
            if (o == 0 && l == 0) {
                list++;
                continue;
            }
            if (list == 1) {
                mdas.add(new long[] {o, l});
            }
        }
        PhysicalVolume best = new PhysicalVolume(uuid, dev, deviceName, "", -1, null);
        for (long[] mda : mdas) {
            Optional<Map<String, Object>> meta = readMda(dev, deviceName, mda[0], mda[1]);
            if (meta.isPresent()) {
                Map<String, Object> m = meta.get();
                String vg = vgNameOf(m);
                Map<String, Object> vgSec = section(m, vg);
                long seq = num(vgSec, "seqno", "VG " + vg);
                if (seq > best.seqno()) {
                    best = new PhysicalVolume(uuid, dev, deviceName, vg, seq, m);
                }
            }
        }
        return Optional.of(best);
    }

    private static Optional<Map<String, Object>> readMda(ByteSource dev, String name, long start, long size)
            throws IOException {
        if (start < 0 || size < 1024 || start > dev.size() || size > dev.size() - start) {
            throw new LvmException("LVM2 metadata area on " + name + ": " + start + "+" + size + " outside the device");
        }
        byte[] h = dev.readBytes(start, 512);
        if (crc(INITIAL_CRC, h, 4, 508) != LittleEndian.u32(h, 0)) {
            throw new LvmException("LVM2 mda header on " + name + " at byte " + start + ": CRC mismatch");
        }
        for (int i = 0; i < 16; i++) {
            if (h[4 + i] != MDA_MAGIC[i]) {
                throw new LvmException("LVM2 mda header on " + name + " at byte " + start + ": bad magic");
            }
        }
        long version = LittleEndian.u32(h, 20);
        if (version != 1) {
            throw new LvmException("LVM2 mda header on " + name + ": unsupported version " + version);
        }
        long hStart = LittleEndian.i64(h, 24);
        long hSize = LittleEndian.i64(h, 32);
        if (hStart != start || hSize != size) {
            throw new LvmException("LVM2 mda header on " + name + ": start/size " + hStart + "/" + hSize
                    + " disagree with the PV header " + start + "/" + size);
        }
        // First raw location: the current metadata (layout.h raw_locn; flags bit 0 = ignored).
        long off = LittleEndian.i64(h, 40);
        long len = LittleEndian.i64(h, 48);
        long textCrc = LittleEndian.u32(h, 56);
        long flags = LittleEndian.u32(h, 60);
        if (off == 0 && len == 0) {
            return Optional.empty();
        }
        if ((flags & 1) != 0) {
            return Optional.empty();
        }
        if (off < 512 || off >= size || len > size - 512 || len > MAX_TEXT) {
            throw new LvmException("LVM2 mda on " + name + ": metadata text " + off + "+" + len
                    + " outside the area of " + size + " bytes");
        }
        byte[] text = new byte[(int) len];
        long first = Math.min(len, size - off);
        dev.readFully(start + off, java.nio.ByteBuffer.wrap(text, 0, (int) first));
        if (first < len) {
            // Circular buffer: the rest continues right after the mda header.
            dev.readFully(start + 512, java.nio.ByteBuffer.wrap(text, (int) first, (int) (len - first)));
        }
        if (crc(INITIAL_CRC, text, 0, text.length) != textCrc) {
            throw new LvmException("LVM2 metadata text on " + name + ": CRC mismatch");
        }
        int end = 0;
        while (end < text.length && text[end] != 0) {
            end++;
        }
        return Optional.of(LvmText.parse(new String(text, 0, end, StandardCharsets.UTF_8)));
    }

    /** The VG section's name: the one top-level section (other top-level items are plain assignments). */
    static String vgNameOf(Map<String, Object> top) throws LvmException {
        String vg = null;
        for (Map.Entry<String, Object> e : top.entrySet()) {
            if (e.getValue() instanceof Map) {
                if (vg != null) {
                    throw new LvmException(
                            "LVM2 metadata: more than one top-level section (" + vg + ", " + e.getKey() + ")");
                }
                vg = e.getKey();
            }
        }
        if (vg == null) {
            throw new LvmException("LVM2 metadata: no volume group section");
        }
        return vg;
    }

    /**
     * Assembles the logical volumes of every volume group found on {@code pvs}. The newest metadata ({@code seqno})
     * of each VG wins. Linear LVs (segments of type {@code striped} with {@code stripe_count = 1}) are mapped;
     * every other LV is returned with {@link LogicalVolume#unsupported()} set. An LV on a missing PV is also
     * reported as unsupported.
     */
    public static List<LogicalVolume> logicalVolumes(List<PhysicalVolume> pvs) throws LvmException {
        Map<String, PhysicalVolume> newest = new LinkedHashMap<>();
        Map<String, PhysicalVolume> byUuid = new HashMap<>();
        for (PhysicalVolume pv : pvs) {
            byUuid.put(pv.uuid(), pv);
            if (pv.metadata() == null) {
                continue;
            }
            PhysicalVolume cur = newest.get(pv.vgName());
            if (cur == null || pv.seqno() > cur.seqno()) {
                newest.put(pv.vgName(), pv);
            }
        }
        List<LogicalVolume> out = new ArrayList<>();
        for (PhysicalVolume holder : newest.values()) {
            String vg = holder.vgName();
            Map<String, Object> vgSec = section(holder.metadata(), vg);
            long extentSectors = num(vgSec, "extent_size", "VG " + vg);
            if (extentSectors <= 0 || extentSectors > (1L << 32)) {
                throw new LvmException("LVM2 VG " + vg + ": extent_size " + extentSectors + " sectors out of range");
            }
            long extentBytes = extentSectors * 512;
            Map<String, Object> pvSecs = optSection(vgSec, "physical_volumes");
            Map<String, Object> lvSecs = optSection(vgSec, "logical_volumes");
            // Old-style snapshots: a hidden LV with a "snapshot" segment names its COW store, itself a plain LV.
            java.util.Set<String> cowStores = new java.util.HashSet<>();
            for (Object v : lvSecs.values()) {
                if (v instanceof Map<?, ?> lv) {
                    for (Object seg : lv.values()) {
                        if (seg instanceof Map<?, ?> sm
                                && "snapshot".equals(sm.get("type"))
                                && sm.get("cow_store") instanceof String cow) {
                            cowStores.add(cow);
                        }
                    }
                }
            }
            for (Map.Entry<String, Object> e : lvSecs.entrySet()) {
                if (!(e.getValue() instanceof Map)) {
                    continue;
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> lv = (Map<String, Object>) e.getValue();
                if (cowStores.contains(e.getKey())) {
                    out.add(new LogicalVolume(
                            vg,
                            e.getKey(),
                            lv.get("id") instanceof String s ? s : "",
                            -1,
                            null,
                            "unsupported: snapshot (copy-on-write store)"));
                    continue;
                }
                out.add(mapLv(vg, e.getKey(), lv, extentBytes, pvSecs, byUuid));
            }
        }
        out.sort(Comparator.comparing(LogicalVolume::vgName).thenComparing(LogicalVolume::lvName));
        return out;
    }

    private static LogicalVolume mapLv(
            String vg,
            String name,
            Map<String, Object> lv,
            long extentBytes,
            Map<String, Object> pvSecs,
            Map<String, PhysicalVolume> byUuid)
            throws LvmException {
        String where = "LV " + vg + "/" + name;
        String id = lv.get("id") instanceof String s ? s : "";
        List<Map<String, Object>> segs = new ArrayList<>();
        for (Object v : lv.values()) {
            if (v instanceof Map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> seg = (Map<String, Object>) v;
                segs.add(seg);
            }
        }
        segs.sort(Comparator.comparingLong(s -> s.get("start_extent") instanceof Long l ? l : Long.MAX_VALUE));
        long totalExtents = 0;
        for (Map<String, Object> seg : segs) {
            totalExtents += Math.max(0, seg.get("extent_count") instanceof Long l ? l : 0);
        }
        long size = totalExtents > Long.MAX_VALUE / extentBytes ? -1 : totalExtents * extentBytes;
        Object status = lv.get("status");
        if (status instanceof List<?> st && !st.contains("VISIBLE")) {
            return new LogicalVolume(vg, name, id, size, null, "unsupported: hidden (internal) LV");
        }
        List<ByteSource> parts = new ArrayList<>();
        long expected = 0;
        for (Map<String, Object> seg : segs) {
            String type = seg.get("type") instanceof String t ? t : "?";
            long stripes = seg.get("stripe_count") instanceof Long l ? l : -1;
            if (!type.equals("striped") || stripes != 1) {
                String what = type.equals("striped") ? "striped (stripe_count " + stripes + ")" : type;
                return new LogicalVolume(vg, name, id, size, null, "unsupported: " + what);
            }
            long start = num(seg, "start_extent", where);
            long count = num(seg, "extent_count", where);
            if (start != expected || count <= 0) {
                throw new LvmException(where + ": segment start_extent " + start + " extent_count " + count
                        + " (expected start " + expected + ")");
            }
            expected += count;
            if (!(seg.get("stripes") instanceof List<?> sl)
                    || sl.size() != 2
                    || !(sl.get(0) instanceof String pvKey)
                    || !(sl.get(1) instanceof Long pvExtent)) {
                throw new LvmException(where + ": malformed stripes list " + seg.get("stripes"));
            }
            if (!(pvSecs.get(pvKey) instanceof Map<?, ?> pvSec)) {
                throw new LvmException(where + ": stripes name unknown PV " + pvKey);
            }
            Object pvId = pvSec.get("id");
            Object peStart = pvSec.get("pe_start");
            if (!(pvId instanceof String pid) || !(peStart instanceof Long pe)) {
                throw new LvmException("LVM2 VG " + vg + ": PV " + pvKey + " lacks id or pe_start");
            }
            PhysicalVolume pv = byUuid.get(pid);
            if (pv == null) {
                return new LogicalVolume(vg, name, id, size, null, "unsupported: PV " + pid + " is missing");
            }
            ByteSource dev = pv.device();
            long peBytes = peStartBytes(vg, pvKey, pe, pv);
            long off;
            long len;
            try {
                if (pvExtent < 0) {
                    throw new ArithmeticException();
                }
                off = Math.addExact(peBytes, Math.multiplyExact(pvExtent, extentBytes));
                len = Math.multiplyExact(count, extentBytes);
            } catch (ArithmeticException overflow) {
                throw new LvmException(where + ": extent numbers overflow (PV extent " + pvExtent + ", extent_count "
                        + count + " of " + extentBytes + " bytes after pe_start " + pe + ")");
            }
            if (off < 0 || off > dev.size() || len > dev.size() - off) {
                throw new LvmException(where + ": segment at PV byte " + off + "+" + len + " outside " + pv.deviceName()
                        + " of " + dev.size() + " bytes");
            }
            parts.add(dev instanceof WritableByteSource w ? w.slice(off, len) : dev.slice(off, len));
        }
        if (parts.isEmpty()) {
            return new LogicalVolume(vg, name, id, 0, null, "unsupported: LV without segments");
        }
        return new LogicalVolume(vg, name, id, size, new ConcatSource(parts), "");
    }

    /** lvm2 scans sectors 0..3 for the label ({@code LABEL_SCAN_SECTORS}, lib/label/label.h): no data there. */
    static final long LABEL_SCAN_BYTES = 4 * 512;

    /**
     * A PV's {@code pe_start} (512-byte sectors, metadata text) as a byte offset in the PV, refused when it overflows,
     * lies in the label area (sectors 0..3, where the LV would overwrite the PV label) or beyond the device.
     */
    static long peStartBytes(String vg, String pvKey, long peStartSectors, PhysicalVolume pv) throws LvmException {
        String where = "LVM2 VG " + vg + ": PV " + pvKey + " pe_start " + peStartSectors + " sectors";
        long bytes;
        try {
            bytes = Math.multiplyExact(peStartSectors, 512L);
        } catch (ArithmeticException e) {
            throw new LvmException(where + " overflows a 64-bit byte offset");
        }
        if (bytes < LABEL_SCAN_BYTES) {
            throw new LvmException(where + " lies in the PV label area (sectors 0..3) of " + pv.deviceName());
        }
        if (bytes > pv.device().size()) {
            throw new LvmException(where + " is beyond " + pv.deviceName() + " of "
                    + pv.device().size() + " bytes");
        }
        return bytes;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> section(Map<String, Object> m, String key) throws LvmException {
        if (m.get(key) instanceof Map<?, ?> s) {
            return (Map<String, Object>) s;
        }
        throw new LvmException("LVM2 metadata: missing section " + key);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> optSection(Map<String, Object> m, String key) {
        return m.get(key) instanceof Map<?, ?> s ? (Map<String, Object>) s : Map.of();
    }

    static long num(Map<String, Object> m, String key, String where) throws LvmException {
        if (m.get(key) instanceof Long l) {
            return l;
        }
        throw new LvmException("LVM2 metadata " + where + ": missing or non-numeric " + key);
    }

    static String dashed(String u) {
        if (u.length() != 32) {
            return u;
        }
        return u.substring(0, 6) + "-" + u.substring(6, 10) + "-" + u.substring(10, 14) + "-" + u.substring(14, 18)
                + "-" + u.substring(18, 22) + "-" + u.substring(22, 26) + "-" + u.substring(26);
    }

    static String ascii(byte[] b, int o, int n) {
        return new String(b, o, n, StandardCharsets.ISO_8859_1);
    }
}
