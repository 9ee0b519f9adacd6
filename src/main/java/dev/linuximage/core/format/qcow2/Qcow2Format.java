package dev.linuximage.core.format.qcow2;

import dev.linuximage.core.format.DiskFormat;
import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.format.SimpleDiskImage;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.util.List;

/** The qcow2 entry of {@link dev.linuximage.core.format.DiskFormats}: {@link Qcow2Header} then {@link Qcow2Source}. */
public final class Qcow2Format {
    public static final DiskFormat FORMAT = DiskFormat.of(
            Qcow2Header.LABEL,
            (head, file) -> Qcow2Header.probe(head),
            (file, path, opts, members) -> open(file, opts));

    private Qcow2Format() {}

    static DiskImage open(ByteSource src, OpenOptions opts) throws IOException {
        byte[] h = src.readBytes(0, (int) Math.min(src.size(), 4096));
        Qcow2Header header = Qcow2Header.parse(h, src.size(), opts.maxVirtualSize());
        Qcow2Source data = new Qcow2Source(src, header);
        return new SimpleDiskImage(
                Qcow2Header.LABEL, header.subformat(), data, src.size(), header.warnings(), List.of(data));
    }
}
