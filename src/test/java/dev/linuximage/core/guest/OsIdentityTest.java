package dev.linuximage.core.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.GuestTree;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OS identity from os-release(5) and the older release files, with the strings those releases really ship. */
class OsIdentityTest {

    private static GuestInspection.OsInfo identify(Path dir, String file, String content) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file(file, content);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            return OsIdentity.read(new GuestReader(g));
        }
    }

    @Test
    void rhel6HasOnlyRedhatRelease(@TempDir Path dir) throws Exception {
        GuestInspection.OsInfo os =
                identify(dir, "/etc/redhat-release", "Red Hat Enterprise Linux Server release 6.10 (Santiago)\n");
        assertThat(os.id()).isEqualTo("rhel");
        assertThat(os.versionId()).isEqualTo("6.10");
        assertThat(OsIdentity.major(os)).isEqualTo(6);
        assertThat(OsIdentity.minor(os)).isEqualTo(10);
        assertThat(os.family()).isEqualTo(OsIdentity.Family.REDHAT);
        assertThat(os.source()).isEqualTo("/etc/redhat-release");
    }

    @Test
    void centos6AndCentos7ReleaseStrings(@TempDir Path dir) throws Exception {
        GuestInspection.OsInfo c6 = identify(dir.resolve("a"), "/etc/redhat-release", "CentOS release 6.3 (Final)\n");
        assertThat(c6.id()).isEqualTo("centos");
        assertThat(c6.versionId()).isEqualTo("6.3");
        assertThat(c6.idLike()).contains("rhel");
        GuestInspection.OsInfo c7 =
                identify(dir.resolve("b"), "/etc/redhat-release", "CentOS Linux release 7.9.2009 (Core)\n");
        assertThat(c7.versionId()).isEqualTo("7.9.2009");
        assertThat(OsIdentity.major(c7)).isEqualTo(7);
    }

    @Test
    void amazonLinuxFromSystemRelease(@TempDir Path dir) throws Exception {
        GuestInspection.OsInfo os = identify(dir, "/etc/system-release", "Amazon Linux AMI release 2018.03\n");
        assertThat(os.id()).isEqualTo("amzn");
        assertThat(os.versionId()).isEqualTo("2018.03");
        assertThat(os.family()).isEqualTo(OsIdentity.Family.REDHAT);
    }

    @Test
    void sles11FromSuseReleaseWithPatchlevel(@TempDir Path dir) throws Exception {
        GuestInspection.OsInfo os = identify(
                dir, "/etc/SuSE-release", "SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n");
        assertThat(os.id()).isEqualTo("sles");
        assertThat(os.versionId()).isEqualTo("11.4");
        assertThat(os.family()).isEqualTo(OsIdentity.Family.SUSE);
    }

    @Test
    void ubuntuFromLsbRelease(@TempDir Path dir) throws Exception {
        GuestInspection.OsInfo os = identify(dir, "/etc/lsb-release", """
                DISTRIB_ID=Ubuntu
                DISTRIB_RELEASE=12.04
                DISTRIB_CODENAME=precise
                DISTRIB_DESCRIPTION="Ubuntu 12.04.5 LTS"
                """);
        assertThat(os.id()).isEqualTo("ubuntu");
        assertThat(os.versionId()).isEqualTo("12.04");
        assertThat(os.prettyName()).isEqualTo("Ubuntu 12.04.5 LTS");
        assertThat(os.family()).isEqualTo(OsIdentity.Family.DEBIAN);
    }

    @Test
    void alpineFromAlpineRelease(@TempDir Path dir) throws Exception {
        GuestInspection.OsInfo os = identify(dir, "/etc/alpine-release", "3.19.1\n");
        assertThat(os.id()).isEqualTo("alpine");
        assertThat(os.versionId()).isEqualTo("3.19.1");
        assertThat(os.family()).isEqualTo(OsIdentity.Family.ALPINE);
    }

    @Test
    void osReleaseWinsAndIdLikeGivesTheFamily(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.file("/etc/os-release", "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n");
        t.file("/etc/redhat-release", "Rocky Linux release 9.3 (Blue Onyx)\n");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            GuestInspection.OsInfo os = OsIdentity.read(new GuestReader(g));
            assertThat(os.source()).isEqualTo("/etc/os-release");
            assertThat(os.family()).isEqualTo(OsIdentity.Family.REDHAT);
            assertThat(os.idLike()).containsExactly("rhel", "centos", "fedora");
        }
        GuestInspection.OsInfo arch = new GuestInspection.OsInfo("endeavouros", List.of("arch"), "", "", "x");
        assertThat(arch.family()).isEqualTo(OsIdentity.Family.ARCH);
        GuestInspection.OsInfo leap =
                new GuestInspection.OsInfo("opensuse-leap", List.of("suse", "opensuse"), "15.5", "", "x");
        assertThat(leap.family()).isEqualTo(OsIdentity.Family.SUSE);
    }

    @Test
    void nothingKnownIsUnknown(@TempDir Path dir) throws Exception {
        GuestTree t = new GuestTree(dir);
        t.dir("/etc");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            GuestInspection.OsInfo os = OsIdentity.read(new GuestReader(g));
            assertThat(os.id()).isEqualTo("unknown");
            assertThat(os.source()).isNull();
            assertThat(os.family()).isEqualTo(OsIdentity.Family.UNKNOWN);
        }
    }

    @Test
    void hostileReleaseFilesAreBoundedAndSanitised(@TempDir Path dir) throws Exception {
        // larger than any release file: skipped, the next file decides
        GuestTree t = new GuestTree(dir);
        t.file("/etc/redhat-release", "CentOS release 6.5 ".repeat(10_000));
        t.file("/etc/alpine-release", "3.18.0\n");
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            GuestInspection.OsInfo os = OsIdentity.read(new GuestReader(g));
            assertThat(os.id()).isEqualTo("alpine");
        }
        // control characters and an endless name are cut to printable text; a non-version is no version
        GuestInspection.OsInfo os = identify(
                dir.resolve("b"),
                "/etc/redhat-release",
                "Red Hat\u0007 Enterprise Linux release x" + "A".repeat(5000) + "\n");
        assertThat(os.prettyName()).hasSizeLessThanOrEqualTo(200).doesNotContain("\u0007");
        assertThat(os.versionId()).isEmpty();
        GuestInspection.OsInfo bad = identify(dir.resolve("c"), "/etc/alpine-release", "3.19; rm -rf /\n");
        assertThat(bad.versionId()).isEmpty();
        assertThat(OsIdentity.major(bad)).isEqualTo(-1);
    }
}
