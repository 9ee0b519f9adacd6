package dev.linuximage.testsupport.initramfs;

import dev.linuximage.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Initramfs images whose boot scripts are the real ones of Debian bookworm's generators, downloaded with
 * {@code apt-get download} (not installed) and unpacked by {@code src/test/fixtures/initramfs-generators.sh} under
 * {@code target/generators/}, then laid out the way each generator installs them and packed with the real
 * {@code cpio -o -H newc} and compressor ({@link InitramfsFixtures}):
 * <ul>
 *   <li>initramfs-tools ({@code mkinitramfs}): {@code usr/share/initramfs-tools/init} copied to {@code /init}, the
 *       package's {@code scripts/} tree, {@code conf/initramfs.conf} (the package's default), {@code conf/arch.conf},
 *       and an optional {@code conf/conf.d/resume} as the Debian installer writes it; zstd (bookworm's default);</li>
 *   <li>dracut with systemd ({@code 00systemd} links {@code /init} to systemd; 99base, 95resume,
 *       95rootfs-block and 98dracut-systemd install their scripts at the paths their {@code module-setup.sh} name),
 *       and optionally the host-only {@code etc/cmdline.d/95resume.conf} that {@code 95resume}'s {@code cmdline()}
 *       writes; dracut without systemd has {@code 99base/init.sh} as {@code /init}.</li>
 * </ul>
 * The systemd binary itself is not part of either package: {@code /init}'s target is a placeholder file.
 */
public final class GeneratorFixture {
    private static Path root;
    private static String versions;

    private GeneratorFixture() {}

    /** The unpack directory (has {@code initramfs-tools-core/} and {@code dracut-core/}). */
    public static synchronized Path root() throws IOException, InterruptedException {
        if (root == null) {
            Tools.require("apt-get", "dpkg-deb", "cpio", "zstd", "gzip");
            Path target = Path.of("target/generators").toAbsolutePath();
            Files.createDirectories(target);
            Tools.Result r = Tools.sh(Path.of("."), "sh src/test/fixtures/initramfs-generators.sh " + target, null);
            if (r.exit() != 0) {
                throw new AssertionError(
                        "cannot fetch/unpack initramfs-tools-core and dracut-core (apt-get " + "download): " + r.err());
            }
            versions = r.out().strip();
            root = target;
        }
        return root;
    }

    /** "initramfs-tools-core 0.142+deb12u3\ndracut-core 059-4" as unpacked. */
    public static synchronized String versions() throws IOException, InterruptedException {
        root();
        return versions;
    }

    public static Path initramfsTools() throws IOException, InterruptedException {
        return root().resolve("initramfs-tools-core");
    }

    public static Path dracut() throws IOException, InterruptedException {
        return root().resolve("dracut-core");
    }

    /**
     * An initramfs-tools image (uncompressed early member + zstd main member).
     *
     * @param resume the {@code RESUME=} value of {@code conf/conf.d/resume}, or null for none
     */
    public static byte[] initramfsToolsImage(Path work, String resume) throws IOException, InterruptedException {
        Path pkg = initramfsTools();
        Path tree = Files.createDirectories(work.resolve("itools-tree"));
        copy(pkg.resolve("usr/share/initramfs-tools/init"), tree.resolve("init"));
        copyTree(pkg.resolve("usr/share/initramfs-tools/scripts"), tree.resolve("scripts"));
        copy(pkg.resolve("etc/initramfs-tools/initramfs.conf"), tree.resolve("conf/initramfs.conf"));
        Files.createDirectories(tree.resolve("conf/conf.d"));
        Files.writeString(tree.resolve("conf/arch.conf"), "DPKG_ARCH=amd64\n");
        if (resume != null) {
            Files.writeString(tree.resolve("conf/conf.d/resume"), "RESUME=" + resume + "\n");
        }
        Files.createDirectories(tree.resolve("usr/lib/modules/6.1.0-test-amd64"));
        return InitramfsFixtures.concat(
                InitramfsFixtures.earlyMember(work), InitramfsFixtures.member(tree, "zstd", "newc"));
    }

    /**
     * A dracut image (gzip, one member).
     *
     * @param systemd      {@code /init} is a link to systemd (else 99base's init.sh)
     * @param hostonlyResume the {@code resume=} value host-only mode writes to {@code etc/cmdline.d}, or null
     */
    public static byte[] dracutImage(Path work, boolean systemd, String hostonlyResume)
            throws IOException, InterruptedException {
        Path m = dracut().resolve("usr/lib/dracut/modules.d");
        Path tree = Files.createDirectories(work.resolve("dracut-tree-" + systemd));
        Map<String, String> files = new java.util.LinkedHashMap<>();
        files.put("99base/dracut-lib.sh", "lib/dracut-lib.sh");
        files.put("99base/dracut-dev-lib.sh", "lib/dracut-dev-lib.sh");
        files.put("99base/initqueue.sh", "sbin/initqueue");
        files.put("99base/parse-root-opts.sh", "lib/dracut/hooks/cmdline/10-parse-root-opts.sh");
        files.put("95resume/parse-resume.sh", "lib/dracut/hooks/cmdline/10-parse-resume.sh");
        files.put("95resume/resume.sh", "lib/dracut/resume.sh");
        files.put("95rootfs-block/parse-block.sh", "lib/dracut/hooks/cmdline/95-parse-block.sh");
        files.put("95rootfs-block/block-genrules.sh", "lib/dracut/hooks/pre-udev/30-block-genrules.sh");
        files.put("95rootfs-block/mount-root.sh", "lib/dracut/hooks/mount/99-mount-root.sh");
        files.put("95rootfs-block/rootfallback.sh", "lib/dracut/hooks/initqueue/timeout/99-rootfallback.sh");
        if (systemd) {
            files.put("98dracut-systemd/dracut-cmdline.sh", "bin/dracut-cmdline");
            files.put("98dracut-systemd/dracut-initqueue.sh", "bin/dracut-initqueue");
            files.put("98dracut-systemd/dracut-pre-mount.sh", "bin/dracut-pre-mount");
            files.put("98dracut-systemd/dracut-mount.sh", "bin/dracut-mount");
            files.put(
                    "98dracut-systemd/rootfs-generator.sh",
                    "usr/lib/systemd/system-generators/dracut-rootfs-generator");
        } else {
            files.put("99base/init.sh", "init");
        }
        for (Map.Entry<String, String> e : files.entrySet()) {
            copy(m.resolve(e.getKey()), tree.resolve(e.getValue()));
        }
        Files.createDirectories(tree.resolve("usr/lib/dracut"));
        Files.writeString(
                tree.resolve("usr/lib/dracut/modules.txt"),
                systemd
                        ? "systemd\nsystemd-initrd\ndracut-systemd\nbase\nrootfs-block\nresume\n"
                        : "base\nrootfs-block\nresume\n");
        if (systemd) {
            Files.createDirectories(tree.resolve("usr/lib/systemd"));
            Files.writeString(tree.resolve("usr/lib/systemd/systemd"), "placeholder for the systemd binary\n");
            Files.createSymbolicLink(tree.resolve("init"), Path.of("usr/lib/systemd/systemd"));
        }
        if (hostonlyResume != null) {
            Files.createDirectories(tree.resolve("etc/cmdline.d"));
            Files.writeString(tree.resolve("etc/cmdline.d/95resume.conf"), " resume=" + hostonlyResume + "\n");
        }
        return InitramfsFixtures.member(tree, "gzip", "newc");
    }

    private static void copy(Path from, Path to) throws IOException {
        if (!Files.isRegularFile(from)) {
            throw new AssertionError("the unpacked package lacks " + from);
        }
        Files.createDirectories(to.getParent());
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    copy(p, t);
                }
            }
        }
    }
}
