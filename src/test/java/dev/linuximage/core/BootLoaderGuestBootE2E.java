package dev.linuximage.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.guests.GuestImage;
import dev.linuximage.testsupport.guests.GuestImages;
import dev.linuximage.testsupport.guests.GuestVariant;
import dev.linuximage.testsupport.guests.QemuBoot;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Real Debian bookworm guests booted by the two other boot loaders Debian packages (issue 11): systemd-boot (UEFI,
 * OVMF) and extlinux/syslinux (BIOS, SeaBIOS), laid out by the distribution's own tools (see
 * {@code docs/test-guests.md}: {@code bootctl install} and {@code kernel-install} for systemd-boot, {@code syslinux
 * --install} and syslinux-common's {@code mbr.bin} for extlinux). Each is prepared by {@code linuximage prepare}, its
 * output's own files are read back with the real tools (mtools and fsck.vfat on the FAT file system holding the loader
 * configuration, debugfs/e2fsck on the root), then the VHD boots under QEMU ({@code format=vpc}).
 *
 * <p>The fixtures' loader configurations have no {@code console=ttyS0}: a kernel {@code Command line:} message with the
 * Azure arguments on the serial console, and the same arguments in the booted guest's {@code /proc/cmdline}, mean the
 * boot loader read the file the product edited. Judged as the other real-guest boots are (CMDLINE-CONSOLE,
 * SWAP-OS-DISK, NOAGENT-DHCP in docs/requirements.md): root mounted less than 90 s after the kernel's start, no active
 * swap, eth0 up with an address. Both guests use initramfs-tools, whose {@code init} sleeps {@code rootdelay} whole:
 * CMDLINE-CONSOLE wants it absent there.
 */
@Tag("boot")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BootLoaderGuestBootE2E {
    private static final Duration BOOT_BUDGET = Duration.ofMinutes(15);
    private static final Duration ROOT_WAIT = Duration.ofMinutes(4);
    private static final Duration TOOL = Tools.MINUTE;
    /** The boot probe's copy of the booted kernel's /proc/cmdline (build-guest.sh). */
    // each probe pattern ends at the line's end: the console is matched while its bytes still arrive, and a line
    // matched half-way (seen in CI: /proc/cmdline cut after "initrd.img-6.1") is not the guest's line
    private static final Pattern CMDLINE_PROBE = Pattern.compile("fixture-cmdline-probe: ([^\\r\\n]*)\\r?\\n");
    /** The boot probe's list of the file systems mounted on /boot and below ({@code target:fstype,}). */
    private static final Pattern BOOTFS_PROBE = Pattern.compile("fixture-bootfs-probe: (\\S*)\\s*\\r?\\n");
    /** CMDLINE-CONSOLE's arguments (docs/requirements.md). */
    private static final List<String> AZURE_ARGS = List.of("console=ttyS0", "earlyprintk=ttyS0", "net.ifnames=0");

    private final Map<GuestVariant, QemuBoot> vms = new EnumMap<>(GuestVariant.class);
    private final Map<GuestVariant, Path> vhds = new EnumMap<>(GuestVariant.class);
    private final Map<GuestVariant, Throwable> prepareFailures = new EnumMap<>(GuestVariant.class);

    @BeforeAll
    void prepareAndStart() throws Exception {
        start(GuestVariant.SYSTEMD_BOOT, QemuBoot.Firmware.UEFI);
        start(GuestVariant.EXTLINUX, QemuBoot.Firmware.BIOS);
    }

    @AfterAll
    void stop() {
        vms.values().forEach(QemuBoot::close);
        GuestImages.releaseOutputs(Tools.targetDir().resolve("bootloader-boot"));
    }

    private void start(GuestVariant variant, QemuBoot.Firmware firmware) throws Exception {
        Path vhd;
        try {
            vhd = prepared(variant);
        } catch (Exception | AssertionError e) {
            prepareFailures.put(variant, e);
            return;
        }
        vhds.put(variant, vhd);
        QemuBoot vm = QemuBoot.builder(vhd)
                .format(QemuBoot.DiskFormat.VPC)
                .firmware(firmware)
                .snapshot(true)
                .workDir(vhd.getParent().resolve("qemu"))
                .start();
        vms.put(variant, vm);
        // as RealGuestBootE2E: the next VM starts once this one has mounted its root, so the timed phase is not
        // spent fighting the other VM for the cores
        try {
            RealGuestBootE2E.rootMount(vm, ROOT_WAIT);
        } catch (AssertionError e) {
            // judged by the variant's own test
        }
    }

    private static Path prepared(GuestVariant variant) throws Exception {
        GuestImage img = GuestImages.get(variant);
        Path dir = Tools.targetDir().resolve("bootloader-boot/" + variant.id());
        if (Files.exists(dir)) {
            Tools.command("rm", "-rf", dir.toString())
                    .timeout(TOOL)
                    .mergeStderr()
                    .run();
        }
        Files.createDirectories(dir);
        Path vhd = dir.resolve("out.vhd");
        int exit = CoreCli.execute(
                "prepare",
                img.qcow2().toString(),
                "--output",
                vhd.toString(),
                "--report",
                dir.resolve("report.json").toString(),
                "--image-kind",
                "Generalized",
                "--provisioning",
                "CloudInit",
                "--quiet");
        assertThat(exit)
                .as("prepare exit of %s; report in %s", variant.id(), dir)
                .isZero();
        return vhd;
    }

    private Path vhd(GuestVariant variant) {
        Throwable failed = prepareFailures.get(variant);
        if (failed != null) {
            throw new AssertionError("prepare of " + variant.id() + " failed: " + failed.getMessage(), failed);
        }
        return vhds.get(variant);
    }

    /** The words after the first line starting with {@code keyword} (case-insensitive, as syslinux reads it). */
    private static List<String> argumentsOf(String config, String keyword) {
        return config.lines()
                .map(String::strip)
                .filter(l -> l.regionMatches(true, 0, keyword + " ", 0, keyword.length() + 1)
                        || l.regionMatches(true, 0, keyword + "\t", 0, keyword.length() + 1))
                .findFirst()
                .map(l -> Arrays.asList(l.substring(keyword.length()).strip().split("\\s+")))
                .orElseThrow(() -> new AssertionError("no '" + keyword + "' line in:\n" + config));
    }

    /** CMDLINE-CONSOLE and CMDLINE-NOQUIET on one boot configuration's arguments of an initramfs-tools guest. */
    private static void azureArguments(List<String> words, GuestImage img, String where) {
        assertThat(words)
                .as("arguments of %s", where)
                .containsAll(AZURE_ARGS)
                .contains("root=UUID=" + img.rootUuid(), "ro")
                .doesNotContain("quiet", "rhgb");
        assertThat(words)
                .as("%s: initramfs-tools' init sleeps rootdelay whole, CMDLINE-CONSOLE forbids it", where)
                .noneMatch(w -> w.startsWith("rootdelay="));
    }

    /** mtools reads a file of a FAT image; fsck.vfat must find the file system clean first. */
    private static String fatFile(Path fat, String path) {
        Tools.command("fsck.vfat", "-n", fat.toString())
                .timeout(TOOL)
                .mergeStderr()
                .run();
        return Tools.command("env", "MTOOLS_SKIP_CHECK=1", "mtype", "-i", fat.toString(), "::" + path)
                .timeout(TOOL)
                .mergeStderr()
                .run()
                .out();
    }

    /**
     * The prepared systemd-boot guest's own files: the loader entry kernel-install wrote on the ESP (what systemd-boot
     * reads) and {@code /etc/kernel/cmdline} on the root (what kernel-install writes the next kernel's entry from)
     * both carry the Azure arguments; the entry's other keys and the machine id option stay.
     */
    @Test
    void systemdBootEntryAndItsSourceCarryTheAzureCommandLine() throws Exception {
        Path vhd = vhd(GuestVariant.SYSTEMD_BOOT);
        GuestImage img = GuestImages.get(GuestVariant.SYSTEMD_BOOT);
        String mid = img.machineId().orElseThrow();
        Path esp = DiskFiles.copyRange(
                vhd, img.espOffset().orElseThrow(), img.espBytes().orElseThrow(), vhd.resolveSibling("esp.img"));
        String entry = fatFile(esp, "/loader/entries/" + mid + "-" + img.kernelVersion() + ".conf");
        List<String> options = argumentsOf(entry, "options");
        azureArguments(options, img, "the ESP's loader entry");
        // DEPROVISION-MACHINE: kernel-install's systemd.machine_id=<build VM's id> would override the emptied
        // /etc/machine-id in every VM made from the image (systemd(1)); the entry keeps its name and paths
        assertThat(options).noneMatch(w -> w.startsWith("systemd.machine_id="));
        assertThat(Ext4Oracle.readString(vhd, img.rootOffset(), "/etc/machine-id"))
                .isEmpty();
        assertThat(argumentsOf(entry, "linux")).containsExactly("/" + mid + "/" + img.kernelVersion() + "/linux");
        assertThat(argumentsOf(entry, "initrd"))
                .containsExactly("/" + mid + "/" + img.kernelVersion() + "/initrd.img-" + img.kernelVersion());
        Tools.command("env", "MTOOLS_SKIP_CHECK=1", "mdir", "-i", esp.toString(), "::/EFI/BOOT/BOOTX64.EFI")
                .timeout(TOOL)
                .mergeStderr()
                .run();
        Ext4Oracle.assertClean(vhd, img.rootOffset());
        String source = Ext4Oracle.readString(vhd, img.rootOffset(), "/etc/kernel/cmdline");
        azureArguments(Arrays.asList(source.strip().split("\\s+")), img, "/etc/kernel/cmdline");
        Files.delete(esp);
    }

    /**
     * The prepared extlinux guest's own files: {@code APPEND} of the label in {@code /boot/extlinux/extlinux.conf}
     * on the FAT /boot carries the Azure arguments, and the loader's pieces the product must not touch are still
     * there: syslinux-common's MBR code and the FAT boot sector {@code syslinux --install} wrote, byte for byte as in
     * the input, and {@code ldlinux.sys}/{@code ldlinux.c32}.
     */
    @Test
    void extlinuxAppendLineCarriesTheAzureCommandLine() throws Exception {
        Path vhd = vhd(GuestVariant.EXTLINUX);
        GuestImage img = GuestImages.get(GuestVariant.EXTLINUX);
        long bootOffset = img.bootOffset().orElseThrow();
        Path boot = DiskFiles.copyRange(vhd, bootOffset, img.bootBytes().orElseThrow(), vhd.resolveSibling("boot.img"));
        String conf = fatFile(boot, "/extlinux/extlinux.conf");
        azureArguments(argumentsOf(conf, "APPEND"), img, "extlinux.conf's APPEND");
        assertThat(argumentsOf(conf, "LINUX")).containsExactly("/vmlinuz-" + img.kernelVersion());
        String dir = Tools.command(
                        "env", "MTOOLS_SKIP_CHECK=1", "mdir", "-a", "-b", "-i", boot.toString(), "::/extlinux")
                .timeout(TOOL)
                .mergeStderr()
                .run()
                .out();
        assertThat(dir).contains("ldlinux.sys", "ldlinux.c32");
        try (FileChannel b = FileChannel.open(vhd)) {
            assertThat(read(b, 0, 440))
                    .as("MBR boot code (syslinux mbr.bin)")
                    .isEqualTo(Arrays.copyOf(inputSector(img, 0, vhd.resolveSibling("in-mbr.bin")), 440));
            assertThat(read(b, bootOffset, 512))
                    .as("FAT boot sector written by syslinux --install")
                    .isEqualTo(inputSector(img, bootOffset / 512, vhd.resolveSibling("in-vbr.bin")));
        }
        Ext4Oracle.assertClean(vhd, img.rootOffset());
        Files.delete(boot);
    }

    /** One 512-byte sector of the (qcow2) input, read by qemu-img. */
    private static byte[] inputSector(GuestImage img, long lba, Path target) throws IOException {
        // qemu-img dd counts count= from the start of the input, skipped blocks included (unlike dd(1))
        Tools.command(
                        "qemu-img",
                        "dd",
                        "-f",
                        "qcow2",
                        "-O",
                        "raw",
                        "bs=512",
                        "skip=" + lba,
                        "count=" + (lba + 1),
                        "if=" + img.qcow2(),
                        "of=" + target)
                .timeout(TOOL)
                .mergeStderr()
                .run();
        byte[] b = Files.readAllBytes(target);
        Files.delete(target);
        assertThat(b).as("sector %d of %s", lba, img.qcow2()).hasSize(512);
        return b;
    }

    private static byte[] read(FileChannel c, long offset, int n) throws IOException {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            if (c.read(buf, offset + buf.position()) < 0) {
                throw new IOException("short read");
            }
        }
        return buf.array();
    }

    @Test
    void systemdBootGuestBootsWithOvmfAndTheAzureCommandLine() throws Exception {
        bootsAsAUserExpects(GuestVariant.SYSTEMD_BOOT);
    }

    @Test
    void extlinuxGuestBootsWithSeaBiosAndTheAzureCommandLine() throws Exception {
        bootsAsAUserExpects(GuestVariant.EXTLINUX);
    }

    private void bootsAsAUserExpects(GuestVariant variant) throws Exception {
        vhd(variant);
        QemuBoot vm = vms.get(variant);
        GuestImage img = GuestImages.get(variant);
        QemuBoot.MatchResult cmd = vm.awaitConsole(QemuBoot.KERNEL_COMMAND_LINE, BOOT_BUDGET);
        List<String> words = List.of(vm.kernelCommandLine().orElseThrow().split("\\s+"));
        azureArguments(words, img, "the kernel's Command line: message");
        RealGuestBootE2E.RootMount root = RealGuestBootE2E.rootMountedInTime(vm, variant.id(), cmd, BOOT_BUDGET);
        assertThat(root.device()).as("the root is partition 2").isEqualTo("sda2");

        QemuBoot.MatchResult swap = vm.awaitConsole(RealGuestBootE2E.SWAP_PROBE, BOOT_BUDGET);
        QemuBoot.MatchResult proc = vm.awaitConsole(CMDLINE_PROBE, BOOT_BUDGET);
        QemuBoot.MatchResult bootfs = vm.awaitConsole(BOOTFS_PROBE, BOOT_BUDGET);
        QemuBoot.MatchResult net = vm.awaitConsole(RealGuestBootE2E.NET_PROBE, BOOT_BUDGET);
        for (QemuBoot.MatchResult m : List.of(swap, proc, bootfs, net)) {
            System.err.printf(
                    "boot of prepared %s: '%s' at %d s%n",
                    variant.id(), m.text().trim(), m.after().toSeconds());
        }
        assertThat(Integer.parseInt(swap.groups().get(0)))
                .as("active swaps (swapon --show): %s", swap.text())
                .isZero();
        List<String> procCmdline = List.of(proc.groups().get(0).strip().split("\\s+"));
        azureArguments(procCmdline, img, "the booted guest's /proc/cmdline");
        assertThat(procCmdline)
                .as("no machine id pinned by the command line (DEPROVISION-MACHINE)")
                .noneMatch(w -> w.startsWith("systemd.machine_id="));
        // the FAT file system the loader reads (and the next kernel update writes) is mounted by its fstab line
        assertThat(List.of(bootfs.groups().get(0).split(",")))
                .as("file systems on /boot: %s", bootfs.text())
                .contains(variant == GuestVariant.SYSTEMD_BOOT ? "/boot/efi:vfat" : "/boot:vfat");
        assertThat(net.groups().get(0)).as("eth0's state: %s", net.text()).isEqualTo("UP");
        assertThat(net.groups().get(1))
                .as("eth0's IPv4 address (slirp DHCP): %s", net.text())
                .startsWith("168.63.129.");
        assertThat(vm.consoleText()).doesNotContain("Kernel panic");
    }
}
