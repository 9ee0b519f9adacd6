package dev.linuximage.core.initramfs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.initramfs.KernelFixture;
import dev.linuximage.testsupport.initramfs.KvmGuestFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on a real Debian kernel: a guest whose initramfs was built "on KVM" (virtio only, no Hyper-V drivers)
 * gets hv_vmbus/hv_storvsc/hv_netvsc and their dependencies; unmkinitramfs, cpio, modprobe and depmod are the oracles.
 */
@Tag("oracle")
class HvDriverInjectorOracleTest {
    @TempDir
    Path work;

    @BeforeAll
    static void tools() {
        Tools.require("cpio", "zstd", "gzip", "depmod", "modprobe", "unmkinitramfs", "lsinitramfs", "lsinitrd");
    }

    private Path guest(String flavour, String label) throws Exception {
        return KvmGuestFixture.build(work, flavour, label, null);
    }

    @Test
    void addsHyperVDriversToAKvmBuiltDebianInitramfs() throws Exception {
        String v = KernelFixture.version();
        Path guest = guest("initramfs-tools", "zstd");
        Path initrd = guest.resolve("boot/initrd.img-" + v);
        byte[] before = Files.readAllBytes(initrd);

        List<InjectionResult> audit = new HvDrivers().check(new DirectoryGuestFiles(guest, true));
        assertThat(audit).singleElement().satisfies(r -> {
            assertThat(r.changed()).isFalse();
            assertThat(r.added()).contains("hv_vmbus", "hv_storvsc", "hv_netvsc");
        });
        assertThat(Files.readAllBytes(initrd)).isEqualTo(before);

        List<InjectionResult> results = new HvDrivers().ensure(new DirectoryGuestFiles(guest, false));
        InjectionResult r = results.get(0);
        System.out.println("HV injection: " + r.note());
        assertThat(r.kernelVersion()).isEqualTo(v);
        assertThat(r.flavour()).isEqualTo("initramfs-tools");
        assertThat(r.changed()).isTrue();
        assertThat(r.added())
                .containsExactlyInAnyOrder(
                        "hv_vmbus", "hv_storvsc", "hv_netvsc", "scsi_mod", "scsi_common", "scsi_transport_fc");
        // load order: every module after its dependencies
        assertThat(r.added().indexOf("scsi_common")).isLessThan(r.added().indexOf("scsi_mod"));
        assertThat(r.added().indexOf("hv_vmbus")).isLessThan(r.added().indexOf("hv_storvsc"));
        byte[] after = Files.readAllBytes(initrd);
        assertThat(r.bytesAfter()).isEqualTo(after.length);
        // the early archive (what dracut's skipcpio skips) is untouched
        Files.write(work.resolve("orig.img"), before);
        long early = before.length
                - Tools.shOk(work, "/usr/lib/dracut/skipcpio orig.img").stdout().length;
        assertThat(early).isPositive();
        assertThat(Arrays.copyOf(after, (int) early)).isEqualTo(Arrays.copyOf(before, (int) early));

        // oracle 1: unmkinitramfs (Debian's documented way to look inside) extracts the drivers from the main archive
        Path x = work.resolve("x");
        Tools.shOk(work, "unmkinitramfs " + initrd + " " + x);
        Path main = x.resolve("main");
        assertThat(main.resolve("usr/lib/modules/" + v + "/kernel/drivers/hv/hv_vmbus.ko"))
                .hasSameBinaryContentAs(KernelFixture.modules().resolve("kernel/drivers/hv/hv_vmbus.ko"));
        assertThat(Files.isSymbolicLink(main.resolve("lib"))).isTrue();
        assertThat(Files.readString(main.resolve("conf/modules")).lines().toList())
                .containsExactly("virtio_blk", "hv_vmbus", "hv_storvsc", "hv_netvsc");

        // oracle 2: kmod's modprobe resolves dependencies through our modules.dep.bin ...
        String storvsc = Tools.shOk(work, "modprobe -d " + main + " -S " + v + " --show-depends hv_storvsc")
                .out();
        List<String> order = insmodOrder(storvsc);
        assertThat(order)
                .containsExactlyInAnyOrder("hv_vmbus", "scsi_common", "scsi_mod", "scsi_transport_fc", "hv_storvsc");
        assertThat(order.get(order.size() - 1)).isEqualTo("hv_storvsc");
        assertThat(order.indexOf("scsi_common")).isLessThan(order.indexOf("scsi_mod"));
        assertThat(order.indexOf("scsi_mod")).isLessThan(order.indexOf("scsi_transport_fc"));
        assertThat(insmodOrder(Tools.shOk(work, "modprobe -d " + main + " -S " + v + " --show-depends hv_netvsc")
                        .out()))
                .containsExactly("hv_vmbus", "hv_netvsc");
        // ... the modules that were already there still resolve (the index is the union) ...
        List<String> virtio =
                insmodOrder(Tools.shOk(work, "modprobe -d " + main + " -S " + v + " --show-depends virtio_blk")
                        .out());
        assertThat(virtio).containsExactlyInAnyOrder("virtio", "virtio_ring", "virtio_blk");
        assertThat(virtio.get(2)).isEqualTo("virtio_blk");
        // ... and aliases through our modules.alias.bin (the VMBus class id udev would request for storvsc)
        assertThat(Tools.shOk(work, "modprobe -d " + main + " -S " + v + " -R vmbus:d96361baa104294db60572e2ffb1dc7f")
                        .out()
                        .strip())
                .isEqualTo("hv_storvsc");
        assertThat(Tools.shOk(work, "modprobe -d " + main + " -S " + v + " -R 'acpi*:VMBUS:*'")
                        .out()
                        .strip())
                .isEqualTo("hv_vmbus");
        assertThat(Tools.shOk(work, "modprobe -d " + main + " -S " + v + " -R virtio:d00000002v00001AF4")
                        .out()
                        .strip())
                .isEqualTo("virtio_blk");

        // oracle 3: depmod on the same module set computes the same dependencies
        Path y = work.resolve("y");
        Tools.shOk(work, "cp -a " + main + " " + y + " && depmod -b " + y + " " + v);
        String modDir = "usr/lib/modules/" + v + "/";
        assertThat(depSets(Files.readString(main.resolve(modDir + "modules.dep"))))
                .isEqualTo(depSets(Files.readString(y.resolve(modDir + "modules.dep"))));
        assertThat(new TreeSet<>(Files.readString(main.resolve(modDir + "modules.alias"))
                        .lines()
                        .toList()))
                .isEqualTo(new TreeSet<>(Files.readString(y.resolve(modDir + "modules.alias"))
                        .lines()
                        .toList()));
        assertThat(new TreeSet<>(Files.readString(main.resolve(modDir + "modules.symbols"))
                        .lines()
                        .toList()))
                .isEqualTo(new TreeSet<>(Files.readString(y.resolve(modDir + "modules.symbols"))
                        .lines()
                        .toList()));

        // oracle 4: lsinitramfs lists the drivers and what was there
        String listing = Tools.shOk(work, "lsinitramfs " + initrd).out();
        assertThat(listing)
                .contains(
                        "usr/lib/modules/" + v + "/kernel/drivers/block/virtio_blk.ko",
                        "usr/lib/modules/" + v + "/kernel/drivers/hv/hv_vmbus.ko",
                        "usr/lib/modules/" + v + "/kernel/drivers/scsi/hv_storvsc.ko",
                        "usr/lib/modules/" + v + "/kernel/drivers/net/hyperv/hv_netvsc.ko");

        // still the early cpio and one zstd main archive (rewritten, not a member appended)
        InitramfsReader.Summary s = new InitramfsReader().read(after, (e, in) -> {});
        assertThat(s.members())
                .extracting(InitramfsReader.Member::compression)
                .containsExactly(Compression.NONE, Compression.ZSTD);

        // idempotent: a second run finds the drivers and changes nothing
        List<InjectionResult> again = new HvDrivers().ensure(new DirectoryGuestFiles(guest, false));
        assertThat(again.get(0).changed()).isFalse();
        assertThat(again.get(0).alreadyPresent()).containsExactly("hv_vmbus", "hv_storvsc", "hv_netvsc");
        assertThat(Files.readAllBytes(initrd)).isEqualTo(after);
    }

    @Test
    void dracutInitramfsGetsAModulesLoadDropIn() throws Exception {
        String v = KernelFixture.version();
        Path guest = guest("dracut", "gzip");
        byte[] before = Files.readAllBytes(guest.resolve("boot/initramfs-" + v + ".img"));
        List<InjectionResult> results = new HvDrivers().ensure(new DirectoryGuestFiles(guest, false));
        assertThat(results.get(0).flavour()).isEqualTo("dracut");
        assertThat(results.get(0).initramfsPath()).isEqualTo("/boot/initramfs-" + v + ".img");
        byte[] after = Files.readAllBytes(guest.resolve("boot/initramfs-" + v + ".img"));
        Map<String, String> files = new HashMap<>();
        new InitramfsReader().read(after, (e, in) -> {
            if (e.path().startsWith("etc/modules-load.d/")) {
                files.put(e.path(), new String(in.readAllBytes()));
            }
        });
        assertThat(files.get(HvDriverInjector.DRACUT_CONF)).contains("hv_vmbus\nhv_storvsc\nhv_netvsc\n");
        // dracut's lsinitrd lists the drivers and the drop-in (it reads the early archive and one main archive)
        String listing = Tools.shOk(work, "lsinitrd " + guest.resolve("boot/initramfs-" + v + ".img"))
                .out();
        assertThat(listing)
                .contains(HvDriverInjector.DRACUT_CONF, "usr/lib/modules/" + v + "/kernel/drivers/hv/hv_vmbus.ko");
        assertThat(new InitramfsReader().read(after, (e, in) -> {}).members())
                .extracting(InitramfsReader.Member::compression)
                .containsExactly(Compression.NONE, Compression.GZIP);
        assertThat(after.length).isGreaterThan(before.length);
    }

    @Test
    void builtinDriversAreNotAdded() throws Exception {
        String v = KernelFixture.version();
        Path guest = guest("initramfs-tools", "gzip");
        // a kernel built with CONFIG_HYPERV=y lists the drivers in modules.builtin (the guest copy, not the fixture)
        Path builtin = guest.resolve("lib/modules/" + v + "/modules.builtin");
        String list = Files.readString(builtin);
        Files.delete(builtin);
        Files.writeString(builtin, list + "kernel/drivers/hv/hv_vmbus.ko\nkernel/drivers/net/hyperv/hv_netvsc.ko\n");
        InjectionResult r =
                new HvDrivers().ensure(new DirectoryGuestFiles(guest, false)).get(0);
        assertThat(r.builtin()).containsExactly("hv_vmbus", "hv_netvsc");
        assertThat(r.added()).containsExactlyInAnyOrder("hv_storvsc", "scsi_mod", "scsi_common", "scsi_transport_fc");
    }

    /** Module names of the insmod lines of {@code modprobe --show-depends}, in order. */
    static List<String> insmodOrder(String out) {
        return out.lines()
                .filter(l -> l.startsWith("insmod "))
                .map(l -> {
                    String p = l.split("\\s+")[1];
                    return p.substring(p.lastIndexOf('/') + 1).replace(".ko", "");
                })
                .toList();
    }

    /** modules.dep as module -> set of dependency modules (order-independent comparison). */
    static Map<String, Set<String>> depSets(String text) {
        Map<String, Set<String>> m = new HashMap<>();
        for (String l : text.split("\n")) {
            if (l.isBlank()) {
                continue;
            }
            String[] kv = l.split(":", 2);
            m.put(
                    kv[0].strip(),
                    Arrays.stream(kv[1].strip().split("\\s+"))
                            .filter(s -> !s.isEmpty())
                            .collect(Collectors.toCollection(TreeSet::new)));
        }
        return m;
    }
}
