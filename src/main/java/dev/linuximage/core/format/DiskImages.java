package dev.linuximage.core.format;

import dev.linuximage.core.format.qcow2.Qcow2Header;
import dev.linuximage.core.format.qcow2.Qcow2Source;
import dev.linuximage.core.format.raw.RawReader;
import dev.linuximage.core.format.vdi.VdiReader;
import dev.linuximage.core.format.vhd.VhdReader;
import dev.linuximage.core.format.vhdx.VhdxReader;
import dev.linuximage.core.format.vmdk.VmdkReader;
import dev.linuximage.core.format.ova.OvaReader;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.FileByteSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Entry point of the format engine: opens any supported container and returns the guest's raw view. Detection is
 * by content, never by file name; an explicit format overrides detection. Order of probes: qcow2, VHDX, VMDK
 * (sparse header or text descriptor), VDI, OVA (tar with an .ovf first), VHD (footer at the end or a footer copy at
 * 0), else raw.
 */
public final class DiskImages {
    /** Names accepted by {@code --format}. */
    public static final List<String> FORMATS = List.of("raw", "vhd", "vpc", "vhdx", "qcow2", "vmdk", "vdi", "ova");

    private DiskImages() {
    }

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
            String format = formatOrNull == null ? detect(src) : normalize(formatOrNull);
            DiskImage img = switch (format) {
                case "raw" -> RawReader.open(src);
                case "vhd" -> VhdReader.open(src, opts);
                case "vhdx" -> VhdxReader.open(src, opts);
                case "qcow2" -> openQcow2(src, opts);
                case "vmdk" -> VmdkReader.open(src, file, opts);
                case "vdi" -> VdiReader.open(src, opts);
                case "ova" -> OvaReader.open(src, opts);
                default -> throw new IllegalStateException(format);
            };
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
        String format = formatOrNull == null ? detect(container) : normalize(formatOrNull);
        return switch (format) {
            case "raw" -> RawReader.open(container);
            case "vhd" -> VhdReader.open(container, opts);
            case "vhdx" -> VhdxReader.open(container, opts);
            case "qcow2" -> openQcow2(container, opts);
            case "vmdk" -> VmdkReader.open(container, null, opts);
            case "vdi" -> VdiReader.open(container, opts);
            case "ova" -> throw new FormatException("ova", "nested", "ova", "an OVA inside an OVA is refused");
            default -> throw new IllegalStateException(format);
        };
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

    private static DiskImage openQcow2(ByteSource src, OpenOptions opts) throws IOException {
        byte[] h = src.readBytes(0, (int) Math.min(src.size(), 4096));
        Qcow2Header header = Qcow2Header.parse(h, src.size(), opts.maxVirtualSize());
        Qcow2Source data = new Qcow2Source(src, header);
        return new SimpleDiskImage("qcow2", header.subformat(), data, src.size(), header.warnings(), List.of(data));
    }

    /** Content-based detection; never looks at the file name. */
    public static String detect(ByteSource src) throws IOException {
        long n = src.size();
        byte[] head = src.readBytes(0, (int) Math.min(n, 1024));
        if (Qcow2Header.probe(head)) {
            return "qcow2";
        }
        if (VhdxReader.probe(head)) {
            return "vhdx";
        }
        if (VmdkReader.probe(head, n)) {
            return "vmdk";
        }
        if (VdiReader.probe(head)) {
            return "vdi";
        }
        if (OvaReader.probe(head)) {
            return "ova";
        }
        if (VhdReader.probe(src)) {
            return "vhd";
        }
        return "raw";
    }
}
