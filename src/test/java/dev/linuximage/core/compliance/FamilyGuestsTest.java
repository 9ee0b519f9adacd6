package dev.linuximage.core.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.guest.ContainerFacts;
import dev.linuximage.core.guest.DiskFacts;
import dev.linuximage.core.guest.KernelFactsSource;
import dev.linuximage.core.guest.OsIdentity;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.pipeline.GuestKernels;
import dev.linuximage.core.report.ComplianceReport;
import dev.linuximage.core.report.Finding;
import dev.linuximage.core.report.FindingStatus;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.FamilyGuests;
import dev.linuximage.testsupport.GuestFixtures;
import dev.linuximage.testsupport.GuestTree;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code prepare} on directory-backed guests of every family the seeds name, each laid out as the distribution
 * installs itself ({@link FamilyGuests}, {@link GuestFixtures} for RHEL 8/9). The expectations come from the
 * catalogue and the seeds (serial console and Azure arguments on every boot entry; numa=off on RHEL kernels before
 * 2.6.32-504; LIS package on RHEL 6.0-6.3) and from the distributions' own tools (which file each boot loader
 * boots from, how chkconfig and rc-update enable a service); a second prepare must change nothing.
 */
class FamilyGuestsTest {
    static final Instant NOW = Instant.parse("2026-12-05T00:00:00Z");
    static final List<String> AZURE = List.of("console=ttyS0", "earlyprintk=ttyS0", "net.ifnames=0");
    static final Compliance.Facts FACTS = new Compliance.Facts(
            new DiskFacts("GPT", true, true, true, true, false, List.of()),
            new ContainerFacts("vhd-fixed", 8L << 30, (8L << 30) + 512, null),
            KernelFactsSource.builtinOnly(),
            null);

    record Run(GuestTree tree, ComplianceReport first, ComplianceReport second) {
        Finding f(String id) {
            return first.finding(id);
        }
    }

    /** The same, but each kernel's initramfs is read by the initramfs layer (its boot scripts decide rootdelay). */
    static final Compliance.Facts FACTS_INITRAMFS =
            new Compliance.Facts(FACTS.disk(), FACTS.container(), new GuestKernels(), null);

    static Run prepareTwice(GuestTree t) throws Exception {
        return prepareTwice(t, FACTS);
    }

    static Run prepareTwice(GuestTree t, Compliance.Facts facts) throws Exception {
        ComplianceReport first;
        ComplianceReport second;
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            first = Compliance.prepare(g, PatchOptions.defaults(), facts, null, NOW)
                    .report();
        }
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            second = Compliance.prepare(g, PatchOptions.defaults(), facts, null, NOW)
                    .report();
        }
        // one finding per requirement, in catalogue order; the second run has nothing left to do
        assertThat(first.findings()).extracting(Finding::id).containsExactlyElementsOf(Requirements.ids());
        assertThat(second.changes()).as("changes of the second prepare").isEmpty();
        Map<String, Finding> s = second.findings().stream().collect(Collectors.toMap(Finding::id, Function.identity()));
        for (Finding f : first.findings()) {
            if (f.status() == FindingStatus.Fixed) {
                assertThat(s.get(f.id()).status())
                        .as("%s after the second prepare", f.id())
                        .isEqualTo(FindingStatus.Pass);
            }
        }
        return new Run(t, first, second);
    }

    static List<String> words(String line) {
        return Arrays.stream(line.trim().split("\\s+")).toList();
    }

    static List<String> linesStartingWith(String text, String keyword) {
        return text.lines()
                .filter(l -> l.trim().startsWith(keyword + " ") || l.trim().startsWith(keyword + "\t"))
                .toList();
    }

    @Test
    void rhel62GrubLegacySysvNumaAndLis(@TempDir Path dir) throws Exception {
        Run r = prepareTwice(FamilyGuests.rhel6(dir, "6.2"));
        assertThat(r.first().guest().osId()).isEqualTo("rhel");
        assertThat(r.first().guest().versionId()).isEqualTo("6.2");
        assertThat(r.f("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(r.f("CMDLINE-NOQUIET").status()).isEqualTo(FindingStatus.Fixed);
        // kernel 2.6.32-220 < 2.6.32-504: the seeds put numa=off in grub.conf
        assertThat(r.f("KERNEL-NUMA").status()).isEqualTo(FindingStatus.Fixed);
        List<String> kernels = linesStartingWith(r.tree().read("/boot/grub/grub.conf"), "kernel");
        assertThat(kernels).hasSize(1);
        assertThat(words(kernels.get(0)))
                .containsAll(AZURE)
                .contains("numa=off")
                .doesNotContain("rhgb", "quiet", "crashkernel=auto");
        // RHEL 6.2 without Microsoft's LIS package: warn
        assertThat(r.f("KERNEL-LIS").status()).isEqualTo(FindingStatus.Warn);
        assertThat(r.f("KERNEL-LIS").repair()).contains("microsoft-hyper-v");
        // chkconfig sshd on: S55 in 2-5 (header "2345 55 25")
        assertThat(r.f("SSH-SERVER").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(r.tree().readLink("/etc/rc.d/rc3.d/S55sshd")).isEqualTo("../init.d/sshd");
        assertThat(r.tree().exists("/etc/rc.d/rc3.d/K25sshd")).isFalse();
        // cloud-init's four SysV scripts started in runlevel 3
        assertThat(r.f("AGENT-PRESENT").status()).isEqualTo(FindingStatus.Fixed);
        for (String s : List.of("S08cloud-init-local", "S09cloud-init", "S11cloud-config", "S99cloud-final")) {
            assertThat(r.tree().exists("/etc/rc.d/rc3.d/" + s)).as(s).isTrue();
        }
    }

    @Test
    void rhel62WithTheLisPackageAndRhel66KernelNeedsNoNuma(@TempDir Path dir) throws Exception {
        GuestTree t = FamilyGuests.rhel6(dir, "6.2");
        t.file("/lib/modules/" + FamilyGuests.RHEL6_KERNEL + "/extra/microsoft-hyper-v/hv_vmbus.ko", "ko");
        Run r = prepareTwice(t);
        assertThat(r.f("KERNEL-LIS").status()).isEqualTo(FindingStatus.Pass);
        GuestTree t66 = FamilyGuests.rhel6(dir.resolve("66"), "6.6");
        String k = FamilyGuests.RHEL6_KERNEL;
        String k504 = "2.6.32-504.el6.x86_64";
        t66.file("/boot/grub/grub.conf", t66.read("/boot/grub/grub.conf").replace(k, k504));
        java.nio.file.Files.move(
                t66.root().resolve("boot/vmlinuz-" + k), t66.root().resolve("boot/vmlinuz-" + k504));
        java.nio.file.Files.move(
                t66.root().resolve("lib/modules/" + k), t66.root().resolve("lib/modules/" + k504));
        Run r66 = prepareTwice(t66);
        assertThat(r66.f("KERNEL-NUMA").status()).isEqualTo(FindingStatus.Pass);
        assertThat(r66.f("KERNEL-LIS").status()).isEqualTo(FindingStatus.Pass);
        assertThat(words(linesStartingWith(t66.read("/boot/grub/grub.conf"), "kernel")
                        .get(0)))
                .containsAll(AZURE)
                .doesNotContain("numa=off");
    }

    @Test
    void centos7Grub2WithRescueEntry(@TempDir Path dir) throws Exception {
        Run r = prepareTwice(FamilyGuests.centos7(dir));
        assertThat(r.first().guest().osId()).isEqualTo("centos");
        assertThat(r.f("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Fixed);
        List<String> linux = linesStartingWith(r.tree().read("/boot/grub2/grub.cfg"), "linux16");
        assertThat(linux).hasSize(2).anySatisfy(l -> assertThat(l).contains("vmlinuz-0-rescue-"));
        for (String l : linux) {
            assertThat(words(l)).containsAll(AZURE).doesNotContain("rhgb", "quiet", "crashkernel=auto");
        }
        assertThat(r.tree().read("/etc/default/grub"))
                .containsPattern("(?m)^GRUB_CMDLINE_LINUX=\"rd.lvm.lv=centos/root[^\"]*console=ttyS0[^\"]*\"$");
        assertThat(r.f("KERNEL-NUMA").status()).isEqualTo(FindingStatus.Pass);
        assertThat(r.f("SSH-SERVER").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(r.tree().readLink("/etc/systemd/system/multi-user.target.wants/sshd.service"))
                .isEqualTo("/usr/lib/systemd/system/sshd.service");
    }

    @Test
    void rhel8And9BlsEntriesAndGrubenv(@TempDir Path dir) throws Exception {
        for (GuestTree t : List.of(GuestFixtures.rhel8(dir.resolve("8")), GuestFixtures.rhel9(dir.resolve("9")))) {
            Run r = prepareTwice(t);
            assertThat(OsIdentity.family(new dev.linuximage.core.guest.GuestInspection.OsInfo(
                            r.first().guest().osId(), List.of(), "", "", null)))
                    .isEqualTo(OsIdentity.Family.REDHAT);
            assertThat(r.f("CMDLINE-CONSOLE").status()).isIn(FindingStatus.Fixed);
            assertThat(r.f("CMDLINE-NOQUIET").status()).isEqualTo(FindingStatus.Fixed);
        }
    }

    @Test
    void sles15Grub2KeepsExtraCmdline(@TempDir Path dir) throws Exception {
        Run r = prepareTwice(FamilyGuests.sles15(dir));
        assertThat(r.first().guest().osId()).isEqualTo("sles");
        assertThat(r.f("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Fixed);
        String linux = linesStartingWith(r.tree().read("/boot/grub2/grub.cfg"), "linux")
                .get(0);
        assertThat(words(linux)).containsAll(AZURE).contains("${extra_cmdline}").doesNotContain("quiet");
        assertThat(r.f("SSH-SERVER").status()).isEqualTo(FindingStatus.Fixed);
        // wicked stays enabled: nothing here touches the network stack
        assertThat(r.tree().exists("/etc/systemd/system/multi-user.target.wants/wicked.service"))
                .isTrue();
    }

    @Test
    void ubuntu2204CloudimgDropIn(@TempDir Path dir) throws Exception {
        Run r = prepareTwice(FamilyGuests.ubuntu2204(dir));
        assertThat(r.first().guest().osId()).isEqualTo("ubuntu");
        assertThat(r.f("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Fixed);
        for (String l : linesStartingWith(r.tree().read("/boot/grub/grub.cfg"), "linux")) {
            assertThat(words(l)).containsAll(AZURE);
        }
        assertThat(r.f("SSH-SERVER").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(r.tree().readLink("/etc/systemd/system/multi-user.target.wants/ssh.service"))
                .isEqualTo("/usr/lib/systemd/system/ssh.service");
    }

    static String evidence(Finding f) {
        return f.evidence().stream()
                .map(dev.linuximage.core.report.Evidence::value)
                .collect(Collectors.joining("\n"));
    }

    @Test
    void alpineExtlinuxAndOpenRc(@TempDir Path dir) throws Exception {
        Run r = prepareTwice(FamilyGuests.alpine(dir), FACTS_INITRAMFS);
        assertThat(r.first().guest().osId()).isEqualTo("alpine");
        assertThat(r.first().guest().versionId()).isEqualTo("3.19.1");
        // mkinitfs' init never reads rootdelay (only its myopts become options; nlplug-findfs waits for root=), and
        // with an /init the kernel ignores it too: like dracut, rootdelay=300 is added as the catalogue asks
        assertThat(r.f("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(evidence(r.f("CMDLINE-CONSOLE")))
                .contains("mkinitfs initramfs /boot/initramfs-virt: Alpine " + "mkinitfs init never reads rootdelay")
                .contains("nlplug-findfs")
                .contains("rootdelay=300 added");
        assertThat(r.f("CMDLINE-NOQUIET").status()).isEqualTo(FindingStatus.Fixed);
        String append = linesStartingWith(r.tree().read("/boot/extlinux.conf"), "APPEND")
                .get(0);
        assertThat(words(append)).containsAll(AZURE).contains("rootdelay=300").doesNotContain("quiet");
        String opts = r.tree()
                .read("/etc/update-extlinux.conf")
                .lines()
                .filter(l -> l.startsWith("default_kernel_opts="))
                .findFirst()
                .orElseThrow();
        assertThat(words(opts.substring(opts.indexOf('=') + 1).replace("\"", "")))
                .containsAll(AZURE)
                .contains("rootdelay=300")
                .doesNotContain("quiet");
        // rc-update add sshd default; cloud-init-local in boot, the other stages in default
        assertThat(r.f("SSH-SERVER").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(r.tree().readLink("/etc/runlevels/default/sshd")).isEqualTo("/etc/init.d/sshd");
        assertThat(r.f("AGENT-PRESENT").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(r.tree().readLink("/etc/runlevels/boot/cloud-init-local")).isEqualTo("/etc/init.d/cloud-init-local");
        for (String s : List.of("cloud-init", "cloud-config", "cloud-final")) {
            assertThat(r.tree().readLink("/etc/runlevels/default/" + s)).isEqualTo("/etc/init.d/" + s);
        }
    }

    @Test
    void archSystemdBootEntries(@TempDir Path dir) throws Exception {
        Run r = prepareTwice(FamilyGuests.arch(dir), FACTS_INITRAMFS);
        assertThat(r.first().guest().osId()).isEqualTo("arch");
        // mkinitcpio's busybox init waits for the root device at most rootdelay seconds (poll_device, default 10 s):
        // the wait-for-device timeout the catalogue means, so rootdelay=300 goes on every entry
        assertThat(r.f("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(evidence(r.f("CMDLINE-CONSOLE")))
                .contains("mkinitcpio initramfs /boot/initramfs-linux")
                .contains("poll_device")
                .contains("rootdelay=300 added");
        for (String e : List.of("/boot/loader/entries/arch.conf", "/boot/loader/entries/arch-fallback.conf")) {
            String options = linesStartingWith(r.tree().read(e), "options").get(0);
            assertThat(words(options))
                    .as(e)
                    .containsAll(AZURE)
                    .contains("rootdelay=300")
                    .doesNotContain("quiet")
                    .contains("rw");
        }
        assertThat(r.f("SSH-SERVER").status()).isEqualTo(FindingStatus.Fixed);
    }

    @Test
    void archAndAlpineWhoseImagesAreNotReadFallBackToTheInstalledGenerator(@TempDir Path dir) throws Exception {
        // builtin-only facts report every initramfs unreadable: the generator installed in the guest decides
        Run arch = prepareTwice(FamilyGuests.arch(dir.resolve("arch")), FACTS);
        assertThat(arch.f("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(evidence(arch.f("CMDLINE-CONSOLE")))
                .contains("the guest's mkinitcpio " + "(/usr/lib/initcpio/init_functions, HOOKS=(base udev")
                .contains("poll_device");
        assertThat(words(linesStartingWith(arch.tree().read("/boot/loader/entries/arch.conf"), "options")
                        .get(0)))
                .contains("rootdelay=300");
        Run alpine = prepareTwice(FamilyGuests.alpine(dir.resolve("alpine")), FACTS);
        assertThat(alpine.f("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(evidence(alpine.f("CMDLINE-CONSOLE")))
                .contains("the guest's mkinitfs " + "(/usr/share/mkinitfs/initramfs-init)");
        assertThat(words(linesStartingWith(alpine.tree().read("/boot/extlinux.conf"), "APPEND")
                        .get(0)))
                .contains("rootdelay=300");
    }
}
