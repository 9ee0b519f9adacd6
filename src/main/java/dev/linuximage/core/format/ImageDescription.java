package dev.linuximage.core.format;

import java.util.List;

/**
 * What {@code inspect} shows about a container.
 *
 * @param virtualSize    bytes of the guest disk
 * @param allocatedBytes bytes of the guest view reported as DATA (for raw: the whole file, zeros are not scanned)
 * @param containerBytes bytes of the container file(s)
 */
public record ImageDescription(
        String format,
        String subformat,
        long virtualSize,
        long allocatedBytes,
        long containerBytes,
        List<String> warnings) {

    /** Describes an opened image; cost grows with the number of extents, not with the data. */
    public static ImageDescription of(DiskImage image) throws java.io.IOException {
        long[] data = {0};
        image.data().extents(0, image.virtualSize(), e -> {
            if (e.isData()) {
                data[0] += e.length();
            }
        });
        return new ImageDescription(
                image.format(),
                image.subformat(),
                image.virtualSize(),
                data[0],
                image.containerBytes(),
                image.warnings());
    }

    /** One human line, e.g. {@code qcow2 v3 (compat=1.1), virtual size 1048576 bytes, 65536 bytes allocated}. */
    public String summary() {
        return format + (subformat.isEmpty() ? "" : " " + subformat) + ", virtual size " + virtualSize + " bytes, "
                + allocatedBytes + " bytes allocated, container " + containerBytes + " bytes";
    }
}
