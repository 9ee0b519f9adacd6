package dev.linuximage.testsupport.initramfs;

import dev.linuximage.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A guest as it comes from KVM: the real Debian kernel package (hard-linked from the cache, only read) and an
 * initramfs built here the way mkinitramfs/dracut lay it out (merged-/usr symlinks, virtio modules only, indexes
 * from {@code depmod -b}), early microcode member first, main member compressed.
 */
public final class KvmGuestFixture {
    public static final List<String> VIRTIO = List.of(
            "kernel/drivers/block/virtio_blk.ko",
            "kernel/drivers/virtio/virtio.ko",
            "kernel/drivers/virtio/virtio_ring.ko");

    private KvmGuestFixture() {}

    /** Hook to add files (e.g. an init and binaries) to the initramfs tree before it is archived. */
    public interface TreeHook {
        void accept(Path tree) throws Exception;
    }

    /**
     * @param flavour {@code initramfs-tools} or {@code dracut}
     * @param label   compression of the main member (see {@link InitramfsFixtures#compressor})
     * @return the guest root (has {@code boot/} and {@code lib/modules/})
     */
    public static Path build(Path work, String flavour, String label, TreeHook hook) throws Exception {
        Path kernel = KernelFixture.root();
        String v = KernelFixture.version();
        Path guest = work.resolve("guest");
        Files.createDirectories(guest);
        Tools.shOk(work, "cp -al " + kernel + "/boot " + kernel + "/lib " + guest + "/");
        byte[] image = image(work, flavour, label, KernelFixture.modules(), v, VIRTIO, hook);
        String name = flavour.equals("initramfs-tools") ? "initrd.img-" + v : "initramfs-" + v + ".img";
        Files.write(guest.resolve("boot/" + name), image);
        return guest;
    }

    /**
     * The initramfs alone, for kernel release {@code version} whose module tree is {@code modules} (e.g.
     * {@link KernelFixture#retargeted}): the modules {@code rels} (relative to {@code modules}) and its
     * {@code modules.builtin}/{@code modules.order} in the image's {@code usr/lib/modules/<version>}, indexed by
     * {@code depmod -b}; early member first, main member compressed with {@code label}.
     */
    public static byte[] image(
            Path work, String flavour, String label, Path modules, String version, List<String> rels, TreeHook hook)
            throws Exception {
        String v = version;
        Path tree = work.resolve("tree");
        Path mods = tree.resolve("usr/lib/modules/" + v);
        for (String rel : rels) {
            Files.createDirectories(mods.resolve(rel).getParent());
            Files.copy(modules.resolve(rel), mods.resolve(rel));
        }
        Files.createDirectories(mods);
        Files.copy(modules.resolve("modules.builtin"), mods.resolve("modules.builtin"));
        Files.copy(modules.resolve("modules.order"), mods.resolve("modules.order"));
        for (String d : List.of("bin", "sbin", "lib64")) {
            Files.createDirectories(tree.resolve("usr/" + d));
            Files.createSymbolicLink(tree.resolve(d), Path.of("usr/" + d));
        }
        Files.createSymbolicLink(tree.resolve("lib"), Path.of("usr/lib"));
        Files.writeString(tree.resolve("init"), "#!/bin/sh\n");
        if (flavour.equals("initramfs-tools")) {
            Files.createDirectories(tree.resolve("conf"));
            Files.createDirectories(tree.resolve("scripts"));
            Files.writeString(tree.resolve("conf/initramfs.conf"), "MODULES=dep\n");
            Files.writeString(tree.resolve("conf/modules"), "virtio_blk\n");
            Files.writeString(tree.resolve("scripts/functions"), "load_modules() { :; }\n");
        } else {
            Files.createDirectories(tree.resolve("usr/lib/dracut/hooks"));
            Files.createDirectories(tree.resolve("etc"));
            Files.writeString(tree.resolve("usr/lib/dracut/build-parameter.txt"), "--hostonly\n");
        }
        if (hook != null) {
            hook.accept(tree);
        }
        // depmod -b on the initramfs tree, as mkinitramfs and dracut do
        Tools.shOk(tree, "depmod -b " + tree + " " + v);
        return InitramfsFixtures.concat(
                InitramfsFixtures.earlyMember(work), InitramfsFixtures.member(tree, label, "newc"));
    }
}
