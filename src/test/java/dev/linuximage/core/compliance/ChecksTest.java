package dev.linuximage.core.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.guest.ContainerFacts;
import dev.linuximage.core.guest.DiskFacts;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.guest.Provisioning;
import dev.linuximage.core.report.ComplianceReport;
import dev.linuximage.core.report.Finding;
import dev.linuximage.core.report.FindingStatus;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.GuestFixtures;
import dev.linuximage.testsupport.GuestTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken variants of the fixtures, one requirement family at a time. */
class ChecksTest {
    static final Instant NOW = Instant.EPOCH;

    static ComplianceReport audit(GuestTree t, PatchOptions o, Compliance.Facts f) throws Exception {
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            return Compliance.audit(g, o, f, null, NOW);
        }
    }

    static ComplianceReport prepare(GuestTree t, PatchOptions o, Compliance.Facts f) throws Exception {
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            return Compliance.prepare(g, o, f, null, NOW).report();
        }
    }

    static Compliance.Facts container(ContainerFacts c) {
        return new Compliance.Facts(null, c, null, null);
    }

    @Test
    void diskContainerFindings(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel9(dir);
        PatchOptions o = PatchOptions.defaults();
        ComplianceReport dyn = audit(t, o, container(new ContainerFacts("vhd-dynamic", 21475270656L, 1234567L, null)));
        assertThat(dyn.finding("DISK-FORMAT").status()).isEqualTo(FindingStatus.Fail);
        assertThat(dyn.finding("DISK-ALIGN").status()).isEqualTo(FindingStatus.Fail);
        assertThat(dyn.finding("DISK-ALIGN").repair()).contains("21475885056"); // next whole MiB
        assertThat(dyn.finding("DISK-FOOTER").status()).isEqualTo(FindingStatus.NotApplicable);
        long big = 1024L << 30;
        ComplianceReport huge = audit(
                t, o, container(new ContainerFacts("vhd-fixed", big, big + 512, "checksum 0x1234 != computed 0x4321")));
        assertThat(huge.finding("DISK-MAXSIZE").status()).isEqualTo(FindingStatus.Fail);
        assertThat(huge.finding("DISK-FOOTER").message()).contains("checksum");
        assertThat(huge.finding("DISK-ALIGN").status()).isEqualTo(FindingStatus.Pass);
        ComplianceReport bad = audit(t, o, container(new ContainerFacts("vhd-fixed", 1L << 30, 1L << 30, null)));
        assertThat(bad.finding("DISK-ALIGN").status()).isEqualTo(FindingStatus.Fail);
    }

    /**
     * SWAP-OS-DISK is swap at boot: systemd-gpt-auto-generator enables a GPT Linux-swap partition without attribute
     * bit 63 (Discoverable Partitions Specification); an MBR type-82 partition is never enabled without fstab.
     */
    @Test
    void gptSwapPartitionsFailUnlessNoAutoIsSetAndMbrSwapIsNotEnabled(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel9(dir);
        PatchOptions o = PatchOptions.defaults();
        t.file("/usr/lib/systemd/system-generators/systemd-gpt-auto-generator", "binary");
        DiskFacts autoSwap = new DiskFacts(
                "GPT",
                false,
                false,
                true,
                true,
                false,
                List.of("part3"),
                List.of(new DiskFacts.SwapPartition(3, "GPT", false, 0)),
                null);
        Finding f =
                audit(t, o, new Compliance.Facts(autoSwap, null, null, null)).finding("SWAP-OS-DISK");
        assertThat(f.status()).isEqualTo(FindingStatus.Fail);
        assertThat(f.evidence().toString()).contains("partition 3").contains("systemd-gpt-auto-generator");
        assertThat(f.repair()).contains("bit 63");
        DiskFacts noAuto = new DiskFacts(
                "GPT",
                false,
                false,
                true,
                true,
                false,
                List.of("part3"),
                List.of(new DiskFacts.SwapPartition(3, "GPT", true, 1L << 63)),
                null);
        assertThat(audit(t, o, new Compliance.Facts(noAuto, null, null, null))
                        .finding("SWAP-OS-DISK")
                        .status())
                .isEqualTo(FindingStatus.Pass);
        DiskFacts mbr = new DiskFacts(
                "MBR",
                true,
                false,
                false,
                false,
                false,
                List.of("part2"),
                List.of(new DiskFacts.SwapPartition(2, "MBR", false, 0)),
                null);
        Finding m = audit(t, o, new Compliance.Facts(mbr, null, null, null)).finding("SWAP-OS-DISK");
        assertThat(m.status()).isEqualTo(FindingStatus.Pass);
        assertThat(m.evidence().toString()).contains("GPT disks only");
        // the generator masked with a link to /dev/null: the GPT partition is not enabled either
        GuestTree masked = GuestFixtures.rhel9(dir.resolve("masked"));
        masked.file("/usr/lib/systemd/system-generators/systemd-gpt-auto-generator", "binary");
        java.nio.file.Files.createDirectories(masked.root().resolve("etc/systemd/system-generators"));
        java.nio.file.Files.createSymbolicLink(
                masked.root().resolve("etc/systemd/system-generators/systemd-gpt-auto-generator"),
                Path.of("/dev/null"));
        assertThat(audit(masked, o, new Compliance.Facts(autoSwap, null, null, null))
                        .finding("SWAP-OS-DISK")
                        .status())
                .isEqualTo(FindingStatus.Pass);
    }

    @Test
    void bootGenerations(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel9(dir);
        PatchOptions o = PatchOptions.defaults();
        DiskFacts none = new DiskFacts("GPT", false, false, true, false, false, List.of("partition 3"));
        ComplianceReport r = audit(t, o, new Compliance.Facts(none, null, null, null));
        assertThat(r.finding("BOOT-GENERATION").status()).isEqualTo(FindingStatus.Fail);
        assertThat(r.gen1()).isFalse();
        // a swap volume with no fstab line and no swap partition type: nothing enables it at boot
        assertThat(r.finding("SWAP-OS-DISK").status()).isEqualTo(FindingStatus.Pass);
        DiskFacts uefi = new DiskFacts("GPT", false, false, true, true, false, List.of());
        assertThat(audit(t, o, new Compliance.Facts(uefi, null, null, null))
                        .finding("BOOT-GENERATION")
                        .message())
                .contains("Gen2 only");
    }

    @Test
    void vfatBlacklistIsRepairedAndUdfWithoutKernelSupportWarnsForNewCloudInit(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        t.file("/etc/modprobe.d/local.conf", "options snd slots=1\nblacklist vfat\n");
        t.file("/usr/lib/modules/" + GuestFixtures.DEBIAN_KERNEL + "/modules.dep", "kernel/fs/fat/vfat.ko:\n");
        ComplianceReport r = prepare(t, PatchOptions.defaults(), Compliance.Facts.none());
        assertThat(r.finding("KERNEL-VFAT").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(t.read("/etc/modprobe.d/local.conf")).isEqualTo("options snd slots=1\n");
        Finding udf = r.finding("KERNEL-UDF");
        assertThat(udf.status()).isEqualTo(FindingStatus.Warn); // the CIS line went, but no udf.ko exists
        assertThat(udf.message()).contains("22.4.2");
    }

    @Test
    void invalidCloudInitDropInIsEvidenceNotACrash(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        t.file("/etc/cloud/cloud.cfg.d/99-broken.cfg", "datasource_list: [ Azure\n  : : :\n");
        ComplianceReport r = audit(t, PatchOptions.defaults(), Compliance.Facts.none());
        Finding ds = r.finding("CLOUDINIT-DATASOURCE");
        assertThat(ds.status()).isEqualTo(FindingStatus.Fail);
        assertThat(ds.evidence()).anySatisfy(e -> assertThat(e.value()).contains("99-broken.cfg"));
    }

    @Test
    void laterDropInOverridingTheDatasourceStaysFailedAfterPrepare(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        t.file("/etc/cloud/cloud.cfg.d/99-local.cfg", "datasource_list: [ NoCloud ]\n");
        ComplianceReport r = prepare(t, PatchOptions.defaults(), Compliance.Facts.none());
        assertThat(r.finding("CLOUDINIT-DATASOURCE").status()).isEqualTo(FindingStatus.Fail);
        assertThat(r.compliant()).isFalse();
    }

    @Test
    void missingSshServerAndAgentAreFailuresWithAdvice(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel9(dir);
        ComplianceReport r = prepare(t, PatchOptions.defaults(), Compliance.Facts.none());
        assertThat(r.finding("SSH-SERVER").status()).isEqualTo(FindingStatus.Fail);
        assertThat(r.finding("SSH-SERVER").repair()).contains("openssh-server");
        assertThat(r.finding("AGENT-PRESENT").status()).isEqualTo(FindingStatus.Fail);
        assertThat(r.finding("CLOUDINIT-DATASOURCE").status()).isEqualTo(FindingStatus.Fail);
        assertThat(r.finding("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(r.finding("KERNEL-HV-DRIVERS").status()).isEqualTo(FindingStatus.Unknown);
        assertThat(r.finding("KERNEL-HV-DRIVERS").message()).contains("initramfs");
    }

    @Test
    void agentLessWithoutDhcpClientFails(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel9(dir);
        ComplianceReport r =
                prepare(t, PatchOptions.defaults().withProvisioning(Provisioning.None), Compliance.Facts.none());
        assertThat(r.finding("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Fail);
        assertThat(r.finding("NOAGENT-REPORT-READY").status()).isEqualTo(FindingStatus.Fixed);
        assertThat(r.finding("NOAGENT-NO-WAAGENT").status()).isEqualTo(FindingStatus.Pass);
        assertThat(r.finding("AGENT-PRESENT").status()).isEqualTo(FindingStatus.Fixed);
    }

    @Test
    void waagentPythonAndPyasn1Prerequisites(@TempDir Path dir) throws Exception {
        PatchOptions wa = PatchOptions.defaults().withProvisioning(Provisioning.WALinuxAgent);
        // RHEL 8: /usr/bin/python3 -> python3.6, pyasn1 in its site-packages
        GuestTree rhel = GuestFixtures.rhel8(dir.resolve("rhel"));
        Finding ok = prepare(rhel, wa, Compliance.Facts.none()).finding("AGENT-PRESENT");
        assertThat(ok.status()).isIn(FindingStatus.Pass, FindingStatus.Fixed);
        assertThat(ok.evidence()).anySatisfy(e -> assertThat(e.value()).contains("-> /usr/bin/python3.6"));
        // Debian: python3.11 without python3-pyasn1
        GuestTree deb = GuestFixtures.debian(dir.resolve("deb"));
        Finding noAsn1 = audit(deb, wa, Compliance.Facts.none()).finding("AGENT-PRESENT");
        assertThat(noAsn1.status()).isEqualTo(FindingStatus.Warn);
        assertThat(noAsn1.repair()).contains("pyasn1");
        deb.dir("/usr/lib/python3/dist-packages/pyasn1");
        assertThat(audit(deb, wa, Compliance.Facts.none())
                        .finding("AGENT-PRESENT")
                        .status())
                .isEqualTo(FindingStatus.Pass);
        // an agent whose interpreter is missing, and one on a Python older than 2.6
        GuestTree env = GuestFixtures.rhel8(dir.resolve("env"));
        env.file("/usr/sbin/waagent", "#!/usr/bin/env python2\n", "rwxr-xr-x");
        Finding missing = prepare(env, wa, Compliance.Facts.none()).finding("AGENT-PRESENT"); // enables it
        assertThat(missing.status()).isEqualTo(FindingStatus.Fail);
        assertThat(missing.message()).contains("/usr/bin/python2").contains("not installed");
        env.file("/usr/bin/python2.5", "elf", "rwxr-xr-x").link("/usr/bin/python2", "python2.5");
        Finding old = audit(env, wa, Compliance.Facts.none()).finding("AGENT-PRESENT");
        assertThat(old.status()).isEqualTo(FindingStatus.Fail);
        assertThat(old.message()).contains("Python 2.6 or later").contains("2.5");
    }

    @Test
    void hostileTreesDoNotBreakInspection(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir.resolve("guest"));
        // a host file just outside the guest root that would make the datasource check pass if a link escaped
        Files.writeString(
                dir.resolve("outside.cfg"),
                "datasource_list: [ Azure ]\ndatasource: {Azure: {apply_network_config: false}}\n");
        t.link("/etc/cloud/cloud.cfg.d/95-escape.cfg", "../../../../outside.cfg");
        t.link("/etc/cloud/cloud.cfg.d/96-abs.cfg", "/../outside.cfg");
        t.link("/etc/modprobe.d/loop.conf", "/etc/modprobe.d/loop.conf");
        t.link("/etc/default/grub.d/dir.cfg", "/");
        Files.write(t.root().resolve("etc/cloud/cloud.cfg.d/50-huge.cfg"), new byte[5 << 20]);
        ComplianceReport r = audit(t, PatchOptions.defaults(), Compliance.Facts.none());
        assertThat(r.findings()).hasSize(Requirements.ids().size());
        assertThat(r.finding("CLOUDINIT-DATASOURCE").status()).isEqualTo(FindingStatus.Fail);
        assertThat(r.finding("KERNEL-UDF").status()).isEqualTo(FindingStatus.Fail);
    }

    @Test
    void specializedImagesSkipDeprovisioning(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        ComplianceReport r = audit(
                t,
                PatchOptions.defaults().withImageKind(dev.linuximage.core.guest.ImageKind.Specialized),
                Compliance.Facts.none());
        assertThat(r.findings().stream().filter(f -> f.id().startsWith("DEPROVISION-")))
                .allMatch(f -> f.status() == FindingStatus.NotApplicable);
        assertThat(r.finding("WAAGENT-CLOUDINIT").evidence())
                .anySatisfy(e -> assertThat(e.value()).contains("Provisioning.Agent=auto (want disabled)"));
    }
}
