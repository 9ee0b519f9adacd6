package dev.linuximage.testsupport.initramfs;

import dev.linuximage.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real Debian bookworm kernel package, downloaded once with {@code apt-get download} (not installed) and unpacked
 * with {@code dpkg-deb -x}, cached under {@code target/kernel/}. Recipe: {@code src/test/fixtures/kernel.sh}.
 */
public final class KernelFixture {
    private static Path root;
    private static String version;

    private KernelFixture() {}

    /** The unpacked package root (has {@code boot/} and {@code lib/modules/<version>/}). */
    public static synchronized Path root() throws IOException, InterruptedException {
        if (root == null) {
            Tools.require("apt-get", "dpkg-deb");
            Path target = Path.of("target/kernel").toAbsolutePath();
            Files.createDirectories(target);
            Tools.Result r = Tools.sh(Path.of("."), "sh src/test/fixtures/kernel.sh " + target, null);
            if (r.exit() != 0) {
                throw new AssertionError("cannot fetch/unpack the Debian kernel package (apt-get download "
                        + "linux-image-amd64's dependency): " + r.err());
            }
            version = r.out().strip();
            root = target.resolve("root");
        }
        return root;
    }

    public static synchronized String version() throws IOException, InterruptedException {
        root();
        return version;
    }

    public static Path modules() throws IOException, InterruptedException {
        return root().resolve("lib/modules/" + version());
    }

    /**
     * A module tree for another distribution's kernel release, made of this package's real modules, for guests whose
     * kernel package no registry here serves (RHEL): each of {@code rels} (paths relative to {@link #modules()},
     * {@code .ko}) is copied with the {@code vermagic=} string of its {@code .modinfo} section replaced by
     * {@code release} ({@code objcopy --update-section}; every other byte of the ELF file is the package's), then
     * compressed as {@code .ko.xz} with the CRC32 check kmod reads when {@code xz} (RHEL 8/9 ship {@code .ko.xz});
     * plus {@code modules.builtin} and {@code modules.order}, indexed by the real {@code depmod -b}.
     *
     * @return {@code work/lib/modules/<release>}
     */
    public static Path retargeted(Path work, String release, java.util.Collection<String> rels, boolean xz)
            throws IOException, InterruptedException {
        Tools.require("objcopy", "depmod", "xz");
        String from = version();
        Path out = work.resolve("lib/modules/" + release);
        for (String rel : rels) {
            Path target = out.resolve(rel);
            Files.createDirectories(target.getParent());
            Path info = work.resolve("modinfo.bin");
            Tools.shOk(
                    work,
                    "objcopy --dump-section .modinfo=" + info + " " + modules().resolve(rel) + " /dev/null");
            String text = new String(Files.readAllBytes(info), java.nio.charset.StandardCharsets.ISO_8859_1);
            String old = "vermagic=" + from + " ";
            if (!text.contains(old)) {
                throw new AssertionError(rel + " has no '" + old + "' in its .modinfo");
            }
            Files.write(
                    info,
                    text.replace(old, "vermagic=" + release + " ")
                            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            Tools.shOk(
                    work,
                    "objcopy --update-section .modinfo=" + info + " "
                            + modules().resolve(rel) + " " + target + (xz ? " && xz --check=crc32 " + target : ""));
            Files.delete(info);
        }
        for (String f : java.util.List.of("modules.builtin", "modules.order")) {
            Files.copy(modules().resolve(f), out.resolve(f));
        }
        Tools.shOk(work, "depmod -b " + work + " " + release);
        return out;
    }
}
