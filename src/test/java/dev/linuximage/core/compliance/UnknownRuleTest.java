package dev.linuximage.core.compliance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.core.guest.KernelFacts;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.guest.PatchSettings;
import dev.linuximage.core.guest.PatchSpecException;
import dev.linuximage.core.guest.PatchSpecReader;
import dev.linuximage.core.report.ComplianceReport;
import dev.linuximage.core.report.ComplianceSummary;
import dev.linuximage.core.report.Finding;
import dev.linuximage.core.report.FindingStatus;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.GuestFixtures;
import dev.linuximage.testsupport.GuestTree;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalogue's rule: "prepare treats an Unknown on a required item as not compliant unless the user allows it
 * explicitly". Advisory items (repair "none: warn" or opt-in) never decide compliance.
 */
class UnknownRuleTest {

    static Finding f(String id, FindingStatus s) {
        return new Finding(id, s, "m", List.of(), null);
    }

    @Test
    void anUnknownRequiredItemIsNotCompliantUnlessTolerated() {
        List<Finding> fs = List.of(f("SSH-SERVER", FindingStatus.Pass), f("BOOT-GENERATION", FindingStatus.Unknown));
        assertThat(ComplianceSummary.of(fs).compliant()).isFalse();
        assertThat(ComplianceSummary.of(fs, Set.of("BOOT-GENERATION")).compliant())
                .isTrue();
        assertThat(ComplianceSummary.of(fs, Set.of("PART-LVM")).compliant()).isFalse();
        assertThat(ComplianceSummary.of(List.of(f("A-B", FindingStatus.Warn))).compliant())
                .isTrue();
    }

    /** A Debian guest prepared with every fact, then audited from its files alone (no disk or container facts). */
    @Test
    void auditWithoutDiskFactsNeedsTheUnknownsAllowed(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        PatchOptions o = PatchOptions.defaults().withRemoveUsers(List.of("builder"));
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            assertThat(Compliance.prepare(g, o, ComplianceTest.debianFacts(), null, ComplianceTest.NOW)
                            .report()
                            .compliant())
                    .isTrue();
        }
        KernelFacts k = new KernelFacts(
                GuestFixtures.DEBIAN_KERNEL,
                "/boot/initrd.img-" + GuestFixtures.DEBIAN_KERNEL,
                Set.of("ext4", "fat"),
                Set.of("hv_vmbus", "hv_storvsc", "hv_netvsc"),
                true);
        Compliance.Facts filesOnly = new Compliance.Facts(null, null, x -> List.of(k), null);
        List<String> disk =
                List.of("DISK-FORMAT", "DISK-ALIGN", "DISK-MAXSIZE", "DISK-FOOTER", "DISK-GPT", "BOOT-GENERATION");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            ComplianceReport strict = Compliance.audit(g, o, filesOnly, null, ComplianceTest.NOW);
            assertThat(strict.findings())
                    .filteredOn(x -> x.status() == FindingStatus.Unknown)
                    .extracting(Finding::id)
                    .containsExactlyInAnyOrderElementsOf(List.of(
                            "DISK-FORMAT",
                            "DISK-ALIGN",
                            "DISK-MAXSIZE",
                            "DISK-FOOTER",
                            "DISK-GPT",
                            "BOOT-GENERATION",
                            "PART-LVM"));
            assertThat(strict.findings()).noneMatch(x -> x.status() == FindingStatus.Fail);
            assertThat(strict.compliant())
                    .as("Unknown DISK-*/BOOT-GENERATION are not compliant")
                    .isFalse();

            ComplianceReport partly =
                    Compliance.audit(g, o.withAllowUnknown(disk.subList(0, 5)), filesOnly, null, ComplianceTest.NOW);
            assertThat(partly.compliant())
                    .as("BOOT-GENERATION still Unknown and not allowed")
                    .isFalse();

            ComplianceReport allowed =
                    Compliance.audit(g, o.withAllowUnknown(disk), filesOnly, null, ComplianceTest.NOW);
            // PART-LVM (repair "none: warn") is advisory: tolerated without being named
            assertThat(allowed.unknownTolerated()).contains("PART-LVM").containsAll(disk);
            assertThat(allowed.compliant()).isTrue();
        }
    }

    @Test
    void specFieldAndValidation() {
        PatchSettings s = PatchSpecReader.parse("""
                kind: LinuxImage
                spec:
                  guest:
                    allowUnknown: [BOOT-GENERATION, DISK-FOOTER]
                """.getBytes(StandardCharsets.UTF_8));
        assertThat(s.toOptions().allowUnknown()).containsExactly("BOOT-GENERATION", "DISK-FOOTER");
        assertThatThrownBy(() -> PatchSpecReader.parse("""
                kind: LinuxImage
                spec:
                  guest:
                    allowUnknown: ["boot generation"]
                """.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(PatchSpecException.class)
                .hasMessageContaining("spec.guest.allowUnknown[0]");
        assertThatThrownBy(() -> PatchOptions.defaults().withAllowUnknown(List.of("../x")))
                .hasMessageContaining("allowUnknown");
    }

    @Test
    void cliRefusesAnIdOutsideTheCatalogue(@TempDir Path dir) throws Exception {
        Path disk = Files.write(dir.resolve("d.raw"), new byte[1 << 20]);
        // a blank disk alone is a bad input (3); the unknown ID is refused first, as a usage error (2)
        assertThat(CoreCli.execute("check", disk.toString(), "--allow-unknown", "BOOT-GENERATION", "--quiet"))
                .isEqualTo(3);
        assertThat(CoreCli.execute("check", disk.toString(), "--allow-unknown", "KERNEL-NOPE", "--quiet"))
                .isEqualTo(2);
    }
}
