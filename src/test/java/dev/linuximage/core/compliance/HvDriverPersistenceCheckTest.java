package dev.linuximage.core.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.guest.KernelFacts;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.report.Finding;
import dev.linuximage.core.report.FindingStatus;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.GuestFixtures;
import dev.linuximage.testsupport.GuestTree;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KERNEL-HV-DRIVERS' second half (docs/requirements.md: the drivers are written into the generator's
 * configuration so the next kernel update keeps them): drivers present in the initramfs only because they were
 * appended fail the check while a host-only generator would drop them; prepare configures the generator.
 */
class HvDriverPersistenceCheckTest {
    static final Set<String> HV = Set.of("hv_vmbus", "hv_storvsc", "hv_netvsc");

    private static GuestTree hostOnlyRhel(Path dir) {
        GuestTree t = GuestFixtures.rhel8(dir);
        t.dir("/usr/lib/dracut/modules.d");
        t.file("/usr/lib/dracut/dracut.conf.d/01-dist.conf", "hostonly=\"yes\"\n");
        return t;
    }

    private static Compliance.Facts facts(KernelFacts... k) {
        return new Compliance.Facts(null, null, g -> List.of(k), null);
    }

    @Test
    void driversOnlyInTheInitramfsOfAHostOnlyDracutGuestFailUntilPrepared(@TempDir Path dir) throws Exception {
        GuestTree t = hostOnlyRhel(dir);
        KernelFacts k = new KernelFacts(
                GuestFixtures.RHEL8_KERNEL,
                "/boot/initramfs-" + GuestFixtures.RHEL8_KERNEL + ".img",
                Set.of(),
                HV,
                true);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            Finding f = Compliance.audit(g, PatchOptions.defaults(), facts(k), null, ComplianceTest.NOW)
                    .finding("KERNEL-HV-DRIVERS");
            assertThat(f.status()).isEqualTo(FindingStatus.Fail);
            assertThat(f.message()).contains("dracut");
            assertThat(f.evidence()).anySatisfy(e -> {
                assertThat(e.toString()).contains("/usr/lib/dracut/dracut.conf.d/01-dist.conf");
                assertThat(e.toString()).contains("hv_vmbus, hv_storvsc, hv_netvsc");
            });
        }
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            Finding f = Compliance.prepare(g, PatchOptions.defaults(), facts(k), null, ComplianceTest.NOW)
                    .report()
                    .finding("KERNEL-HV-DRIVERS");
            assertThat(f.status()).isEqualTo(FindingStatus.Fixed);
        }
        assertThat(t.read("/etc/dracut.conf.d/90-linuximage-hyperv.conf"))
                .contains("add_drivers+=\" hv_vmbus hv_storvsc hv_netvsc \"");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            Finding f = Compliance.audit(g, PatchOptions.defaults(), facts(k), null, ComplianceTest.NOW)
                    .finding("KERNEL-HV-DRIVERS");
            assertThat(f.status()).isEqualTo(FindingStatus.Pass);
            assertThat(f.evidence())
                    .anySatisfy(e -> assertThat(e.toString()).contains("/etc/dracut.conf.d/90-linuximage-hyperv.conf"));
        }
    }

    @Test
    void builtInDriversNeedNoPersistence(@TempDir Path dir) throws Exception {
        GuestTree t = hostOnlyRhel(dir);
        KernelFacts k = new KernelFacts(GuestFixtures.RHEL8_KERNEL, null, HV, Set.of(), false);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            Finding f = Compliance.audit(g, PatchOptions.defaults(), facts(k), null, ComplianceTest.NOW)
                    .finding("KERNEL-HV-DRIVERS");
            assertThat(f.status()).isEqualTo(FindingStatus.Pass);
        }
    }

    @Test
    void eachKernelHasItsOwnEvidenceLineNamedByItsImage(@TempDir Path dir) throws Exception {
        GuestTree t = hostOnlyRhel(dir);
        t.file("/etc/dracut.conf.d/hv.conf", "add_drivers+=\" hv_vmbus hv_storvsc hv_netvsc \"\n");
        String v = GuestFixtures.RHEL8_KERNEL;
        KernelFacts real = new KernelFacts(v, "/boot/initramfs-" + v + ".img", Set.of(), HV, true);
        KernelFacts rescue = new KernelFacts(
                "0-rescue-abc", v, "/boot/initramfs-0-rescue-abc.img", Set.of(), Set.of("hv_vmbus"), true);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            Finding f = Compliance.audit(g, PatchOptions.defaults(), facts(real, rescue), null, ComplianceTest.NOW)
                    .finding("KERNEL-HV-DRIVERS");
            assertThat(f.status()).isEqualTo(FindingStatus.Fail);
            assertThat(f.evidence())
                    .anySatisfy(e -> assertThat(e.toString())
                            .contains("/boot/initramfs-0-rescue-abc.img")
                            .contains("0-rescue-abc (" + v + "): missing " + "hv_storvsc, hv_netvsc"));
            assertThat(f.evidence())
                    .anySatisfy(e -> assertThat(e.toString())
                            .contains("/boot/initramfs-" + v + ".img")
                            .contains(v + ": hv_vmbus"));
        }
    }
}
