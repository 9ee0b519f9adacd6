package dev.linuximage.core.format;

import dev.linuximage.core.io.ByteSource;
import java.io.IOException;
import java.nio.file.Path;

/**
 * One container format of the registry {@link DiskFormats}: a name, a content probe and an opener. Each format package
 * contributes one entry (e.g. {@code VdiFormat.FORMAT}); the registry lists them explicitly in probe order, so there is
 * no classpath scanning and nothing for native-image to register.
 */
public interface DiskFormat {

    /** The format name reported by {@link DiskImage#format()} and accepted by {@code --format}. */
    String name();

    /**
     * Cheap content check; must not throw on garbage.
     *
     * @param head the first {@code min(1024, file.size())} bytes of {@code file}
     * @param file the whole container (for probes that look at the end, e.g. the VHD footer)
     */
    boolean probe(byte[] head, ByteSource file) throws IOException;

    /**
     * Opens the container. On failure the caller closes {@code file}; on success the returned image owns it.
     *
     * @param path    the container's path (a VMDK descriptor resolves its extents next to it), or {@code null} when
     *                the container is not a file of its own (a disk inside an OVA)
     * @param members opens a disk stored inside this container (OVA); it never opens another archive
     * @throws FormatException for malformed, hostile or refused input
     */
    DiskImage open(ByteSource file, Path path, OpenOptions opts, MemberOpener members) throws IOException;

    /** Opens a disk stored inside an archive format, by content detection over the registry. */
    @FunctionalInterface
    interface MemberOpener {
        DiskImage open(ByteSource member, OpenOptions opts) throws IOException;
    }

    @FunctionalInterface
    interface Prober {
        boolean probe(byte[] head, ByteSource file) throws IOException;
    }

    @FunctionalInterface
    interface Opener {
        DiskImage open(ByteSource file, Path path, OpenOptions opts, MemberOpener members) throws IOException;
    }

    /** An entry from two functions, e.g. {@code of("vdi", (h, f) -> VdiHeader.probe(h), ...)}. */
    static DiskFormat of(String name, Prober prober, Opener opener) {
        return new DiskFormat() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public boolean probe(byte[] head, ByteSource file) throws IOException {
                return prober.probe(head, file);
            }

            @Override
            public DiskImage open(ByteSource file, Path path, OpenOptions opts, MemberOpener members)
                    throws IOException {
                return opener.open(file, path, opts, members);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
