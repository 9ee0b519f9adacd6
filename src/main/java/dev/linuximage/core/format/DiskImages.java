package dev.linuximage.core.format;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.FileByteSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Entry point of the format engine: opens any supported container and returns the guest's raw view. Detection is
 * by content, never by file name; an explicit format overrides detection. The formats and their probe order are the
 * registry {@link DiskFormats}.
 */
public final class DiskImages {
    /** Names accepted by {@code --format}. */
    public static final List<String> FORMATS = List.of("raw", "vhd", "vpc", "vhdx", "qcow2", "vmdk", "vdi", "ova");

    private DiskImages() {}

    public static DiskImage open(Path file) throws IOException {
        return open(file, null, OpenOptions.defaults());
    }

    /**
     * @param formatOrNull one of {@link #FORMATS} to skip detection, or {@code null}
     * @throws FormatException for malformed, hostile or refused input (exit code BAD_INPUT)
     */
    public static DiskImage open(Path file, String formatOrNull, OpenOptions opts) throws IOException {
        FileByteSource src = FileByteSource.openReadOnly(file);
        boolean ok = false;
        try {
            DiskFormat format = formatOrNull == null ? DiskFormats.detect(src) : byName(formatOrNull);
            DiskImage img = format.open(src, file, opts, DiskFormats::openMember);
            ok = true;
            return img;
        } finally {
            if (!ok) {
                src.close();
            }
        }
    }

    /** Opens a container that is not a file of its own (a disk inside an OVA); no external extents allowed. */
    public static DiskImage open(ByteSource container, String formatOrNull, OpenOptions opts) throws IOException {
        if (formatOrNull == null) {
            return DiskFormats.openMember(container, opts);
        }
        DiskFormat format = byName(formatOrNull);
        if (format.name().equals("ova")) {
            throw new FormatException("ova", "nested", "ova", "an OVA inside an OVA is refused");
        }
        return format.open(container, null, opts, DiskFormats::openMember);
    }

    /** Describes a container for {@code inspect}: format, sub-format, sizes, warnings. */
    public static ImageDescription describe(Path file, String formatOrNull, OpenOptions opts) throws IOException {
        try (DiskImage img = open(file, formatOrNull, opts)) {
            return ImageDescription.of(img);
        }
    }

    static String normalize(String f) throws FormatException {
        String n = f.toLowerCase(Locale.ROOT);
        if (n.equals("vpc")) {
            n = "vhd";
        }
        if (!FORMATS.contains(n)) {
            throw new FormatException("format", "--format", f, "unknown format; one of " + FORMATS);
        }
        return n;
    }

    private static DiskFormat byName(String f) throws FormatException {
        String n = normalize(f);
        return DiskFormats.byName(n).orElseThrow(() -> new IllegalStateException(n));
    }

    /** Content-based detection; never looks at the file name. */
    public static String detect(ByteSource src) throws IOException {
        return DiskFormats.detect(src).name();
    }
}
