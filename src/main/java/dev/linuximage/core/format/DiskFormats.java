package dev.linuximage.core.format;

import dev.linuximage.core.format.ova.OvaFormat;
import dev.linuximage.core.format.qcow2.Qcow2Format;
import dev.linuximage.core.format.raw.RawFormat;
import dev.linuximage.core.format.vdi.VdiFormat;
import dev.linuximage.core.format.vhd.VhdFormat;
import dev.linuximage.core.format.vhdx.VhdxFormat;
import dev.linuximage.core.format.vmdk.VmdkFormat;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The registry of container formats, probed in list order (no classpath scanning: native-image friendly). Order
 * matters: formats with a magic at offset 0 first (qcow2, VHDX, VMDK, VDI), then OVA (a tar whose first member is an
 * .ovf), then VHD (footer at the end, which a file with a magic at 0 could also carry), and raw last: it matches
 * everything. To add a format, add its entry here.
 */
public final class DiskFormats {
    public static final List<DiskFormat> ALL = List.of(
            Qcow2Format.FORMAT,
            VhdxFormat.FORMAT,
            VmdkFormat.FORMAT,
            VdiFormat.FORMAT,
            OvaFormat.FORMAT,
            VhdFormat.FORMAT,
            RawFormat.FORMAT);

    private DiskFormats() {}

    /** The entry called {@code name} (already normalised, e.g. {@code vhd} not {@code vpc}). */
    public static Optional<DiskFormat> byName(String name) {
        return ALL.stream().filter(f -> f.name().equals(name)).findFirst();
    }

    /** Content-based detection; never looks at the file name. Raw matches when nothing else does. */
    public static DiskFormat detect(ByteSource src) throws IOException {
        byte[] head = src.readBytes(0, (int) Math.min(src.size(), 1024));
        for (DiskFormat f : ALL) {
            if (f.probe(head, src)) {
                return f;
            }
        }
        throw new IllegalStateException("raw matches everything");
    }

    /**
     * Opens a disk stored inside an archive (the {@link DiskFormat.MemberOpener} given to OVA): detected by content,
     * no external extents (no path), and never another archive.
     */
    public static DiskImage openMember(ByteSource member, OpenOptions opts) throws IOException {
        DiskFormat f = detect(member);
        if (f == OvaFormat.FORMAT) {
            throw new FormatException("ova", "nested", "ova", "an OVA inside an OVA is refused");
        }
        return f.open(member, null, opts, DiskFormats::openMember);
    }
}
