package dev.linuximage.core.initramfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.guest.GuestEditor;
import dev.linuximage.core.guest.HvDriverPatch;
import dev.linuximage.core.guest.KernelFacts;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.guestfs.ChangeLog;
import dev.linuximage.core.pipeline.GuestKernels;
import dev.linuximage.testsupport.BzImages;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.FamilyGuests;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.initramfs.KernelFixture;
import dev.linuximage.testsupport.initramfs.KvmGuestFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kernels are paired with their module trees by the release embedded in the boot image (Linux boot protocol,
 * {@code Documentation/arch/x86/boot.rst}: {@code kernel_version} at 0x20E points to a string at 0x200 + value), so
 * RHEL's rescue kernel ({@code vmlinuz-0-rescue-<machine-id>}, a copy of a versioned kernel made by dracut's
 * {@code 51-dracut-rescue.install}) and unversioned names ({@code vmlinuz-linux} on Arch, {@code vmlinuz-virt} on
 * Alpine) find their modules; every kernel is repaired on its own.
 */
@Tag("oracle")
class KernelPairingOracleTest {
    @TempDir
    Path work;

    @Test
    void theRealDebianKernelsEmbeddedReleaseIsWhatFileReports() throws Exception {
        Tools.require("file");
        String v = KernelFixture.version();
        Path vmlinuz = KernelFixture.root().resolve("boot/vmlinuz-" + v);
        String release = KernelInventory.bzImageRelease(Files.readAllBytes(vmlinuz));
        assertThat(release).isEqualTo(v);
        // file(1)'s magic reads the same setup-header field independently
        String file = Tools.shOk(work, "file -b " + vmlinuz).out();
        assertThat(file).contains("version " + release + " ");
    }

    /** The fixtures' bzImage (Arch's, Alpine's) is a kernel image to file(1) too, with the same version string. */
    @Test
    void theFixtureBzImageIsAKernelToFileWithItsVersion() throws Exception {
        Tools.require("file");
        String version = FamilyGuests.ARCH_KERNEL + " (linux@archlinux) #1 SMP PREEMPT_DYNAMIC Mon, 05 Feb 2024"
                + " 22:07:49 +0000";
        Path image = work.resolve("vmlinuz-linux");
        Files.write(image, BzImages.bzImage(version));
        // file's magic (Magdir/linux): "HdrS" at 514, boot flag 0xAA55 at 510, version string at 0x200 + (u16 at 526)
        assertThat(Tools.shOk(work, "file -b " + image).out())
                .startsWith("Linux kernel x86 boot executable bzImage, version " + version + ",");
        assertThat(KernelInventory.bzImageRelease(Files.readAllBytes(image))).isEqualTo(FamilyGuests.ARCH_KERNEL);
    }

    @Test
    void hostileOrForeignImagesHaveNoRelease() {
        assertThat(KernelInventory.bzImageRelease(BzImages.bzImage("6.6.1-arch1-1 (linux@archlinux) #1 SMP")))
                .isEqualTo("6.6.1-arch1-1");
        assertThat(KernelInventory.bzImageRelease(new byte[0x20F])).isNull(); // shorter than the header
        byte[] noMagic = BzImages.bzImage("6.1.0");
        noMagic[0x202] = 'X';
        assertThat(KernelInventory.bzImageRelease(noMagic)).isNull();
        byte[] outside = BzImages.bzImage("6.1.0");
        outside[0x20E] = (byte) 0xff;
        outside[0x20F] = (byte) 0xff; // 0x200 + 0xffff: beyond the image
        assertThat(KernelInventory.bzImageRelease(outside)).isNull();
        // no terminator within the 256 bytes read
        assertThat(KernelInventory.bzImageRelease(BzImages.bzImage("x".repeat(300))))
                .isNull();
        // not a file-name component
        assertThat(KernelInventory.bzImageRelease(BzImages.bzImage("../../etc")))
                .isNull();
        assertThat(KernelInventory.bzImageRelease(BzImages.bzImage("6.1\u0001")))
                .isNull();
        byte[] old = BzImages.bzImage("2.4.0");
        old[0x207] = 0x01; // boot protocol 1.x has no kernel_version field
        assertThat(KernelInventory.bzImageRelease(old)).isNull();
        byte[] unset = BzImages.bzImage("6.1.0");
        unset[0x20E] = 0;
        unset[0x20F] = 0;
        assertThat(KernelInventory.bzImageRelease(unset)).isNull();
    }

    @Test
    void rescueAndUnversionedKernelsAreRepairedEachOnItsOwn() throws Exception {
        Tools.require("cpio", "zstd", "modprobe");
        String v = KernelFixture.version();
        Path guest = KvmGuestFixture.build(work, "dracut", "zstd", null);
        Path boot = guest.resolve("boot");
        byte[] kvmInitramfs = Files.readAllBytes(boot.resolve("initramfs-" + v + ".img"));
        // RHEL's rescue pair: a copy of the kernel image and its own (here: equally host-only) initramfs
        String machineId = "0123456789abcdef0123456789abcdef";
        Files.copy(boot.resolve("vmlinuz-" + v), boot.resolve("vmlinuz-0-rescue-" + machineId));
        Files.write(boot.resolve("initramfs-0-rescue-" + machineId + ".img"), kvmInitramfs);
        // Arch's naming: vmlinuz-linux + initramfs-linux.img
        Files.copy(boot.resolve("vmlinuz-" + v), boot.resolve("vmlinuz-linux"));
        Files.write(boot.resolve("initramfs-linux.img"), kvmInitramfs);
        // a rescue kernel copied from a kernel since removed: its module tree is gone
        Files.write(boot.resolve("vmlinuz-0-rescue-old"), BzImages.bzImage("5.10.0-9-amd64 (gone) #1 SMP"));
        Files.write(boot.resolve("initramfs-0-rescue-old.img"), kvmInitramfs);

        GuestKernels gk = new GuestKernels();
        List<KernelFacts> before;
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(guest, true)) {
            List<KernelInventory.Kernel> ks = KernelInventory.scan(g);
            Map<String, KernelInventory.Kernel> byName =
                    ks.stream().collect(Collectors.toMap(KernelInventory.Kernel::name, Function.identity()));
            assertThat(byName.keySet())
                    .containsExactlyInAnyOrder(
                            v,
                            "0-rescue-" + machineId,
                            "linux",
                            "0-rescue-old"); // the module tree claimed by the images is not listed again
            assertThat(byName.get("linux").version()).isEqualTo(v);
            assertThat(byName.get("linux").modulesDir()).isEqualTo("/lib/modules/" + v);
            assertThat(byName.get("linux").initramfs()).isEqualTo("/boot/initramfs-linux.img");
            assertThat(byName.get("0-rescue-" + machineId).modulesDir()).isEqualTo("/lib/modules/" + v);
            assertThat(byName.get("0-rescue-" + machineId).initramfs())
                    .isEqualTo("/boot/initramfs-0-rescue-" + machineId + ".img");
            assertThat(byName.get("0-rescue-old").version()).isEqualTo("5.10.0-9-amd64");
            assertThat(byName.get("0-rescue-old").modulesDir()).isNull();
            before = gk.read(g);
        }
        assertThat(before)
                .hasSize(4)
                .allSatisfy(k -> assertThat(HvDriverPatch.missing(k)).isNotEmpty());

        // the rescue kernel without modules comes before the real kernel and "linux": it must not stop them
        ChangeLog log = new ChangeLog();
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(guest, false)) {
            assertThatThrownBy(() -> HvDriverPatch.apply(new GuestEditor(g, log), before, PatchOptions.defaults(), gk))
                    .hasMessageContaining("0-rescue-old (5.10.0-9-amd64)")
                    .hasMessageContaining("/lib/modules/5.10.0-9-amd64")
                    .hasMessageNotContaining("0-rescue-" + machineId);
        }
        assertThat(log.forRequirement(HvDriverPatch.REQ))
                .extracting(c -> c.path())
                .containsExactlyInAnyOrder(
                        "/boot/initramfs-" + v + ".img",
                        "/boot/initramfs-0-rescue-" + machineId + ".img",
                        "/boot/initramfs-linux.img");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(guest, true)) {
            Map<String, KernelFacts> after =
                    gk.read(g).stream().collect(Collectors.toMap(KernelFacts::name, Function.identity()));
            assertThat(HvDriverPatch.missing(after.get(v))).isEmpty();
            assertThat(HvDriverPatch.missing(after.get("linux"))).isEmpty();
            assertThat(HvDriverPatch.missing(after.get("0-rescue-" + machineId)))
                    .isEmpty();
            assertThat(HvDriverPatch.missing(after.get("0-rescue-old"))).isNotEmpty();
            assertThat(after.get("linux").label()).isEqualTo("linux (" + v + ")");
        }
        // oracle: the repaired Arch-named image, extracted by unmkinitramfs (early archive, then the main one, which
        // now holds the drivers), resolves hv_storvsc in modprobe
        Path x0 = work.resolve("x0");
        Tools.shOk(work, "unmkinitramfs " + boot.resolve("initramfs-linux.img") + " " + x0);
        Path x = x0.resolve("main");
        String deps = Tools.shOk(work, "modprobe -d " + x + " -S " + v + " --show-depends hv_storvsc")
                .out();
        assertThat(deps).contains("hv_vmbus.ko").contains("hv_storvsc.ko");
    }
}
