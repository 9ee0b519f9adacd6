package dev.linuximage.core.initramfs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.initramfs.KernelFixture;
import dev.linuximage.testsupport.initramfs.KvmGuestFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real oracle for "the kernel unpacks it": boots Debian's kernel in QEMU (TCG) with the patched initramfs. The
 * initramfs' init (busybox and kmod copied from this Debian host) prints what the kernel unpacked and what kmod's
 * modprobe resolves through our indexes, and loads the added SCSI modules for real. hv_vmbus itself cannot bind
 * outside Hyper-V: its load must fail with "No such device" (found and initialised, no VMBus), not "not found".
 */
@Tag("boot")
class InitramfsBootE2E {
    @TempDir
    Path work;

    static final String INIT = """
            #!/bin/busybox sh
            /bin/busybox mkdir -p /proc /sys /dev
            /bin/busybox mount -t proc proc /proc
            /bin/busybox mount -t sysfs sys /sys
            echo "LI-CONF-MODULES: $(/bin/busybox cat /conf/modules | /bin/busybox tr '\\n' ' ')"
            echo "LI-DEPS: $(/sbin/modprobe --show-depends hv_storvsc 2>&1 | /bin/busybox tr '\\n' ' ')"
            /sbin/modprobe scsi_transport_fc; echo "LI-FC-RC: $?"
            [ -d /sys/module/scsi_transport_fc ] && echo LI-FC-LOADED
            [ -d /sys/module/scsi_mod ] && echo LI-SCSI-LOADED
            echo "LI-VMBUS: $(/sbin/modprobe hv_vmbus 2>&1)"
            echo "LI-ALIAS: $(/sbin/modprobe -R vmbus:d96361baa104294db60572e2ffb1dc7f 2>&1)"
            echo LI-DONE
            """;

    /** Every main-archive compression the repair re-encodes (lzma is re-encoded as gzip). */
    @ParameterizedTest
    @ValueSource(strings = {"zstd", "gzip", "xz", "lz4-legacy", "lzma"})
    void debianKernelUnpacksTheRewrittenArchiveAndLoadsTheAddedModules(String label) throws Exception {
        Tools.require("qemu-system-x86_64", "busybox", "kmod", "ldd");
        String v = KernelFixture.version();
        Path guest = KvmGuestFixture.build(work, "initramfs-tools", label, tree -> {
            Files.writeString(tree.resolve("init"), INIT);
            Files.setPosixFilePermissions(tree.resolve("init"), PosixFilePermissions.fromString("rwxr-xr-x"));
            // busybox and kmod from this Debian host, with their libraries, at their merged-/usr paths
            Tools.shOk(
                    tree,
                    "for b in /usr/bin/busybox /usr/bin/kmod; do cp -L --parents $b .; "
                            + "for l in $(ldd $b | grep -o '/[^ ]*'); do cp -L --parents $l .; done; done; "
                            + "ln -s ../bin/kmod usr/sbin/modprobe");
        });
        InjectionResult repair =
                new HvDrivers().ensure(new DirectoryGuestFiles(guest, false)).get(0);
        System.out.println(label + ": " + repair.note());
        assertThat(repair.note()).contains("rewrote the main");

        Path log = work.resolve("console.log");
        Tools.Result r = Tools.sh(
                work,
                "timeout 300 qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot "
                        + "-kernel " + guest.resolve("boot/vmlinuz-" + v) + " -initrd "
                        + guest.resolve("boot/initrd.img-" + v)
                        + " -append 'console=ttyS0 panic=-1 quiet' > " + log + " 2>&1",
                null);
        String console = Files.readString(log);
        console.lines().filter(l -> l.contains("LI-")).forEach(System.out::println);
        assertThat(console).as("serial console (qemu exit %d)", r.exit()).contains("LI-DONE");
        assertThat(console).contains("LI-CONF-MODULES: virtio_blk hv_vmbus hv_storvsc hv_netvsc");
        assertThat(console)
                .containsPattern("LI-DEPS: .*insmod /lib/modules/" + v.replace(".", "\\.")
                        + "/kernel/drivers/scsi/hv_storvsc\\.ko");
        assertThat(console).contains("LI-FC-RC: 0", "LI-FC-LOADED", "LI-SCSI-LOADED");
        assertThat(console).containsPattern("LI-VMBUS: .*No such device");
        assertThat(console).contains("LI-ALIAS: hv_storvsc");
    }
}
