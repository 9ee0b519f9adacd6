package dev.linuximage.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.compliance.Compliance;
import dev.linuximage.core.guest.KernelFacts;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.guestfs.Change;
import dev.linuximage.core.report.ComplianceReport;
import dev.linuximage.core.report.Evidence;
import dev.linuximage.core.report.Finding;
import dev.linuximage.core.report.FindingStatus;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.GuestFixtures;
import dev.linuximage.testsupport.GuestTree;
import dev.linuximage.testsupport.initramfs.GeneratorFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * prepare/check on directory-backed guests whose initramfs images carry the real boot scripts of initramfs-tools and
 * dracut ({@link GeneratorFixture}), read through the real kernel inventory ({@link GuestKernels}): CMDLINE-CONSOLE's
 * rootdelay per what the initramfs does with it, and SWAP-OS-DISK's resume neutralisation.
 */
class RootDelayResumePrepareTest {
    static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    static final String DEBIAN_INITRD = "/boot/initrd.img-" + GuestFixtures.DEBIAN_KERNEL;
    static final String SWAP_UUID = "99998888-7777-6666-5555-444433332222";

    static Map<String, Finding> byId(ComplianceReport r) {
        return r.findings().stream().collect(Collectors.toMap(Finding::id, Function.identity()));
    }

    static Compliance.Facts facts() {
        // no HV repair hook: the fixture's module files are not real (KERNEL-HV-DRIVERS is not this test's business)
        return new Compliance.Facts(null, null, new GuestKernels(), null);
    }

    static String evidence(Finding f) {
        return f.evidence().stream().map(Evidence::value).collect(Collectors.joining("\n"));
    }

    /** Debian as the installer leaves it: RESUME= for the swap partition in /etc and in the image. */
    static GuestTree debian(Path dir, Path work) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        t.bytes(DEBIAN_INITRD, GeneratorFixture.initramfsToolsImage(work, "UUID=" + SWAP_UUID), "rw-r--r--");
        t.file("/etc/initramfs-tools/initramfs.conf", "MODULES=most\nBUSYBOX=auto\nCOMPRESS=zstd\n");
        t.file("/etc/initramfs-tools/conf.d/resume", "RESUME=UUID=" + SWAP_UUID + "\n");
        return t;
    }

    @Test
    void debianInitramfsToolsGetsNoRootdelayAndResumeIsNeutralised(@TempDir Path dir, @TempDir Path work)
            throws Exception {
        GuestTree t = debian(dir, work);
        t.file(
                "/etc/default/grub",
                "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n" + "GRUB_CMDLINE_LINUX=\"rootdelay=300\"\n");
        PatchOptions o = PatchOptions.defaults();
        Map<String, Finding> f;
        List<Change> changes;
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            Compliance.Outcome out = Compliance.prepare(g, o, facts(), "debian", NOW);
            f = byId(out.report());
            changes = out.changes();
            assertThat(out.report().errors()).isEmpty();
        }
        String cfg = t.read("/boot/grub/grub.cfg");
        assertThat(cfg)
                .doesNotContain("rootdelay")
                .doesNotContain("resume=")
                .contains("ro console=ttyS0 earlyprintk=ttyS0 net.ifnames=0 noresume\n");
        assertThat(t.read("/etc/default/grub"))
                .contains("GRUB_CMDLINE_LINUX=\"console=ttyS0 earlyprintk=ttyS0 net.ifnames=0 noresume\"");
        assertThat(t.read("/etc/initramfs-tools/conf.d/resume")).isEqualTo("RESUME=none\n");

        Finding console = f.get("CMDLINE-CONSOLE");
        assertThat(console.status()).isEqualTo(FindingStatus.Fixed);
        assertThat(evidence(console))
                .contains(GuestFixtures.DEBIAN_KERNEL + ": initramfs-tools initramfs "
                        + DEBIAN_INITRD + ": initramfs-tools init line " + InitramfsBootProbeTest.sleepLine()
                        + " sleeps the whole rootdelay")
                .contains("rootdelay not added (any above 10 s removed)");
        Finding swap = f.get("SWAP-OS-DISK");
        assertThat(swap.status()).isEqualTo(FindingStatus.Fixed);
        assertThat(changes)
                .filteredOn(c -> c.requirement().equals("SWAP-OS-DISK"))
                .extracting(Change::path)
                .contains("/etc/initramfs-tools/conf.d/resume", "/boot/grub/grub.cfg", "/etc/default/grub");

        // a second prepare changes nothing, and a check of the result passes without rootdelay
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            assertThat(Compliance.prepare(g, o, facts(), "debian", NOW).changes())
                    .isEmpty();
        }
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            Map<String, Finding> audit = byId(Compliance.audit(g, o, facts(), "debian", NOW));
            assertThat(audit.get("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Pass);
            assertThat(audit.get("SWAP-OS-DISK").status()).isEqualTo(FindingStatus.Pass);
            // the image still says RESUME=UUID=... (it is not rebuilt): noresume is what neutralises it
            assertThat(evidence(audit.get("SWAP-OS-DISK")))
                    .contains("resume neutralised by noresume")
                    .contains("RESUME=none");
        }
    }

    @Test
    void aLargeRootdelayIsACheckFailureOnInitramfsTools(@TempDir Path dir, @TempDir Path work) throws Exception {
        GuestTree t = debian(dir, work);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            Compliance.prepare(g, PatchOptions.defaults(), facts(), "debian", NOW);
        }
        // what the product used to write: the catalogue's rootdelay=300 on an initramfs-tools guest
        String cfg = t.read("/boot/grub/grub.cfg");
        t.file("/boot/grub/grub.cfg", cfg.replace(" noresume\n", " noresume rootdelay=300\n"));
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            Finding c = byId(Compliance.audit(g, PatchOptions.defaults(), facts(), "debian", NOW))
                    .get("CMDLINE-CONSOLE");
            assertThat(c.status()).isEqualTo(FindingStatus.Fail);
            assertThat(evidence(c)).contains("[remove: rootdelay=300: ");
        }
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            Compliance.prepare(g, PatchOptions.defaults(), facts(), "debian", NOW);
        }
        assertThat(t.read("/boot/grub/grub.cfg")).isEqualTo(cfg);
    }

    @Test
    void dracutGetsRootdelay300AndHostOnlyResumeIsNeutralised(@TempDir Path dir, @TempDir Path work) throws Exception {
        GuestTree t = GuestFixtures.rhel9(dir);
        String k = GuestFixtures.RHEL9_KERNEL;
        t.bytes("/boot/initramfs-" + k + ".img", GeneratorFixture.dracutImage(work, true, "UUID=5555"), "rw-------");
        // dpkg keeps initramfs-tools' conffiles when dracut replaces it: that is no initramfs-tools guest
        t.file("/etc/initramfs-tools/initramfs.conf", "MODULES=most\n");
        Map<String, Finding> f;
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            f = byId(Compliance.prepare(g, PatchOptions.defaults(), facts(), "rhel9", NOW)
                    .report());
        }
        String bls = t.read("/boot/loader/entries/4d3c2b1a00112233445566778899aabb-" + k + ".conf");
        assertThat(bls)
                .contains("options root=UUID=77aa ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M "
                        + "rootdelay=300 console=ttyS0 earlyprintk=ttyS0 net.ifnames=0 noresume\n");
        assertThat(t.read("/etc/kernel/cmdline")).contains("rootdelay=300").contains("noresume");
        assertThat(t.exists("/etc/initramfs-tools/conf.d/resume")).isFalse();
        assertThat(f.get("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(evidence(f.get("CMDLINE-CONSOLE")))
                .contains("no script of this dracut initramfs " + "(/init -> usr/lib/systemd/systemd) reads rootdelay")
                .contains("rootdelay=300 added");
        assertThat(f.get("SWAP-OS-DISK").status()).isIn(FindingStatus.Fixed, FindingStatus.Pass);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            assertThat(Compliance.prepare(g, PatchOptions.defaults(), facts(), "rhel9", NOW)
                            .changes())
                    .isEmpty();
        }
    }

    @Test
    void withoutAnInitramfsRootwaitReplacesRootdelay(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        Files.delete(t.root().resolve(DEBIAN_INITRD.substring(1)));
        t.file("/etc/default/grub", "GRUB_CMDLINE_LINUX=\"rootdelay=60\"\n");
        Map<String, Finding> f;
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            f = byId(Compliance.prepare(g, PatchOptions.defaults(), facts(), "debian", NOW)
                    .report());
        }
        assertThat(t.read("/etc/default/grub"))
                .isEqualTo("GRUB_CMDLINE_LINUX=\"rootwait console=ttyS0 earlyprintk=ttyS0 net.ifnames=0 noresume\"\n");
        assertThat(t.read("/boot/grub/grub.cfg")).contains(" rootwait ").doesNotContain("rootdelay");
        assertThat(evidence(f.get("CMDLINE-CONSOLE")))
                .contains("no initramfs for " + GuestFixtures.DEBIAN_KERNEL)
                .contains("init/do_mounts.c")
                .contains("rootwait added");
    }

    @Test
    void kernelFactsCarryTheInitramfsAnalysis(@TempDir Path dir, @TempDir Path work) throws Exception {
        GuestTree t = debian(dir, work);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            List<KernelFacts> facts = new GuestKernels().read(g);
            assertThat(facts).singleElement().satisfies(k -> {
                assertThat(k.initramfsPath()).isEqualTo(DEBIAN_INITRD);
                assertThat(k.boot().generator()).isEqualTo("initramfs-tools");
                assertThat(k.boot().resume()).isEqualTo("UUID=" + SWAP_UUID);
            });
        }
    }
}
