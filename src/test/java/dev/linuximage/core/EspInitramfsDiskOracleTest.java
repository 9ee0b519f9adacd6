package dev.linuximage.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.GuestTree;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.initramfs.KernelFixture;
import dev.linuximage.testsupport.initramfs.KvmGuestFixture;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KERNEL-HV-DRIVERS on a systemd-boot guest (issue 11): the initramfs that boots is the one the loader entry on the
 * ESP names, not the copy in /boot. The layout is kernel-install's for systemd-boot (systemd's
 * {@code 90-loaderentry.install}, UAPI.1 Boot Loader Specification type #1): {@code <ESP>/<machine-id>/<kver>/linux}
 * and {@code initrd.img-<kver>}, referenced by {@code <ESP>/loader/entries/<machine-id>-<kver>.conf} with paths
 * relative to the ESP; the ESP mounted at /boot/efi by fstab (Debian's systemd-boot). The disk is built without
 * mounts (GPT by sfdisk, the ESP by {@code mkfs.vfat} + {@code mcopy}, the root by {@code mke2fs -d}); the /boot copy
 * carries hv_vmbus, hv_storvsc, hv_netvsc, the ESP copy (what boots) does not. Expectations from the requirement:
 * check fails naming the ESP file; after prepare the real tools ({@code mcopy} out of the FAT, {@code lsinitrd},
 * {@code fsck.vfat -n}) list the drivers in the ESP copy and find the grown FAT clean; a second prepare changes
 * nothing.
 */
@Tag("oracle")
class EspInitramfsDiskOracleTest {
    static final long MIB = 1L << 20;
    static final String MID = "4c9a1f0e2b7d4e6f8a1b2c3d4e5f6a7b";
    static final String ROOT_UUID = "6d5c0f7e-8a3b-4c2d-9e1f-0a1b2c3d4e5f";
    static final String HV_REL = "kernel/drivers/hv/hv_vmbus.ko kernel/drivers/scsi/hv_storvsc.ko "
            + "kernel/drivers/net/hyperv/hv_netvsc.ko";

    /** What goes into the guest: its kernel and modules, the /boot image and the ESP image. */
    record Guest(
            String version, Path modules, Path vmlinuz, byte[] bootInitrd, boolean bootHasDrivers, byte[] espInitrd) {}

    /**
     * The modules and their dependencies, as paths relative to the module tree: the dependencies are what
     * {@code modinfo -F depends} (kmod) reads from each module's own {@code .modinfo}.
     */
    static Set<String> closure(Path modules, List<String> rels) throws IOException {
        Map<String, String> byName = new TreeMap<>();
        try (Stream<Path> s = Files.walk(modules.resolve("kernel"))) {
            s.filter(p -> p.getFileName().toString().endsWith(".ko"))
                    .forEach(p -> byName.put(
                            p.getFileName().toString().replace(".ko", "").replace('-', '_'),
                            modules.relativize(p).toString()));
        }
        Set<String> out = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(rels);
        while (!todo.isEmpty()) {
            String r = todo.pop();
            if (!out.add(r)) {
                continue;
            }
            String deps = Tools.command(
                            "modinfo", "-F", "depends", modules.resolve(r).toString())
                    .timeout(Tools.MINUTE)
                    .mergeStderr()
                    .run()
                    .out()
                    .strip();
            for (String d : deps.isEmpty() ? new String[0] : deps.split(",")) {
                String rel = byName.get(d.strip().replace('-', '_'));
                assertThat(rel)
                        .as("module %s (a dependency of %s) in %s", d, r, modules)
                        .isNotNull();
                todo.add(rel);
            }
        }
        return out;
    }

    static void copyModules(Path modules, Set<String> rels, Path to) throws IOException {
        for (String r : rels) {
            Files.createDirectories(to.resolve(r).getParent());
            Files.copy(modules.resolve(r), to.resolve(r));
        }
    }

    /** The raw disk: GPT, ESP (1) at 1 MiB of {@code espMib}, ext4 root (2) after it; returns the ESP's size. */
    static Path disk(Path dir, Guest g, long espMib) throws Exception {
        String v = g.version();
        // the root: Debian 12 with dracut (host-only), the ESP on /boot/efi
        GuestTree t = new GuestTree(dir.resolve("root"));
        t.file(
                "/etc/os-release",
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
                        + "VERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n");
        t.file(
                "/etc/fstab",
                "UUID=" + ROOT_UUID + " / ext4 errors=remount-ro 0 1\n"
                        + "UUID=1A2B-3C4D /boot/efi vfat umask=0077 0 1\n");
        t.file("/etc/machine-id", MID + "\n");
        t.file("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        t.file("/etc/kernel/cmdline", "root=UUID=" + ROOT_UUID + " ro quiet\n");
        t.file("/etc/dracut.conf.d/10-hostonly.conf", "hostonly=\"yes\"\n");
        t.dir("/usr/lib/dracut/modules.d");
        t.dir("/boot/efi");
        t.bytes("/boot/vmlinuz-" + v, Files.readAllBytes(g.vmlinuz()), "rw-r--r--");
        t.bytes("/boot/initrd.img-" + v, g.bootInitrd(), "rw-r--r--");
        Path mods = dir.resolve("root/usr/lib/modules/" + v);
        Files.createDirectories(mods);
        for (String f : List.of("modules.builtin", "modules.order")) {
            Files.copy(g.modules().resolve(f), mods.resolve(f));
        }
        copyModules(g.modules(), closure(g.modules(), List.of(HV_REL.split(" "))), mods);
        t.link("/lib", "usr/lib");
        // the guest's module indexes, as its depmod writes them at kernel installation
        Tools.command("depmod", "-b", t.root().toString(), v)
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();

        // the ESP as bootctl install and kernel-install lay it out
        Path esp = dir.resolve("esp");
        Files.createDirectories(esp.resolve("loader/entries"));
        Files.createDirectories(esp.resolve(MID + "/" + v));
        Files.writeString(esp.resolve("loader/loader.conf"), "timeout 3\n");
        Files.writeString(
                esp.resolve("loader/entries/" + MID + "-" + v + ".conf"),
                "title      Debian GNU/Linux 12 (bookworm)\nversion    " + v + "\nmachine-id " + MID + "\n"
                        + "sort-key   debian\noptions    root=UUID=" + ROOT_UUID + " ro quiet\n"
                        + "linux      /" + MID + "/" + v + "/linux\n"
                        + "initrd     /" + MID + "/" + v + "/initrd.img-" + v + "\n");
        Files.copy(g.vmlinuz(), esp.resolve(MID + "/" + v + "/linux"));
        Files.write(esp.resolve(MID + "/" + v + "/initrd.img-" + v), g.espInitrd());
        Path espImg = dir.resolve("esp.img");
        Tools.command("mkfs.vfat", "-F", "32", "-i", "1A2B3C4D", "-C", espImg.toString(), String.valueOf(espMib * 1024))
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        try (Stream<Path> s = Files.list(esp)) {
            for (Path p : s.toList()) {
                Tools.command("env", "MTOOLS_SKIP_CHECK=1", "mcopy", "-s", "-i", espImg.toString(), p.toString(), "::/")
                        .timeout(Tools.MINUTE)
                        .mergeStderr()
                        .run();
            }
        }
        Tools.command("fsck.vfat", "-n", espImg.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();

        long rootMib = 96;
        Path raw = dir.resolve("disk.raw");
        try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength((1 + espMib + rootMib + 1) * MIB);
        }
        Path layout = Files.writeString(
                dir.resolve("layout.sfdisk"),
                "label: gpt\n"
                        + "start=2048, size=" + espMib * 2048 + ", type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n"
                        + "start=" + (1 + espMib) * 2048 + ", size=" + rootMib * 2048
                        + ", type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n");
        Tools.command("sh", "-c", "sfdisk --no-reread --no-tell-kernel " + raw + " < " + layout)
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        Tools.command("dd", "if=" + espImg, "of=" + raw, "bs=1M", "seek=1", "conv=notrunc,sparse", "status=none")
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        Tools.command(
                        "mke2fs",
                        "-q",
                        "-F",
                        "-t",
                        "ext4",
                        "-U",
                        ROOT_UUID,
                        "-d",
                        t.root().toString(),
                        "-E",
                        "offset=" + (1 + espMib) * MIB,
                        raw.toString(),
                        rootMib + "M")
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        return raw;
    }

    /** The ESP of a raw or fixed-VHD image (the data of a fixed VHD starts at 0) copied into a file. */
    static Path esp(Path image, long espMib, Path target) throws IOException {
        return DiskFiles.copyRange(image, MIB, espMib * MIB, target);
    }

    static String espInitrdPath(String v) {
        return "/boot/efi/" + MID + "/" + v + "/initrd.img-" + v;
    }

    /** The drivers lsinitrd lists in an initramfs ({@code hv_vmbus} ... as module names). */
    static Set<String> hvListed(Path img) {
        String list = Tools.command("lsinitrd", img.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run()
                .out();
        Set<String> out = new LinkedHashSet<>();
        for (String m : List.of("hv_vmbus", "hv_storvsc", "hv_netvsc")) {
            if (list.lines()
                    .anyMatch(l ->
                            l.matches(".* \\S*/modules/\\S+/kernel/drivers/\\S*/" + m + "\\.ko(\\.(xz|zst|gz))?$"))) {
                out.add(m);
            }
        }
        return out;
    }

    void run(Path dir, Guest g, long espMib) throws Exception {
        String v = g.version();
        Path raw = disk(dir, g, espMib);
        Path before = esp(raw, espMib, dir.resolve("esp-before.img"));
        Tools.command(
                        "env",
                        "MTOOLS_SKIP_CHECK=1",
                        "mcopy",
                        "-i",
                        before.toString(),
                        "::/" + MID + "/" + v + "/initrd.img-" + v,
                        dir.resolve("initrd-before.img").toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        // the fixture's premise, by the oracle: the ESP copy lacks the drivers, /boot's has them
        assertThat(hvListed(dir.resolve("initrd-before.img")))
                .as("drivers in the ESP copy before")
                .isEmpty();
        Path bootCopy = Files.write(dir.resolve("boot-initrd.img"), g.bootInitrd());
        assertThat(hvListed(bootCopy)).as("drivers in /boot's copy").hasSize(g.bootHasDrivers() ? 3 : 0);

        FamilyDiskCliOracleTest.Outcome c = FamilyDiskCliOracleTest.run(
                "check",
                raw.toString(),
                "--report",
                dir.resolve("check-before.json").toString(),
                "--provisioning",
                "CloudInit",
                "--quiet");
        assertThat(c.status()).containsEntry("KERNEL-HV-DRIVERS", "Fail");
        JsonNode hv = FamilyDiskCliOracleTest.finding(c, "KERNEL-HV-DRIVERS");
        assertThat(hv.get("evidence").toString())
                .as(hv.toPrettyString())
                .contains(espInitrdPath(v))
                .contains("missing hv_vmbus, hv_storvsc, hv_netvsc");

        Path vhd = dir.resolve("out.vhd");
        FamilyDiskCliOracleTest.Outcome p = FamilyDiskCliOracleTest.run(
                "prepare",
                raw.toString(),
                "--output",
                vhd.toString(),
                "--report",
                dir.resolve("prepare.json").toString(),
                "--provisioning",
                "CloudInit",
                "--quiet");
        // compliant (0) or not (4: this disk has no boot loader code); never an error
        assertThat(p.exit()).as(p.report().toPrettyString()).isIn(0, 4);
        assertThat(p.report().get("errors")).as("patch errors").isEmpty();
        FamilyDiskCliOracleTest.Outcome checked = FamilyDiskCliOracleTest.run(
                "check",
                vhd.toString(),
                "--report",
                dir.resolve("check.json").toString(),
                "--provisioning",
                "CloudInit",
                "--quiet");
        FamilyDiskCliOracleTest.Outcome again = FamilyDiskCliOracleTest.run(
                "prepare",
                vhd.toString(),
                "--output",
                dir.resolve("again.vhd").toString(),
                "--report",
                dir.resolve("again.json").toString(),
                "--provisioning",
                "CloudInit",
                "--quiet");
        assertThat(again.report().get("changes"))
                .as("changes of the second prepare")
                .isEmpty();
        FamilyDiskCliOracleTest.Outcome[] o = {p, checked, again};
        assertThat(o[0].status()).containsEntry("KERNEL-HV-DRIVERS", "Fixed");
        assertThat(o[0].report().get("changes").toString()).contains(espInitrdPath(v));
        assertThat(o[1].status()).as("check of the output").containsEntry("KERNEL-HV-DRIVERS", "Pass");

        Path after = esp(vhd, espMib, dir.resolve("esp-after.img"));
        Tools.command("fsck.vfat", "-n", after.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        Path initrd = dir.resolve("initrd-after.img");
        Tools.command(
                        "env",
                        "MTOOLS_SKIP_CHECK=1",
                        "mcopy",
                        "-i",
                        after.toString(),
                        "::/" + MID + "/" + v + "/initrd.img-" + v,
                        initrd.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        assertThat(hvListed(initrd))
                .as("lsinitrd of the ESP copy after prepare")
                .containsExactlyInAnyOrder("hv_vmbus", "hv_storvsc", "hv_netvsc");
        assertThat(Files.size(initrd)).as("the ESP file grew on the FAT").isGreaterThan(g.espInitrd().length);
        // the kernel next to it is untouched
        Path linux = dir.resolve("linux-after");
        Tools.command(
                        "env",
                        "MTOOLS_SKIP_CHECK=1",
                        "mcopy",
                        "-i",
                        after.toString(),
                        "::/" + MID + "/" + v + "/linux",
                        linux.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        assertThat(linux).hasSameBinaryContentAs(g.vmlinuz());
        Ext4Oracle.assertClean(vhd, (1 + espMib) * MIB);
        // the second prepare's output keeps a clean FAT too
        Tools.command(
                        "fsck.vfat",
                        "-n",
                        esp(dir.resolve("again.vhd"), espMib, dir.resolve("esp-again.img"))
                                .toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
    }

    /**
     * The Debian kernel package's modules; both images laid out as dracut writes them (zstd main archive after an
     * early microcode archive, indexes by {@code depmod -b}): the ESP one with the virtio modules of a KVM build only,
     * the /boot one with the Hyper-V drivers too.
     */
    @Test
    void espCopyWithoutDriversFailsAndIsRepairedOnTheFat(@TempDir Path dir) throws Exception {
        String v = KernelFixture.version();
        Path modules = KernelFixture.modules();
        Set<String> hv = closure(modules, List.of(HV_REL.split(" ")));
        Path withHv = KvmGuestFixture.build(
                Files.createDirectories(dir.resolve("img-hv")),
                "dracut",
                "zstd",
                tree -> copyModules(modules, hv, tree.resolve("usr/lib/modules/" + v)));
        Path kvm = KvmGuestFixture.build(Files.createDirectories(dir.resolve("img-kvm")), "dracut", "zstd", null);
        String name = "boot/initramfs-" + v + ".img";
        Guest g = new Guest(
                v,
                modules,
                KernelFixture.root().resolve("boot/vmlinuz-" + v),
                Files.readAllBytes(withHv.resolve(name)),
                true,
                Files.readAllBytes(kvm.resolve(name)));
        run(Files.createDirectories(dir.resolve("disk")), g, 64);
    }

    /**
     * The real host-only initramfs dracut 059 built in the bookworm dracut guest fixture (issue 10; built by
     * {@code -Pguests} into the shared cache) is the ESP's image (about 39 MB: the FAT file grows by the drivers),
     * repaired with that guest's own modules; /boot holds the same image (both are repaired; the case of a /boot
     * copy hiding the ESP's is the test above).
     */
    @Test
    @Tag("guests")
    void realDracutHostOnlyImageOnTheEsp(@TempDir Path dir) throws Exception {
        Optional<Path> found = Optional.empty();
        for (Path c : Stream.of(
                        System.getenv("GUEST_CACHE_DIR"),
                        "target/guests/cache",
                        System.getProperty("user.home") + "/.cache/linuximage/guests")
                .filter(d -> d != null)
                .map(Path::of)
                .filter(Files::isDirectory)
                .toList()) {
            try (Stream<Path> s = Files.list(c)) {
                // sorted: the dracut tree's image (bookworm-dracut-...) before the systemd-boot-dracut tree's
                found = found.or(
                        () -> s.filter(p -> p.getFileName().toString().matches(".*\\.initrd-hostonly-.*\\.img"))
                                .sorted()
                                .findFirst());
            }
        }
        assertThat(found)
                .as("the dracut-hostonly guest fixture's initramfs (built by -Pguests)")
                .isPresent();
        Path img = found.get();
        String name = img.getFileName().toString();
        String fixture = name.substring(0, name.indexOf(".initrd-hostonly-"));
        String v = name.substring(name.indexOf(".initrd-hostonly-") + 17, name.lastIndexOf('-'));
        Path tree = img.getParent().resolve(fixture + "/tree");
        Path modules = tree.resolve("lib/modules/" + v);
        byte[] hostonly = Files.readAllBytes(img);
        Guest g = new Guest(v, modules, tree.resolve("boot/vmlinuz-" + v), hostonly, false, hostonly);
        run(Files.createDirectories(dir.resolve("disk")), g, 160);
    }
}
