package dev.linuximage.testsupport.initramfs;

import dev.linuximage.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Initramfs images laid out the way Arch's mkinitcpio and Alpine's mkinitfs build them, packed with the real
 * {@code cpio -o -H newc} and compressors ({@link InitramfsFixtures}). Their init scripts are the fixtures under
 * {@code src/test/fixtures/generators/}, written for these tests to reproduce the control flow of the upstream
 * scripts around the root device (see the README there); neither generator is packaged for Debian, so unlike
 * {@link GeneratorFixture} nothing is downloaded.
 * <ul>
 *   <li>mkinitcpio, base + udev hooks: {@code /init} (base's {@code init}), {@code /init_functions}, {@code /config}
 *       (the {@code HOOKS=} the init runs) and {@code /buildconfig} (the mkinitcpio.conf used) that
 *       {@code parse_config} writes, {@code /hooks/udev}, {@code bin}/{@code sbin}/{@code lib} links into
 *       {@code usr}; an uncompressed early member ({@code early_cpio}, microcode) then the zstd main member
 *       (mkinitcpio's default compression);</li>
 *   <li>mkinitcpio with the systemd hook: the same, but {@code /init} a link to {@code usr/lib/systemd/systemd}
 *       ({@code install/systemd}: {@code add_symlink /init usr/lib/systemd/systemd}), xz
 *       ({@code COMPRESSION="xz"});</li>
 *   <li>Alpine mkinitfs: {@code /init} ({@code initramfs-init}), {@code bin/busybox}, {@code sbin/nlplug-findfs},
 *       {@code etc/mdev.conf} ({@code features.d/base.files}), gzip (its {@code initfscomp} default).</li>
 * </ul>
 * Binaries are placeholders.
 */
public final class OtherGeneratorFixture {
    private OtherGeneratorFixture() {}

    /** The fixture script {@code name} of {@code src/test/fixtures/generators/}. */
    public static String script(String name) throws IOException {
        return Files.readString(Path.of("src/test/fixtures/generators", name));
    }

    /**
     * @param systemd        the systemd hook (else base + udev's busybox init)
     * @param initFunctions  the {@code /init_functions} text ({@link #script} of {@code mkinitcpio-init_functions},
     *                       or a variant)
     */
    public static byte[] mkinitcpioImage(Path work, boolean systemd, String initFunctions)
            throws IOException, InterruptedException {
        Tools.require("cpio", "zstd", "xz");
        Path tree = Files.createDirectories(work.resolve("mkinitcpio-tree-" + systemd));
        String hooks = systemd
                ? "base systemd autodetect microcode modconf kms keyboard sd-vconsole block filesystems fsck"
                : "base udev autodetect microcode modconf kms keyboard keymap consolefont block filesystems fsck";
        exec(tree.resolve("init"), script("mkinitcpio-init"));
        write(tree.resolve("init_functions"), initFunctions);
        write(tree.resolve("buildconfig"), "MODULES=()\nBINARIES=()\nFILES=()\nHOOKS=(" + hooks + ")\n");
        write(tree.resolve("config"), "HOOKS=\"" + (systemd ? "" : "udev") + "\"\nEARLYHOOKS=\"\"\n");
        exec(tree.resolve("hooks/udev"), "#!/usr/bin/ash\nrun_hook() {\n    udevd_running=1\n}\n");
        exec(tree.resolve("usr/bin/busybox"), "placeholder for busybox\n");
        Files.createDirectories(tree.resolve("usr/lib/modules/6.7.4-arch1-1"));
        Files.createDirectories(tree.resolve("new_root"));
        Files.createSymbolicLink(tree.resolve("bin"), Path.of("usr/bin"));
        Files.createSymbolicLink(tree.resolve("sbin"), Path.of("usr/bin"));
        Files.createSymbolicLink(tree.resolve("lib"), Path.of("usr/lib"));
        if (systemd) {
            exec(tree.resolve("usr/lib/systemd/systemd"), "placeholder for the systemd binary\n");
            Files.delete(tree.resolve("init"));
            Files.createSymbolicLink(tree.resolve("init"), Path.of("usr/lib/systemd/systemd"));
            write(tree.resolve("etc/initrd-release"), "NAME=\"Arch Linux\"\nID=arch\n");
            return InitramfsFixtures.member(tree, "xz", "newc");
        }
        // initialize_buildroot: the early root holds early_cpio and the microcode, stored uncompressed
        Path early = Files.createDirectories(work.resolve("mkinitcpio-early"));
        write(early.resolve("early_cpio"), "1\n");
        byte[] ucode = new byte[2048];
        new java.util.Random(3).nextBytes(ucode);
        Files.createDirectories(early.resolve("kernel/x86/microcode"));
        Files.write(early.resolve("kernel/x86/microcode/AuthenticAMD.bin"), ucode);
        return InitramfsFixtures.concat(
                InitramfsFixtures.member(early, "cpio", "newc"), InitramfsFixtures.member(tree, "zstd", "newc"));
    }

    /** An Alpine mkinitfs image (gzip) whose {@code /init} is {@code init}. */
    public static byte[] mkinitfsImage(Path work, String init) throws IOException, InterruptedException {
        return mkinitfsImage(work, init, java.util.List.of());
    }

    /**
     * @param modules module files (placeholders) under {@code lib/modules/6.6.14-0-virt/}, e.g. what a
     *                {@code features.d/*.modules} line such as {@code kernel/drivers/hv} pulls in
     */
    public static byte[] mkinitfsImage(Path work, String init, java.util.List<String> modules)
            throws IOException, InterruptedException {
        Tools.require("cpio", "gzip");
        Path tree = Files.createDirectories(work.resolve("mkinitfs-tree"));
        exec(tree.resolve("init"), init);
        exec(tree.resolve("bin/busybox"), "placeholder for busybox\n");
        Files.createSymbolicLink(Files.createDirectories(tree.resolve("bin")).resolve("sh"), Path.of("busybox"));
        exec(tree.resolve("sbin/nlplug-findfs"), "placeholder for nlplug-findfs\n");
        exec(tree.resolve("sbin/modprobe"), "placeholder for kmod\n");
        write(tree.resolve("etc/mdev.conf"), "sd[a-z].*\troot:disk 0660\n");
        Files.createDirectories(tree.resolve("lib/modules/6.6.14-0-virt/kernel"));
        for (String m : modules) {
            write(tree.resolve("lib/modules/6.6.14-0-virt/" + m), "placeholder module\n");
        }
        return InitramfsFixtures.member(tree, "gzip", "newc");
    }

    private static void write(Path p, String text) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    private static void exec(Path p, String text) throws IOException {
        write(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
