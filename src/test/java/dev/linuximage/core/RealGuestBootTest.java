package dev.linuximage.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.testing.guests.FakeWireServer;
import dev.linuximage.testing.guests.GuestImage;
import dev.linuximage.testing.guests.GuestImages;
import dev.linuximage.testing.guests.GuestVariant;
import dev.linuximage.testing.guests.QemuBoot;
import dev.linuximage.testing.guests.Tools;
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
 * the issue names: BIOS/MBR, UEFI/GPT, quiet + swap, a dracut host-only initramfs without Hyper-V drivers, and
 * agent-less provisioning against a fake wireserver; and a guest the Azure Linux Agent (waagent) provisions from an
 * Azure-style provisioning CD (ovf-env.xml) before it reports Ready to its own fake wireserver.
 *
 * <p>The fixtures have no {@code console=ttyS0}: before the product patched them, their serial console stays silent
 * after GRUB, so a kernel {@code Command line:} message with the Azure arguments on the serial console is the
 * product's doing. Debian's initramfs-tools {@code /init} sleeps {@code rootdelay} seconds unconditionally, so the
 * catalogue's {@code rootdelay=300} costs five idle minutes per boot: the class therefore prepares every variant and
 * starts its VM at once ({@link BeforeAll}), and the tests then judge the VMs that boot side by side.
 */
@Tag("boot")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RealGuestBootTest {
    /** Six VMs share the machine's cores under TCG, and five of them sleep 300 s in their initramfs. */
    private static final Duration BOOT_BUDGET = Duration.ofMinutes(20);
    private static final Pattern SWAP_ACTIVATED =
            Pattern.compile("Adding \\d+k swap on|Activated swap|Activating swap");
    /** Printed by the agent-less fixture's test-only probe unit once ssh.service has started or failed. */
    private static final Pattern SSH_PROBE = Pattern.compile("fixture-ssh-probe: ssh\\.service (\\S+), (\\d+) host keys");

    /** Printed by the waagent fixture's test-only path unit once the agent has written its "provisioned" marker. */
    private static final Pattern WAAGENT_PROBE = Pattern.compile(
            "fixture-waagent-probe: provisioned; user (\\S+) home (\\S+); hostname (\\S+)");
    private static final String OVF_HOSTNAME = "limg-waagent-vm";
    private static final String OVF_USER = "azureuser";

    private final Map<GuestVariant, QemuBoot> vms = new EnumMap<>(GuestVariant.class);
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
        Tools.releaseOutputs(Tools.targetDir().resolve("realguests-boot"));
    }

    private void boot(GuestVariant variant, String provisioning, QemuBoot.Firmware firmware) throws Exception {
        Path vhd = prepared(variant, provisioning);
        QemuBoot.Builder b = QemuBoot.builder(vhd).format(QemuBoot.DiskFormat.VPC).firmware(firmware).snapshot(true);
        if (variant == GuestVariant.AGENTLESS) {
            b.wireServer(wire);
        }
        if (variant == GuestVariant.WAAGENT) {
            Path iso = provisioningMedia(vhd.getParent());
            b.wireServer(waagentWire)
                    .extraArgs("-drive", "file=" + iso + ",format=raw,if=ide,index=2,media=cdrom,readonly=on");
        }
        vms.put(variant, b.start());
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
        Tools.run(Tools.MINUTE, "genisoimage", "-quiet", "-o", iso.toString(), "-J", "-r", "-V", "rd_rdfe_stable",
                src.toString());
        return iso;
    }

    private static Path prepared(GuestVariant variant, String provisioning) throws Exception {
        GuestImage img = GuestImages.get(variant);
        Path dir = Tools.targetDir().resolve("realguests-boot/" + variant.id());
        if (Files.exists(dir)) {
            Tools.run(Tools.MINUTE, "rm", "-rf", dir.toString());
        }
        Files.createDirectories(dir);
        Path vhd = dir.resolve("out.vhd");
        // prepare reads the shared cached qcow2 (it never writes its input; RealGuestPrepareTest checks that)
        int exit = CoreCli.execute("prepare", img.qcow2().toString(), "--output", vhd.toString(), "--report",
                dir.resolve("report.json").toString(), "--image-kind", "Generalized", "--provisioning", provisioning,
                "--quiet");
        assertThat(exit).as("prepare exit; report in %s", dir).isZero();
        return vhd;
    }

    /** Asserts the Azure arguments on the booted kernel's command line and waits for multi-user. */
    private QemuBoot bootsWithAzureConsole(GuestVariant variant) throws Exception {
        QemuBoot vm = vms.get(variant);
        QemuBoot.MatchResult cmd = vm.awaitConsole(QemuBoot.KERNEL_COMMAND_LINE, BOOT_BUDGET);
        vm.assertKernelCommandLineContains("console=ttyS0", "earlyprintk=ttyS0", "rootdelay=300", "net.ifnames=0",
                "root=UUID=" + GuestImages.get(variant).rootUuid());
        assertThat(vm.kernelCommandLine().orElseThrow().split("\\s+")).doesNotContain("quiet", "rhgb");
        QemuBoot.MatchResult booted = vm.awaitMultiUser(BOOT_BUDGET);
        System.err.printf("boot of prepared %s (accel %s): kernel command line at %d s, booted ('%s') at %d s%n",
                variant.id(), QemuBoot.defaultAccel(), cmd.after().toSeconds(), booted.text().trim(),
                booted.after().toSeconds());
        return vm;
    }

    @Test
    void biosMbrBootsWithTheAzureConsoleWithSeaBios() throws Exception {
        bootsWithAzureConsole(GuestVariant.BIOS_MBR);
    }

    @Test
    void uefiGptBootsWithTheAzureConsoleWithOvmf() throws Exception {
        bootsWithAzureConsole(GuestVariant.UEFI_GPT);
    }

    /** The fixture had {@code quiet} and a swap partition in fstab: prepare removed both, so no swap comes up. */
    @Test
    void quietSwapBootsWithoutQuietAndWithoutSwap() throws Exception {
        QemuBoot vm = bootsWithAzureConsole(GuestVariant.QUIET_SWAP);
        String swapUuid = GuestImages.get(GuestVariant.QUIET_SWAP).swapUuid().orElseThrow();
        assertThat(vm.consoleText()).doesNotContainPattern(SWAP_ACTIVATED).doesNotContain(swapUuid);
    }

    /**
     * The fixture's initramfs was made by dracut in host-only mode without hv_vmbus/hv_storvsc/hv_netvsc; prepare
     * appended them as an extra cpio member with new module indexes. Booting proves the extended initramfs still
     * unpacks and mounts the root (QEMU has no VMBus, so the drivers themselves are not exercised here; see
     * InitramfsBootTest for a kernel loading them from such a member).
     */
    @Test
    void dracutHostOnlyBootsWithTheExtendedInitramfs() throws Exception {
        QemuBoot vm = bootsWithAzureConsole(GuestVariant.DRACUT_HOSTONLY);
        assertThat(vm.consoleText()).containsPattern("(?i)dracut").doesNotContain("Kernel panic");
    }

    /**
     * Prepare set {@code Provisioning.Agent=waagent} (Debian ships {@code cloud-init} there, with which the agent
     * waits for a cloud-init this image does not have) and deprovisioned the image. At first boot the agent reads
     * ovf-env.xml from the provisioning CD, creates the user, sets the host name, and reports Ready.
     */
    @Test
    void waagentProvisionsFromTheOvfEnvironmentAndReportsReady() throws Exception {
        QemuBoot vm = vms.get(GuestVariant.WAAGENT);
        vm.awaitConsole(QemuBoot.KERNEL_COMMAND_LINE, BOOT_BUDGET);
        vm.assertKernelCommandLineContains("console=ttyS0", "earlyprintk=ttyS0", "rootdelay=300", "net.ifnames=0");
        String ready = waagentWire.awaitHealthReport(r -> r.contains("<State>Ready</State>"), BOOT_BUDGET);
        assertThat(ready).contains("<ContainerId>" + waagentWire.containerId() + "</ContainerId>")
                .contains("<InstanceId>" + waagentWire.instanceId() + "</InstanceId>");
        assertThat(waagentWire.requests()).as("the agent fetched the goal state's configuration documents")
                .anySatisfy(r -> assertThat(r.uri()).contains("type=hostingEnvironmentConfig"));
        System.err.printf("boot of prepared waagent: Ready report at %d s%n", vm.uptime().toSeconds());
        QemuBoot.MatchResult probe = vm.awaitConsole(WAAGENT_PROBE, BOOT_BUDGET);
        assertThat(probe.groups()).as("user, home, host name set up by the agent: %s", probe.text())
                .containsExactly(OVF_USER, "yes", OVF_HOSTNAME);
        assertThat(vm.consoleText()).doesNotContain("Provisioning failed");
    }

    @Test
    void agentlessReportsReadyToTheWireServer() throws Exception {
        QemuBoot vm = vms.get(GuestVariant.AGENTLESS);
        vm.awaitConsole(QemuBoot.KERNEL_COMMAND_LINE, BOOT_BUDGET);
        vm.assertKernelCommandLineContains("console=ttyS0", "earlyprintk=ttyS0", "rootdelay=300", "net.ifnames=0");
        String report = wire.awaitHealthReport(BOOT_BUDGET);
        assertThat(report).contains("<State>Ready</State>")
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
        System.err.printf("boot of prepared agentless: Ready report at %d s%n", vm.uptime().toSeconds());
        // Deprovisioning removed the SSH host keys and no agent makes new ones: prepare's ssh.service drop-in runs
        // ssh-keygen -A first. Without it, ssh.service failed at every boot of this image.
        QemuBoot.MatchResult ssh = vm.awaitConsole(SSH_PROBE, BOOT_BUDGET);
        assertThat(ssh.groups().get(0)).as("ssh.service state: %s", ssh.text()).isEqualTo("active");
        assertThat(Integer.parseInt(ssh.groups().get(1))).as("host keys made at boot").isGreaterThanOrEqualTo(3);
        assertThat(vm.consoleText()).doesNotContain("Failed to start ssh");
        System.err.printf("boot of prepared agentless: '%s' at %d s%n", ssh.text().trim(), ssh.after().toSeconds());
    }
}
