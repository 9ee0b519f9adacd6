package dev.linuximage.core.fs;

import dev.linuximage.core.io.ByteSource;
import java.io.IOException;

/** Recognises and opens one file-system type; registered in {@link FileSystems}. */
public interface FileSystemProbe {

    /** The type name reported when {@link #probe} matches ({@code xfs}, {@code vfat}, {@code ext4}). */
    String type();

    /** Cheap check of the magic numbers at the start of {@code dev}; must not throw on garbage. */
    boolean probe(ByteSource dev) throws IOException;

    /** Opens the file system; {@code writable} needs a writable source. */
    FileSystem open(ByteSource dev, boolean writable) throws IOException;

    @FunctionalInterface
    interface Prober {
        boolean probe(ByteSource dev) throws IOException;
    }

    @FunctionalInterface
    interface Opener {
        FileSystem open(ByteSource dev, boolean writable) throws IOException;
    }

    /** A probe from two static methods, e.g. {@code of("xfs", XfsFileSystem::probe, XfsFileSystem::open)}. */
    static FileSystemProbe of(String type, Prober prober, Opener opener) {
        return new FileSystemProbe() {
            @Override
            public String type() {
                return type;
            }

            @Override
            public boolean probe(ByteSource dev) throws IOException {
                return prober.probe(dev);
            }

            @Override
            public FileSystem open(ByteSource dev, boolean writable) throws IOException {
                return opener.open(dev, writable);
            }
        };
    }
}
