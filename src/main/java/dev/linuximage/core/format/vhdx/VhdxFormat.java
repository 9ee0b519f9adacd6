package dev.linuximage.core.format.vhdx;

import dev.linuximage.core.format.DiskFormat;
import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.format.SimpleDiskImage;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.util.List;

/** The VHDX entry of {@link dev.linuximage.core.format.DiskFormats}: {@link VhdxHeader} then {@link VhdxSource}. */
public final class VhdxFormat {
    public static final DiskFormat FORMAT = DiskFormat.of(
            VhdxHeader.LABEL, (head, file) -> VhdxHeader.probe(head), (file, path, opts, members) -> open(file, opts));

    private VhdxFormat() {}

    static DiskImage open(ByteSource file, OpenOptions opts) throws IOException {
        VhdxHeader h = VhdxHeader.read(file, opts);
        VhdxSource src = new VhdxSource(file, h);
        return new SimpleDiskImage(VhdxHeader.LABEL, h.subformat(), src, file.size(), h.warnings(), List.of(src));
    }
}
