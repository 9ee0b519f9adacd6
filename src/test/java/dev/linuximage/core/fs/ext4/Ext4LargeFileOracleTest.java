package dev.linuximage.core.fs.ext4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.Ext4Oracle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A /boot initramfs rewritten with drivers at the sizes real ones have (12 MiB grown to 80 MiB, then shrunk) on a
 * 1 GiB ext4 made by mke2fs with its defaults. Oracles: e2fsck -fn clean, debugfs reads the bytes back equal.
 */
@Tag("oracle")
class Ext4LargeFileOracleTest {
    static final int MIB = 1 << 20;

    @TempDir
    Path tmp;

    @Test
    void growsA12MiBInitramfsTo80MiBAndBack() throws Exception {
        Path tree = Files.createDirectories(tmp.resolve("tree"));
        byte[] old = new byte[12 * MIB + 4321];
        new Random(7).nextBytes(old);
        Files.write(tree.resolve("initrd.img-6.1.0-amd64"), old);
        Files.writeString(tree.resolve("config-6.1.0-amd64"), "CONFIG_HYPERV=m\n");
        Path img = tmp.resolve("boot.img");
        Ext4Oracle.mkfs(img, "1G", tree, "-t", "ext4", "-L", "boot");
        Ext4Oracle.assertClean(img);
        byte[] big = new byte[80 * MIB + 777];
        new Random(8).nextBytes(big);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            FileSystem.Node n = fs.lookup(fs.root(), "initrd.img-6.1.0-amd64").orElseThrow();
            fs.replaceContent(n, big);
        }
        Ext4Oracle.assertClean(img);
        assertThat(Arrays.equals(Ext4Oracle.read(img, "/initrd.img-6.1.0-amd64"), big))
                .isTrue();
        assertThat(Ext4Oracle.stat(img, "/initrd.img-6.1.0-amd64").size()).isEqualTo(big.length);
        byte[] small = new byte[5 * MIB + 3];
        new Random(9).nextBytes(small);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            fs.replaceContent(fs.lookup(fs.root(), "initrd.img-6.1.0-amd64").orElseThrow(), small);
        }
        Ext4Oracle.assertClean(img);
        assertThat(Arrays.equals(Ext4Oracle.read(img, "/initrd.img-6.1.0-amd64"), small))
                .isTrue();
        assertThat(new String(Ext4Oracle.read(img, "/config-6.1.0-amd64"))).isEqualTo("CONFIG_HYPERV=m\n");
    }
}
