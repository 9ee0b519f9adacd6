package dev.linuximage.core.format.raw;

import dev.linuximage.core.format.DiskFormat;
import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.SimpleDiskImage;
import dev.linuximage.core.io.ByteSource;
import java.util.List;

/**
 * The raw entry of {@link dev.linuximage.core.format.DiskFormats}, matched last (every file is a raw disk). A raw
 * disk has no header and needs no source of its own: the file is the disk. Java cannot ask a file system for its
 * holes (no SEEK_HOLE), so the data view reports the whole file as one DATA extent; consumers find zeros by reading
 * and testing ({@link dev.linuximage.core.io.ZeroScan}). The converter reads a raw regular file through the file
 * system's allocation map instead ({@link dev.linuximage.core.io.SparseFileMap}, in the prepare pipeline), so its
 * holes cost nothing where that map exists.
 */
public final class RawFormat {
    public static final DiskFormat FORMAT =
            DiskFormat.of("raw", (head, file) -> true, (file, path, opts, members) -> open(file));

    private RawFormat() {}

    public static DiskImage open(ByteSource file) {
        return new SimpleDiskImage("raw", "", file, file.size(), List.of(), List.of(file));
    }
}
