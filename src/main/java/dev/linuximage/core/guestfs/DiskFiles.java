package dev.linuximage.core.guestfs;

import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.DiskImages;
import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.format.vhd.VhdFooter;
import dev.linuximage.core.format.vhd.VhdFormat;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.ForwardingSource;
import dev.linuximage.core.report.BadInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The one place where a disk file on the host becomes a {@link ByteSource} for the storage engine: any container the
 * format engine reads (raw, VHD, VHDX, qcow2, VMDK, VDI, OVA) opens read-only; only raw files and fixed VHDs (whose
 * data area is the disk, byte for byte) open for writing in place. Other containers are edited by converting them
 * first ({@code prepare} does that, or patches a copy-on-write overlay when streaming).
 */
public final class DiskFiles {
    private DiskFiles() {}

    /** Opens {@code file} as a virtual disk; {@code format} is {@code null}/{@code auto} or a format name. */
    public static ByteSource open(Path file, String format, boolean writable) throws IOException {
        String f = format == null || format.equalsIgnoreCase("auto") ? null : format.toLowerCase(Locale.ROOT);
        DiskImage img = DiskImages.open(file, f, OpenOptions.defaults());
        if (!writable) {
            return new ForwardingSource(img.data(), img::close);
        }
        String kind = img.format() + "/" + img.subformat();
        boolean fixedVhd = VhdFormat.isFixedVhd(img.format(), img.subformat());
        img.close();
        if (kind.startsWith("raw/")) {
            return FileByteSource.openReadWrite(file);
        }
        if (fixedVhd) {
            FileByteSource vhd = FileByteSource.openReadWrite(file);
            return vhd.truncatedView(vhd.size() - VhdFooter.SIZE);
        }
        throw new UnsupportedDiskFormatException(
                kind + " disks cannot be edited in place: convert to a fixed VHD " + "first (linuximage convert)");
    }

    /** A one-line container description for {@code inspect}. */
    public static String describe(Path file, ByteSource disk) {
        try {
            return DiskImages.describe(file, null, OpenOptions.defaults()).summary();
        } catch (IOException | RuntimeException e) {
            return "unknown container (" + e.getMessage() + "), " + disk.size() + " bytes";
        }
    }

    /** A disk format this build cannot open. */
    public static final class UnsupportedDiskFormatException extends BadInputException {
        public UnsupportedDiskFormatException(String message) {
            super(Reason.UNSUPPORTED_IMAGE, message);
        }
    }
}
