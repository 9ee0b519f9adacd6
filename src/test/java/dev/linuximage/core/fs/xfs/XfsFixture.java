package dev.linuximage.core.fs.xfs;

import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Builds an XFS image with {@code mkfs.xfs -p PROTOFILE} (xfsprogs 6.1 takes a protofile, not a directory), no mount.
 * Contents: short-form, block, leaf and node directories, an inline symlink, a multi-MiB file.
 */
public final class XfsFixture {
    public static final int LEAF_ENTRIES = 300;
    public static final int NODE_ENTRIES = 1500;

    private XfsFixture() {}

    public static Path build(Path dir, String name, long sizeMiB, String extraEtc)
            throws IOException, InterruptedException {
        return build(dir, name, sizeMiB, extraEtc, null);
    }

    /** {@code extraEtc}/{@code extraRoot}: protofile lines added inside /etc and at the root. */
    public static Path build(Path dir, String name, long sizeMiB, String extraEtc, String extraRoot)
            throws IOException, InterruptedException {
        return build(dir, name, sizeMiB, extraEtc, extraRoot, java.util.List.of());
    }

    /** {@code mkfsOptions}: extra mkfs.xfs arguments, e.g. {@code -m finobt=0,reflink=0}. */
    public static Path build(
            Path dir, String name, long sizeMiB, String extraEtc, String extraRoot, java.util.List<String> mkfsOptions)
            throws IOException, InterruptedException {
        Path src = Files.createDirectories(dir.resolve(name + "-src"));
        Path osr = Files.writeString(
                src.resolve("os-release"),
                "NAME=\"Rocky Linux\"\nID=rocky\nVERSION_ID=\"9.4\"\n"
                        + "PRETTY_NAME=\"Rocky Linux 9.4 (Blue Onyx)\"\n");
        Path small = Files.writeString(src.resolve("small"), "hello xfs\n");
        byte[] big = new byte[3 * 1024 * 1024 + 123];
        new Random(42).nextBytes(big);
        Path bigf = Files.write(src.resolve("big.bin"), big);
        StringBuilder p = new StringBuilder();
        p.append("/dev/null\n0 0\nd--755 0 0\n");
        p.append("etc d--755 0 0\n");
        p.append(" os-release ---644 0 0 ").append(osr).append('\n');
        p.append(" hostname ---644 0 0 ").append(small).append('\n');
        p.append(" default d--755 0 0\n  grub ---644 0 0 ").append(small).append("\n $\n");
        if (extraEtc != null) {
            p.append(extraEtc);
        }
        p.append(" block d--755 0 0\n");
        for (int i = 0; i < 40; i++) {
            p.append("  file-in-block-dir-")
                    .append(i)
                    .append(" ---600 1000 1000 ")
                    .append(small)
                    .append('\n');
        }
        p.append(" $\n$\n");
        p.append("usr d--755 0 0\n leaf d--755 0 0\n");
        for (int i = 0; i < LEAF_ENTRIES; i++) {
            p.append("  leaf-entry-with-a-longish-name-")
                    .append(i)
                    .append(" ---644 0 0 ")
                    .append(small)
                    .append('\n');
        }
        p.append(" $\n node d--755 0 0\n");
        for (int i = 0; i < NODE_ENTRIES; i++) {
            p.append("  node-entry-with-a-much-longer-name-to-fill-blocks-")
                    .append(i)
                    .append(" ---644 0 0 ")
                    .append(small)
                    .append('\n');
        }
        p.append(" $\n$\n");
        p.append("big.bin ---644 0 0 ").append(bigf).append('\n');
        p.append("link-inline l--777 0 0 /etc/os-release\n");
        if (extraRoot != null) {
            p.append(extraRoot);
        }
        // No long (remote) symlink: mkfs.xfs 6.1 -p writes remote symlink blocks without their v5 XSLM header
        // (xfs_repair -n then reports "bad symlink header"), so such a fixture would be corrupt from the start.
        p.append("$\n");
        Path proto = Files.writeString(dir.resolve(name + ".proto"), p.toString());
        Path img = DiskFiles.sparse(dir.resolve(name + ".img"), sizeMiB << 20);
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
                "mkfs.xfs", "-q", "-f", "-L", "xfsroot", "-m", "uuid=5e1f8b5c-3f3e-4a3c-9a59-0d2b7f0c1a11"));
        cmd.addAll(mkfsOptions);
        cmd.addAll(java.util.List.of("-p", proto.toString(), img.toString()));
        Tools.run(cmd.toArray(new String[0]));
        return img;
    }
}
