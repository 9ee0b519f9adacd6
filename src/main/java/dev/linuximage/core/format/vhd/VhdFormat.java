package dev.linuximage.core.format.vhd;

import dev.linuximage.core.format.DiskFormat;
import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.format.SimpleDiskImage;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.util.List;

/**
 * The VHD entry of {@link dev.linuximage.core.format.DiskFormats}: {@link VhdHeader}, then for a fixed disk the bytes
 * before the footer, for a dynamic one {@link VhdSource}. Differencing disks are refused.
 */
public final class VhdFormat {
    public static final DiskFormat FORMAT = DiskFormat.of(
            VhdHeader.LABEL, (head, file) -> VhdHeader.probe(file), (file, path, opts, members) -> open(file, opts));

    private VhdFormat() {}

    static DiskImage open(ByteSource file, OpenOptions opts) throws IOException {
        VhdHeader h = VhdHeader.read(file, opts);
        if (h.dynamic() == null) {
            ByteSource data = file.slice(0, h.footer().currentSize());
            return new SimpleDiskImage(VhdHeader.LABEL, h.subformat(), data, file.size(), h.warnings(), List.of(file));
        }
        VhdSource src = new VhdSource(file, h);
        return new SimpleDiskImage(VhdHeader.LABEL, h.subformat(), src, file.size(), h.warnings(), List.of(src));
    }

    /**
     * The one name of a fixed VHD, as the report's container facts say it ({@code ContainerFacts.format}) and the
     * DISK-FORMAT check reads it.
     */
    public static final String KIND = "vhd-fixed";

    /** Whether the format engine's {@code format}/{@code subformat} pair names a fixed VHD. */
    public static boolean isFixedVhd(String format, String subformat) {
        return "vhd".equals(format) && "fixed".equals(subformat);
    }

    /** The container kind for the report: {@link #KIND} for a fixed VHD, else {@code format-subformat}. */
    public static String kind(String format, String subformat) {
        return isFixedVhd(format, subformat) ? KIND : format + "-" + subformat;
    }
}
