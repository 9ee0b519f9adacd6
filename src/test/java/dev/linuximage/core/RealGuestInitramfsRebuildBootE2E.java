package dev.linuximage.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.guests.GuestImage;
import dev.linuximage.testsupport.guests.GuestImages;
import dev.linuximage.testsupport.guests.GuestVariant;
import dev.linuximage.testsupport.guests.QemuBoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * KERNEL-HV-DRIVERS "persist" on initramfs-tools, where it can fail: the {@code modules-dep} guest's initramfs is
 * host-only ({@code MODULES=dep}, made by the guest's own mkinitramfs on QEMU's hardware), so its next rebuild keeps
 * only what the running machine shows in sysfs plus {@code /etc/initramfs-tools/modules}, which mkinitramfs honours
 * whatever MODULES says (initramfs-tools 0.142, mkinitramfs: "MODULES=list case. Always honour."). QEMU has no VMBus,
 * so the Hyper-V drivers survive {@code update-initramfs -u -k all} in the booted VM only if prepare persisted them
 * there. (The other initramfs-tools fixtures use {@code MODULES=most}, whose {@code auto_add_modules} copies the
 * Hyper-V drivers anyway: a rebuild there proves nothing.)
 *
 * <p>Baseline first: the guest's initramfs, read from the unprepared disk with debugfs and listed with the host's
 * {@code lsinitramfs}, lacks hv_vmbus, hv_storvsc and hv_netvsc. Then the fixed VHD prepare made is booted under QEMU
 * like {@link RealGuestBootE2E}'s and judged as a user would: the Azure command line, kernel start to root mount
 * under 90 s, no active swap, the drivers in the guest's own lsinitramfs, and the same after the guest's own
 * {@code update-initramfs -u -k all} (run by the fixture's boot probe, docs/test-guests.md), which must exit 0 and
 * still be a host-only image.
 */
@Tag("boot")
class RealGuestInitramfsRebuildBootE2E {
    private static final Duration BOOT_BUDGET = Duration.ofMinutes(20);
    private static final Pattern HV_MODULE = Pattern.compile("(?m)/(hv_vmbus|hv_storvsc|hv_netvsc)\\.ko");
    private static final Pattern KO = Pattern.compile("(?m)^\\S*\\.ko(\\.\\w+)?$");
    /** The boot probe's {@code /proc/cmdline}, up to the end of its line. */
    private static final Pattern CMDLINE_PROBE = Pattern.compile("fixture-cmdline-probe: (.*)\\n");
    /**
     * The boot probe's whole rebuild line, up to its end (the UART delivers the console in pieces): command, exit
     * code, seconds, the three driver counts, then every listed module ({@code modules=N}, build-guest.sh).
     */
    private static final Pattern REBUILD_LINE =
            Pattern.compile(RealGuestBootE2E.REBUILD_PROBE.pattern() + " modules=(\\d+)\\n");

    @Test
    void hyperVDriversSurviveTheGuestsOwnHostOnlyRebuild() throws Exception {
        GuestImage img = GuestImages.get(GuestVariant.MODULES_DEP);
        assertThat(img.dracut()).isFalse();
        assertThat(img.rebuildProbe())
                .as("the fixture's boot probe runs update-initramfs")
                .isTrue();
        Path dir = Tools.targetDir().resolve("realguests-boot/" + GuestVariant.MODULES_DEP.id());
        if (Files.exists(dir)) {
            Tools.command("rm", "-rf", dir.toString())
                    .timeout(Tools.MINUTE)
                    .mergeStderr()
                    .run();
        }
        Files.createDirectories(dir);
        try {
            Set<String> baseline = baselineWithoutHyperVDrivers(img, dir);
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
            assertThat(exit).as("prepare exit; report in %s", dir).isZero();
            int expectedMax = persistedDrivers(img, vhd, baseline);
            try (QemuBoot vm = QemuBoot.builder(vhd)
                    .format(QemuBoot.DiskFormat.VPC)
                    .firmware(QemuBoot.Firmware.BIOS)
                    .snapshot(true)
                    .workDir(dir.resolve("qemu"))
                    .start()) {
                bootsAndKeepsTheDrivers(vm, img, baseline.size(), expectedMax);
            }
        } finally {
            GuestImages.releaseOutputs(dir);
        }
    }

    /**
     * The unprepared guest's initramfs per the host's lsinitramfs: host-only (no Hyper-V driver) yet bootable here
     * (ext4, the IDE disk's drivers). Returns the names of its kernel modules.
     */
    private static Set<String> baselineWithoutHyperVDrivers(GuestImage img, Path dir) throws Exception {
        String listing;
        try {
            Path initrd = Ext4Oracle.dump(
                    img.raw(),
                    img.rootOffset(),
                    "/boot/initrd.img-" + img.kernelVersion(),
                    dir.resolve("initrd-before.img"));
            listing = Tools.command("lsinitramfs", initrd.toString())
                    .timeout(Tools.MINUTE.multipliedBy(3))
                    .mergeStderr()
                    .run()
                    .out();
            Files.delete(initrd);
        } finally {
            GuestImages.releaseRaw();
        }
        Set<String> modules = new TreeSet<>();
        KO.matcher(listing).results().forEach(m -> modules.add(moduleName(m.group())));
        System.err.printf(
                "modules-dep before prepare: host lsinitramfs lists %d modules: %s%n", modules.size(), modules);
        assertThat(listing)
                .as("the MODULES=dep initramfs the fixture built on QEMU's hardware")
                .containsPattern("(?m)/lib/modules/" + Pattern.quote(img.kernelVersion()) + "/kernel/fs/ext4/ext4\\.ko")
                .containsPattern("(?m)/ata_piix\\.ko")
                .doesNotContainPattern(HV_MODULE);
        return modules;
    }

    /**
     * What prepare persisted for the guest's next rebuild (KERNEL-HV-DRIVERS), read from the fixed VHD (its data
     * part is the raw disk) with debugfs: {@code /etc/initramfs-tools/modules} names the three drivers, and MODULES=dep
     * is still configured. Returns the most modules a host-only rebuild may then hold: the baseline plus the
     * modules listed in that file and their dependencies per the guest's modules.dep.
     */
    private static int persistedDrivers(GuestImage img, Path vhd, Set<String> baseline) {
        String modulesFile = Ext4Oracle.readString(vhd, img.rootOffset(), "/etc/initramfs-tools/modules");
        List<String> listed = modulesFile
                .lines()
                .map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .map(l -> l.split("\\s+")[0])
                .toList();
        assertThat(listed)
                .as("/etc/initramfs-tools/modules after prepare:%n%s", modulesFile)
                .contains("hv_vmbus", "hv_storvsc", "hv_netvsc");
        assertThat(Ext4Oracle.readString(vhd, img.rootOffset(), "/etc/initramfs-tools/conf.d/fixture-modules-dep.conf"))
                .containsPattern("(?m)^MODULES=dep$");
        Map<String, List<String>> deps = new HashMap<>();
        Ext4Oracle.readString(vhd, img.rootOffset(), "/lib/modules/" + img.kernelVersion() + "/modules.dep")
                .lines()
                .forEach(l -> {
                    int colon = l.indexOf(':');
                    if (colon > 0) {
                        deps.put(
                                moduleName(l.substring(0, colon)),
                                Arrays.stream(l.substring(colon + 1).strip().split("\\s+"))
                                        .filter(d -> !d.isEmpty())
                                        .map(d -> moduleName(d))
                                        .toList());
                    }
                });
        Set<String> closure = new TreeSet<>(baseline);
        Deque<String> todo = new ArrayDeque<>(listed);
        while (!todo.isEmpty()) {
            String m = todo.pop().replace('-', '_');
            if (deps.containsKey(m) && closure.add(m)) {
                todo.addAll(deps.get(m));
            }
        }
        System.err.printf(
                "modules-dep after prepare: /etc/initramfs-tools/modules lists %s; a host-only rebuild"
                        + " holds at most %d modules%n",
                listed, closure.size());
        return closure.size();
    }

    /** {@code .../kernel/drivers/hv/hv_vmbus.ko.xz} -> {@code hv_vmbus} (modprobe treats '-' and '_' alike). */
    private static String moduleName(String path) {
        String base = path.substring(path.lastIndexOf('/') + 1);
        return base.substring(0, base.indexOf(".ko")).replace('-', '_');
    }

    private static void bootsAndKeepsTheDrivers(QemuBoot vm, GuestImage img, int baselineModules, int expectedMax)
            throws Exception {
        QemuBoot.MatchResult cmd = vm.awaitConsole(QemuBoot.KERNEL_COMMAND_LINE, BOOT_BUDGET);
        vm.assertKernelCommandLineContains(
                "console=ttyS0", "earlyprintk=ttyS0", "net.ifnames=0", "root=UUID=" + img.rootUuid());
        List<String> words = List.of(vm.kernelCommandLine().orElseThrow().split("\\s+"));
        assertThat(words).doesNotContain("quiet", "rhgb");
        assertThat(words)
                .as("initramfs-tools' init sleeps rootdelay whole: CMDLINE-CONSOLE forbids it")
                .noneMatch(w -> w.startsWith("rootdelay="));
        RealGuestBootE2E.rootMountedInTime(vm, "modules-dep", cmd, BOOT_BUDGET);

        QemuBoot.MatchResult proc = vm.awaitConsole(CMDLINE_PROBE, BOOT_BUDGET);
        assertThat(List.of(proc.groups().get(0).trim().split("\\s+")))
                .as("/proc/cmdline of the booted guest")
                .contains("console=ttyS0", "earlyprintk=ttyS0", "net.ifnames=0", "root=UUID=" + img.rootUuid())
                .noneMatch(w -> w.startsWith("rootdelay="));

        QemuBoot.MatchResult swap = vm.awaitConsole(RealGuestBootE2E.SWAP_PROBE, BOOT_BUDGET);
        assertThat(Integer.parseInt(swap.groups().get(0)))
                .as("active swaps (swapon --show): %s", swap.text())
                .isZero();

        QemuBoot.MatchResult listed = vm.awaitConsole(RealGuestBootE2E.INITRAMFS_PROBE, BOOT_BUDGET);
        System.err.printf(
                "boot of prepared modules-dep: '%s' at %d s%n",
                listed.text().trim(), listed.after().toSeconds());
        assertThat(listed.groups().get(0)).isEqualTo(img.kernelVersion());
        assertThat(listed.groups().get(1)).isEqualTo("lsinitramfs");
        assertThat(listed.groups().subList(2, 5))
                .as("drivers in the guest's lsinitramfs after prepare: %s", listed.text())
                .allSatisfy(n -> assertThat(Integer.parseInt(n)).isPositive());

        QemuBoot.MatchResult rebuild = vm.awaitConsole(REBUILD_LINE, BOOT_BUDGET);
        String line = rebuild.text().trim();
        System.err.printf(
                "boot of prepared modules-dep: '%s' at %d s (rebuild took %s s in the VM)%n",
                line, rebuild.after().toSeconds(), rebuild.groups().get(2));
        assertThat(rebuild.groups().get(0)).isEqualTo("update-initramfs -u -k all");
        assertThat(rebuild.groups().get(1))
                .as("exit code of update-initramfs -u -k all; console:%n%s", vm.consoleText())
                .isEqualTo("0");
        assertThat(rebuild.groups().subList(3, 6))
                .as("hv_vmbus, hv_storvsc, hv_netvsc in the guest's lsinitramfs after its own rebuild: %s", line)
                .allSatisfy(n -> assertThat(Integer.parseInt(n)).isPositive());
        // still a MODULES=dep image (prepare must persist the drivers, not turn the guest into MODULES=most): the
        // rebuild adds the persisted drivers and their dependencies to the host-only set, not the hundreds most copies
        int rebuilt = Integer.parseInt(rebuild.groups().get(6));
        System.err.printf(
                "modules-dep: %d modules before prepare, %d after the guest's rebuild%n", baselineModules, rebuilt);
        assertThat(rebuilt)
                .as("modules in the rebuilt initramfs (host-only: %d before prepare)", baselineModules)
                .isBetween(3, expectedMax);
    }
}
