package dev.linuximage.core.initramfs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.testsupport.BzImages;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.GuestTree;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which initramfs files boot entries boot (UAPI.1 Boot Loader Specification, type #1 entries): paths relative to the
 * file system holding the entry, {@code initrd} repeatable (all used, in order), GRUB's BLS variables not files.
 */
class BootEntriesTest {
    static final String V = "6.1.0-26-amd64";
    static final String MID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

    @Test
    void kernelInstallLayoutOnTheEspIsAKernelOfItsOwnNamedByItsEntry(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file("/boot/vmlinuz-" + V, "image").file("/boot/initrd.img-" + V, "boot copy");
        t.file("/lib/modules/" + V + "/modules.dep", "");
        // kernel-install's 90-loaderentry.install: $BOOT/$ENTRY_TOKEN/$KERNEL_VERSION/{linux,initrd...}; the kernel
        // image here has no bzImage header, so the release comes from the <kver> directory
        t.file("/boot/efi/" + MID + "/" + V + "/linux", "image");
        t.file("/boot/efi/" + MID + "/" + V + "/microcode.cpio", "ucode");
        t.file("/boot/efi/" + MID + "/" + V + "/initrd.img-" + V, "esp copy");
        t.file(
                "/boot/efi/loader/entries/" + MID + "-" + V + ".conf",
                "title Debian\n"
                        + "linux /" + MID + "/" + V + "/linux\n"
                        + "initrd /" + MID + "/" + V + "/microcode.cpio\n"
                        + "initrd /" + MID + "/" + V + "/initrd.img-" + V + "\n");
        // /efi is a link to the same ESP: its entries are not counted twice
        t.link("/efi", "boot/efi");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            List<KernelInventory.Kernel> ks = KernelInventory.bootable(g);
            assertThat(ks)
                    .extracting(KernelInventory.Kernel::initramfs)
                    .containsExactly("/boot/initrd.img-" + V, "/boot/efi/" + MID + "/" + V + "/initrd.img-" + V);
            KernelInventory.Kernel esp = ks.get(1);
            assertThat(esp.name()).isEqualTo("/boot/efi/loader/entries/" + MID + "-" + V + ".conf");
            assertThat(esp.version()).isEqualTo(V);
            assertThat(esp.modulesDir()).isEqualTo("/lib/modules/" + V);
            assertThat(esp.earlierInitrds()).containsExactly("/boot/efi/" + MID + "/" + V + "/microcode.cpio");
        }
    }

    @Test
    void fedoraEntriesOnABootWithoutItsOwnFileSystemAndGrubVariables(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        String v = "5.14.0-427.13.1.el9_4.x86_64";
        // dracut's kernel-install plugin keeps no /boot copy the inventory would find under a vmlinuz name: the entry
        // names /boot/... from the root file system (20-grub.install's grub2-mkrelpath), with $tuned_initrd
        t.bytes("/boot/vmlinuz-" + v, BzImages.bzImage(v + " (mockbuild@x86) #1 SMP"), "rw-r--r--");
        t.file("/boot/initramfs-" + v + "-custom.img", "image");
        t.file("/lib/modules/" + v + "/modules.dep", "");
        t.file(
                "/boot/loader/entries/" + MID + "-" + v + ".conf",
                "title RHEL\nversion " + v + "\n"
                        + "linux /boot/vmlinuz-" + v + "\ninitrd /boot/initramfs-" + v + "-custom.img $tuned_initrd\n"
                        + "options root=/dev/sda2 $tuned_params\n");
        // an entry pointing out of $BOOT or at nothing names no initramfs
        t.file("/boot/loader/entries/bad.conf", "linux /../etc/passwd\ninitrd /../../etc/shadow\n");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            List<KernelInventory.BootEntry> es = KernelInventory.bootEntries(g);
            assertThat(es)
                    .extracting(KernelInventory.BootEntry::initrds)
                    .containsExactlyInAnyOrder(List.of(), List.of("/boot/initramfs-" + v + "-custom.img"));
            List<KernelInventory.Kernel> ks = KernelInventory.bootable(g);
            // /boot/vmlinuz-<v> has no initramfs under an inventory name: the entry says which one it boots with
            assertThat(ks)
                    .extracting(KernelInventory.Kernel::initramfs)
                    .containsExactly("/boot/initramfs-" + v + "-custom.img");
            assertThat(ks.get(0).version())
                    .as("the release in the entry's bzImage header")
                    .isEqualTo(v);
        }
    }
}
