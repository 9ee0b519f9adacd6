package dev.linuximage.core.fs.fat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large file on an EFI system partition (a UKI or an initramfs kept on the ESP: 12 MiB grown to 80 MiB, then
 * shrunk) on a 256 MiB FAT32 volume made by mkfs.vfat. Oracles: fsck.vfat -n clean, mtools reads the bytes back.
 */
@Tag("oracle")
class FatLargeFileOracleTest {
    static final int MIB = 1 << 20;

    @TempDir
    Path tmp;

    @Test
    void growsA12MiBFileTo80MiBAndBackOnFat32() throws Exception {
        Path img = tmp.resolve("esp.img");
        Tools.run("mkfs.vfat", "-C", "-F", "32", "-n", "ESP", img.toString(), String.valueOf(256 * 1024));
        byte[] old = new byte[12 * MIB + 4321];
        new Random(7).nextBytes(old);
        Tools.run("mmd", "-i", img.toString(), "::/EFI", "::/EFI/Linux");
        Tools.run(
                "mcopy",
                "-i",
                img.toString(),
                Files.write(tmp.resolve("old"), old).toString(),
                "::/EFI/Linux/linux-6.1.0.efi");
        Tools.run(
                "mcopy",
                "-i",
                img.toString(),
                Files.writeString(tmp.resolve("cfg"), "timeout 3\n").toString(),
                "::/EFI/Linux/loader.conf");
        FatFileSystemOracleTest.fsckClean(img);
        byte[] big = new byte[80 * MIB + 777];
        new Random(8).nextBytes(big);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                FatFileSystem fs = FatFileSystem.open(src, true)) {
            fs.replaceContent(FatFileSystemOracleTest.path(fs, "EFI", "Linux", "linux-6.1.0.efi"), big);
        }
        FatFileSystemOracleTest.fsckClean(img);
        Path back = tmp.resolve("back");
        Tools.run("mcopy", "-n", "-i", img.toString(), "::/EFI/Linux/linux-6.1.0.efi", back.toString());
        assertThat(Files.mismatch(back, Files.write(tmp.resolve("want"), big))).isEqualTo(-1L);
        byte[] small = new byte[5 * MIB + 3];
        new Random(9).nextBytes(small);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                FatFileSystem fs = FatFileSystem.open(src, true)) {
            fs.replaceContent(FatFileSystemOracleTest.path(fs, "EFI", "Linux", "linux-6.1.0.efi"), small);
        }
        FatFileSystemOracleTest.fsckClean(img);
        Files.delete(back);
        Tools.run("mcopy", "-n", "-i", img.toString(), "::/EFI/Linux/linux-6.1.0.efi", back.toString());
        assertThat(Files.readAllBytes(back)).isEqualTo(small);
        assertThat(Tools.run("mtype", "-i", img.toString(), "::/EFI/Linux/loader.conf")
                        .out())
                .isEqualTo("timeout 3\n");
    }
}
