package dev.linuximage.core.format.ova;

import dev.linuximage.core.format.DiskFormat;
import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.format.SimpleDiskImage;
import dev.linuximage.core.io.ByteSource;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The OVA entry of {@link dev.linuximage.core.format.DiskFormats}: {@link OvaHeader} finds the disk member, which is
 * read in place inside the tar and opened through the {@link DiskFormat.MemberOpener} the registry passes in (so this
 * package does not depend on the registry: no cycle). There is no OVA data view of its own: the guest data is the
 * member disk's.
 */
public final class OvaFormat {
    public static final DiskFormat FORMAT = DiskFormat.of(
            OvaHeader.LABEL,
            (head, file) -> OvaHeader.probe(head),
            (file, path, opts, members) -> open(file, opts, members));

    private OvaFormat() {}

    /** Opens the OVA in {@code tar}; its disk member is opened with {@code members}. */
    public static DiskImage open(ByteSource tar, OpenOptions opts, DiskFormat.MemberOpener members) throws IOException {
        OvaHeader h = OvaHeader.read(tar, opts);
        ByteSource slice = tar.slice(h.disk().offset(), h.disk().size());
        DiskImage inner = members.open(slice, opts);
        List<String> warnings = new ArrayList<>(h.warnings());
        warnings.addAll(inner.warnings());
        return new SimpleDiskImage(
                OvaHeader.LABEL,
                inner.format() + " " + inner.subformat(),
                inner.data(),
                tar.size(),
                warnings,
                List.<Closeable>of(inner::close, tar));
    }
}
