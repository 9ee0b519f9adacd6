package dev.linuximage.core.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.core.io.SparseFileWriter;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** An OVA built with tar (OVF + streamOptimized VMDK + SHA256 manifest), read in place. */
@Tag("oracle")
class OvaOracleTest {
    static final long SIZE = 4L << 20;

    static Path buildOva(Path dir, boolean tamperManifest) throws Exception {
        return buildOva(dir, tamperManifest, 1);
    }

    /** An OVA of {@code disks} streamOptimized VMDKs {@code diskN.vmdk} made from {@code srcN.raw} (N from 1). */
    static Path buildOva(Path dir, boolean tamperManifest, int disks) throws Exception {
        StringBuilder files = new StringBuilder();
        StringBuilder section = new StringBuilder();
        String[] members = new String[disks + 2];
        members[0] = "vm.ovf";
        members[1] = "vm.mf";
        for (int n = 1; n <= disks; n++) {
            String src = n == 1 ? "src.raw" : "src" + n + ".raw";
            Path raw = DiskFiles.rawDisk(dir, src, SIZE, 10 + n);
            DiskFiles.qemuConvert(
                    raw, "raw", dir.resolve("disk" + n + ".vmdk"), "vmdk", "-o", "subformat=streamOptimized");
            files.append("    <File ovf:id=\"file%d\" ovf:href=\"disk%d.vmdk\"/>%n".formatted(n, n));
            section.append(("    <Disk ovf:diskId=\"vmdisk%d\" ovf:fileRef=\"file%d\" ovf:capacity=\"%d\""
                            + " ovf:format=\"http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized\"/>%n")
                    .formatted(n, n, SIZE));
            members[n + 1] = "disk" + n + ".vmdk";
        }
        String ovf = """
                <?xml version="1.0" encoding="UTF-8"?>
                <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
                          xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
                  <References>
                %s  </References>
                  <DiskSection>
                    <Info>Virtual disk information</Info>
                %s  </DiskSection>
                  <VirtualSystem ovf:id="vm"><Info>A VM</Info></VirtualSystem>
                </Envelope>
                """.formatted(files, section);
        Files.writeString(dir.resolve("vm.ovf"), ovf);
        List<String> sumArgs = new ArrayList<>(List.of("sha256sum", "vm.ovf"));
        sumArgs.addAll(List.of(members).subList(2, members.length));
        String sums = Tools.command(sumArgs.toArray(String[]::new))
                .dir(dir)
                .mergeStderr()
                .run()
                .out();
        StringBuilder mf = new StringBuilder();
        for (String line : sums.split("\n")) {
            String[] p = line.trim().split("\\s+");
            String digest = p[0];
            if (tamperManifest && p[1].equals("disk1.vmdk")) {
                digest = (digest.charAt(0) == '0' ? "1" : "0") + digest.substring(1);
            }
            mf.append("SHA256(").append(p[1]).append(")= ").append(digest).append('\n');
        }
        Files.writeString(dir.resolve("vm.mf"), mf.toString(), StandardCharsets.US_ASCII);
        List<String> tar = new ArrayList<>(List.of("tar", "--format=ustar", "-cf", "vm.ova"));
        tar.addAll(List.of(members));
        Tools.command(tar.toArray(String[]::new)).dir(dir).mergeStderr().run();
        return dir.resolve("vm.ova");
    }

    @Test
    void readsTheDiskInPlaceAndVerifiesTheManifest() throws Exception {
        Path dir = Tools.scratch("format-tests", "ova");
        Path ova = buildOva(dir, false);
        Path ours = dir.resolve("ours.raw");
        try (DiskImage img = DiskImages.open(ova)) {
            assertThat(img.format()).isEqualTo("ova");
            assertThat(img.subformat()).isEqualTo("vmdk streamOptimized");
            assertThat(img.virtualSize()).isEqualTo(SIZE);
            SparseFileWriter.write(img.data(), ours, null);
        }
        DiskFiles.qemuCompare(ours, "raw", dir.resolve("src.raw"), "raw");
        Path vhd = dir.resolve("out.vhd");
        assertThat(CoreCli.execute("convert", ova.toString(), vhd.toString(), "--quiet"))
                .isZero();
        DiskFiles.qemuCompare(vhd, "vpc", dir.resolve("src.raw"), "raw");
    }

    @Test
    void manifestMismatchIsRefused() throws Exception {
        Path dir = Tools.scratch("format-tests", "ova-bad");
        Path ova = buildOva(dir, true);
        assertThatThrownBy(() -> DiskImages.open(ova).close())
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("digest mismatch")
                .satisfies(e -> assertThat(((FormatException) e).exitCode()).isEqualTo(ExitCodes.BAD_INPUT));
        assertThat(CoreCli.execute(
                        "convert", ova.toString(), dir.resolve("x.vhd").toString(), "--quiet"))
                .isEqualTo(ExitCodes.BAD_INPUT);
        // explicitly disabled verification opens it
        try (DiskImage img = DiskImages.open(ova, null, new OpenOptions(false, OpenOptions.DEFAULT_MAX_VIRTUAL_SIZE))) {
            assertThat(img.warnings()).anyMatch(w -> w.contains("not verified"));
        }
    }

    @Test
    void aDiskOtherThanTheFirstIsChosenByPositionIdOrFileName() throws Exception {
        Path dir = Tools.scratch("format-tests", "ova-two");
        Path ova = buildOva(dir, false, 2);
        Path ours = dir.resolve("first.raw");
        try (DiskImage img = DiskImages.open(ova)) {
            assertThat(img.warnings())
                    .anyMatch(w -> w.contains("OVA has 2 disks")
                            && w.contains("#2 vmdisk2=disk2.vmdk")
                            && w.contains("using #1 vmdisk1=disk1.vmdk")
                            && w.contains("--ova-disk"));
            SparseFileWriter.write(img.data(), ours, null);
        }
        DiskFiles.qemuCompare(ours, "raw", dir.resolve("src.raw"), "raw");
        for (String choice : new String[] {"2", "vmdisk2", "disk2.vmdk"}) {
            Path second = dir.resolve("second-" + choice + ".raw");
            try (DiskImage img =
                    DiskImages.open(ova, null, OpenOptions.defaults().withOvaDisk(choice))) {
                assertThat(img.warnings()).anyMatch(w -> w.contains("using #2 vmdisk2=disk2.vmdk"));
                SparseFileWriter.write(img.data(), second, null);
            }
            DiskFiles.qemuCompare(second, "raw", dir.resolve("src2.raw"), "raw");
        }
        assertThatThrownBy(
                        () -> DiskImages.open(ova, null, OpenOptions.defaults().withOvaDisk("3"))
                                .close())
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("--ova-disk")
                .hasMessageContaining("#1 vmdisk1=disk1.vmdk");
        Path vhd = dir.resolve("second.vhd");
        assertThat(CoreCli.execute("convert", ova.toString(), vhd.toString(), "--ova-disk", "vmdisk2", "--quiet"))
                .isZero();
        DiskFiles.qemuCompare(vhd, "vpc", dir.resolve("src2.raw"), "raw");
        assertThat(CoreCli.execute(
                        "convert", ova.toString(), dir.resolve("x.vhd").toString(), "--ova-disk", "nope", "--quiet"))
                .isEqualTo(ExitCodes.BAD_INPUT);
    }
}
