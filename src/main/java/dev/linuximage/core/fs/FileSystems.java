package dev.linuximage.core.fs;

import dev.linuximage.core.fs.ext4.Ext4FileSystem;
import dev.linuximage.core.fs.fat.FatFileSystem;
import dev.linuximage.core.fs.xfs.XfsFileSystem;
import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The registry of file-system probes, tried in order (no classpath scanning: native-image friendly). To add a file
 * system, add one line to {@link #PROBES}, e.g. {@code FileSystemProbe.of("ext4", Ext4FileSystem::probe,
 * Ext4FileSystem::open)}.
 */
public final class FileSystems {
    public static final List<FileSystemProbe> PROBES = List.of(
            FileSystemProbe.of("ext4", Ext4FileSystem::probe, Ext4FileSystem::open),
            FileSystemProbe.of("xfs", XfsFileSystem::probe, XfsFileSystem::open),
            FileSystemProbe.of("vfat", FatFileSystem::probe, FatFileSystem::open));

    private FileSystems() {}

    /** The first probe that recognises {@code dev}, if any. */
    public static Optional<FileSystemProbe> detect(ByteSource dev) throws IOException {
        for (FileSystemProbe p : PROBES) {
            if (p.probe(dev)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Opens the file system on {@code dev} with the first matching probe; empty when none recognises it. */
    public static Optional<FileSystem> probe(ByteSource dev, boolean writable) throws IOException {
        Optional<FileSystemProbe> p = detect(dev);
        return p.isPresent() ? Optional.of(p.get().open(dev, writable)) : Optional.empty();
    }
}
