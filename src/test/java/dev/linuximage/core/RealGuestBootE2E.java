package dev.linuximage.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.guests.FakeWireServer;
import dev.linuximage.testsupport.guests.GuestImage;
import dev.linuximage.testsupport.guests.GuestImages;
import dev.linuximage.testsupport.guests.GuestVariant;
import dev.linuximage.testsupport.guests.QemuBoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * Boots the fixed VHDs {@code linuximage prepare} made of real Debian guests (format=vpc) under QEMU, one per variant
 * the issue names: BIOS/MBR, UEFI/GPT, quiet + swap, a dracut host-only initramfs without Hyper-V drivers, an XFS root
 * with a dracut initramfs, a GPT swap partition fstab does not name on a disk grown by {@code qemu-img resize}, and
 * agent-less provisioning against a fake wireserver; and a guest the Azure Linux Agent (waagent) provisions from an
 * Azure-style provisioning CD (ovf-env.xml) before it reports Ready to its own fake wireserver.
 *
 * <p>Each boot is judged on what a user of the VM would notice (requirements CMDLINE-CONSOLE, SWAP-OS-DISK,
 * KERNEL-HV-DRIVERS, NOAGENT-DHCP in docs/requirements.md): the kernel's command line; the time from the kernel's
 * start to the mount of the root file system, read from the kernel's own printk timestamps on the serial console
 * (Debian's kernels are built with CONFIG_PRINTK_TIME); and, from the fixtures' test-only boot probe (see
 * docs/test-guests.md), the active swaps, eth0's address, the Hyper-V drivers the guest's own
 * lsinitramfs/lsinitrd lists, and on the dracut host-only guest the same after the guest's own initramfs rebuild
 * (the initramfs-tools rebuild runs on a host-only MODULES=dep guest in {@link RealGuestInitramfsRebuildBootE2E}).
 *
 * <p>The fixtures have no {@code console=ttyS0}: before the product patched them, their serial console stays silent
 * after GRUB, so a kernel {@code Command line:} message with the Azure arguments on the serial console is the
 * product's doing. The class prepares every variant and starts its VM ({@link BeforeAll}), the next one once the
 * previous VM has mounted its root, so that the timed phase is not spent fighting the other VMs for the cores; the
 * tests then judge the VMs that finish booting side by side. A variant whose prepare fails fails its own test only.
 */
@Tag("boot")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RealGuestBootE2E {
    /** Eight VMs share the machine's two cores under TCG. */
    private static final Duration BOOT_BUDGET = Duration.ofMinutes(20);
    /** What a user waits for at most between the kernel's start and the root mount (issue 10). */
    static final double ROOT_MOUNT_LIMIT_SECONDS = 90.0;
    /** How long {@link BeforeAll} waits for one VM's root mount before it prepares and starts the next. */
    private static final Duration ROOT_WAIT = Duration.ofMinutes(4);
    /** The kernel's swapon message ("Adding 262140k swap on /dev/sda2.  Priority:-2 ...") and systemd's. */
    private static final Pattern SWAP_ACTIVATED =
            Pattern.compile("Adding \\d+k swap on|Activated swap|Activating swap");
    /**
     * The root file system's mount in the initramfs, with the kernel's timestamp (seconds since the kernel started):
     * ext4 (fs/ext4/super.c, "mounted filesystem") or XFS (fs/xfs/xfs_log.c, "Ending clean mount").
     */
    static final Pattern ROOT_MOUNTED = Pattern.compile(
            "\\[\\s*(\\d+\\.\\d+)\\] (?:EXT4-fs \\((\\w+)\\): mounted filesystem|XFS \\((\\w+)\\): Ending clean mount)");
    /** Printed by the agent-less fixture's test-only probe unit once ssh.service has started or failed. */
    private static final Pattern SSH_PROBE =
            Pattern.compile("fixture-ssh-probe: ssh\\.service (\\S+), (\\d+) host keys");
    /** Printed by the waagent fixture's test-only path unit once the agent has written its "provisioned" marker. */
    private static final Pattern WAAGENT_PROBE =
            Pattern.compile("fixture-waagent-probe: provisioned; user (\\S+) home (\\S+); hostname (\\S+)");
    /** The fixtures' boot probe (build-guest.sh): active swaps from /proc/swaps. */
    static final Pattern SWAP_PROBE = Pattern.compile("fixture-swap-probe: swaps=(\\d+)(.*)");
    /** The boot probe: Hyper-V driver files the guest's lsinitramfs/lsinitrd lists in the running kernel's initramfs. */
    static final Pattern INITRAMFS_PROBE = Pattern.compile(
            "fixture-initramfs-probe: kernel=(\\S+) tool=(\\S+) hv_vmbus=(\\d+) hv_storvsc=(\\d+) hv_netvsc=(\\d+) seconds=(\\d+)");
    /** The boot probe: eth0's state and IPv4 address (waits up to 4 minutes for one), and every link's name. */
    static final Pattern NET_PROBE = Pattern.compile("fixture-net-probe: eth0=(\\S+) ipv4=(\\S+) links=(\\S*)");
    /** The boot probe on rebuild variants: the guest's own initramfs rebuild, its exit code, and the drivers after it. */
    static final Pattern REBUILD_PROBE = Pattern.compile("fixture-rebuild-probe: '([^']+)' exit=(\\d+) seconds=(\\d+)"
            + " hv_vmbus=(\\d+) hv_storvsc=(\\d+) hv_netvsc=(\\d+)");

    private static final String OVF_HOSTNAME = "limg-waagent-vm";
    private static final String OVF_USER = "azureuser";
    /** How much {@code qemu-img resize} grows the gpt-swap input: its backup GPT is then 512 MiB before the end. */
    static final long GROWTH_BYTES = 512L << 20;

    private final Map<GuestVariant, QemuBoot> vms = new EnumMap<>(GuestVariant.class);
    private final Map<GuestVariant, Throwable> prepareFailures = new EnumMap<>(GuestVariant.class);
    private FakeWireServer wire;
    private FakeWireServer waagentWire;

    @BeforeAll
    void prepareAndStartEveryVariant() throws Exception {
        wire = FakeWireServer.start();
        waagentWire = FakeWireServer.start();
        boot(GuestVariant.AGENTLESS, "None", QemuBoot.Firmware.BIOS);
        boot(GuestVariant.WAAGENT, "WALinuxAgent", QemuBoot.Firmware.BIOS);
        boot(GuestVariant.BIOS_MBR, "CloudInit", QemuBoot.Firmware.BIOS);
        boot(GuestVariant.UEFI_GPT, "CloudInit", QemuBoot.Firmware.UEFI);
        boot(GuestVariant.QUIET_SWAP, "CloudInit", QemuBoot.Firmware.BIOS);
        boot(GuestVariant.DRACUT_HOSTONLY, "CloudInit", QemuBoot.Firmware.BIOS);
        boot(GuestVariant.GPT_SWAP, "CloudInit", QemuBoot.Firmware.BIOS);
        boot(GuestVariant.XFS_DRACUT, "CloudInit", QemuBoot.Firmware.BIOS);
    }

    @AfterAll
    void stopEverything() {
        vms.values().forEach(QemuBoot::close);
        if (wire != null) {
            wire.close();
        }
        if (waagentWire != null) {
            waagentWire.close();
        }
        // the prepared VHDs (one per variant, ~1 GiB allocated each) are not needed once their VMs are gone
        GuestImages.releaseOutputs(Tools.targetDir().resolve("realguests-boot"));
    }

    private void boot(GuestVariant variant, String provisioning, QemuBoot.Firmware firmware) throws Exception {
        Path vhd;
        try {
            vhd = prepared(variant, provisioning);
        } catch (Exception | AssertionError e) {
            prepareFailures.put(variant, e);
            return;
        }
        QemuBoot.Builder b = QemuBoot.builder(vhd)
                .format(QemuBoot.DiskFormat.VPC)
                .firmware(firmware)
                .snapshot(true)
                .workDir(vhd.getParent().resolve("qemu"));
        if (variant == GuestVariant.AGENTLESS) {
            b.wireServer(wire);
        }
        if (variant == GuestVariant.WAAGENT) {
            Path iso = provisioningMedia(vhd.getParent());
            b.wireServer(waagentWire)
                    .extraArgs("-drive", "file=" + iso + ",format=raw,if=ide,index=2,media=cdrom,readonly=on");
        }
        QemuBoot vm = b.start();
        vms.put(variant, vm);
        // Without rootdelay's idle minutes, VMs booting at once fight for the cores in exactly the phase the tests
        // time (kernel start to root mount): the next variant is prepared and started once this one has mounted its
        // root (or after ROOT_WAIT; its test judges it). The rest of the boots still overlap.
        try {
            rootMount(vm, ROOT_WAIT);
        } catch (AssertionError e) {
            // judged by the variant's own test
        }
    }

    private QemuBoot vm(GuestVariant variant) {
        Throwable failed = prepareFailures.get(variant);
        if (failed != null) {
            throw new AssertionError(
                    "prepare of " + variant.id() + " failed, nothing to boot: " + failed.getMessage(), failed);
        }
        return vms.get(variant);
    }

    /**
     * The provisioning CD Azure attaches to a new VM: an ISO 9660 image holding {@code ovf-env.xml} with the host
     * name, the admin user and its password (the agent mounts it with {@code -t udf,iso9660}).
     */
    private static Path provisioningMedia(Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("ovf"));
        Files.writeString(src.resolve("ovf-env.xml"), """
                <?xml version="1.0" encoding="utf-8"?>
                <Environment xmlns="http://schemas.dmtf.org/ovf/environment/1" \
                xmlns:oe="http://schemas.dmtf.org/ovf/environment/1" xmlns:wa="http://schemas.microsoft.com/windowsazure" \
                xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
                  <wa:ProvisioningSection>
                    <wa:Version>1.0</wa:Version>
                    <LinuxProvisioningConfigurationSet xmlns="http://schemas.microsoft.com/windowsazure" \
                xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
                      <ConfigurationSetType>LinuxProvisioningConfiguration</ConfigurationSetType>
                      <HostName>%s</HostName>
                      <UserName>%s</UserName>
                      <UserPassword>Fixture-only-pw-1</UserPassword>
                      <DisableSshPasswordAuthentication>false</DisableSshPasswordAuthentication>
                    </LinuxProvisioningConfigurationSet>
                  </wa:ProvisioningSection>
                  <wa:PlatformSettingsSection>
                    <wa:Version>1.0</wa:Version>
                    <PlatformSettings xmlns="http://schemas.microsoft.com/windowsazure" \
                xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
                      <KmsServerHostname>kms.core.windows.net</KmsServerHostname>
                      <ProvisionGuestAgent>true</ProvisionGuestAgent>
                      <GuestAgentPackageName i:nil="true" />
                    </PlatformSettings>
                  </wa:PlatformSettingsSection>
                </Environment>
                """.formatted(OVF_HOSTNAME, OVF_USER));
        Path iso = dir.resolve("ovf-env.iso");
        Tools.command("genisoimage", "-quiet", "-o", iso.toString(), "-J", "-r", "-V", "rd_rdfe_stable", src.toString())
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        return iso;
    }

    private static Path prepared(GuestVariant variant, String provisioning) throws Exception {
        GuestImage img = GuestImages.get(variant);
        Path dir = Tools.targetDir().resolve("realguests-boot/" + variant.id());
        if (Files.exists(dir)) {
            Tools.command("rm", "-rf", dir.toString())
                    .timeout(Tools.MINUTE)
                    .mergeStderr()
                    .run();
        }
        Files.createDirectories(dir);
        Path input = img.qcow2();
        if (variant == GuestVariant.GPT_SWAP) {
            // DISK-GPT: a disk grown with qemu-img resize, whose backup GPT is no longer at the end
            input = dir.resolve("grown.raw");
            Tools.command(
                            "qemu-img",
                            "convert",
                            "-q",
                            "-f",
                            "qcow2",
                            "-O",
                            "raw",
                            img.qcow2().toString(),
                            input.toString())
                    .timeout(Duration.ofMinutes(5))
                    .mergeStderr()
                    .run();
            Tools.command("qemu-img", "resize", "-q", "-f", "raw", input.toString(), "+" + GROWTH_BYTES)
                    .timeout(Tools.MINUTE)
                    .mergeStderr()
                    .run();
        }
        Path vhd = dir.resolve("out.vhd");
        // prepare reads the shared cached qcow2 (it never writes its input; RealGuestPrepareE2E checks that)
        int exit = CoreCli.execute(
                "prepare",
                input.toString(),
                "--output",
                vhd.toString(),
                "--report",
                dir.resolve("report.json").toString(),
                "--image-kind",
                "Generalized",
                "--provisioning",
                provisioning,
                "--quiet");
        if (!input.equals(img.qcow2())) {
            Files.delete(input);
        }
        assertThat(exit).as("prepare exit; report in %s", dir).isZero();
        return vhd;
    }

    /** The kernel's timestamp of the root file system's mount, and when the harness saw it. */
    record RootMount(double kernelSeconds, String device, Duration seen) {}

    /**
     * Asserts the Azure command line (CMDLINE-CONSOLE: {@code rootdelay=300} only where the initramfs takes it as a
     * timeout, i.e. dracut; never on initramfs-tools, whose init sleeps it whole) and the time from the kernel's
     * start to the root mount, and waits for multi-user.
     */
    private QemuBoot bootsWithAzureConsole(GuestVariant variant) throws Exception {
        QemuBoot vm = vm(variant);
        GuestImage img = GuestImages.get(variant);
        QemuBoot.MatchResult cmd = vm.awaitConsole(QemuBoot.KERNEL_COMMAND_LINE, BOOT_BUDGET);
        vm.assertKernelCommandLineContains(
                "console=ttyS0", "earlyprintk=ttyS0", "net.ifnames=0", "root=UUID=" + img.rootUuid());
        List<String> words = List.of(vm.kernelCommandLine().orElseThrow().split("\\s+"));
        assertThat(words).doesNotContain("quiet", "rhgb");
        if (img.dracut()) {
            assertThat(words)
                    .as("dracut takes rootdelay as a wait-for-device timeout: CMDLINE-CONSOLE wants it")
                    .contains("rootdelay=300");
        } else {
            assertThat(words)
                    .as("initramfs-tools' init sleeps rootdelay whole: CMDLINE-CONSOLE forbids it")
                    .noneMatch(w -> w.startsWith("rootdelay="));
        }
        rootMountedInTime(vm, variant.id(), cmd, BOOT_BUDGET);
        return vm;
    }

    /**
     * Waits for the root mount and the login prompt, prints the timings, and asserts what a user notices first: the
     * root is mounted less than {@value #ROOT_MOUNT_LIMIT_SECONDS} s after the kernel's start.
     *
     * @param cmd the kernel's {@code Command line:} match (its time is printed)
     */
    static RootMount rootMountedInTime(QemuBoot vm, String id, QemuBoot.MatchResult cmd, Duration budget)
            throws InterruptedException {
        RootMount root = rootMount(vm, budget);
        QemuBoot.MatchResult booted = vm.awaitMultiUser(budget);
        System.err.printf(
                "boot of prepared %s (accel %s): kernel command line at %d s; root (%s) mounted %.1f s after"
                        + " the kernel's start (seen at %d s); booted ('%s') at %d s%n",
                id,
                QemuBoot.defaultAccel(),
                cmd.after().toSeconds(),
                root.device(),
                root.kernelSeconds(),
                root.seen().toSeconds(),
                booted.text().trim(),
                booted.after().toSeconds());
        assertThat(root.kernelSeconds())
                .as("seconds from the kernel's start to the root mount of %s", id)
                .isLessThan(ROOT_MOUNT_LIMIT_SECONDS);
        return root;
    }

    /** Waits for the first root mount message and reads its printk timestamp. */
    static RootMount rootMount(QemuBoot vm, Duration timeout) throws InterruptedException {
        QemuBoot.MatchResult m = vm.awaitConsole(ROOT_MOUNTED, timeout);
        String device =
                m.groups().get(1) != null ? m.groups().get(1) : m.groups().get(2);
        return new RootMount(Double.parseDouble(m.groups().get(0)), device, m.after());
    }

    /**
     * What the user of the booted guest sees, from the fixture's boot probe: no active swap (SWAP-OS-DISK, also not
     * by systemd-gpt-auto-generator), the Hyper-V drivers in the initramfs per the guest's own lister
     * (KERNEL-HV-DRIVERS), eth0 up with an IPv4 address (CMDLINE-CONSOLE's net.ifnames=0, NOAGENT-DHCP), and, on the
     * rebuild variants, the drivers still there after the guest's own initramfs rebuild (KERNEL-HV-DRIVERS: persist).
     */
    private void userVisibleState(GuestVariant variant, QemuBoot vm) throws Exception {
        GuestImage img = GuestImages.get(variant);
        QemuBoot.MatchResult swap = vm.awaitConsole(SWAP_PROBE, BOOT_BUDGET);
        System.err.printf(
                "boot of prepared %s: '%s' at %d s%n",
                variant.id(), swap.text().trim(), swap.after().toSeconds());
        assertThat(Integer.parseInt(swap.groups().get(0)))
                .as("active swaps in /proc/swaps: %s", swap.text())
                .isZero();
        assertThat(vm.consoleText())
                .as("kernel/systemd swap activation on the console")
                .doesNotContainPattern(SWAP_ACTIVATED);
        img.swapUuid().ifPresent(uuid -> assertThat(vm.consoleText()).doesNotContain(uuid));

        QemuBoot.MatchResult initramfs = vm.awaitConsole(INITRAMFS_PROBE, BOOT_BUDGET);
        System.err.printf(
                "boot of prepared %s: '%s' at %d s%n",
                variant.id(), initramfs.text().trim(), initramfs.after().toSeconds());
        assertThat(initramfs.groups().get(0)).isEqualTo(img.kernelVersion());
        assertThat(initramfs.groups().get(1)).isEqualTo(img.dracut() ? "lsinitrd" : "lsinitramfs");
        // issue 10.6: prepare rewrites the main compressed archive, so the guest's own lsinitramfs/lsinitrd lists the
        // drivers right after prepare on every flavour (dracut's lsinitrd included), before any in-guest rebuild
        assertThat(initramfs.groups().subList(2, 5))
                .as(
                        "hv_vmbus, hv_storvsc, hv_netvsc listed by the guest's %s: %s",
                        initramfs.groups().get(1), initramfs.text())
                .allSatisfy(n -> assertThat(Integer.parseInt(n)).isPositive());

        QemuBoot.MatchResult net = vm.awaitConsole(NET_PROBE, BOOT_BUDGET);
        System.err.printf(
                "boot of prepared %s: '%s' at %d s%n",
                variant.id(), net.text().trim(), net.after().toSeconds());
        assertThat(net.groups().get(0)).as("eth0's state: %s", net.text()).isEqualTo("UP");
        assertThat(net.groups().get(1))
                .as("eth0's IPv4 address (slirp DHCP): %s", net.text())
                .startsWith("168.63.129.");

        if (img.rebuildProbe()) {
            QemuBoot.MatchResult rebuild = vm.awaitConsole(REBUILD_PROBE, BOOT_BUDGET);
            System.err.printf(
                    "boot of prepared %s: '%s' at %d s%n",
                    variant.id(), rebuild.text().trim(), rebuild.after().toSeconds());
            assertThat(rebuild.groups().get(1))
                    .as("exit code of %s", rebuild.groups().get(0))
                    .isEqualTo("0");
            assertThat(rebuild.groups().subList(3, 6))
                    .as("hv_vmbus, hv_storvsc, hv_netvsc after the guest's own rebuild: %s", rebuild.text())
                    .allSatisfy(n -> assertThat(Integer.parseInt(n)).isPositive());
        }
    }

    @Test
    void biosMbrBootsWithTheAzureConsoleWithSeaBios() throws Exception {
        QemuBoot vm = bootsWithAzureConsole(GuestVariant.BIOS_MBR);
        userVisibleState(GuestVariant.BIOS_MBR, vm);
    }

    @Test
    void uefiGptBootsWithTheAzureConsoleWithOvmf() throws Exception {
        QemuBoot vm = bootsWithAzureConsole(GuestVariant.UEFI_GPT);
        userVisibleState(GuestVariant.UEFI_GPT, vm);
    }

    /** The fixture had {@code quiet} and a swap partition in fstab: prepare removed both, so no swap comes up. */
    @Test
    void quietSwapBootsWithoutQuietAndWithoutSwap() throws Exception {
        QemuBoot vm = bootsWithAzureConsole(GuestVariant.QUIET_SWAP);
        userVisibleState(GuestVariant.QUIET_SWAP, vm);
    }

    /**
     * A GPT swap partition no fstab line names, on a disk grown by {@code qemu-img resize}: systemd-gpt-auto-generator
     * would activate it unless prepare set its "no auto" attribute (SWAP-OS-DISK); the grown disk's backup GPT was
     * 512 MiB before the end (DISK-GPT). Booted with SeaBIOS through the hybrid's BIOS boot partition.
     */
    @Test
    void gptSwapOnAGrownDiskBootsWithoutSwap() throws Exception {
        QemuBoot vm = bootsWithAzureConsole(GuestVariant.GPT_SWAP);
        userVisibleState(GuestVariant.GPT_SWAP, vm);
    }

    /**
     * The fixture's initramfs was made by dracut in host-only mode without hv_vmbus/hv_storvsc/hv_netvsc; prepare
     * added them. The guest's own lsinitrd must list them, also after the guest's own {@code dracut -f
     * --regenerate-all} (QEMU has no VMBus, so the drivers themselves are not exercised here; see
     * InitramfsBootE2E for a kernel loading them).
     */
    @Test
    void dracutHostOnlyBootsWithTheExtendedInitramfs() throws Exception {
        QemuBoot vm = bootsWithAzureConsole(GuestVariant.DRACUT_HOSTONLY);
        assertThat(vm.consoleText()).containsPattern("(?i)dracut").doesNotContain("Kernel panic");
        userVisibleState(GuestVariant.DRACUT_HOSTONLY, vm);
    }

    /** XFS root holding /boot (GRUB reads the kernel and the prepared initramfs from XFS), dracut initramfs. */
    @Test
    void xfsRootWithDracutBoots() throws Exception {
        QemuBoot vm = bootsWithAzureConsole(GuestVariant.XFS_DRACUT);
        assertThat(vm.consoleText())
                .containsPattern("XFS \\(sda1\\): Ending clean mount")
                .doesNotContain("Kernel panic");
        userVisibleState(GuestVariant.XFS_DRACUT, vm);
    }

    /**
     * Prepare set {@code Provisioning.Agent=waagent} (Debian ships {@code cloud-init} there, with which the agent
     * waits for a cloud-init this image does not have) and deprovisioned the image. At first boot the agent reads
     * ovf-env.xml from the provisioning CD, creates the user, sets the host name, and reports Ready.
     */
    @Test
    void waagentProvisionsFromTheOvfEnvironmentAndReportsReady() throws Exception {
        QemuBoot vm = bootsWithAzureConsole(GuestVariant.WAAGENT);
        String ready = waagentWire.awaitHealthReport(r -> r.contains("<State>Ready</State>"), BOOT_BUDGET);
        assertThat(ready)
                .contains("<ContainerId>" + waagentWire.containerId() + "</ContainerId>")
                .contains("<InstanceId>" + waagentWire.instanceId() + "</InstanceId>");
        assertThat(waagentWire.requests())
                .as("the agent fetched the goal state's configuration documents")
                .anySatisfy(r -> assertThat(r.uri()).contains("type=hostingEnvironmentConfig"));
        System.err.printf(
                "boot of prepared waagent: Ready report at %d s%n", vm.uptime().toSeconds());
        QemuBoot.MatchResult probe = vm.awaitConsole(WAAGENT_PROBE, BOOT_BUDGET);
        assertThat(probe.groups())
                .as("user, home, host name set up by the agent: %s", probe.text())
                .containsExactly(OVF_USER, "yes", OVF_HOSTNAME);
        assertThat(vm.consoleText()).doesNotContain("Provisioning failed");
        userVisibleState(GuestVariant.WAAGENT, vm);
    }

    @Test
    void agentlessReportsReadyToTheWireServer() throws Exception {
        QemuBoot vm = bootsWithAzureConsole(GuestVariant.AGENTLESS);
        String report = wire.awaitHealthReport(BOOT_BUDGET);
        assertThat(report)
                .contains("<State>Ready</State>")
                .contains("<ContainerId>" + wire.containerId() + "</ContainerId>")
                .contains("<InstanceId>" + wire.instanceId() + "</InstanceId>");
        List<FakeWireServer.Request> requests = wire.requests();
        assertThat(requests).anySatisfy(r -> {
            assertThat(r.method()).isEqualTo("GET");
            assertThat(r.uri()).contains("comp=goalstate");
        });
        assertThat(requests).anySatisfy(r -> {
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.uri()).contains("comp=health");
        });
        System.err.printf(
                "boot of prepared agentless: Ready report at %d s%n",
                vm.uptime().toSeconds());
        // Deprovisioning removed the SSH host keys and no agent makes new ones: prepare's ssh.service drop-in runs
        // ssh-keygen -A first. Without it, ssh.service failed at every boot of this image.
        QemuBoot.MatchResult ssh = vm.awaitConsole(SSH_PROBE, BOOT_BUDGET);
        assertThat(ssh.groups().get(0)).as("ssh.service state: %s", ssh.text()).isEqualTo("active");
        assertThat(Integer.parseInt(ssh.groups().get(1)))
                .as("host keys made at boot")
                .isGreaterThanOrEqualTo(3);
        assertThat(vm.consoleText()).doesNotContain("Failed to start ssh");
        System.err.printf(
                "boot of prepared agentless: '%s' at %d s%n",
                ssh.text().trim(), ssh.after().toSeconds());
        userVisibleState(GuestVariant.AGENTLESS, vm);
    }
}
