package dev.linuximage.core.fs.guest;

import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.FileByteSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The one place where a disk file on the host becomes a {@link ByteSource} for the storage engine.
 *
 * <p>MERGE POINT: this build opens raw images only; at merge the lead points {@link #open} at the format engine's
 * {@code core/format/DiskImages} (qcow2, VHD, VHDX, VMDK, VDI, ...), and {@link #describe} at its container
 * description.
 */
public final class DiskFiles {
    private DiskFiles() {
    }

    /** Opens {@code file} as a virtual disk; {@code format} is {@code null}/{@code auto}/{@code raw}. */
    public static ByteSource open(Path file, String format, boolean writable) throws IOException {
        String f = format == null ? "auto" : format.toLowerCase(Locale.ROOT);
        if (!f.equals("auto") && !f.equals("raw")) {
            throw new UnsupportedDiskFormatException("disk format '" + format + "' is not available in this build "
                    + "(only raw)");
        }
        return writable ? FileByteSource.openReadWrite(file) : FileByteSource.openReadOnly(file);
    }

    /** A one-line container description for {@code inspect}. TODO(merge): DiskImages' container description. */
    public static String describe(Path file, ByteSource disk) {
        return "raw, " + disk.size() + " bytes";
    }

    /** A disk format this build cannot open. */
    public static final class UnsupportedDiskFormatException extends IOException {
        public UnsupportedDiskFormatException(String message) {
            super(message);
        }
    }
}
