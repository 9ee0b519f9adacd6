package dev.linuximage.core.format.vdi;

import dev.linuximage.core.format.DiskFormat;
import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.format.SimpleDiskImage;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.util.List;

/** The VDI entry of {@link dev.linuximage.core.format.DiskFormats}: {@link VdiHeader} then {@link VdiSource}. */
public final class VdiFormat {
    public static final DiskFormat FORMAT = DiskFormat.of(
            VdiHeader.LABEL, (head, file) -> VdiHeader.probe(head), (file, path, opts, members) -> open(file, opts));

    private VdiFormat() {}

    static DiskImage open(ByteSource file, OpenOptions opts) throws IOException {
        VdiHeader h = VdiHeader.read(file, opts);
        VdiSource src = new VdiSource(file, h);
        return new SimpleDiskImage(VdiHeader.LABEL, h.subformat(), src, file.size(), List.of(), List.of(src));
    }
}
