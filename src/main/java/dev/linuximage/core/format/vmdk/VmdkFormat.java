package dev.linuximage.core.format.vmdk;

import dev.linuximage.core.format.Check;
import dev.linuximage.core.format.DiskFormat;
import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.FormatException;
import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.format.SimpleDiskImage;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.ConcatSource;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.ZeroSource;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The VMDK entry of {@link dev.linuximage.core.format.DiskFormats}. Reads a hosted sparse file with an embedded
 * descriptor (monolithicSparse, streamOptimized), or a text descriptor whose extents (FLAT, SPARSE, ZERO:
 * monolithicFlat, twoGbMaxExtentSparse/Flat) are files in the descriptor's own directory. An extent path that is
 * absolute, contains {@code ..}, or resolves (through symlinks) outside that directory is refused, as are differencing
 * disks and VMFS/raw-device extents.
 */
public final class VmdkFormat {
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    /** The format's name in the errors this class raises (the format field of a FormatException). */
    static final String LABEL = "vmdk";

    public static final DiskFormat FORMAT = DiskFormat.of(
            LABEL, (head, file) -> probe(head, file.size()), (file, path, opts, members) -> open(file, path, opts));

    private VmdkFormat() {}

    public static boolean probe(byte[] head, long fileSize) {
        return VmdkHeader.probe(head)
                || (fileSize <= VmdkDescriptor.MAX_BYTES && VmdkDescriptor.looksLikeDescriptor(head));
    }

    /**
     * @param path the file's path (for a text descriptor: its directory holds the extents), or {@code null} when the
     *             VMDK is not a file of its own (inside an OVA): then only self-contained sparse files are accepted
     */
    public static DiskImage open(ByteSource file, Path path, OpenOptions opts) throws IOException {
        long maxSectors = opts.maxVirtualSize() / 512;
        byte[] head = file.readBytes(0, (int) Math.min(512, file.size()));
        if (VmdkHeader.probe(head)) {
            VmdkSource src = VmdkSource.open(file, maxSectors);
            VmdkHeader h = src.header();
            String type = h.markers() ? "streamOptimized" : "monolithicSparse";
            // the embedded descriptor names the create type and must not name a parent
            byte[] hb = file.readBytes(0, 512);
            VmdkHeader first = VmdkHeader.parse(hb, maxSectors);
            if (first.descriptorOffset() > 0 && first.descriptorSize() > 0) {
                long off = Check.mul(LABEL, "descriptorOffset", first.descriptorOffset(), 512);
                long len = Check.mul(LABEL, "descriptorSize", first.descriptorSize(), 512);
                Check.range(LABEL, "descriptorSize", len, 0, VmdkDescriptor.MAX_BYTES);
                Check.within(LABEL, "descriptorOffset", off, len, file.size());
                VmdkDescriptor d = VmdkDescriptor.parse(file.readBytes(off, (int) len), maxSectors);
                type = d.createType();
                Check.that(
                        type.equals("monolithicSparse") || type.equals("streamOptimized"),
                        LABEL,
                        "createType",
                        type,
                        "a sparse file with an embedded descriptor must be monolithicSparse or streamOptimized");
                if (d.extents().size() > 1) {
                    throw new FormatException(
                            LABEL, "extents", d.extents().size(), "embedded descriptor lists more than one extent");
                }
            }
            return new SimpleDiskImage(LABEL, type, src, file.size(), List.of(), List.of(src));
        }
        if (head.length >= 4 && new String(head, 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1).equals("COWD")) {
            throw new FormatException(LABEL, "magic", "COWD", "ESX sparse (VMFS) extents are not supported");
        }
        Check.that(
                file.size() <= VmdkDescriptor.MAX_BYTES,
                LABEL,
                "descriptor size",
                file.size(),
                "not a sparse header and too large for a descriptor");
        VmdkDescriptor d = VmdkDescriptor.parse(file.readBytes(0, (int) file.size()), maxSectors);
        if (path == null) {
            throw new FormatException(
                    LABEL,
                    "createType",
                    d.createType(),
                    "a descriptor with external extents is not allowed here (inside an archive)");
        }
        Check.that(!d.extents().isEmpty(), LABEL, "extents", 0, "descriptor without extents");
        Path dir = path.toAbsolutePath().getParent();
        Path realDir = dir.toRealPath();
        List<ByteSource> parts = new ArrayList<>();
        List<Closeable> opened = new ArrayList<>();
        long container = file.size();
        boolean ok = false;
        try {
            for (VmdkDescriptor.ExtentLine e : d.extents()) {
                long bytes = e.sectors() * 512;
                switch (e.type()) {
                    case "ZERO" -> parts.add(new ZeroSource(bytes));
                    case "FLAT", "VMFS" -> {
                        Path p = resolve(realDir, e.file());
                        FileByteSource fs = FileByteSource.openReadOnly(p);
                        opened.add(fs);
                        container += fs.size();
                        long off = Check.mul(LABEL, "extent offset", e.offset(), 512);
                        Check.within(LABEL, "extent " + e.file(), off, bytes, fs.size());
                        parts.add(fs.slice(off, bytes));
                    }
                    case "SPARSE" -> {
                        Path p = resolve(realDir, e.file());
                        FileByteSource fs = FileByteSource.openReadOnly(p);
                        opened.add(fs);
                        container += fs.size();
                        VmdkSource s = VmdkSource.open(fs, maxSectors);
                        Check.that(
                                s.size() >= bytes,
                                LABEL,
                                "extent " + e.file(),
                                s.size(),
                                "sparse extent smaller than its descriptor line (" + bytes + " bytes)");
                        parts.add(s.slice(0, bytes));
                    }
                    default ->
                        throw new FormatException(
                                LABEL, "extent type", e.type(), "VMFS sparse and raw-device extents are not supported");
                }
            }
            ok = true;
        } finally {
            if (!ok) {
                for (Closeable c : opened) {
                    c.close();
                }
            }
        }
        opened.add(file);
        ConcatSource data = new ConcatSource(parts);
        return new SimpleDiskImage(LABEL, d.createType(), data, container, List.of(), opened);
    }

    /** Resolves an extent file name inside {@code realDir}; refuses absolute paths, {@code ..} and symlinks out. */
    static Path resolve(Path realDir, String name) throws IOException {
        Check.that(!name.isEmpty(), LABEL, "extent file", name, "empty file name");
        Check.that(
                !name.startsWith("/") && !name.startsWith("\\") && !name.matches("^[A-Za-z]:.*"),
                LABEL,
                "extent file",
                name,
                "absolute extent paths are refused");
        for (String part : name.split("[/\\\\]")) {
            Check.that(!part.equals(".."), LABEL, "extent file", name, "extent paths with '..' are refused");
        }
        Path p = realDir.resolve(name).normalize();
        Check.that(p.startsWith(realDir), LABEL, "extent file", name, "extent path escapes the descriptor's directory");
        Check.that(
                Files.exists(p, LinkOption.NOFOLLOW_LINKS) || Files.exists(p),
                LABEL,
                "extent file",
                name,
                "extent file does not exist");
        Path real = p.toRealPath();
        Check.that(
                real.startsWith(realDir),
                LABEL,
                "extent file",
                name,
                "extent resolves (through a symlink) outside the descriptor's directory");
        Check.that(Files.isRegularFile(real), LABEL, "extent file", name, "extent is not a regular file");
        return real;
    }
}
