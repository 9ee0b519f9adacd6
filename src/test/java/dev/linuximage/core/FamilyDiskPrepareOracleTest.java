package dev.linuximage.core;

import static dev.linuximage.core.FamilyDiskCliOracleTest.AZURE;
import static dev.linuximage.core.FamilyDiskCliOracleTest.words;
import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.testsupport.GuestFixtures;
import dev.linuximage.testsupport.GuestTree;
import dev.linuximage.testsupport.guests.Tools;
import dev.linuximage.testsupport.guests.XfsOracle;
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
        Path bootTree = dir.resolve("boot-tree");
        Files.move(tree.root().resolve("boot"), bootTree);
        Files.createDirectories(tree.root().resolve("boot"));
        Path bootFs = FamilyDiskCliOracleTest.xfs(dir, "boot", bootTree, bootUuid, 300);
        Path rootFs =
                FamilyDiskCliOracleTest.xfs(dir, "root", tree.root(), "7c6b5a49-3827-4e1d-8c9b-0a1f2e3d4c5b", 300);
        Files.delete(dir.resolve("boot.proto"));

        long size = 700 * MIB;
        Path raw = dir.resolve("disk.raw");
        try (var f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(size);
        }
        Path layout = Files.writeString(
                dir.resolve("layout.sfdisk"),
                "label: dos\nstart=2048, size=614400, type=83, bootable\nstart=616448, type=8e\n");
        Tools.run(Tools.MINUTE, "sh", "-c", "sfdisk --no-reread --no-tell-kernel " + raw + " < " + layout);
        FamilyDiskCliOracleTest.place(bootFs, raw, 2048L * 512);
        long pvStart = 616448L * 512;
        long rootStart;
        rootStart = FamilyDiskCliOracleTest.lvmSwapThenRoot(raw, pvStart, size - pvStart, "rhel")
                .start();
        assertThat(rootStart % MIB).isZero();
        FamilyDiskCliOracleTest.place(rootFs, raw, rootStart);
        Files.delete(bootFs);
        Files.delete(rootFs);

        Prepared p = prepareTwice(dir, raw, "WALinuxAgent");
        assertThat(p.first().report().at("/guest/osId").asText()).isEqualTo("rhel");
        Map<String, String> s = p.first().status();
        assertThat(s)
                .containsEntry("CMDLINE-CONSOLE", "Fixed")
                .containsEntry("CMDLINE-NOQUIET", "Fixed")
                .containsEntry("SWAP-OS-DISK", "Fixed")
                .containsEntry("AGENT-PRESENT", "Fixed");

        Path boot = XfsOracle.extract(p.vhd(), 2048L * 512, 300 * MIB, dir.resolve("boot.out"));
        Path root = XfsOracle.extract(p.vhd(), rootStart, 300 * MIB, dir.resolve("root.out"));
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
        for (String l : XfsOracle.readString(root, "/etc/fstab").lines().toList()) {
            if (!l.trim().startsWith("#") && !l.isBlank()) {
                assertThat(words(l).get(2)).as(l).isNotEqualTo("swap");
            }
        }
        assertThat(kernelopts.contains("noresume") || kernelopts.stream().noneMatch(w -> w.startsWith("resume=")))
                .as("resume neutralised: %s", kernelopts)
                .isTrue();
        // net.ifnames=0 names the NIC eth0: the ifcfg profile must match it and no longer bind the KVM MAC
        // (NetworkManager's ifcfg-rh plugin matches a profile to a NIC by DEVICE/HWADDR, not by the file's name)
        String scripts = XfsOracle.list(root, "/etc/sysconfig/network-scripts");
        List<String> profiles = java.util.regex.Pattern.compile("\\bifcfg-[\\w.-]+")
                .matcher(scripts)
                .results()
                .map(java.util.regex.MatchResult::group)
                .toList();
        assertThat(profiles).as(scripts).hasSize(1);
        String ifcfg = XfsOracle.readString(root, "/etc/sysconfig/network-scripts/" + profiles.get(0));
        assertThat(line(ifcfg, "DEVICE=")).isEqualTo("DEVICE=eth0");
        assertThat(ifcfg.lines().filter(l -> l.startsWith("HWADDR="))).isEmpty();
        assertThat(line(ifcfg, "BOOTPROTO=")).isEqualTo("BOOTPROTO=dhcp");
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
        dev.linuximage.testsupport.guests.Ext4Oracle.assertClean(vhd, off);
        assertThat(p.first().report().at("/guest/osId").asText()).isEqualTo("sles");
        assertThat(p.first().status())
                .containsEntry("CMDLINE-CONSOLE", "Fixed")
                .containsEntry("CMDLINE-NOQUIET", "Fixed")
                .containsEntry("SWAP-OS-DISK", "Fixed");
        String grub = dev.linuximage.testsupport.guests.Ext4Oracle.readString(vhd, off, "/etc/default/grub");
        List<String> dflt = quoted(line(grub, "GRUB_CMDLINE_LINUX_DEFAULT="));
        List<String> both = new java.util.ArrayList<>(dflt);
        both.addAll(quoted(line(grub, "GRUB_CMDLINE_LINUX=")));
        assertThat(both).containsAll(AZURE).doesNotContain("quiet");
        String cfg = dev.linuximage.testsupport.guests.Ext4Oracle.readString(vhd, off, "/boot/grub2/grub.cfg");
        List<String> linux =
                cfg.lines().filter(l -> l.trim().startsWith("linux")).toList();
        assertThat(linux).hasSize(1);
        assertThat(words(linux.get(0)))
                .containsAll(AZURE)
                .contains("${extra_cmdline}")
                .doesNotContain("quiet");
        for (String l : dev.linuximage.testsupport.guests.Ext4Oracle.readString(vhd, off, "/etc/fstab")
                .lines()
                .toList()) {
            if (!l.trim().startsWith("#") && !l.isBlank()) {
                assertThat(words(l).get(2)).as(l).isNotEqualTo("swap");
            }
        }
        // net.ifnames=0: wicked must find a DHCP profile for eth0, by its file name
        String eth0 =
                dev.linuximage.testsupport.guests.Ext4Oracle.readString(vhd, off, "/etc/sysconfig/network/ifcfg-eth0");
        assertThat(line(eth0, "BOOTPROTO=").replace("'", "").replace("\"", "")).isEqualTo("BOOTPROTO=dhcp");
        assertThat(line(eth0, "STARTMODE=").replace("'", "").replace("\"", ""))
                .isIn("STARTMODE=auto", "STARTMODE=onboot", "STARTMODE=hotplug");
        // DEPROVISION-MACHINE: the wicked lease removed; host keys gone
        assertThat(dev.linuximage.testsupport.guests.Ext4Oracle.exists(
                        vhd, off, "/var/lib/wicked/lease-ens3-dhcp-ipv4.xml"))
                .isFalse();
        assertThat(dev.linuximage.testsupport.guests.Ext4Oracle.exists(vhd, off, "/etc/ssh/ssh_host_ed25519_key"))
                .isFalse();
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
        dev.linuximage.testsupport.guests.Ext4Oracle.assertClean(vhd, off);
        assertThat(p.first().report().at("/guest/osId").asText()).isEqualTo("ubuntu");
        String grub = dev.linuximage.testsupport.guests.Ext4Oracle.readString(vhd, off, "/etc/default/grub");
        List<String> both = new java.util.ArrayList<>(quoted(line(grub, "GRUB_CMDLINE_LINUX_DEFAULT=")));
        both.addAll(quoted(line(grub, "GRUB_CMDLINE_LINUX=")));
        assertThat(both).containsAll(AZURE).doesNotContain("quiet", "splash");
        String cfg = dev.linuximage.testsupport.guests.Ext4Oracle.readString(vhd, off, "/boot/grub/grub.cfg");
        List<String> linux =
                cfg.lines().filter(l -> l.trim().startsWith("linux")).toList();
        assertThat(linux).isNotEmpty();
        for (String l : linux) {
            assertThat(words(l)).as(l).containsAll(AZURE).doesNotContain("quiet", "splash");
        }
        // netplan: the installer's file keyed on enp1s0 must reach eth0 (net.ifnames=0) with DHCP
        String netplan = dev.linuximage.testsupport.guests.Ext4Oracle.readString(
                vhd, off, "/etc/netplan/00-installer-config.yaml");
        assertThat(netplan).contains("eth0").contains("dhcp4: true");
        assertThat(netplan.lines().map(String::trim)).doesNotContain("enp1s0:");
        // CLOUDINIT-DATASOURCE: Azure's datasource, and the installer's datasource None no longer overrides it
        assertThat(dev.linuximage.testsupport.guests.Ext4Oracle.readString(
                        vhd, off, "/etc/cloud/cloud.cfg.d/91-azure_datasource.cfg"))
                .contains("Azure");
        if (dev.linuximage.testsupport.guests.Ext4Oracle.exists(vhd, off, "/etc/cloud/cloud.cfg.d/99-installer.cfg")) {
            assertThat(dev.linuximage.testsupport.guests.Ext4Oracle.readString(
                            vhd, off, "/etc/cloud/cloud.cfg.d/99-installer.cfg"))
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
        Tools.run(
                Tools.MINUTE,
                "mkfs.vfat",
                "-F",
                "32",
                "-i",
                "1A2B3C4D",
                "-C",
                espImg.toString(),
                String.valueOf(espMib * 1024));
        try (var st = Files.list(espTree)) {
            for (Path e : st.toList()) {
                Tools.run(
                        Tools.MINUTE,
                        "env",
                        "MTOOLS_SKIP_CHECK=1",
                        "mcopy",
                        "-s",
                        "-i",
                        espImg.toString(),
                        e.toString(),
                        "::/");
            }
        }
        Tools.run(Tools.MINUTE, "fsck.vfat", "-n", espImg.toString());
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
        Tools.run(Tools.MINUTE, "sh", "-c", "sfdisk --no-reread --no-tell-kernel " + raw + " < " + layout);
        FamilyDiskCliOracleTest.place(espImg, raw, MIB);
        long rootOff = (1 + espMib) * MIB;
        Tools.run(
                Tools.MINUTE,
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
                rootMib + "M");

        Prepared p = prepareTwice(dir, raw, "CloudInit");
        Path vhd = p.vhd();
        assertThat(p.first().report().at("/guest/osId").asText()).isEqualTo("arch");
        assertThat(p.first().status())
                .containsEntry("CMDLINE-CONSOLE", "Fixed")
                .containsEntry("CMDLINE-NOQUIET", "Fixed");
        dev.linuximage.testsupport.guests.Ext4Oracle.assertClean(vhd, rootOff);
        // sgdisk -v on a copy of the raw data (the VHD footer is not part of the disk)
        Path data = dir.resolve("data.raw");
        Tools.run(
                Tools.MINUTE,
                "dd",
                "if=" + vhd,
                "of=" + data,
                "bs=1M",
                "count=" + (Files.size(vhd) >> 20),
                "conv=sparse",
                "status=none");
        assertThat(Tools.run(Tools.MINUTE, "sgdisk", "-v", data.toString()).output())
                .contains("No problems found");
        Path esp = XfsOracleLike.fat(vhd, MIB, espMib * MIB, dir.resolve("esp.out"));
        Tools.run(Tools.MINUTE, "fsck.vfat", "-n", esp.toString());
        // every loader entry systemd-boot offers, including linux-lts's: Azure's console, no quiet; mkinitcpio's
        // busybox init polls for the root device up to rootdelay (a timeout), so rootdelay=300 is wanted
        for (String e : List.of("arch.conf", "arch-fallback.conf", "arch-lts.conf")) {
            String entry = Tools.run(
                            Tools.MINUTE,
                            "env",
                            "MTOOLS_SKIP_CHECK=1",
                            "mtype",
                            "-i",
                            esp.toString(),
                            "::/loader/entries/" + e)
                    .output();
            List<String> options = words(line(entry, "options ").substring("options ".length()));
            assertThat(options)
                    .as(e)
                    .containsAll(AZURE)
                    .contains("rootdelay=300", "root=UUID=" + rootUuid)
                    .doesNotContain("quiet");
        }
        String ltsEntry = Tools.run(
                        Tools.MINUTE,
                        "env",
                        "MTOOLS_SKIP_CHECK=1",
                        "mtype",
                        "-i",
                        esp.toString(),
                        "::/loader/entries/arch-lts.conf")
                .output();
        assertThat(ltsEntry).contains("linux   /vmlinuz-linux-lts");
        // the lts image is paired with its own module tree by the release in its bzImage header
        assertThat(p.first().report().at("/guest/kernels").toString())
                .contains(lts)
                .contains(dev.linuximage.testsupport.FamilyGuests.ARCH_KERNEL);
    }

    /** FAT oracle input: a partition copied out of a disk image. */
    static final class XfsOracleLike {
        static Path fat(Path disk, long offsetBytes, long sizeBytes, Path target) {
            return XfsOracle.extract(disk, offsetBytes, sizeBytes, target);
        }
    }
}
