package dev.linuximage.core.format;

import dev.linuximage.core.cli.CoreCli;
import dev.linuximage.core.cli.ExitCodes;
import dev.linuximage.core.io.SparseFileWriter;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An OVA built with tar (OVF + streamOptimized VMDK + SHA256 manifest), read in place. */
class OvaTest {
    static final long SIZE = 4L << 20;

    static Path buildOva(Path dir, boolean tamperManifest) throws Exception {
        Path raw = Tools.rawDisk(dir, "src.raw", SIZE, 11);
        Tools.ok(dir, "qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized",
                raw.toString(), dir.resolve("disk1.vmdk").toString());
        String ovf = """
                <?xml version="1.0" encoding="UTF-8"?>
                <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
                          xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
                  <References>
                    <File ovf:id="file1" ovf:href="disk1.vmdk"/>
                  </References>
                  <DiskSection>
                    <Info>Virtual disk information</Info>
                    <Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="%d"
                          ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
                  </DiskSection>
                  <VirtualSystem ovf:id="vm"><Info>A VM</Info></VirtualSystem>
                </Envelope>
                """.formatted(SIZE);
        Files.writeString(dir.resolve("vm.ovf"), ovf);
        String sums = Tools.ok(dir, "sha256sum", "vm.ovf", "disk1.vmdk");
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
        Tools.ok(dir, "tar", "--format=ustar", "-cf", "vm.ova", "vm.ovf", "vm.mf", "disk1.vmdk");
        return dir.resolve("vm.ova");
    }

    @Test
    void readsTheDiskInPlaceAndVerifiesTheManifest() throws Exception {
        Path dir = Tools.scratch("ova");
        Path ova = buildOva(dir, false);
        Path ours = dir.resolve("ours.raw");
        try (DiskImage img = DiskImages.open(ova)) {
            assertThat(img.format()).isEqualTo("ova");
            assertThat(img.subformat()).isEqualTo("vmdk streamOptimized");
            assertThat(img.virtualSize()).isEqualTo(SIZE);
            SparseFileWriter.write(img.data(), ours, null);
        }
        Tools.ok(dir, "qemu-img", "compare", "-f", "raw", "-F", "raw", ours.toString(),
                dir.resolve("src.raw").toString());
        Path vhd = dir.resolve("out.vhd");
        assertThat(CoreCli.execute("convert", ova.toString(), vhd.toString(), "--quiet")).isZero();
        Tools.ok(dir, "qemu-img", "compare", "-f", "vpc", "-F", "raw", vhd.toString(),
                dir.resolve("src.raw").toString());
    }

    @Test
    void manifestMismatchIsRefused() throws Exception {
        Path dir = Tools.scratch("ova-bad");
        Path ova = buildOva(dir, true);
        assertThatThrownBy(() -> DiskImages.open(ova).close())
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("digest mismatch")
                .satisfies(e -> assertThat(((FormatException) e).exitCode()).isEqualTo(ExitCodes.BAD_INPUT));
        assertThat(CoreCli.execute("convert", ova.toString(), dir.resolve("x.vhd").toString(), "--quiet"))
                .isEqualTo(ExitCodes.BAD_INPUT);
        // explicitly disabled verification opens it
        try (DiskImage img = DiskImages.open(ova, null, new OpenOptions(false, OpenOptions.DEFAULT_MAX_VIRTUAL_SIZE))) {
            assertThat(img.warnings()).anyMatch(w -> w.contains("not verified"));
        }
    }
}
