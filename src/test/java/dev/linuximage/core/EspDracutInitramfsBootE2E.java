package dev.linuximage.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.guests.GuestImage;
import dev.linuximage.testsupport.guests.GuestImages;
import dev.linuximage.testsupport.guests.GuestVariant;
import dev.linuximage.testsupport.guests.QemuBoot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * KERNEL-HV-DRIVERS booted through the ESP (issue 11): a Debian bookworm guest with systemd-boot and dracut
 * ({@code systemd-boot-dracut} in {@code docs/test-guests.md}) whose loader entry loads a dracut host-only initramfs
 * without hv_vmbus, hv_storvsc, hv_netvsc from the ESP, in kernel-install's layout
 * ({@code <ESP>/<machine-id>/<kver>/initrd}, the name dracut's kernel-install plugin gives it, named by
 * {@code loader/entries/<machine-id>-<kver>.conf}). {@code prepare} must rewrite that file; the test then boots the
 * prepared VHD under QEMU with OVMF and judges, from inside the VM, that the boot went through that entry and that
 * file.
 *
 * <p>Evidence that the rewritten file booted, each from a party other than the product: systemd-boot's
 * {@code LoaderEntrySelected} EFI variable (systemd's Boot Loader Interface) names the entry; systemd-boot's
 * {@code initrd=} argument in {@code /proc/cmdline} names the file it loaded; the SHA-256 of that ESP file inside
 * the VM equals the host's of the file the product wrote (and differs from the input's); the guest's own
 * {@code lsinitrd} lists the drivers in it; the kernel's {@code Freeing initrd memory: <n>K} (x86
 * {@code free_initrd_mem}: the page-aligned size of the initrd it was handed) fits the rewritten file's size and not
 * the input's. What a user notices is judged as in the other boots: root mounted less than 90 s after the kernel's
 * start, no swap, eth0 up with a DHCP address, the Azure arguments in /proc/cmdline.
 */
@Tag("boot")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EspDracutInitramfsBootE2E {
    private static final Duration BOOT_BUDGET = Duration.ofMinutes(15);
    private static final Duration TOOL = Duration.ofMinutes(3);
    private static final GuestVariant VARIANT = GuestVariant.SYSTEMD_BOOT_DRACUT;
    private static final List<String> HV = List.of("hv_vmbus", "hv_storvsc", "hv_netvsc");
    /** CMDLINE-CONSOLE's arguments (docs/requirements.md). */
    private static final List<String> AZURE_ARGS = List.of("console=ttyS0", "earlyprintk=ttyS0", "net.ifnames=0");
    /** The boot probe's systemd-boot line (build-guest.sh); patterns end at the line's end (see BootLoaderGuestBootE2E). */
    private static final Pattern ESP_PROBE = Pattern.compile("fixture-esp-probe: entry-var=([0-9a-f]*) initrd=(\\S+)"
            + " sha256=([0-9a-f]{64}|none)(?: hv_vmbus=(\\d+) hv_storvsc=(\\d+) hv_netvsc=(\\d+))?\\r?\\n");

    private static final Pattern CMDLINE_PROBE = Pattern.compile("fixture-cmdline-probe: ([^\\r\\n]*)\\r?\\n");
    /** x86 free_initrd_mem -> free_init_pages: "Freeing initrd memory: %luK". */
    private static final Pattern INITRD_FREED = Pattern.compile("Freeing initrd memory: (\\d+)K");

    private GuestImage img;
    private Path dir;
    private String entryName;
    private String espInitrd;
    private Path before;
    private Path after;
    private Path vhd;
    private FamilyDiskCliOracleTest.Outcome prepared;
    private QemuBoot vm;
    private Throwable setupFailure;
    private long buildSeconds;

    @BeforeAll
    void prepareAndStart() {
        try {
            long t0 = System.nanoTime();
            img = GuestImages.get(VARIANT);
            buildSeconds = Duration.ofNanos(System.nanoTime() - t0).toSeconds();
            dir = Tools.targetDir().resolve("esp-dracut-boot");
            if (Files.exists(dir)) {
                Tools.command("rm", "-rf", dir.toString())
                        .timeout(TOOL)
                        .mergeStderr()
                        .run();
            }
            Files.createDirectories(dir);
            String mid = img.machineId().orElseThrow();
            entryName = mid + "-" + img.kernelVersion();
            espInitrd = "/" + mid + "/" + img.kernelVersion() + "/initrd";
            Path espIn = inputEsp(dir.resolve("esp-before.img"));
            before = fatCopy(espIn, espInitrd, dir.resolve("initrd-before.img"));
            Files.writeString(
                    dir.resolve("entry-before.conf"), fatFile(espIn, "/loader/entries/" + entryName + ".conf"));
            Files.delete(espIn);

            vhd = dir.resolve("out.vhd");
            long p0 = System.nanoTime();
            prepared = FamilyDiskCliOracleTest.run(
                    "prepare",
                    img.qcow2().toString(),
                    "--output",
                    vhd.toString(),
                    "--report",
                    dir.resolve("prepare.json").toString(),
                    "--image-kind",
                    "Generalized",
                    "--provisioning",
                    "CloudInit",
                    "--quiet");
            System.err.printf(
                    "%s: image ready in %d s (build or cache), prepare took %d s (exit %d)%n",
                    VARIANT.id(),
                    buildSeconds,
                    Duration.ofNanos(System.nanoTime() - p0).toSeconds(),
                    prepared.exit());
            if (prepared.exit() == 0) {
                // the VM boots (snapshot=on: the VHD is only read) while the output's ESP is read back
                vm = QemuBoot.builder(vhd)
                        .format(QemuBoot.DiskFormat.VPC)
                        .firmware(QemuBoot.Firmware.UEFI)
                        .snapshot(true)
                        .workDir(dir.resolve("qemu"))
                        .start();
            }
            Path espOut = DiskFiles.copyRange(
                    vhd, img.espOffset().orElseThrow(), img.espBytes().orElseThrow(), dir.resolve("esp-after.img"));
            Tools.command("fsck.vfat", "-n", espOut.toString())
                    .timeout(TOOL)
                    .mergeStderr()
                    .run();
            after = fatCopy(espOut, espInitrd, dir.resolve("initrd-after.img"));
            Files.writeString(
                    dir.resolve("entry-after.conf"), fatFile(espOut, "/loader/entries/" + entryName + ".conf"));
            Files.delete(espOut);
        } catch (Exception | AssertionError e) {
            setupFailure = e;
        }
    }

    @AfterAll
    void stop() {
        if (vm != null) {
            vm.close();
        }
        if (dir != null) {
            GuestImages.releaseOutputs(dir);
        }
    }

    private void setupSucceeded() {
        if (setupFailure != null) {
            throw new AssertionError("build, prepare or start failed: " + setupFailure.getMessage(), setupFailure);
        }
    }

    /** The fixture's premise, by the oracles: the entry loads a dracut host-only image without the drivers. */
    @Test
    void inputEntryLoadsADracutHostOnlyImageWithoutHyperVDriversFromTheEsp() throws Exception {
        setupSucceeded();
        String entry = Files.readString(dir.resolve("entry-before.conf"));
        assertThat(valuesOf(entry, "initrd")).as("the entry's initrd lines").containsExactly(espInitrd);
        assertThat(valuesOf(entry, "linux"))
                .containsExactly("/" + img.machineId().orElseThrow() + "/" + img.kernelVersion() + "/linux");
        String listing = Tools.command("lsinitrd", before.toString())
                .timeout(TOOL)
                .mergeStderr()
                .run()
                .out();
        assertThat(listing).as("lsinitrd header").contains("Version: dracut-");
        assertThat(listing.lines().filter(l -> l.startsWith("Arguments:")).findFirst())
                .as("dracut's recorded arguments")
                .hasValueSatisfying(a -> assertThat(a).contains("--hostonly"));
        assertThat(EspInitramfsDiskOracleTest.hvListed(before))
                .as("drivers in the input's ESP initramfs")
                .isEmpty();
    }

    /**
     * prepare rewrote the ESP file the entry names: KERNEL-HV-DRIVERS Fixed naming it, lsinitrd lists the three
     * drivers, the FAT stays clean (checked while extracting) and the entry still names the same file.
     */
    @Test
    void prepareRewroteTheEspInitramfs() throws Exception {
        setupSucceeded();
        assertThat(prepared.exit()).as(prepared.report().toPrettyString()).isZero();
        assertThat(prepared.status()).containsEntry("KERNEL-HV-DRIVERS", "Fixed");
        assertThat(prepared.report().get("changes").toString()).contains("/boot/efi" + espInitrd);
        assertThat(EspInitramfsDiskOracleTest.hvListed(after))
                .as("lsinitrd of the ESP initramfs after prepare")
                .containsExactlyInAnyOrderElementsOf(HV);
        assertThat(sha256(after)).isNotEqualTo(sha256(before));
        assertThat(valuesOf(Files.readString(dir.resolve("entry-after.conf")), "initrd"))
                .containsExactly(espInitrd);
        Ext4Oracle.assertClean(vhd, img.rootOffset());
    }

    @Test
    void preparedGuestBootsThroughTheRewrittenEspInitramfs() throws Exception {
        setupSucceeded();
        assertThat(vm).as("VM started (prepare exit %d)", prepared.exit()).isNotNull();
        String mid = img.machineId().orElseThrow();
        String kver = img.kernelVersion();

        QemuBoot.MatchResult cmd = vm.awaitConsole(QemuBoot.KERNEL_COMMAND_LINE, BOOT_BUDGET);
        RealGuestBootE2E.RootMount root = RealGuestBootE2E.rootMountedInTime(vm, VARIANT.id(), cmd, BOOT_BUDGET);
        assertThat(root.device()).as("the root is partition 2").isEqualTo("sda2");

        QemuBoot.MatchResult swap = vm.awaitConsole(RealGuestBootE2E.SWAP_PROBE, BOOT_BUDGET);
        QemuBoot.MatchResult proc = vm.awaitConsole(CMDLINE_PROBE, BOOT_BUDGET);
        QemuBoot.MatchResult esp = vm.awaitConsole(ESP_PROBE, BOOT_BUDGET);
        QemuBoot.MatchResult net = vm.awaitConsole(RealGuestBootE2E.NET_PROBE, BOOT_BUDGET);
        for (QemuBoot.MatchResult m : List.of(swap, proc, esp, net)) {
            System.err.printf(
                    "boot of prepared %s: '%s' at %d s%n",
                    VARIANT.id(), m.text().trim(), m.after().toSeconds());
        }
        assertThat(Integer.parseInt(swap.groups().get(0)))
                .as("active swaps: %s", swap.text())
                .isZero();
        List<String> procCmdline = List.of(proc.groups().get(0).strip().split("\\s+"));
        assertThat(procCmdline)
                .as("the booted guest's /proc/cmdline")
                .containsAll(AZURE_ARGS)
                .contains("root=UUID=" + img.rootUuid())
                .doesNotContain("quiet")
                // systemd-boot's own record of the initrd it loaded (EFI path of the ESP file)
                .contains("initrd=" + espInitrd.replace('/', '\\'));
        assertThat(net.groups().get(0)).as("eth0's state: %s", net.text()).isEqualTo("UP");
        assertThat(net.groups().get(1))
                .as("eth0's IPv4 address (slirp DHCP): %s", net.text())
                .startsWith("168.63.129.");

        // the entry systemd-boot booted (LoaderEntrySelected: u32 attributes, then the id in UTF-16LE, NUL-ended)
        byte[] var = HexFormat.of().parseHex(esp.groups().get(0));
        assertThat(var.length).as("LoaderEntrySelected: %s", esp.text()).isGreaterThan(6);
        String id = new String(Arrays.copyOfRange(var, 4, var.length), StandardCharsets.UTF_16LE)
                .replaceAll("\u0000+$", "");
        System.err.printf("%s: LoaderEntrySelected = '%s'%n", VARIANT.id(), id);
        assertThat(id.endsWith(".conf") ? id.substring(0, id.length() - 5) : id)
                .as("the loader entry systemd-boot booted")
                .isEqualTo(mid + "-" + kver);
        assertThat(esp.groups().get(1)).as("the initrd that entry names").isEqualTo(espInitrd);
        assertThat(esp.groups().get(2))
                .as("SHA-256 of the ESP initrd read in the VM = the file prepare wrote")
                .isEqualTo(sha256(after));
        assertThat(List.of(
                        esp.groups().get(3), esp.groups().get(4), esp.groups().get(5)))
                .as("hv_vmbus, hv_storvsc, hv_netvsc files the guest's lsinitrd lists in it")
                .allSatisfy(n -> assertThat(Integer.parseInt(n)).isPositive());

        // the kernel itself: the initrd it was handed has the rewritten file's size (page-aligned), not the input's
        QemuBoot.MatchResult freed = vm.awaitConsole(INITRD_FREED, BOOT_BUDGET);
        long freedBytes = Long.parseLong(freed.groups().get(0)) * 1024;
        System.err.printf(
                "%s: kernel freed %d bytes of initrd; ESP initrd before prepare %d bytes, after %d bytes%n",
                VARIANT.id(), freedBytes, Files.size(before), Files.size(after));
        assertThat(Math.abs(Files.size(after) - Files.size(before)))
                .as("the two sizes are told apart by whole pages")
                .isGreaterThan(8192);
        assertThat(freedBytes - Files.size(after))
                .as("kernel's initrd size (%d) - rewritten file's size", freedBytes)
                .isBetween(0L, 4095L);
        assertThat(vm.consoleText()).doesNotContain("Kernel panic");
    }

    /** The ESP of the (qcow2) input, read by qemu-img ({@code count} counts from the input's start). */
    private Path inputEsp(Path target) {
        long mib = 1L << 20;
        long off = img.espOffset().orElseThrow();
        long len = img.espBytes().orElseThrow();
        assertThat(off % mib).isZero();
        assertThat(len % mib).isZero();
        Tools.command(
                        "qemu-img",
                        "dd",
                        "-f",
                        "qcow2",
                        "-O",
                        "raw",
                        "bs=" + mib,
                        "skip=" + off / mib,
                        "count=" + (off + len) / mib,
                        "if=" + img.qcow2(),
                        "of=" + target)
                .timeout(TOOL)
                .mergeStderr()
                .run();
        Tools.command("fsck.vfat", "-n", target.toString())
                .timeout(TOOL)
                .mergeStderr()
                .run();
        return target;
    }

    private static Path fatCopy(Path fat, String path, Path target) {
        Tools.command("env", "MTOOLS_SKIP_CHECK=1", "mcopy", "-n", "-i", fat.toString(), "::" + path, target.toString())
                .timeout(TOOL)
                .mergeStderr()
                .run();
        return target;
    }

    private static String fatFile(Path fat, String path) {
        return Tools.command("env", "MTOOLS_SKIP_CHECK=1", "mtype", "-i", fat.toString(), "::" + path)
                .timeout(TOOL)
                .mergeStderr()
                .run()
                .out();
    }

    /** The values of every {@code key} line of a loader entry. */
    private static List<String> valuesOf(String entry, String key) {
        return entry.lines()
                .map(String::strip)
                .map(l -> l.split("\\s+", 2))
                .filter(kv -> kv.length == 2 && kv[0].equals(key))
                .map(kv -> kv[1].strip())
                .toList();
    }

    private static String sha256(Path f) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }
}
