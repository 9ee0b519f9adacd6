package dev.linuximage.core;

import static dev.linuximage.core.FamilyDiskCliOracleTest.AZURE;
import static dev.linuximage.core.FamilyDiskCliOracleTest.words;
import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.FamilyGuests;
import dev.linuximage.testsupport.GuestFixtures;
import dev.linuximage.testsupport.GuestTree;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.guests.XfsOracle;
import dev.linuximage.testsupport.initramfs.KernelFixture;
import dev.linuximage.testsupport.initramfs.KvmGuestFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code linuximage prepare} through the CLI on real disk images of the families' default layouts, built at test
 * time without mounts (mkfs.xfs -p protofile, mke2fs -d, mkfs.vfat + mcopy, the real lvm2 tools for LVM metadata),
 * read back with the real tools (xfs_db/xfs_repair -n, debugfs/e2fsck, mtype/fsck.vfat). Expectations come from the
 * requirement catalogue (docs/requirements.md) and the distributions' documented layouts, not from the product's
 * output. A second prepare of the output must report no change and leave the disk's data bytes identical.
 */
@Tag("oracle")
class FamilyDiskPrepareOracleTest {
    static final long MIB = 1L << 20;

    record Prepared(FamilyDiskCliOracleTest.Outcome first, FamilyDiskCliOracleTest.Outcome again, Path vhd) {}

    /** prepare RAW to out.vhd, then prepare out.vhd again: no change reported, the data part byte-identical. */
    static Prepared prepareTwice(Path dir, Path raw, String provisioning) throws Exception {
        Path vhd = dir.resolve("out.vhd");
        FamilyDiskCliOracleTest.Outcome p = FamilyDiskCliOracleTest.run(
                "prepare",
                raw.toString(),
                "--output",
                vhd.toString(),
                "--report",
                dir.resolve("prepare.json").toString(),
                "--provisioning",
                provisioning,
                "--quiet");
        assertThat(p.exit()).as(p.report().toPrettyString()).isIn(0, 4);
        assertThat(p.report().get("errors")).as("patch errors").isEmpty();
        Path again = dir.resolve("again.vhd");
        FamilyDiskCliOracleTest.Outcome a = FamilyDiskCliOracleTest.run(
                "prepare",
                vhd.toString(),
                "--output",
                again.toString(),
                "--report",
                dir.resolve("again.json").toString(),
                "--provisioning",
                provisioning,
                "--quiet");
        assertThat(a.report().get("errors"))
                .as("patch errors of the second prepare")
                .isEmpty();
        assertThat(a.report().get("changes"))
                .as("changes of the second prepare")
                .isEmpty();
        // a fixed VHD is the raw data followed by a 512-byte footer (VHD spec 1.0, "Hard Disk Footer Format")
        assertThat(Files.size(again)).isEqualTo(Files.size(vhd));
        assertThat(dataSha(again)).as("data of the second output").isEqualTo(dataSha(vhd));
        return new Prepared(p, a, vhd);
    }

    static String dataSha(Path vhd) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        long left = Files.size(vhd) - 512;
        try (var in = Files.newInputStream(vhd)) {
            byte[] buf = new byte[1 << 20];
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    break;
                }
                md.update(buf, 0, n);
                left -= n;
            }
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    /** Where {@link #anacondaLvmDisk} put things: the raw disk and the byte offsets of /boot (sda1) and the root LV. */
    record AnacondaDisk(Path raw, long bootStart, long rootStart) {}

    /** Size of each XFS file system of {@link #anacondaLvmDisk}: mkfs.xfs' minimum (xfsprogs 5.19+). */
    static final long XFS_MIB = 300;

    /**
     * anaconda's automatic partitioning on a BIOS machine (RHEL 7/8/9 "Performing a standard installation":
     * /boot a standard XFS partition, the rest LVM): a 700 MiB MBR disk, sda1 (bootable, type 83) the tree's /boot
     * as XFS, sda2 (type 8e) an LVM PV with VG {@code vg}, LV {@code swap} then LV {@code root} (XFS, the rest of the
     * tree). The LVM metadata is written by the real lvm2 tools on a loop device ({@link
     * FamilyDiskCliOracleTest#lvmSwapThenRoot}); {@code features} are the release's mkfs.xfs options.
     */
    static AnacondaDisk anacondaLvmDisk(Path dir, GuestTree tree, String bootUuid, String vg, String... features)
            throws Exception {
        Path bootTree = dir.resolve("boot-tree");
        Files.move(tree.root().resolve("boot"), bootTree);
        Files.createDirectories(tree.root().resolve("boot"));
        Path bootFs = FamilyDiskCliOracleTest.xfs(dir, "boot", bootTree, bootUuid, XFS_MIB, features);
        Path rootFs = FamilyDiskCliOracleTest.xfs(
                dir, "root", tree.root(), "7c6b5a49-3827-4e1d-8c9b-0a1f2e3d4c5b", XFS_MIB, features);
        Files.delete(dir.resolve("boot.proto"));
        Files.delete(dir.resolve("root.proto"));

        long size = 700 * MIB;
        Path raw = dir.resolve("disk.raw");
        try (var f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(size);
        }
        Path layout = Files.writeString(
                dir.resolve("layout.sfdisk"),
                "label: dos\nstart=2048, size=614400, type=83, bootable\nstart=616448, type=8e\n");
        Tools.command("sh", "-c", "sfdisk --no-reread --no-tell-kernel " + raw + " < " + layout)
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        long bootStart = 2048L * 512;
        FamilyDiskCliOracleTest.place(bootFs, raw, bootStart);
        long pvStart = 616448L * 512;
        FamilyDiskCliOracleTest.RootLv lv = FamilyDiskCliOracleTest.lvmSwapThenRoot(raw, pvStart, size - pvStart, vg);
        assertThat(lv.firstPe()).as("root LV after the swap LV").isPositive();
        long rootStart = lv.start();
        assertThat(rootStart % MIB).isZero();
        FamilyDiskCliOracleTest.place(rootFs, raw, rootStart);
        Files.delete(bootFs);
        Files.delete(rootFs);
        return new AnacondaDisk(raw, bootStart, rootStart);
    }

    /** No fstab line (other than comments) activates swap (SWAP-OS-DISK). */
    static void assertNoActiveSwap(String fstab) {
        for (String l : fstab.lines().toList()) {
            if (!l.trim().startsWith("#") && !l.isBlank()) {
                assertThat(words(l).get(2)).as(l).isNotEqualTo("swap");
            }
        }
    }

    /**
     * net.ifnames=0 names the NIC eth0: the one ifcfg profile (XFS root {@code root}) must match it by DEVICE and no
     * longer bind the build VM's MAC (NetworkManager's ifcfg-rh plugin and the network-scripts match a profile to a
     * NIC by DEVICE/HWADDR, not by the file's name), with DHCP.
     */
    static void assertIfcfgOnEth0(Path root) {
        String scripts = XfsOracle.list(root, "/etc/sysconfig/network-scripts");
        List<String> profiles = java.util.regex.Pattern.compile("\\bifcfg-[\\w.-]+")
                .matcher(scripts)
                .results()
                .map(java.util.regex.MatchResult::group)
                .filter(n -> !n.equals("ifcfg-lo"))
                .toList();
        assertThat(profiles).as(scripts).hasSize(1);
        String ifcfg = XfsOracle.readString(root, "/etc/sysconfig/network-scripts/" + profiles.get(0));
        assertThat(line(ifcfg, "DEVICE=").replace("\"", "")).isEqualTo("DEVICE=eth0");
        assertThat(ifcfg.lines().filter(l -> l.startsWith("HWADDR="))).isEmpty();
        assertThat(line(ifcfg, "BOOTPROTO=").replace("\"", "")).isEqualTo("BOOTPROTO=dhcp");
    }

    /**
     * The regular files of an XFS directory whose names end in {@code suffix}, per {@code xfs_db ls} (its lines:
     * index, inode, type, hash, name length, name, hash check).
     */
    static List<String> xfsFiles(Path fs, String dir, String suffix) {
        return XfsOracle.list(fs, dir)
                .lines()
                .map(FamilyDiskCliOracleTest::words)
                .filter(w ->
                        w.size() >= 6 && w.get(2).equals("regular") && w.get(5).endsWith(suffix))
                .map(w -> w.get(5))
                .toList();
    }

    static String line(String text, String prefix) {
        return text.lines()
                .filter(l -> l.startsWith(prefix))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + prefix + " in\n" + text));
    }

    static List<String> quoted(String assignment) {
        return words(assignment.substring(assignment.indexOf('=') + 1).replace("\"", ""));
    }

    /**
     * RHEL 8 as anaconda lays it out by default (RHEL 8 "Performing a standard installation", automatic
     * partitioning): MBR, /boot an XFS partition, the rest an LVM PV with VG {@code rhel}, LVs {@code swap} and
     * {@code root} (XFS). /boot holds the BLS entries ({@code loader/entries/<machine-id>-<kver>.conf}, {@code options
     * $kernelopts}) and {@code grub2/grubenv} with {@code kernelopts}; the root holds /etc/default/grub, fstab with the
     * swap LV, an ifcfg profile bound to the KVM NIC's MAC, waagent installed but disabled.
     */
    @Test
    void rhel8XfsOnLvmWithBlsEntries(@TempDir Path dir) throws Exception {
        String bootUuid = "5e6f7a8b-0000-1111-2222-333344445555"; // the fixture's fstab names it
        GuestTree tree = GuestFixtures.rhel8(dir.resolve("tree"));
        // anaconda's ifcfg for the KVM virtio NIC (NetworkManager's ifcfg-rh plugin): NAME/DEVICE ens3, HWADDR bound
        tree.file("/etc/sysconfig/network-scripts/ifcfg-ens3", """
                TYPE=Ethernet
                BOOTPROTO=dhcp
                DEFROUTE=yes
                NAME=ens3
                UUID=2b8a4c1e-6d3f-4e5a-9b7c-8d9e0f1a2b3c
                DEVICE=ens3
                HWADDR=52:54:00:12:34:56
                ONBOOT=yes
                """);
        AnacondaDisk disk = anacondaLvmDisk(dir, tree, bootUuid, "rhel");
        long rootStart = disk.rootStart();
        Path raw = disk.raw();

        Prepared p = prepareTwice(dir, raw, "WALinuxAgent");
        assertThat(p.first().report().at("/guest/osId").asText()).isEqualTo("rhel");
        Map<String, String> s = p.first().status();
        assertThat(s)
                .containsEntry("CMDLINE-CONSOLE", "Fixed")
                .containsEntry("CMDLINE-NOQUIET", "Fixed")
                .containsEntry("SWAP-OS-DISK", "Fixed")
                .containsEntry("AGENT-PRESENT", "Fixed");

        Path boot = DiskFiles.copyRange(p.vhd(), 2048L * 512, 300 * MIB, dir.resolve("boot.out"));
        Path root = DiskFiles.copyRange(p.vhd(), rootStart, 300 * MIB, dir.resolve("root.out"));
        XfsOracle.assertClean(boot);
        XfsOracle.assertClean(root);

        // CMDLINE-CONSOLE / CMDLINE-NOQUIET: the BLS entries keep "options $kernelopts", so what boots is grubenv's
        // kernelopts (GRUB's blscfg expands it); the source grub2-mkconfig regenerates it from is /etc/default/grub
        String env = XfsOracle.readString(boot, "/grub2/grubenv");
        assertThat(env).startsWith("# GRUB Environment Block\n");
        assertThat(env.length()).as("grubenv is one 1024-byte block").isEqualTo(1024);
        List<String> kernelopts = quoted(line(env, "kernelopts="));
        assertThat(kernelopts)
                .containsAll(AZURE)
                .contains("root=/dev/mapper/rhel-root", "rd.lvm.lv=rhel/root")
                .doesNotContain("rhgb", "quiet");
        // the fixture's initramfs is a placeholder without /init: the kernel itself waits, so rootwait replaces
        // rootdelay=300 (the deviation docs/compliance.md states); with a dracut image it would be rootdelay=300
        assertThat(kernelopts).containsAnyOf("rootdelay=300", "rootwait");
        List<String> src = quoted(line(XfsOracle.readString(root, "/etc/default/grub"), "GRUB_CMDLINE_LINUX="));
        assertThat(src).containsAll(AZURE).doesNotContain("rhgb", "quiet");
        String entry = XfsOracle.readString(
                boot, "/loader/entries/" + GuestFixtures.MACHINE_ID + "-" + GuestFixtures.RHEL8_KERNEL + ".conf");
        List<String> options = words(line(entry, "options ").substring("options ".length()));
        assertThat(options).contains("$kernelopts").doesNotContain("rhgb", "quiet");
        // SWAP-OS-DISK: no active swap line in fstab, and resume from the swap LV neutralised
        assertNoActiveSwap(XfsOracle.readString(root, "/etc/fstab"));
        assertThat(kernelopts.contains("noresume") || kernelopts.stream().noneMatch(w -> w.startsWith("resume=")))
                .as("resume neutralised: %s", kernelopts)
                .isTrue();
        assertIfcfgOnEth0(root);
        // AGENT-PRESENT / WAAGENT-RESOURCEDISK: waagent enabled, swap on the resource disk
        assertThat(XfsOracle.exists(root, "/etc/systemd/system/multi-user.target.wants/waagent.service"))
                .isTrue();
        String waagent = XfsOracle.readString(root, "/etc/waagent.conf");
        assertThat(waagent.lines())
                .contains(
                        "ResourceDisk.Format=y",
                        "ResourceDisk.EnableSwap=y",
                        "ResourceDisk.Filesystem=ext4",
                        "ResourceDisk.MountPoint=/mnt/resource");
        // DEPROVISION-*: host keys, NetworkManager leases and the machine identity gone
        assertThat(XfsOracle.exists(root, "/etc/ssh/ssh_host_ecdsa_key")).isFalse();
        assertThat(XfsOracle.exists(root, "/var/lib/NetworkManager/internal-6c2f-eth0.lease"))
                .isFalse();
        assertThat(XfsOracle.readString(root, "/etc/machine-id").strip()).isIn("", "uninitialized");
    }

    static final String MID = GuestFixtures.MACHINE_ID;
    static final String RHEL9_OPTIONS = "root=/dev/mapper/rhel-root ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M "
            + "resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet";

    /** The closure (modules and their dependencies, by each module's own {@code .modinfo}) of {@code rels}. */
    static List<String> closure(Path modules, String rels) throws Exception {
        return List.copyOf(EspInitramfsDiskOracleTest.closure(modules, List.of(rels.split(" "))));
    }

    static void deleteTree(Path p) throws java.io.IOException {
        if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (var s = Files.walk(p)) {
                for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(q);
                }
            }
        }
    }

    /**
     * RHEL 9.4 as anaconda installs it on a BIOS KVM guest, built from {@link GuestFixtures#rhel8} and changed where
     * RHEL 9 differs (sources: RHEL 8.6-8.10 release notes, "kernelopts environment variable has been deprecated":
     * RHEL 9 stores the command line in the BLS snippets; osbuild PR 939: "Starting with Fedora 33 and thus RHEL 9,
     * the kernel command line [is] included statically in the BLS snippets and the grubenv kernelopts variable not
     * used", {@code /etc/kernel/cmdline} is read when the snippets are made; RHEL 9 "Managing, monitoring and
     * updating the kernel" for GRUB_CMDLINE_LINUX; Red Hat's "RHEL 9 networking: say goodbye to ifcfg-files"):
     * <ul>
     *   <li>the BLS entry's {@code options} line is the whole command line ({@code $tuned_params} appended as on
     *       Fedora), grubenv has no {@code kernelopts}, grub.cfg no {@code set kernelopts} fallback;</li>
     *   <li>{@code /etc/kernel/cmdline}: what kernel-install and dracut's {@code 51-dracut-rescue.install} give the
     *       next kernel's entry;</li>
     *   <li>the rescue kernel as {@code 51-dracut-rescue.install} (dracut 057) makes it: {@code vmlinuz-0-rescue-<id>}
     *       a copy of the kernel, {@code initramfs-0-rescue-<id>.img} from {@code dracut --no-hostonly --no-uefi -a
     *       rescue} (a generic image: every storage and network driver of the module tree, so also Hyper-V's), and
     *       its entry the kernel's entry with the first occurrence of the release on each line replaced by
     *       {@code 0-rescue-<id>} (its {@code sed}); the kernel's own image is host-only (Fedora/RHEL
     *       {@code 01-dist.conf} {@code hostonly="yes"}) with the KVM guest's virtio drivers only;</li>
     *   <li>the module tree ships {@code .ko.xz} ({@link KernelFixture#retargeted}: the Debian package's real
     *       modules, their vermagic set to the RHEL release, as no RHEL kernel package is reachable here); both images
     *       gzip (dracut 057 tries pigz, then gzip, first), after an early microcode archive;</li>
     *   <li>NetworkManager keyfile {@code system-connections/enp1s0.nmconnection} (0600) bound to
     *       {@code interface-name=enp1s0}, no ifcfg; python 3.9.</li>
     * </ul>
     */
    static GuestTree rhel9Bios(Path dir) throws Exception {
        String k = GuestFixtures.RHEL9_KERNEL;
        GuestTree t = GuestFixtures.rhel8(dir.resolve("tree"));
        Path r = t.root();
        deleteTree(r.resolve("boot"));
        deleteTree(r.resolve("usr/lib/modules"));
        deleteTree(r.resolve("usr/bin/python3"));
        deleteTree(r.resolve("usr/bin/python3.6"));
        deleteTree(r.resolve("usr/lib/python3.6"));
        t.file("/etc/os-release", """
                NAME="Red Hat Enterprise Linux"
                VERSION="9.4 (Plow)"
                ID="rhel"
                ID_LIKE="fedora"
                VERSION_ID="9.4"
                PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"
                """);
        t.file("/etc/redhat-release", "Red Hat Enterprise Linux release 9.4 (Plow)\n");
        t.file("/usr/bin/python3.9", "elf", "rwxr-xr-x").link("/usr/bin/python3", "python3.9");
        t.file("/usr/lib/python3.9/site-packages/azurelinuxagent/common/version.py", "AGENT_VERSION = '2.7.0.6'\n");
        t.dir("/usr/lib/python3.9/site-packages/pyasn1");

        // the module tree and both initramfs images
        Path debian = KernelFixture.modules();
        List<String> virtio = closure(debian, String.join(" ", KvmGuestFixture.VIRTIO));
        List<String> hv = closure(debian, EspInitramfsDiskOracleTest.HV_REL);
        java.util.Set<String> all = new java.util.LinkedHashSet<>(virtio);
        all.addAll(hv);
        Path mods = KernelFixture.retargeted(Files.createDirectories(dir.resolve("modules")), k, all, true);
        Files.createDirectories(r.resolve("usr/lib/modules"));
        Tools.command("cp", "-a", mods.toString(), r.resolve("usr/lib/modules/").toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        List<String> virtioXz = virtio.stream().map(m -> m + ".xz").toList();
        List<String> allXz = all.stream().map(m -> m + ".xz").toList();
        byte[] hostOnly = KvmGuestFixture.image(
                Files.createDirectories(dir.resolve("img-main")), "dracut", "gzip", mods, k, virtioXz, null);
        byte[] rescue = KvmGuestFixture.image(
                Files.createDirectories(dir.resolve("img-rescue")), "dracut", "gzip", mods, k, allXz, tree -> {
                    Files.writeString(
                            tree.resolve("usr/lib/dracut/build-parameter.txt"),
                            "--no-hostonly --no-uefi -a rescue --kver " + k + "\n");
                    Files.createDirectories(tree.resolve("usr/lib/dracut/hooks/pre-pivot"));
                });
        byte[] vmlinuz = dev.linuximage.testsupport.BzImages.bzImage(
                k + " (mockbuild@x86-64-01.build.eng.rdu2.redhat.com) #1 SMP PREEMPT_DYNAMIC");
        t.bytes("/boot/vmlinuz-" + k, vmlinuz, "rwxr-xr-x");
        t.bytes("/boot/initramfs-" + k + ".img", hostOnly, "rw-------");
        t.bytes("/boot/vmlinuz-0-rescue-" + MID, vmlinuz, "rwxr-xr-x");
        t.bytes("/boot/initramfs-0-rescue-" + MID + ".img", rescue, "rw-------");
        t.file("/usr/bin/dracut", "#!/usr/bin/bash\n", "rwxr-xr-x");
        t.dir("/usr/lib/dracut/modules.d");
        t.file("/usr/lib/dracut/dracut.conf.d/01-dist.conf", "hostonly=\"yes\"\n");
        t.file("/usr/lib/dracut/dracut.conf.d/02-rescue.conf", "dracut_rescue_image=\"yes\"\n");
        t.dir("/etc/dracut.conf.d");

        // boot configuration
        t.file("/etc/default/grub", """
                GRUB_TIMEOUT=5
                GRUB_DISTRIBUTOR="$(sed 's, release .*$,,g' /etc/system-release)"
                GRUB_DEFAULT=saved
                GRUB_DISABLE_SUBMENU=true
                GRUB_TERMINAL_OUTPUT="console"
                GRUB_CMDLINE_LINUX="%s"
                GRUB_DISABLE_RECOVERY="true"
                GRUB_ENABLE_BLSCFG=true
                """.formatted(RHEL9_OPTIONS.substring(RHEL9_OPTIONS.indexOf("crashkernel="))));
        t.file("/etc/kernel/cmdline", RHEL9_OPTIONS + "\n");
        t.file("/boot/grub2/grub.cfg", """
                ### BEGIN /etc/grub.d/10_linux ###
                insmod part_msdos
                insmod xfs
                set root='hd0,msdos1'
                insmod blscfg
                blscfg
                ### END /etc/grub.d/10_linux ###
                """);
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("saved_entry", MID + "-" + k);
        env.put("menu_auto_hide", "1");
        env.put("boot_success", "0");
        t.bytes("/boot/grub2/grubenv", dev.linuximage.core.guest.GrubEnv.format(env), "rw-r--r--");
        String entry = """
                title Red Hat Enterprise Linux (%1$s) 9.4 (Plow)
                version %1$s
                linux /vmlinuz-%1$s
                initrd /initramfs-%1$s.img $tuned_initrd
                options %2$s $tuned_params
                grub_users $grub_users
                grub_arg --unrestricted
                """.formatted(k, RHEL9_OPTIONS);
        t.file("/boot/loader/entries/" + MID + "-" + k + ".conf", entry);
        t.file(
                "/boot/loader/entries/" + MID + "-0-rescue.conf",
                entry.lines()
                                .map(l -> l.replaceFirst(java.util.regex.Pattern.quote(k), "0-rescue-" + MID))
                                .collect(java.util.stream.Collectors.joining("\n"))
                        + "\n");

        // NetworkManager keyfile as anaconda writes it for the KVM NIC; its lease
        t.file("/etc/NetworkManager/system-connections/enp1s0.nmconnection", """
                [connection]
                id=enp1s0
                uuid=2b8a4c1e-6d3f-4e5a-9b7c-8d9e0f1a2b3c
                type=ethernet
                autoconnect-priority=-999
                interface-name=enp1s0

                [ethernet]

                [ipv4]
                method=auto

                [ipv6]
                addr-gen-mode=eui64
                method=auto

                [proxy]
                """, "rw-------");
        t.file(
                "/var/lib/NetworkManager/internal-2b8a4c1e-6d3f-4e5a-9b7c-8d9e0f1a2b3c-enp1s0.lease",
                "ADDRESS=192.168.122.61\n");
        return t;
    }

    /**
     * RHEL 9 on anaconda's default BIOS layout ({@link #anacondaLvmDisk}, VG {@code rhel}) through {@code prepare}
     * twice. Expectations from AZURE-REQUIREMENTS: CMDLINE-CONSOLE/NOQUIET on every BLS entry (the rescue one
     * included), on {@code /etc/kernel/cmdline} (the next kernel) and {@code /etc/default/grub} (grub2-mkconfig
     * {@code --update-bls-cmdline}); SWAP-OS-DISK: no fstab swap, resume from the swap LV neutralised;
     * KERNEL-HV-DRIVERS: lsinitrd lists hv_vmbus/hv_storvsc/hv_netvsc in every booted image (the host-only one
     * repaired, the generic rescue one already has them and stays as it was) and dracut gets {@code add_drivers} for
     * the next image; the keyfile re-keyed to eth0 with DHCP; deprovisioning.
     */
    @Test
    // in the -Pguests pass, not the default one: building the module tree and both initramfs images on top of the
    // LVM disk makes it the slowest of this class (60 s alone on the loaded 2-core machine, well over the default
    // pass's ~20 s budget per test)
    @Tag("guests")
    void rhel9BlsOptionsKernelCmdlineRescueAndKeyfile(@TempDir Path dir) throws Exception {
        String k = GuestFixtures.RHEL9_KERNEL;
        GuestTree tree = rhel9Bios(dir);
        byte[] rescueBefore = Files.readAllBytes(tree.root().resolve("boot/initramfs-0-rescue-" + MID + ".img"));
        // the fixture's premise, by the oracle: the host-only image lacks the drivers, the rescue image has them
        assertThat(EspInitramfsDiskOracleTest.hvListed(tree.root().resolve("boot/initramfs-" + k + ".img")))
                .isEmpty();
        assertThat(EspInitramfsDiskOracleTest.hvListed(tree.root().resolve("boot/initramfs-0-rescue-" + MID + ".img")))
                .hasSize(3);
        AnacondaDisk disk = anacondaLvmDisk(dir, tree, "5e6f7a8b-0000-1111-2222-333344445555", "rhel");

        Prepared p = prepareTwice(dir, disk.raw(), "WALinuxAgent");
        assertThat(p.first().report().at("/guest/osId").asText()).isEqualTo("rhel");
        assertThat(p.first().report().at("/guest/versionId").asText()).isEqualTo("9.4");
        assertThat(p.first().status())
                .containsEntry("CMDLINE-CONSOLE", "Fixed")
                .containsEntry("CMDLINE-NOQUIET", "Fixed")
                .containsEntry("SWAP-OS-DISK", "Fixed")
                .containsEntry("KERNEL-HV-DRIVERS", "Fixed")
                .containsEntry("AGENT-PRESENT", "Fixed");
        // what the second prepare found on the first one's output
        assertThat(p.again().status())
                .containsEntry("CMDLINE-CONSOLE", "Pass")
                .containsEntry("CMDLINE-NOQUIET", "Pass")
                .containsEntry("SWAP-OS-DISK", "Pass")
                .containsEntry("KERNEL-HV-DRIVERS", "Pass");

        Path boot = DiskFiles.copyRange(p.vhd(), disk.bootStart(), XFS_MIB * MIB, dir.resolve("boot.out"));
        Path root = DiskFiles.copyRange(p.vhd(), disk.rootStart(), XFS_MIB * MIB, dir.resolve("root.out"));
        XfsOracle.assertClean(boot);
        XfsOracle.assertClean(root);

        // every entry GRUB's blscfg offers boots with its own options line; kernelopts is not used (nor added)
        List<String> entries = xfsFiles(boot, "/loader/entries", ".conf");
        assertThat(entries).containsExactlyInAnyOrder(MID + "-" + k + ".conf", MID + "-0-rescue.conf");
        List<List<String>> cmdlines = new java.util.ArrayList<>();
        for (String e : entries) {
            String text = XfsOracle.readString(boot, "/loader/entries/" + e);
            cmdlines.add(words(line(text, "options ").substring("options ".length())));
        }
        cmdlines.add(words(XfsOracle.readString(root, "/etc/kernel/cmdline")));
        for (List<String> c : cmdlines) {
            // dracut's /init never reads rootdelay (its wait is rd.retry/rd.timeout): rootdelay=300 as the catalogue
            // asks
            assertThat(c)
                    .containsAll(AZURE)
                    .contains("rootdelay=300", "root=/dev/mapper/rhel-root", "rd.lvm.lv=rhel/root")
                    .doesNotContain("rhgb", "quiet", "crashkernel=auto");
            assertThat(c.contains("noresume") || c.stream().noneMatch(w -> w.startsWith("resume=")))
                    .as("resume from the swap LV neutralised: %s", c)
                    .isTrue();
        }
        List<String> src = quoted(line(XfsOracle.readString(root, "/etc/default/grub"), "GRUB_CMDLINE_LINUX="));
        assertThat(src).containsAll(AZURE).doesNotContain("rhgb", "quiet");
        assertThat(src.contains("noresume") || src.stream().noneMatch(w -> w.startsWith("resume=")))
                .as("%s", src)
                .isTrue();
        String env = XfsOracle.readString(boot, "/grub2/grubenv");
        assertThat(env).hasSize(1024).startsWith("# GRUB Environment Block\n").doesNotContain("kernelopts");
        assertNoActiveSwap(XfsOracle.readString(root, "/etc/fstab"));

        // KERNEL-HV-DRIVERS: both booted images, read back from the XFS /boot with xfs_db and listed by lsinitrd
        Path mainImg = Files.write(dir.resolve("initramfs-main.img"), XfsOracle.read(boot, "/initramfs-" + k + ".img"));
        Path rescueImg = Files.write(
                dir.resolve("initramfs-rescue.img"), XfsOracle.read(boot, "/initramfs-0-rescue-" + MID + ".img"));
        assertThat(EspInitramfsDiskOracleTest.hvListed(mainImg))
                .containsExactlyInAnyOrder("hv_vmbus", "hv_storvsc", "hv_netvsc");
        assertThat(EspInitramfsDiskOracleTest.hvListed(rescueImg))
                .containsExactlyInAnyOrder("hv_vmbus", "hv_storvsc", "hv_netvsc");
        assertThat(Files.readAllBytes(rescueImg))
                .as("the generic rescue image already had the drivers: left as it was")
                .isEqualTo(rescueBefore);
        // ... and the next image dracut builds: add_drivers in a drop-in it reads (dracut.conf(5))
        List<String> confs = xfsFiles(root, "/etc/dracut.conf.d", ".conf");
        assertThat(confs).isNotEmpty();
        List<String> added = new java.util.ArrayList<>();
        for (String c : confs) {
            XfsOracle.readString(root, "/etc/dracut.conf.d/" + c)
                    .lines()
                    .filter(l -> l.matches("\\s*add_drivers\\+?=.*"))
                    .forEach(l -> added.addAll(quoted(l)));
        }
        assertThat(added).contains("hv_vmbus", "hv_storvsc", "hv_netvsc");

        // net.ifnames=0: a keyfile NetworkManager applies to eth0 with DHCP, none bound to enp1s0
        List<String> keyfiles = xfsFiles(root, "/etc/NetworkManager/system-connections", ".nmconnection");
        assertThat(keyfiles).isNotEmpty();
        boolean eth0Dhcp = false;
        for (String f : keyfiles) {
            String kf = XfsOracle.readString(root, "/etc/NetworkManager/system-connections/" + f);
            assertThat(kf.lines()).as(f).doesNotContain("interface-name=enp1s0");
            boolean anyOrEth0 = kf.lines().noneMatch(l -> l.startsWith("interface-name="))
                    || kf.lines().anyMatch(l -> l.equals("interface-name=eth0"));
            boolean noMac = kf.lines().noneMatch(l -> l.startsWith("mac-address="));
            boolean dhcp = kf.contains("[ipv4]\nmethod=auto") || kf.contains("[ipv4]\r\nmethod=auto");
            eth0Dhcp |= anyOrEth0 && noMac && dhcp;
        }
        assertThat(eth0Dhcp).as("a DHCP keyfile for eth0 among %s", keyfiles).isTrue();
        // AGENT-PRESENT, DEPROVISION-*
        assertThat(XfsOracle.exists(root, "/etc/systemd/system/multi-user.target.wants/waagent.service"))
                .isTrue();
        assertThat(XfsOracle.exists(root, "/etc/ssh/ssh_host_ecdsa_key")).isFalse();
        assertThat(XfsOracle.exists(
                        root, "/var/lib/NetworkManager/internal-2b8a4c1e-6d3f-4e5a-9b7c-8d9e0f1a2b3c-enp1s0.lease"))
                .isFalse();
        assertThat(XfsOracle.readString(root, "/etc/machine-id").strip()).isIn("", "uninitialized");
    }

    /**
     * CentOS 7.9 on anaconda's default BIOS layout ({@link #anacondaLvmDisk}, VG {@code centos}) through
     * {@code prepare} twice. Its XFS as CentOS 7's mkfs.xfs made it: v5 with CRCs but no free-inode btree and no
     * sparse inodes ({@code xfs_info} on RHEL/CentOS 7 reads {@code crc=1 finobt=0 spinodes=0}), none of the later
     * features (reflink, rmapbt, bigtime, inobtcount). grub2 on BIOS: {@code /boot/grub2/grub.cfg} with
     * {@code linux16}/{@code initrd16} menuentries, the rescue one included ({@link FamilyGuests#centos7}); a VMware
     * build's NIC {@code ens33} in {@code ifcfg-ens33} bound by {@code HWADDR}, NetworkManager, the dhclient lease;
     * WALinuxAgent 2.2 (python 2.7), the agent of Microsoft's CentOS page, installed but not enabled.
     */
    @Test
    // in the -Pguests pass: 32 s alone, 51 s in a run with RHEL 8's 39 s, on the loaded 2-core machine (over the
    // default pass's ~20 s budget per test)
    @Tag("guests")
    void centos7Linux16MenuentriesXfsV5NoFinobtAndIfcfgByMac(@TempDir Path dir) throws Exception {
        String bootUuid = "3b1f6c2e-5d4a-4e8b-9c7d-1a2b3c4d5e6f";
        GuestTree tree = FamilyGuests.centos7(dir.resolve("tree"));
        tree.file("/etc/fstab", """
                /dev/mapper/centos-root /                       xfs     defaults        0 0
                UUID=%s /boot                   xfs     defaults        0 0
                /dev/mapper/centos-swap swap                    swap    defaults        0 0
                """.formatted(bootUuid));
        tree.file(
                "/etc/sysconfig/network-scripts/ifcfg-lo", "DEVICE=lo\nIPADDR=127.0.0.1\nONBOOT=yes\nNAME=loopback\n");
        tree.file("/etc/sysconfig/network-scripts/ifcfg-ens33", """
                TYPE="Ethernet"
                BOOTPROTO="dhcp"
                DEFROUTE="yes"
                IPV4_FAILURE_FATAL="no"
                IPV6INIT="yes"
                NAME="ens33"
                UUID="9d2f3e4a-1b2c-4d5e-8f90-a1b2c3d4e5f6"
                DEVICE="ens33"
                ONBOOT="yes"
                HWADDR="00:0c:29:3a:5b:7c"
                """);
        tree.file("/var/lib/NetworkManager/dhclient-9d2f3e4a-1b2c-4d5e-8f90-a1b2c3d4e5f6-ens33.lease", "lease {}\n");
        tree.file(
                "/usr/lib/systemd/system/NetworkManager.service",
                "[Unit]\nDescription=Network Manager\n\n[Service]\nExecStart=/usr/sbin/NetworkManager --no-daemon\n\n"
                        + "[Install]\nWantedBy=multi-user.target\n");
        tree.link(
                "/etc/systemd/system/multi-user.target.wants/NetworkManager.service",
                "/usr/lib/systemd/system/NetworkManager.service");
        tree.file("/usr/sbin/NetworkManager", "elf", "rwxr-xr-x");
        tree.file(
                "/usr/lib/systemd/system/waagent.service",
                "[Unit]\nDescription=Azure Linux Agent\n\n[Service]\nExecStart=/usr/bin/python -u /usr/sbin/waagent "
                        + "-daemon\n\n[Install]\nWantedBy=multi-user.target\n");
        tree.file("/usr/sbin/waagent", "#!/usr/bin/python\n", "rwxr-xr-x");
        tree.file("/usr/bin/python2.7", "elf", "rwxr-xr-x").link("/usr/bin/python", "python2.7");
        tree.file("/usr/lib/python2.7/site-packages/azurelinuxagent/common/version.py", "AGENT_VERSION = '2.2.53'\n");
        tree.dir("/usr/lib/python2.7/site-packages/pyasn1");
        tree.file("/etc/waagent.conf", "Provisioning.Agent=auto\nResourceDisk.Format=n\nResourceDisk.EnableSwap=n\n");
        tree.file("/etc/ssh/ssh_host_rsa_key", "private", "rw-r-----");
        AnacondaDisk disk = anacondaLvmDisk(
                dir,
                tree,
                bootUuid,
                "centos",
                "-m",
                "crc=1,finobt=0,rmapbt=0,reflink=0,bigtime=0,inobtcount=0",
                "-i",
                "sparse=0");

        Prepared p = prepareTwice(dir, disk.raw(), "WALinuxAgent");
        assertThat(p.first().report().at("/guest/osId").asText()).isEqualTo("centos");
        assertThat(p.first().report().at("/guest/versionId").asText()).isEqualTo("7");
        assertThat(p.first().status())
                .containsEntry("CMDLINE-CONSOLE", "Fixed")
                .containsEntry("CMDLINE-NOQUIET", "Fixed")
                .containsEntry("SWAP-OS-DISK", "Fixed")
                .containsEntry("AGENT-PRESENT", "Fixed");
        assertThat(p.again().status())
                .containsEntry("CMDLINE-CONSOLE", "Pass")
                .containsEntry("CMDLINE-NOQUIET", "Pass")
                .containsEntry("SWAP-OS-DISK", "Pass")
                .containsEntry("AGENT-PRESENT", "Pass");

        Path boot = DiskFiles.copyRange(p.vhd(), disk.bootStart(), XFS_MIB * MIB, dir.resolve("boot.out"));
        Path root = DiskFiles.copyRange(p.vhd(), disk.rootStart(), XFS_MIB * MIB, dir.resolve("root.out"));
        XfsOracle.assertClean(boot);
        XfsOracle.assertClean(root);
        // still the old format: the product wrote nothing that needs a newer kernel than CentOS 7's
        assertThat(Tools.command("xfs_db", "-r", "-c", "version", boot.toString())
                        .timeout(Tools.MINUTE)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("CRC")
                .doesNotContain("FINOBT", "SPARSE_INODES", "REFLINK", "BIGTIME", "INOBTCNT");

        // both menuentries GRUB boots, the rescue kernel's included; initrd16 lines kept
        String cfg = XfsOracle.readString(boot, "/grub2/grub.cfg");
        List<String> linux16 =
                cfg.lines().filter(l -> l.trim().startsWith("linux16 ")).toList();
        assertThat(linux16).hasSize(2).anySatisfy(l -> assertThat(l).contains("/vmlinuz-0-rescue-"));
        assertThat(cfg.lines().filter(l -> l.trim().startsWith("initrd16 "))).hasSize(2);
        for (String l : linux16) {
            // the fixture's initramfs is a placeholder without /init: rootwait instead of rootdelay
            // (docs/compliance.md)
            assertThat(words(l))
                    .as(l)
                    .containsAll(AZURE)
                    .containsAnyOf("rootdelay=300", "rootwait")
                    .contains("root=/dev/mapper/centos-root", "rd.lvm.lv=centos/root")
                    .doesNotContain("rhgb", "quiet", "crashkernel=auto");
        }
        List<String> src = quoted(line(XfsOracle.readString(root, "/etc/default/grub"), "GRUB_CMDLINE_LINUX="));
        assertThat(src).containsAll(AZURE).doesNotContain("rhgb", "quiet", "crashkernel=auto");
        assertNoActiveSwap(XfsOracle.readString(root, "/etc/fstab"));
        assertIfcfgOnEth0(root);
        assertThat(XfsOracle.exists(root, "/etc/systemd/system/multi-user.target.wants/waagent.service"))
                .isTrue();
        assertThat(XfsOracle.readString(root, "/etc/waagent.conf").lines())
                .contains("ResourceDisk.Format=y", "ResourceDisk.EnableSwap=y");
        assertThat(XfsOracle.exists(root, "/etc/ssh/ssh_host_rsa_key")).isFalse();
        assertThat(XfsOracle.exists(
                        root, "/var/lib/NetworkManager/dhclient-9d2f3e4a-1b2c-4d5e-8f90-a1b2c3d4e5f6-ens33.lease"))
                .isFalse();
        assertThat(XfsOracle.readString(root, "/etc/machine-id").strip()).isIn("", "uninitialized");
    }

    /**
     * SLES 15 SP5. Its default root is Btrfs, which the product does not read or write: this disk uses the
     * documented ext4 alternative (the SLES 15 Deployment Guide's partitioner offers XFS/ext4 for the root). MBR, one
     * ext4 root ({@code mke2fs -d}); grub2 with SUSE's {@code ${extra_cmdline}}; wicked with the KVM NIC's profile
     * {@code /etc/sysconfig/network/ifcfg-ens3} (wicked names profiles {@code ifcfg-<interface>}, man ifcfg(5)) and a
     * DHCP lease under /var/lib/wicked.
     */
    @Test
    void sles15Ext4WithWicked(@TempDir Path dir) throws Exception {
        GuestTree tree = dev.linuximage.testsupport.FamilyGuests.sles15(dir.resolve("tree"));
        Files.delete(tree.root().resolve("etc/sysconfig/network/ifcfg-eth0"));
        tree.file("/etc/sysconfig/network/ifcfg-ens3", "BOOTPROTO='dhcp'\nSTARTMODE='auto'\nZONE=''\n");
        tree.file(
                "/etc/fstab",
                "UUID=6d5c0f7e-8a3b-4c2d-9e1f-0a1b2c3d4e5f / ext4 defaults 0 1\n"
                        + "/dev/sda2 swap swap defaults 0 0\n");
        tree.file("/var/lib/wicked/lease-ens3-dhcp-ipv4.xml", "<lease><ipv4:dhcp/></lease>\n");
        tree.file("/etc/ssh/ssh_host_ed25519_key", "private", "rw-------");
        tree.file("/etc/machine-id", GuestFixtures.MACHINE_ID + "\n");
        Path raw = FamilyDiskCliOracleTest.disk(dir, tree);
        Prepared p = prepareTwice(dir, raw, "CloudInit");
        Path vhd = p.vhd();
        long off = FamilyDiskCliOracleTest.OFFSET;
        Ext4Oracle.assertClean(vhd, off);
        assertThat(p.first().report().at("/guest/osId").asText()).isEqualTo("sles");
        assertThat(p.first().status())
                .containsEntry("CMDLINE-CONSOLE", "Fixed")
                .containsEntry("CMDLINE-NOQUIET", "Fixed")
                .containsEntry("SWAP-OS-DISK", "Fixed");
        String grub = Ext4Oracle.readString(vhd, off, "/etc/default/grub");
        List<String> dflt = quoted(line(grub, "GRUB_CMDLINE_LINUX_DEFAULT="));
        List<String> both = new java.util.ArrayList<>(dflt);
        both.addAll(quoted(line(grub, "GRUB_CMDLINE_LINUX=")));
        assertThat(both).containsAll(AZURE).doesNotContain("quiet");
        String cfg = Ext4Oracle.readString(vhd, off, "/boot/grub2/grub.cfg");
        List<String> linux =
                cfg.lines().filter(l -> l.trim().startsWith("linux")).toList();
        assertThat(linux).hasSize(1);
        assertThat(words(linux.get(0)))
                .containsAll(AZURE)
                .contains("${extra_cmdline}")
                .doesNotContain("quiet");
        for (String l : Ext4Oracle.readString(vhd, off, "/etc/fstab").lines().toList()) {
            if (!l.trim().startsWith("#") && !l.isBlank()) {
                assertThat(words(l).get(2)).as(l).isNotEqualTo("swap");
            }
        }
        // net.ifnames=0: wicked must find a DHCP profile for eth0, by its file name
        String eth0 = Ext4Oracle.readString(vhd, off, "/etc/sysconfig/network/ifcfg-eth0");
        assertThat(line(eth0, "BOOTPROTO=").replace("'", "").replace("\"", "")).isEqualTo("BOOTPROTO=dhcp");
        assertThat(line(eth0, "STARTMODE=").replace("'", "").replace("\"", ""))
                .isIn("STARTMODE=auto", "STARTMODE=onboot", "STARTMODE=hotplug");
        // DEPROVISION-MACHINE: the wicked lease removed; host keys gone
        assertThat(Ext4Oracle.exists(vhd, off, "/var/lib/wicked/lease-ens3-dhcp-ipv4.xml"))
                .isFalse();
        assertThat(Ext4Oracle.exists(vhd, off, "/etc/ssh/ssh_host_ed25519_key")).isFalse();
    }

    /**
     * Ubuntu 22.04 server as subiquity installs it, on an ext4 root ({@code mke2fs -d}): netplan keyed on the KVM
     * NIC's predictable name ({@code enp1s0}, networkd renderer), cloud-init with the installer's leftovers
     * {@code 99-installer.cfg} (datasource None) and {@code subiquity-disable-cloudinit-networking.cfg}.
     */
    @Test
    void ubuntu2204Ext4WithNetplanAndInstallerLeftovers(@TempDir Path dir) throws Exception {
        GuestTree tree = dev.linuximage.testsupport.NetworkFixtures.ubuntu2204(dir.resolve("tree"));
        Path raw = FamilyDiskCliOracleTest.disk(dir, tree);
        Prepared p = prepareTwice(dir, raw, "CloudInit");
        Path vhd = p.vhd();
        long off = FamilyDiskCliOracleTest.OFFSET;
        Ext4Oracle.assertClean(vhd, off);
        assertThat(p.first().report().at("/guest/osId").asText()).isEqualTo("ubuntu");
        String grub = Ext4Oracle.readString(vhd, off, "/etc/default/grub");
        List<String> both = new java.util.ArrayList<>(quoted(line(grub, "GRUB_CMDLINE_LINUX_DEFAULT=")));
        both.addAll(quoted(line(grub, "GRUB_CMDLINE_LINUX=")));
        assertThat(both).containsAll(AZURE).doesNotContain("quiet", "splash");
        String cfg = Ext4Oracle.readString(vhd, off, "/boot/grub/grub.cfg");
        List<String> linux =
                cfg.lines().filter(l -> l.trim().startsWith("linux")).toList();
        assertThat(linux).isNotEmpty();
        for (String l : linux) {
            assertThat(words(l)).as(l).containsAll(AZURE).doesNotContain("quiet", "splash");
        }
        // netplan: the installer's file keyed on enp1s0 must reach eth0 (net.ifnames=0) with DHCP
        String netplan = Ext4Oracle.readString(vhd, off, "/etc/netplan/00-installer-config.yaml");
        assertThat(netplan).contains("eth0").contains("dhcp4: true");
        assertThat(netplan.lines().map(String::trim)).doesNotContain("enp1s0:");
        // CLOUDINIT-DATASOURCE: Azure's datasource, and the installer's datasource None no longer overrides it
        assertThat(Ext4Oracle.readString(vhd, off, "/etc/cloud/cloud.cfg.d/91-azure_datasource.cfg"))
                .contains("Azure");
        if (Ext4Oracle.exists(vhd, off, "/etc/cloud/cloud.cfg.d/99-installer.cfg")) {
            assertThat(Ext4Oracle.readString(vhd, off, "/etc/cloud/cloud.cfg.d/99-installer.cfg"))
                    .doesNotContain("- None")
                    .doesNotContain("passwd");
        }
    }

    /**
     * Arch Linux with systemd-boot as the Arch wiki's installation guide lays it out: GPT, the ESP (FAT32) mounted at
     * /boot holding the kernels, mkinitcpio images and {@code loader/entries/*.conf}; root ext4. Besides the
     * {@code linux} package's {@code vmlinuz-linux}, the {@code linux-lts} package's {@code vmlinuz-linux-lts} with
     * {@code initramfs-linux-lts.img} and its own entry. Built with sfdisk, mkfs.vfat + mcopy and mke2fs -d; read back
     * with mtype, fsck.vfat -n, e2fsck -fn and sgdisk -v.
     */
    @Test
    void archSystemdBootOnFatEspWithLtsKernel(@TempDir Path dir) throws Exception {
        String rootUuid = "6d5c0f7e-8a3b-4c2d-9e1f-0a1b2c3d4e5f";
        GuestTree tree = dev.linuximage.testsupport.FamilyGuests.arch(dir.resolve("tree"));
        String lts = "6.6.16-1-lts";
        tree.bytes(
                "/boot/vmlinuz-linux-lts",
                dev.linuximage.testsupport.BzImages.bzImage(
                        lts + " (linux-lts@archlinux) #1 SMP PREEMPT_DYNAMIC Fri, 09 Feb 2024 14:29:36 +0000"),
                "rw-r--r--");
        tree.bytes(
                "/boot/initramfs-linux-lts.img",
                Files.readAllBytes(tree.root().resolve("boot/initramfs-linux.img")),
                "rw-r--r--");
        tree.file("/usr/lib/modules/" + lts + "/modules.dep", "kernel/fs/udf/udf.ko.zst:\n");
        // KERNEL-HV-DRIVERS is out of this test's scope (EspInitramfsDiskOracleTest covers initramfs repair on an ESP):
        // both kernels here have the Hyper-V drivers built in, so their images need no rebuild
        String hv = "kernel/fs/fat/vfat.ko\nkernel/drivers/hv/hv_vmbus.ko\nkernel/drivers/scsi/hv_storvsc.ko\n"
                + "kernel/drivers/net/hyperv/hv_netvsc.ko\n";
        tree.file("/usr/lib/modules/" + lts + "/modules.builtin", hv);
        tree.file("/usr/lib/modules/" + dev.linuximage.testsupport.FamilyGuests.ARCH_KERNEL + "/modules.builtin", hv);
        tree.file("/boot/loader/entries/arch-lts.conf", """
                title   Arch Linux (linux-lts)
                linux   /vmlinuz-linux-lts
                initrd  /initramfs-linux-lts.img
                options root=UUID=%s rw quiet
                """.formatted(rootUuid));
        tree.file(
                "/etc/fstab",
                "UUID=" + rootUuid + " / ext4 rw,relatime 0 1\n"
                        + "UUID=1A2B-3C4D /boot vfat rw,relatime,fmask=0022,dmask=0022 0 2\n");
        Path espTree = dir.resolve("esp-tree");
        Files.move(tree.root().resolve("boot"), espTree);
        Files.createDirectories(tree.root().resolve("boot"));
        long espMib = 64;
        long rootMib = 64;
        Path espImg = dir.resolve("esp.img");
        Tools.command("mkfs.vfat", "-F", "32", "-i", "1A2B3C4D", "-C", espImg.toString(), String.valueOf(espMib * 1024))
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        try (var st = Files.list(espTree)) {
            for (Path e : st.toList()) {
                Tools.command("env", "MTOOLS_SKIP_CHECK=1", "mcopy", "-s", "-i", espImg.toString(), e.toString(), "::/")
                        .timeout(Tools.MINUTE)
                        .mergeStderr()
                        .run();
            }
        }
        Tools.command("fsck.vfat", "-n", espImg.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        Path raw = dir.resolve("disk.raw");
        try (var f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength((1 + espMib + rootMib + 1) * MIB);
        }
        Path layout = Files.writeString(
                dir.resolve("layout.sfdisk"),
                "label: gpt\n"
                        + "start=2048, size=" + espMib * 2048 + ", type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n"
                        + "start=" + (1 + espMib) * 2048 + ", size=" + rootMib * 2048
                        + ", type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709\n");
        Tools.command("sh", "-c", "sfdisk --no-reread --no-tell-kernel " + raw + " < " + layout)
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        FamilyDiskCliOracleTest.place(espImg, raw, MIB);
        long rootOff = (1 + espMib) * MIB;
        Tools.command(
                        "mke2fs",
                        "-q",
                        "-F",
                        "-t",
                        "ext4",
                        "-U",
                        rootUuid,
                        "-d",
                        tree.root().toString(),
                        "-E",
                        "offset=" + rootOff,
                        raw.toString(),
                        rootMib + "M")
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();

        Prepared p = prepareTwice(dir, raw, "CloudInit");
        Path vhd = p.vhd();
        assertThat(p.first().report().at("/guest/osId").asText()).isEqualTo("arch");
        assertThat(p.first().status())
                .containsEntry("CMDLINE-CONSOLE", "Fixed")
                .containsEntry("CMDLINE-NOQUIET", "Fixed");
        Ext4Oracle.assertClean(vhd, rootOff);
        // sgdisk -v on a copy of the raw data (the VHD footer is not part of the disk)
        Path data = dir.resolve("data.raw");
        Tools.command(
                        "dd",
                        "if=" + vhd,
                        "of=" + data,
                        "bs=1M",
                        "count=" + (Files.size(vhd) >> 20),
                        "conv=sparse",
                        "status=none")
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        assertThat(Tools.command("sgdisk", "-v", data.toString())
                        .timeout(Tools.MINUTE)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("No problems found");
        Path esp = DiskFiles.copyRange(vhd, MIB, espMib * MIB, dir.resolve("esp.out"));
        Tools.command("fsck.vfat", "-n", esp.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        // every loader entry systemd-boot offers, including linux-lts's: Azure's console, no quiet; mkinitcpio's
        // busybox init polls for the root device up to rootdelay (a timeout), so rootdelay=300 is wanted
        for (String e : List.of("arch.conf", "arch-fallback.conf", "arch-lts.conf")) {
            String entry = Tools.command(
                            "env", "MTOOLS_SKIP_CHECK=1", "mtype", "-i", esp.toString(), "::/loader/entries/" + e)
                    .timeout(Tools.MINUTE)
                    .mergeStderr()
                    .run()
                    .out();
            List<String> options = words(line(entry, "options ").substring("options ".length()));
            assertThat(options)
                    .as(e)
                    .containsAll(AZURE)
                    .contains("rootdelay=300", "root=UUID=" + rootUuid)
                    .doesNotContain("quiet");
        }
        String ltsEntry = Tools.command(
                        "env", "MTOOLS_SKIP_CHECK=1", "mtype", "-i", esp.toString(), "::/loader/entries/arch-lts.conf")
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run()
                .out();
        assertThat(ltsEntry).contains("linux   /vmlinuz-linux-lts");
        // the lts image is paired with its own module tree by the release in its bzImage header
        assertThat(p.first().report().at("/guest/kernels").toString())
                .contains(lts)
                .contains(dev.linuximage.testsupport.FamilyGuests.ARCH_KERNEL);
    }
}
