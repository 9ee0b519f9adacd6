package dev.linuximage.testsupport.guests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Proves the fixtures and the harness: the test-only {@code *-console} variants (whose kernel command line already
 * has {@code console=ttyS0}) boot under QEMU to multi-user, GRUB's serial terminal is visible, and a unit inside
 * the guest reaches the fake wireserver at 168.63.129.16 and posts a ready report.
 */
@Tag("boot")
class BaselineGuestBootE2E {

    private static void bootToMultiUser(GuestVariant variant, QemuBoot.Firmware firmware) throws Exception {
        GuestImage img = GuestImages.get(variant);
        try (FakeWireServer wire = FakeWireServer.start();
                QemuBoot vm = QemuBoot.builder(img.qcow2())
                        .firmware(firmware)
                        .snapshot(true)
                        .wireServer(wire)
                        .start()) {
            QemuBoot.MatchResult grub = vm.awaitConsole(
                    Pattern.compile("Loading Linux " + Pattern.quote(img.kernelVersion())), QemuBoot.BOOT_TIMEOUT);
            QemuBoot.MatchResult multiUser = vm.awaitMultiUser(QemuBoot.BOOT_TIMEOUT);
            vm.assertKernelCommandLineContains("console=ttyS0,115200n8", "root=UUID=" + img.rootUuid(), "ro");
            assertThat(vm.consoleText()).contains("Hostname set to <fixture-" + variant.id() + ">");

            String report = wire.awaitHealthReport(Duration.ofMinutes(3));
            assertThat(report)
                    .contains("<ContainerId>" + wire.containerId() + "</ContainerId>")
                    .contains("<InstanceId>" + wire.instanceId() + "</InstanceId>")
                    .contains("<State>Ready</State>");
            assertThat(wire.requests()).anySatisfy(r -> assertThat(r.uri()).contains("comp=goalstate"));
            vm.awaitConsole(
                    Pattern.compile("fixture-wire-probe: container \\S+ reported ready, HTTP 200"),
                    Duration.ofMinutes(1));
            System.err.printf(
                    "boot %s (%s, accel %s): GRUB 'Loading Linux' at %d s, multi-user ('%s') at %d s,"
                            + " ready report at %d s%n",
                    variant.id(),
                    firmware,
                    QemuBoot.defaultAccel(),
                    grub.after().toSeconds(),
                    multiUser.text().trim(),
                    multiUser.after().toSeconds(),
                    vm.uptime().toSeconds());
        }
    }

    @Test
    void biosMbrBootsToMultiUserAndReachesTheWireServer() throws Exception {
        bootToMultiUser(GuestVariant.BIOS_MBR_CONSOLE, QemuBoot.Firmware.BIOS);
    }

    @Test
    void uefiGptBootsWithOvmf() throws Exception {
        bootToMultiUser(GuestVariant.UEFI_GPT_CONSOLE, QemuBoot.Firmware.UEFI);
    }

    @Test
    void uefiGptAlsoBootsWithBios() throws Exception {
        bootToMultiUser(GuestVariant.UEFI_GPT_CONSOLE, QemuBoot.Firmware.BIOS);
    }
}
