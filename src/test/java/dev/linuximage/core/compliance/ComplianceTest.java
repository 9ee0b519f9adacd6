package dev.linuximage.core.compliance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.guest.ContainerFacts;
import dev.linuximage.core.guest.DiskFacts;
import dev.linuximage.core.guest.KernelFacts;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.guest.Provisioning;
import dev.linuximage.core.report.ComplianceReport;
import dev.linuximage.core.report.Finding;
import dev.linuximage.core.report.FindingStatus;
import dev.linuximage.core.report.ReportJson;
import dev.linuximage.core.report.ReportTable;
import dev.linuximage.testsupport.DirectoryGuestFiles;
import dev.linuximage.testsupport.GuestFixtures;
import dev.linuximage.testsupport.GuestTree;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComplianceTest {
    static final Instant NOW = Instant.parse("2026-11-22T00:00:00Z");
    static final DiskFacts GPT_BOTH = new DiskFacts(
            "GPT",
            true,
            true,
            true,
            true,
            false,
            List.of(),
            List.of(),
            new DiskFacts.GptFacts(true, "primary header LBA 1, backup header LBA 16777215", List.of(), true));
    static final ContainerFacts VHD = new ContainerFacts("vhd-fixed", 8L << 30, (8L << 30) + 512, null);

    static Map<String, Finding> byId(ComplianceReport r) {
        return r.findings().stream().collect(Collectors.toMap(Finding::id, Function.identity()));
    }

    static Compliance.Facts debianFacts() {
        KernelFacts k = new KernelFacts(
                GuestFixtures.DEBIAN_KERNEL,
                "/boot/initrd.img-" + GuestFixtures.DEBIAN_KERNEL,
                Set.of("ext4", "fat"),
                Set.of("hv_vmbus", "hv_storvsc", "hv_netvsc", "ext4"),
                true);
        return new Compliance.Facts(GPT_BOTH, VHD, g -> List.of(k), null);
    }

    @Test
    void auditOfAReadOnlyGuestNeverWrites(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        String before = t.digest();
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            ComplianceReport r = Compliance.audit(g, PatchOptions.defaults(), debianFacts(), "debian.qcow2", NOW);
            assertThat(g.mutations.get()).isZero();
            assertThat(r.mode()).isEqualTo("check");
            assertThat(r.findings()).extracting(Finding::id).containsExactlyElementsOf(Requirements.ids());
            assertThat(r.compliant()).isFalse();
        }
        assertThat(t.digest()).isEqualTo(before);
        try (DirectoryGuestFiles w = new DirectoryGuestFiles(t.root(), false)) {
            assertThatThrownBy(() -> Compliance.audit(w, PatchOptions.defaults(), debianFacts(), "x", NOW))
                    .hasMessageContaining("read-only");
        }
    }

    @Test
    void auditFindsWhatABuildVmLeavesBehind(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            Map<String, Finding> f = byId(Compliance.audit(g, PatchOptions.defaults(), debianFacts(), null, NOW));
            assertThat(f.get("DISK-FORMAT").status()).isEqualTo(FindingStatus.Pass);
            assertThat(f.get("BOOT-GENERATION").message()).contains("Gen1 and Gen2");
            assertThat(f.get("SWAP-OS-DISK").status()).isEqualTo(FindingStatus.Fail);
            assertThat(f.get("SWAP-OS-DISK").evidence())
                    .extracting(e -> e.file() + ":" + e.line())
                    .contains("/etc/fstab:4", "/etc/fstab:5", "/swapfile:null");
            assertThat(f.get("KERNEL-HV-DRIVERS").status()).isEqualTo(FindingStatus.Pass);
            assertThat(f.get("KERNEL-VFAT").status()).isEqualTo(FindingStatus.Pass);
            assertThat(f.get("KERNEL-UDF").status()).isEqualTo(FindingStatus.Fail);
            assertThat(f.get("KERNEL-UDF").evidence().get(0).line()).isEqualTo(3);
            assertThat(f.get("KERNEL-NUMA").status()).isEqualTo(FindingStatus.Pass);
            assertThat(f.get("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Fail);
            assertThat(f.get("CMDLINE-NOQUIET").status()).isEqualTo(FindingStatus.Fail);
            assertThat(f.get("SSH-SERVER").status()).isEqualTo(FindingStatus.Fail);
            assertThat(f.get("AGENT-PRESENT").status()).isEqualTo(FindingStatus.Pass);
            assertThat(f.get("WAAGENT-CLOUDINIT").status()).isEqualTo(FindingStatus.Fail);
            assertThat(f.get("WAAGENT-RESOURCEDISK").status()).isEqualTo(FindingStatus.NotApplicable);
            assertThat(f.get("CLOUDINIT-DATASOURCE").status()).isEqualTo(FindingStatus.Fail);
            assertThat(f.get("CLOUDINIT-MOUNTS").status()).isEqualTo(FindingStatus.Fail);
            assertThat(f.get("CLOUDINIT-SWAP").status()).isEqualTo(FindingStatus.NotApplicable);
            assertThat(f.get("CLOUDINIT-LOGGING").status()).isEqualTo(FindingStatus.Fail);
            assertThat(f.get("RESOURCE-SWAPFILE").status()).isEqualTo(FindingStatus.Fail);
            for (String id : List.of(
                    "DEPROVISION-AGENT-STATE",
                    "DEPROVISION-SSH-HOSTKEYS",
                    "DEPROVISION-USERS",
                    "DEPROVISION-MACHINE",
                    "DEPROVISION-SECRETS")) {
                assertThat(f.get(id).status()).as(id).isEqualTo(FindingStatus.Fail);
            }
            assertThat(f.get("DEPROVISION-SECRETS").evidence())
                    .extracting(e -> e.file())
                    .containsExactly("/home/builder/.ssh/id_ed25519");
            assertThat(f.get("NOAGENT-REPORT-READY").status()).isEqualTo(FindingStatus.NotApplicable);
        }
    }

    @Test
    void prepareRepairsAndASecondPrepareChangesNothing(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        PatchOptions o = PatchOptions.defaults().withRemoveUsers(List.of("builder"));
        ComplianceReport first;
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            Compliance.Outcome out = Compliance.prepare(g, o, debianFacts(), "debian.qcow2", NOW);
            first = out.report();
            assertThat(out.changes()).isNotEmpty();
        }
        Map<String, Finding> f = byId(first);
        assertThat(first.errors()).isEmpty();
        for (String id : List.of(
                "SWAP-OS-DISK",
                "KERNEL-UDF",
                "CMDLINE-CONSOLE",
                "CMDLINE-NOQUIET",
                "SSH-SERVER",
                "WAAGENT-CLOUDINIT",
                "CLOUDINIT-DATASOURCE",
                "CLOUDINIT-MOUNTS",
                "CLOUDINIT-LOGGING",
                "RESOURCE-SWAPFILE",
                "DEPROVISION-AGENT-STATE",
                "DEPROVISION-SSH-HOSTKEYS",
                "DEPROVISION-USERS",
                "DEPROVISION-MACHINE",
                "DEPROVISION-SECRETS")) {
            assertThat(f.get(id).status()).as(id + ": " + f.get(id)).isEqualTo(FindingStatus.Fixed);
            assertThat(f.get(id).repair()).as(id).isNotBlank();
        }
        assertThat(f.get("CMDLINE-NOQUIET").repair()).contains("/boot/grub/grub.cfg");
        assertThat(first.compliant()).isTrue();
        assertThat(first.summary().attention()).allMatch(x -> x.status() == FindingStatus.Fixed);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            Compliance.Outcome again = Compliance.prepare(g, o, debianFacts(), "debian.qcow2", NOW);
            assertThat(again.changes()).isEmpty();
            assertThat(again.report().findings())
                    .noneMatch(x -> x.status() == FindingStatus.Fixed || x.status() == FindingStatus.Fail);
        }
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            ComplianceReport audit = Compliance.audit(g, o, debianFacts(), null, NOW);
            assertThat(audit.compliant()).isTrue();
            assertThat(audit.findings()).noneMatch(x -> x.status() == FindingStatus.Fail);
        }
    }

    @Test
    void rhel8WithWaagentPrepare(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel8(dir);
        KernelFacts hostOnly = new KernelFacts(
                GuestFixtures.RHEL8_KERNEL,
                "/boot/initramfs-" + GuestFixtures.RHEL8_KERNEL + ".img",
                Set.of("vfat"),
                Set.of("xfs", "dm_mod"),
                true);
        DiskFacts lvm = new DiskFacts("MBR", true, false, false, false, true, List.of());
        PatchOptions o = PatchOptions.defaults().withProvisioning(Provisioning.WALinuxAgent);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            Compliance.Facts facts = new Compliance.Facts(lvm, null, x -> List.of(hostOnly), null);
            ComplianceReport r = Compliance.prepare(g, o, facts, null, NOW).report();
            Map<String, Finding> f = byId(r);
            assertThat(f.get("KERNEL-HV-DRIVERS").status()).isEqualTo(FindingStatus.Fail);
            assertThat(f.get("KERNEL-HV-DRIVERS").repair()).contains("dracut");
            assertThat(f.get("PART-LVM").status()).isEqualTo(FindingStatus.Warn);
            assertThat(f.get("BOOT-GENERATION").message()).contains("Gen1 only");
            assertThat(f.get("DISK-FORMAT").status()).isEqualTo(FindingStatus.Unknown);
            assertThat(f.get("AGENT-NETWORKMANAGER").status()).isEqualTo(FindingStatus.Warn);
            assertThat(f.get("AGENT-PRESENT").status()).isEqualTo(FindingStatus.Fixed);
            assertThat(f.get("WAAGENT-RESOURCEDISK").status()).isEqualTo(FindingStatus.Fixed);
            assertThat(f.get("CMDLINE-CONSOLE").status()).isEqualTo(FindingStatus.Fixed);
            assertThat(f.get("CMDLINE-NOQUIET").status()).isEqualTo(FindingStatus.Fixed);
            assertThat(f.get("SWAP-OS-DISK").status()).isEqualTo(FindingStatus.Fixed);
            assertThat(f.get("KERNEL-UDF").status()).isEqualTo(FindingStatus.Pass);
            assertThat(f.get("CLOUDINIT-DATASOURCE").status()).isEqualTo(FindingStatus.NotApplicable);
            assertThat(r.compliant()).isFalse();
        }
        // the HV repair hook, once wired, turns the failure into Fixed (facts re-read after patching)
        GuestTree t2 = GuestFixtures.rhel8(dir.resolve("second"));
        boolean[] repaired = {false};
        Compliance.Facts facts = new Compliance.Facts(
                null,
                null,
                g -> List.of(
                        repaired[0]
                                ? new KernelFacts(
                                        hostOnly.version(),
                                        hostOnly.initramfsPath(),
                                        Set.of(),
                                        Set.of("hv_vmbus", "hv_storvsc", "hv_netvsc"),
                                        true)
                                : hostOnly),
                (g, v, m) -> {
                    repaired[0] = true;
                    return "initramfs rebuilt with " + m;
                });
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t2.root(), false)) {
            Finding hv = Compliance.prepare(g, o, facts, null, NOW).report().finding("KERNEL-HV-DRIVERS");
            assertThat(hv.status()).isEqualTo(FindingStatus.Fixed);
            assertThat(hv.repair()).contains("/boot/initramfs-" + GuestFixtures.RHEL8_KERNEL + ".img");
        }
    }

    @Test
    void agentLessPrepare(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        PatchOptions o = PatchOptions.defaults().withProvisioning(Provisioning.None);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), false)) {
            Map<String, Finding> f =
                    byId(Compliance.prepare(g, o, debianFacts(), null, NOW).report());
            // the installer's "iface enp1s0 inet dhcp" never applies under net.ifnames=0: re-keyed to eth0
            assertThat(f.get("NOAGENT-DHCP").status()).isEqualTo(FindingStatus.Fixed);
            assertThat(f.get("NOAGENT-DHCP").repair()).contains("/etc/network/interfaces");
            assertThat(f.get("NOAGENT-REPORT-READY").status()).isEqualTo(FindingStatus.Fixed);
            assertThat(f.get("NOAGENT-NO-WAAGENT").status()).isEqualTo(FindingStatus.Fixed);
            // cloud-init stays enabled in this fixture: both would report ready
            assertThat(f.get("AGENT-PRESENT").status()).isEqualTo(FindingStatus.Warn);
            assertThat(f.get("CLOUDINIT-MOUNTS").status()).isEqualTo(FindingStatus.NotApplicable);
        }
    }

    @Test
    void goldenJsonReportOfTheDebianAudit(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.debian(dir);
        String json;
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            json = ReportJson.toJson(
                    Compliance.audit(g, PatchOptions.defaults(), debianFacts(), "builds/debian.qcow2", NOW));
        }
        Path golden = Path.of("src/test/resources/dev/linuximage/core/compliance/debian-check-report.json");
        if (Boolean.getBoolean("golden.update")) {
            Files.createDirectories(golden.getParent());
            Files.writeString(golden, json);
        }
        assertThat(json).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
    }

    @Test
    void emitWritesTheJsonAndMapsTheExitCode(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel9(dir.resolve("g"));
        ComplianceReport r;
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            r = Compliance.audit(g, PatchOptions.defaults(), Compliance.Facts.none(), null, NOW);
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        Path json = dir.resolve("report.json");
        int code = dev.linuximage.core.report.ReportOutput.emit(
                r, json, new java.io.PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(dev.linuximage.core.report.ExitCodes.NOT_COMPLIANT);
        // RHEL's os-release says ID=rhel (os-release(5)); the family is what the status' OS column shows
        assertThat(r.guest().family()).isEqualTo("redhat");
        assertThat(Files.readString(json)).isEqualTo(ReportJson.toJson(r));
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("NOT COMPLIANT");
        assertThat(dir.resolve("report.json.tmp")).doesNotExist();
    }

    @Test
    void tableIsReadable(@TempDir Path dir) throws Exception {
        GuestTree t = GuestFixtures.rhel9(dir);
        try (DirectoryGuestFiles g = new DirectoryGuestFiles(t.root(), true)) {
            ComplianceReport r = Compliance.audit(g, PatchOptions.defaults(), Compliance.Facts.none(), null, NOW);
            String table = ReportTable.render(r, 120);
            assertThat(table)
                    .startsWith(
                            "Red Hat Enterprise Linux 9.4 (Plow) | Generalized, CloudInit | generations: unknown\n");
            assertThat(table).contains("CMDLINE-NOQUIET").contains("NOT COMPLIANT");
            assertThat(table.lines()).allMatch(l -> l.length() <= 120);
            assertThat(r.finding("KERNEL-HV-DRIVERS").status()).isEqualTo(FindingStatus.Unknown);
        }
    }
}
