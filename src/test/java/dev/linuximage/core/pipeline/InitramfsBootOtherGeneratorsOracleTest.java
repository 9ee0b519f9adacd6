package dev.linuximage.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.guest.InitramfsBoot;
import dev.linuximage.core.initramfs.InitramfsReader;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.initramfs.InitramfsFixtures;
import dev.linuximage.testsupport.initramfs.OtherGeneratorFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link InitramfsBootProbe} on images laid out as Arch's mkinitcpio and Alpine's mkinitfs build them
 * ({@link OtherGeneratorFixture}). Expectations from the upstream sources (archlinux/mkinitcpio fc8137c,
 * alpinelinux/mkinitfs cc4954b): mkinitcpio's busybox init passes {@code rootdelay} to {@code poll_device} as the
 * longest wait for the root device (a timeout: CMDLINE-CONSOLE wants rootdelay=300 there); with the systemd hook
 * {@code /init} is systemd and nothing reads it; Alpine's init never reads it (only its {@code myopts} become
 * options) and waits for root with {@code nlplug-findfs}.
 */
@Tag("oracle")
class InitramfsBootOtherGeneratorsOracleTest {
    private static final InitramfsReader READER = new InitramfsReader();

    /** 1-based line of the first line of {@code text} that, stripped, starts with {@code start}. */
    static int line(String text, String start) {
        List<String> l = text.lines().toList();
        for (int i = 0; i < l.size(); i++) {
            if (l.get(i).strip().startsWith(start)) {
                return i + 1;
            }
        }
        throw new AssertionError("fixture lacks " + start);
    }

    /** Sources the fixture init_functions in the real busybox ash and runs {@code poll_device dev seconds}. */
    static long[] poll(Path work, String dev, int seconds) throws Exception {
        Tools.require("busybox");
        Files.writeString(work.resolve("init_functions"), OtherGeneratorFixture.script("mkinitcpio-init_functions"));
        long t0 = System.nanoTime();
        int exit = Tools.sh(
                        work,
                        "busybox ash -c 'udevd_running=1; . ./init_functions; poll_device " + dev + " " + seconds + "'",
                        null)
                .exit();
        return new long[] {exit, (System.nanoTime() - t0) / 1_000_000};
    }

    @Test
    void theFixturePollDeviceWaitsTheTimeoutForAMissingDevice(@TempDir Path work) throws Exception {
        // the fixture must behave as upstream's poll_device: a missing device is waited for at most the timeout
        long[] r = poll(work, "/dev/absent-device", 1);
        assertThat(r[0]).as("exit").isNotZero();
        assertThat(r[1]).as("ms waiting for a missing device with timeout 1").isBetween(900L, 5_000L);
    }

    @Test
    void theFixturePollDeviceReturnsAtOnceForAnExistingDevice(@TempDir Path work) throws Exception {
        // ... and an existing block device ends the wait at once, whatever the timeout: 300 costs nothing then
        String dev = null;
        for (String d : List.of("/dev/loop0", "/dev/sda", "/dev/vda", "/dev/nvme0n1")) {
            if (dev == null && Tools.sh(work, "[ -b " + d + " ]", null).exit() == 0) {
                dev = d;
            }
        }
        Assumptions.assumeTrue(dev != null, "no block device on this machine to poll for");
        long[] r = poll(work, dev, 300);
        assertThat(r[0]).as("exit").isZero();
        assertThat(r[1]).as("ms for an existing device with timeout 300").isLessThan(5_000L);
    }

    @Test
    void mkinitcpioBusyboxInitUsesRootdelayAsTheRootDeviceTimeout(@TempDir Path work) throws Exception {
        String functions = OtherGeneratorFixture.script("mkinitcpio-init_functions");
        byte[] image = OtherGeneratorFixture.mkinitcpioImage(work, false, functions);
        InitramfsBoot b = InitramfsBootProbe.read("/boot/initramfs-linux.img", image, READER);
        assertThat(b.generator()).isEqualTo("mkinitcpio");
        assertThat(b.rootDelay()).isEqualTo(InitramfsBoot.RootDelay.TIMEOUT);
        assertThat(b.rootDelayEvidence())
                .contains("init_functions line " + line(functions, "if poll_device \"$device\" \"$delay\"") + ": ")
                .contains("line " + line(functions, "delay=\"$(getarg rootdelay)\"") + ": ")
                .contains("poll_device (line " + line(functions, "poll_device() {") + ")")
                .contains("line " + line(functions, "while [ ! -b \"$dev\" ]"))
                .contains("10 s when rootdelay is not given");
    }

    @Test
    void mkinitcpioSystemdHookRunsSystemdWhichDoesNotReadRootdelay(@TempDir Path work) throws Exception {
        byte[] image = OtherGeneratorFixture.mkinitcpioImage(
                work, true, OtherGeneratorFixture.script("mkinitcpio-init_functions"));
        InitramfsBoot b = InitramfsBootProbe.read("/boot/initramfs-linux.img", image, READER);
        assertThat(b.generator()).isEqualTo("mkinitcpio");
        assertThat(b.rootDelay()).isEqualTo(InitramfsBoot.RootDelay.NOT_READ);
        assertThat(b.rootDelayEvidence()).contains("/init -> usr/lib/systemd/systemd");
    }

    @Test
    void aPollDeviceThatSleepsBeforePollingIsNotTakenForATimeout(@TempDir Path work) throws Exception {
        String functions = OtherGeneratorFixture.script("mkinitcpio-init_functions");
        String sleepsFirst = functions.replace(
                "    [ -b \"$dev\" ] && return 0\n", "    sleep \"$wait\"\n    [ -b \"$dev\" ] && return 0\n");
        assertThat(sleepsFirst).isNotEqualTo(functions);
        InitramfsBoot b = InitramfsBootProbe.read(
                "/boot/initramfs-linux.img", OtherGeneratorFixture.mkinitcpioImage(work, false, sleepsFirst), READER);
        assertThat(b.generator()).isEqualTo("mkinitcpio");
        assertThat(b.rootDelay()).isEqualTo(InitramfsBoot.RootDelay.UNKNOWN);
        // and one that sleeps the value itself is a sleep
        String sleeps = functions.replace(
                "            delay=\"$(getarg rootdelay)\"\n",
                "            delay=\"$(getarg rootdelay)\"\n            sleep \"$delay\" # rootdelay\n");
        assertThat(sleeps).isNotEqualTo(functions);
        InitramfsBoot s = InitramfsBootProbe.read(
                "/boot/initramfs-linux.img",
                OtherGeneratorFixture.mkinitcpioImage(work.resolve("s"), false, sleeps),
                READER);
        assertThat(s.rootDelay()).isEqualTo(InitramfsBoot.RootDelay.SLEEP);
    }

    @Test
    void alpineMkinitfsInitNeverReadsRootdelayAndWaitsWithNlplugFindfs(@TempDir Path work) throws Exception {
        String init = OtherGeneratorFixture.script("mkinitfs-init");
        InitramfsBoot b = InitramfsBootProbe.read(
                "/boot/initramfs-virt", OtherGeneratorFixture.mkinitfsImage(work, init), READER);
        assertThat(b.generator()).isEqualTo("mkinitfs");
        assertThat(b.rootDelay()).isEqualTo(InitramfsBoot.RootDelay.NOT_READ);
        // the nlplug-findfs call for root= spans two lines (backslash-newline): cited by its first line
        assertThat(b.rootDelayEvidence())
                .contains("line " + line(init, "myopts=") + ": myopts")
                .contains(
                        "line " + line(init, "nlplug-findfs -p /sbin/mdev ${KOPT_debug_init:+-d}") + ": nlplug-findfs")
                .contains("$KOPT_root");
    }

    @Test
    void anAlpineInitThatAcceptsAndSleepsRootdelayIsASleep(@TempDir Path work) throws Exception {
        String init = OtherGeneratorFixture.script("mkinitfs-init");
        String patched = init.replace("\troot\n", "\troot\n\trootdelay\n")
                .replace(
                        "if [ -n \"$KOPT_root\" ]; then\n",
                        "if [ -n \"$KOPT_root\" ]; then\n\t[ -n \"$KOPT_rootdelay\" ] && sleep $KOPT_rootdelay\n");
        assertThat(patched).contains("rootdelay\n").contains("sleep $KOPT_rootdelay");
        InitramfsBoot b = InitramfsBootProbe.read(
                "/boot/initramfs-virt", OtherGeneratorFixture.mkinitfsImage(work, patched), READER);
        assertThat(b.generator()).isEqualTo("mkinitfs");
        assertThat(b.rootDelay()).isEqualTo(InitramfsBoot.RootDelay.SLEEP);
    }

    @Test
    void fileNamesAloneDoNotMakeAGenerator(@TempDir Path work) throws Exception {
        // an /init_functions next to an /init that does not source it, and an init that only names nlplug-findfs in
        // a comment: neither generator's init
        Path tree = Files.createDirectories(work.resolve("t"));
        Files.writeString(
                tree.resolve("init"),
                "#!/bin/sh\n# unlike nlplug-findfs this waits by rootdelay\n"
                        + "for w in $(cat /proc/cmdline); do case $w in rootdelay=*) d=${w#*=};; esac; done\n"
                        + "wait_for_root \"$d\"\nexec switch_root /root /sbin/init\n");
        Files.writeString(tree.resolve("init_functions"), OtherGeneratorFixture.script("mkinitcpio-init_functions"));
        InitramfsBoot b = InitramfsBootProbe.read(
                "/boot/initramfs-linux.img", InitramfsFixtures.member(tree, "gzip", "newc"), READER);
        assertThat(b.generator()).isEqualTo("unknown");
        assertThat(b.rootDelay()).isEqualTo(InitramfsBoot.RootDelay.UNKNOWN);
    }
}
