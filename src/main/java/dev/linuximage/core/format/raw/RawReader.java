package dev.linuximage.core.format.raw;

import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.SimpleDiskImage;
import dev.linuximage.core.io.ByteSource;

import java.util.List;

/**
 * A raw disk: the file is the disk. Java cannot ask a file system for its holes (no SEEK_HOLE), so the data view
 * reports the whole file as one DATA extent; consumers find zeros by reading and testing
 * ({@link dev.linuximage.core.io.ZeroScan}). Time for raw input is therefore linear in the file size.
 */
public final class RawReader {
    private RawReader() {
    }

    public static DiskImage open(ByteSource file) {
        return new SimpleDiskImage("raw", "", file, file.size(), List.of(), List.of(file));
    }
}
