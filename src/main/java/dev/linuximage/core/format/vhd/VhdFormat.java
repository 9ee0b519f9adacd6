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
    public static final DiskFormat FORMAT = DiskFormat.of(VhdHeader.F, (head, file) -> VhdHeader.probe(file),
            (file, path, opts, members) -> open(file, opts));

    private VhdFormat() {
    }

    static DiskImage open(ByteSource file, OpenOptions opts) throws IOException {
        VhdHeader h = VhdHeader.read(file, opts);
        if (h.dynamic() == null) {
            ByteSource data = file.slice(0, h.footer().currentSize());
            return new SimpleDiskImage(VhdHeader.F, h.subformat(), data, file.size(), h.warnings(), List.of(file));
        }
        VhdSource src = new VhdSource(file, h);
        return new SimpleDiskImage(VhdHeader.F, h.subformat(), src, file.size(), h.warnings(), List.of(src));
    }
}
