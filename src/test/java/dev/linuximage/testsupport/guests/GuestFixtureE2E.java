package dev.linuximage.testsupport.guests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.Tools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest fixtures are what they claim to be, per the real tools: partition tables (sfdisk, sgdisk -v), clean
 * file systems (e2fsck -fn, fsck.vfat -n), swap (blkid), the initramfs contents (lsinitramfs), the qcow2
 * conversion (qemu-img check/compare), and the guest's configuration files (debugfs).
 *
 * <p>The first run on a machine builds the debootstrap trees (minutes, see docs/test-guests.md); later runs use
 * the cached images.
 */
@org.junit.jupiter.api.Tag("guests")
class GuestFixtureE2E {
    private static final Duration T = Duration.ofMinutes(3);

    @org.junit.jupiter.api.AfterAll
    static void releaseRawCopy() {
        GuestImages.releaseRaw();
    }

    private static String cat(GuestImage img, String path) {
        return Ext4Oracle.readString(img.raw(), img.rootOffset(), path);
    }

    private static String grubLinuxLine(GuestImage img) {
        Matcher m = Pattern.compile("(?m)^\\s*linux\\s+(\\S+)(.*)$").matcher(cat(img, "/boot/grub/grub.cfg"));
        assertThat(m.find()).as("grub.cfg has a linux line").isTrue();
        return m.group(1) + m.group(2);
    }

    /** Checks every variant shares: image files agree, root fs clean, fstab by UUID, kernel and initrd present. */
    private static void commonChecks(GuestImage img) throws IOException {
        // the published qcow2: consistent, the disk's size, zlib-compressed as Debian's cloud images are
        String check = Tools.command(
                        "qemu-img", "check", "-f", "qcow2", img.qcow2().toString())
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
        Matcher compressed = Pattern.compile("([0-9.]+)% compressed clusters").matcher(check);
        assertThat(compressed.find())
                .as("qemu-img check reports compression: %s", check)
                .isTrue();
        assertThat(Double.parseDouble(compressed.group(1)))
                .as("share of compressed clusters")
                .isGreaterThan(50.0);
        String info = Tools.command(
                        "qemu-img",
                        "info",
                        "--output=json",
                        "-f",
                        "qcow2",
                        img.qcow2().toString())
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
        assertThat(info)
                .containsPattern("\"virtual-size\":\\s*" + img.diskBytes() + "\\b")
                .containsPattern("\"compression-type\":\\s*\"zlib\"");
        assertThat(Files.size(img.raw())).isEqualTo(img.diskBytes());
        assertThat(img.diskBytes() % (1 << 20)).as("whole MiB").isZero();

        Ext4Oracle.assertClean(img.raw(), img.rootOffset());
        String blkid = Tools.command(
                        "blkid",
                        "-p",
                        "-O",
                        Long.toString(img.rootOffset()),
                        "-o",
                        "export",
                        img.raw().toString())
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
        assertThat(blkid).contains("TYPE=ext4").contains("UUID=" + img.rootUuid());

        assertThat(cat(img, "/etc/fstab")).containsPattern("(?m)^UUID=" + img.rootUuid() + "\\s+/\\s+ext4\\s");
        String kver = img.kernelVersion();
        assertThat(Ext4Oracle.exists(img.raw(), img.rootOffset(), "/boot/vmlinuz-" + kver))
                .isTrue();
        assertThat(Ext4Oracle.exists(img.raw(), img.rootOffset(), "/boot/initrd.img-" + kver))
                .isTrue();
        assertThat(Ext4Oracle.exists(img.raw(), img.rootOffset(), "/boot/grub/i386-pc/normal.mod"))
                .isTrue();
        assertThat(grubLinuxLine(img)).startsWith("/boot/vmlinuz-" + kver + " root=UUID=" + img.rootUuid() + " ro");
        assertThat(cat(img, "/etc/default/grub"))
                .contains("GRUB_CMDLINE_LINUX_DEFAULT=")
                .contains("GRUB_CMDLINE_LINUX=");

        // GRUB's boot.img in the MBR, pointing at core.img (whose first sector is diskboot.img).
        try (RandomAccessFile f = new RandomAccessFile(img.raw().toFile(), "r")) {
            byte[] mbr = new byte[512];
            f.readFully(mbr);
            assertThat(new String(mbr, StandardCharsets.ISO_8859_1))
                    .contains("GRUB ")
                    .contains("Geom");
            assertThat(mbr[510] & 0xff).isEqualTo(0x55);
            assertThat(mbr[511] & 0xff).isEqualTo(0xaa);
            long coreLba = 0;
            for (int i = 7; i >= 0; i--) {
                coreLba = (coreLba << 8) | (mbr[0x5c + i] & 0xff);
            }
            assertThat(coreLba).isEqualTo(img.variant().gpt() ? 2048 : 1);
            byte[] core = new byte[512];
            f.seek(coreLba * 512);
            f.readFully(core);
            long next = 0;
            for (int i = 7; i >= 0; i--) {
                next = (next << 8) | (core[500 + i] & 0xff);
            }
            int count = (core[508] & 0xff) | (core[509] & 0xff) << 8;
            assertThat(next).as("diskboot block list start").isEqualTo(coreLba + 1);
            assertThat(count)
                    .as("diskboot block list length")
                    .isBetween(20, img.variant().gpt() ? 6143 : 2046);
        }
    }

    private static void assertNoSerialConsoleArgs(GuestImage img) {
        assertThat(grubLinuxLine(img))
                .doesNotContain("console=")
                .doesNotContain("earlyprintk")
                .doesNotContain("rootdelay")
                .doesNotContain("net.ifnames");
    }

    private static void assertMbrWithRootFirst(GuestImage img) {
        String dump = Tools.command("sfdisk", "--dump", img.raw().toString())
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
        assertThat(dump).contains("label: dos").containsPattern("start=\\s*2048,.*type=83, bootable");
        Tools.command("sfdisk", "--verify", img.raw().toString())
                .timeout(T)
                .mergeStderr()
                .run();
    }

    private static String lsinitramfs(GuestImage img, Path dir) throws IOException {
        Path initrd = Ext4Oracle.dump(
                img.raw(), img.rootOffset(), "/boot/initrd.img-" + img.kernelVersion(), dir.resolve("initrd.img"));
        return Tools.command("lsinitramfs", initrd.toString())
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
    }

    @Test
    void biosMbr(@TempDir Path dir) throws IOException {
        GuestImage img = GuestImages.get(GuestVariant.BIOS_MBR);
        commonChecks(img);
        assertMbrWithRootFirst(img);
        assertNoSerialConsoleArgs(img);
        assertThat(Ext4Oracle.exists(img.raw(), img.rootOffset(), "/usr/bin/cloud-init"))
                .isTrue();
        assertThat(Ext4Oracle.exists(img.raw(), img.rootOffset(), "/usr/sbin/waagent"))
                .isFalse();
        // initramfs-tools' MODULES=most carries the Hyper-V drivers: the contrast to dracut-hostonly.
        assertThat(lsinitramfs(img, dir)).contains("hv_vmbus.ko").contains("hv_storvsc.ko");
    }

    @Test
    void uefiGpt(@TempDir Path dir) throws IOException {
        GuestImage img = GuestImages.get(GuestVariant.UEFI_GPT);
        commonChecks(img);
        assertNoSerialConsoleArgs(img);
        String verify = Tools.command("sgdisk", "-v", img.raw().toString())
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
        assertThat(verify).contains("No problems found");
        String print = Tools.command("sgdisk", "-p", img.raw().toString())
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
        assertThat(print)
                .containsPattern("(?m)^\\s+14\\s+2048\\s+8191\\s.*EF02")
                .containsPattern("(?m)^\\s+15\\s+8192\\s+262143\\s.*EF00")
                .containsPattern("(?m)^\\s+1\\s+262144\\s.*8300");
        assertThat(cat(img, "/etc/fstab"))
                .containsPattern("(?m)^UUID=" + img.espUuid().orElseThrow() + "\\s+/boot/efi\\s+vfat");

        long espOffset = img.espOffset().orElseThrow();
        long espBytes = img.espBytes().orElseThrow();
        Path esp = dir.resolve("esp.img");
        Tools.command(
                        "dd",
                        "if=" + img.raw(),
                        "of=" + esp,
                        "bs=1M",
                        "skip=" + espOffset / (1 << 20),
                        "count=" + espBytes / (1 << 20),
                        "status=none")
                .timeout(T)
                .mergeStderr()
                .run();
        Tools.command("fsck.vfat", "-n", esp.toString())
                .timeout(T)
                .mergeStderr()
                .run();
        String blkid = Tools.command("blkid", "-p", "-o", "export", esp.toString())
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
        assertThat(blkid).contains("TYPE=vfat").contains("UUID=" + img.espUuid().orElseThrow());
        String efi = Tools.command("mdir", "-i", esp.toString(), "-b", "::/EFI/BOOT")
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
        assertThat(efi).contains("BOOTX64.EFI");
        Path bootx64 = dir.resolve("BOOTX64.EFI");
        Tools.command("mcopy", "-i", esp.toString(), "::/EFI/BOOT/BOOTX64.EFI", bootx64.toString())
                .timeout(T)
                .mergeStderr()
                .run();
        byte[] pe = Files.readAllBytes(bootx64);
        assertThat(new String(pe, 0, 2, StandardCharsets.ISO_8859_1)).isEqualTo("MZ");
        // The early configuration embedded in the EFI image finds the root file system by UUID.
        assertThat(new String(pe, StandardCharsets.ISO_8859_1))
                .contains("search --no-floppy --fs-uuid --set=root " + img.rootUuid());
    }

    @Test
    void quietSwap() throws IOException {
        GuestImage img = GuestImages.get(GuestVariant.QUIET_SWAP);
        commonChecks(img);
        assertMbrWithRootFirst(img);
        assertNoSerialConsoleArgs(img);
        assertThat(grubLinuxLine(img)).endsWith(" quiet");
        assertThat(cat(img, "/etc/default/grub")).contains("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"");
        String swapUuid = img.swapUuid().orElseThrow();
        assertThat(cat(img, "/etc/fstab")).containsPattern("(?m)^UUID=" + swapUuid + "\\s+none\\s+swap\\s");
        String dump = Tools.command("sfdisk", "--dump", img.raw().toString())
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
        assertThat(dump).containsPattern("type=82");
        String blkid = Tools.command(
                        "blkid",
                        "-p",
                        "-O",
                        img.fact("swap.offset"),
                        "-o",
                        "export",
                        img.raw().toString())
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
        assertThat(blkid).contains("TYPE=swap").contains("UUID=" + swapUuid);
    }

    @Test
    void dracutHostOnlyHasNoHyperVDrivers(@TempDir Path dir) throws IOException {
        GuestImage img = GuestImages.get(GuestVariant.DRACUT_HOSTONLY);
        commonChecks(img);
        assertMbrWithRootFirst(img);
        assertNoSerialConsoleArgs(img);
        assertThat(Ext4Oracle.exists(img.raw(), img.rootOffset(), "/usr/bin/dracut"))
                .isTrue();
        assertThat(Ext4Oracle.exists(img.raw(), img.rootOffset(), "/usr/sbin/update-initramfs"))
                .isFalse();
        assertThat(cat(img, "/etc/dracut.conf.d/10-fixture-hostonly.conf"))
                .contains("hostonly=\"yes\"")
                .contains("hv_vmbus");
        String files = lsinitramfs(img, dir);
        assertThat(files).as("a dracut image").contains("usr/lib/dracut").contains("ata_piix.ko");
        assertThat(files)
                .doesNotContain("hv_vmbus.ko")
                .doesNotContain("hv_storvsc.ko")
                .doesNotContain("hv_netvsc.ko");
    }

    @Test
    void agentlessHasDhcpButNoAgent() throws IOException {
        GuestImage img = GuestImages.get(GuestVariant.AGENTLESS);
        commonChecks(img);
        assertMbrWithRootFirst(img);
        assertNoSerialConsoleArgs(img);
        assertThat(Ext4Oracle.exists(img.raw(), img.rootOffset(), "/usr/bin/cloud-init"))
                .isFalse();
        assertThat(Ext4Oracle.exists(img.raw(), img.rootOffset(), "/etc/cloud/cloud.cfg"))
                .isFalse();
        assertThat(Ext4Oracle.exists(img.raw(), img.rootOffset(), "/usr/sbin/waagent"))
                .isFalse();
        assertThat(cat(img, "/etc/systemd/network/50-dhcp.network")).contains("DHCP=yes");
        assertThat(Ext4Oracle.exists(
                        img.raw(),
                        img.rootOffset(),
                        "/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"))
                .isTrue();
        assertThat(Ext4Oracle.exists(img.raw(), img.rootOffset(), "/usr/sbin/dhclient"))
                .isTrue();
    }

    @Test
    void waagentInsteadOfCloudInit() throws IOException {
        GuestImage img = GuestImages.get(GuestVariant.WAAGENT);
        commonChecks(img);
        assertMbrWithRootFirst(img);
        assertNoSerialConsoleArgs(img);
        assertThat(Ext4Oracle.exists(img.raw(), img.rootOffset(), "/usr/sbin/waagent"))
                .isTrue();
        assertThat(cat(img, "/etc/waagent.conf")).contains("Provisioning.");
        assertThat(Ext4Oracle.exists(
                        img.raw(),
                        img.rootOffset(),
                        "/etc/systemd/system/multi-user.target.wants/walinuxagent.service"))
                .isTrue();
        assertThat(Ext4Oracle.exists(img.raw(), img.rootOffset(), "/usr/bin/cloud-init"))
                .isFalse();
    }

    /** GPT with a Linux-swap partition (8200) that fstab does not name: what systemd-gpt-auto-generator activates. */
    @Test
    void gptSwapHasAnUnlistedSwapPartition() throws IOException {
        GuestImage img = GuestImages.get(GuestVariant.GPT_SWAP);
        commonChecks(img);
        assertNoSerialConsoleArgs(img);
        assertThat(Tools.command("sgdisk", "-v", img.raw().toString())
                        .timeout(T)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("No problems found");
        String print = Tools.command("sgdisk", "-p", img.raw().toString())
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
        assertThat(print)
                .containsPattern("(?m)^\\s+1\\s+262144\\s.*8300")
                .containsPattern("(?m)^\\s+2\\s+" + Long.parseLong(img.fact("swap.offset")) / 512 + "\\s.*8200");
        assertThat(Tools.command("sgdisk", "-A", "2:show", img.raw().toString())
                        .timeout(T)
                        .mergeStderr()
                        .run()
                        .out())
                .as("no GPT attribute set on the swap partition yet")
                .doesNotContain("2:63:");
        String swapUuid = img.swapUuid().orElseThrow();
        assertThat(cat(img, "/etc/fstab")).doesNotContain(swapUuid).doesNotContainPattern("(?m)^[^#]*\\sswap\\s");
        String blkid = Tools.command(
                        "blkid",
                        "-p",
                        "-O",
                        img.fact("swap.offset"),
                        "-o",
                        "export",
                        img.raw().toString())
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
        assertThat(blkid).contains("TYPE=swap").contains("UUID=" + swapUuid);
    }

    /**
     * XFS root (with /boot) made by mkfs.xfs -p, dracut's userland, GRUB's xfs.mod (core.img is compressed: the boot
     * test proves GRUB reads the XFS).
     */
    @Test
    void xfsDracutHasAnXfsRoot(@TempDir Path dir) throws IOException {
        GuestImage img = GuestImages.get(GuestVariant.XFS_DRACUT);
        assertThat(img.rootFsType()).isEqualTo("xfs");
        assertMbrWithRootFirst(img);
        assertThat(img.diskBytes() % (1 << 20)).as("whole MiB").isZero();
        Path part = dir.resolve("root.xfs");
        Tools.command(
                        "dd",
                        "if=" + img.raw(),
                        "of=" + part,
                        "bs=1M",
                        "skip=" + img.rootOffset() / (1 << 20),
                        "count=" + img.rootBytes() / (1 << 20),
                        "conv=sparse",
                        "status=none")
                .timeout(T)
                .mergeStderr()
                .run();
        Tools.command("xfs_repair", "-n", part.toString())
                .timeout(T)
                .mergeStderr()
                .run();
        String blkid = Tools.command("blkid", "-p", "-o", "export", part.toString())
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
        assertThat(blkid).contains("TYPE=xfs").contains("UUID=" + img.rootUuid());
        String boot = Tools.command("xfs_db", "-r", "-c", "ls /boot", part.toString())
                .timeout(T)
                .mergeStderr()
                .run()
                .out();
        assertThat(boot).contains("vmlinuz-" + img.kernelVersion()).contains("initrd.img-" + img.kernelVersion());
        assertThat(Tools.command("xfs_db", "-r", "-c", "ls /boot/grub/i386-pc", part.toString())
                        .timeout(T)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("xfs.mod");
        assertThat(Tools.command("xfs_db", "-r", "-c", "ls /usr/bin", part.toString())
                        .timeout(T)
                        .mergeStderr()
                        .run()
                        .out())
                .contains("dracut");
    }
}
