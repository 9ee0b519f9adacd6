package dev.linuximage.core.upload;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.testsupport.TestVhds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("oracle")
class FixedVhdCheckOracleTest {
    @Test
    void acceptsQemuImgFixedVhdAndRejectsDamage(@TempDir Path dir) throws Exception {
        Path vhd = dir.resolve("q.vhd");
        // oracle: qemu-img's own fixed VHD (force_size keeps the size exact)
        Process p = new ProcessBuilder(
                        "qemu-img", "create", "-f", "vpc", "-o", "subformat=fixed,force_size=on", vhd.toString(), "2M")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new AssertionError("qemu-img failed (is qemu-utils installed?): " + out);
        }
        try (var src = dev.linuximage.core.io.FileByteSource.openReadOnly(vhd)) {
            assertThatCode(() -> FixedVhdCheck.check(src, "q.vhd")).doesNotThrowAnyException();
        }
        byte[] b = Files.readAllBytes(vhd);
        byte[] badSum = Arrays.copyOf(b, b.length);
        badSum[b.length - 512 + 70] ^= 1;
        Files.write(dir.resolve("s.vhd"), badSum);
        try (var src = dev.linuximage.core.io.FileByteSource.openReadOnly(dir.resolve("s.vhd"))) {
            assertThatThrownBy(() -> FixedVhdCheck.check(src, "s.vhd")).hasMessageContaining("checksum");
        }
        byte[] dynamic = Arrays.copyOf(b, b.length);
        dynamic[b.length - 512 + 63] = 3;
        Files.write(dir.resolve("d.vhd"), dynamic);
        try (var src = dev.linuximage.core.io.FileByteSource.openReadOnly(dir.resolve("d.vhd"))) {
            assertThatThrownBy(() -> FixedVhdCheck.check(src, "d.vhd")).hasMessageContaining("disk type is 3");
        }
        Path ours = TestVhds.zero(3).writeTo(dir.resolve("t.vhd"));
        try (var src = dev.linuximage.core.io.FileByteSource.openReadOnly(ours)) {
            assertThatCode(() -> FixedVhdCheck.check(src, "t.vhd")).doesNotThrowAnyException();
        }
    }
}
