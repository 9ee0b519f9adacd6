package dev.linuximage.core.fs.fat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.LittleEndian;
import dev.linuximage.testsupport.Tools;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Tag("oracle")
class FatFileSystemOracleTest {
    @TempDir
    Path tmp;

    /** A FAT volume built by mkfs.vfat and populated by mtools (the oracle), FAT12/16/32 by size. */
    Path build(int fatBits, long sizeKiB) throws Exception {
        Path img = tmp.resolve("fat" + fatBits + ".img");
        Tools.run(
                "mkfs.vfat",
                "-C",
                "-F",
                String.valueOf(fatBits),
                "-s",
                "1",
                "-n",
                "ESPTEST",
                "-i",
                "1234ABCD",
                img.toString(),
                String.valueOf(sizeKiB));
        Path local = tmp.resolve("hello.txt");
        Files.writeString(local, "hello from mtools\n");
        Tools.run("mmd", "-i", img.toString(), "::/EFI", "::/EFI/debian", "::/a long directory name");
        Tools.run("mcopy", "-i", img.toString(), local.toString(), "::/EFI/debian/grub.cfg");
        Tools.run("mcopy", "-i", img.toString(), local.toString(), "::/a long directory name/Mixed Case File.Text");
        byte[] big = new byte[300_000];
        new Random(7).nextBytes(big);
        Files.write(tmp.resolve("big.bin"), big);
        Tools.run("mcopy", "-i", img.toString(), tmp.resolve("big.bin").toString(), "::/big.bin");
        return img;
    }

    static byte[] readAll(FileSystem fs, FileSystem.Node n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate((int) n.size());
        while (b.hasRemaining() && fs.read(n, b.position(), b) > 0) {
            // loop
        }
        return b.array();
    }

    static FileSystem.Node path(FileSystem fs, String... names) throws Exception {
        FileSystem.Node n = fs.root();
        for (String s : names) {
            n = fs.lookup(n, s).orElseThrow(() -> new AssertionError("missing " + s));
        }
        return n;
    }

    static void fsckClean(Path img) throws Exception {
        Tools.Result r = Tools.exec("fsck.vfat", "-n", img.toString());
        assertThat(r.exit()).as("fsck.vfat -n\n" + r.out() + r.err()).isZero();
        assertThat(r.out()).doesNotContain("Free cluster summary wrong").doesNotContain("differ");
    }

    @ParameterizedTest
    @ValueSource(ints = {12, 16, 32})
    void readsWhatMtoolsWrote(int bits) throws Exception {
        Path img = build(bits, bits == 32 ? 40_000 : bits == 16 ? 8_000 : 1_000);
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                FatFileSystem fs = FatFileSystem.open(src, false)) {
            assertThat(fs.fatBits()).isEqualTo(bits);
            assertThat(fs.uuid()).isEqualTo("1234-ABCD");
            assertThat(fs.label()).isEqualTo("ESPTEST");
            assertThat(new String(readAll(fs, path(fs, "EFI", "debian", "grub.cfg")), StandardCharsets.UTF_8))
                    .isEqualTo("hello from mtools\n");
            assertThat(new String(
                            readAll(fs, path(fs, "a long directory name", "Mixed Case File.Text")),
                            StandardCharsets.UTF_8))
                    .isEqualTo("hello from mtools\n");
            assertThat(readAll(fs, path(fs, "big.bin"))).isEqualTo(Files.readAllBytes(tmp.resolve("big.bin")));
            assertThat(fs.list(fs.root()))
                    .extracting(FileSystem.Entry::name)
                    .contains("EFI", "a long directory name", "big.bin");
            // case-insensitive lookup like the kernel's vfat
            assertThat(fs.lookup(fs.root(), "efi")).isPresent();
            String mdir = Tools.run("minfo", "-i", img.toString(), "::").out();
            long freeBytes = fs.freeBytes();
            assertThat(freeBytes).isPositive();
            assertThat(mdir).contains("sector size");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {12, 16, 32})
    void writesThatFsckAndMtoolsAccept(int bits) throws Exception {
        Path img = build(bits, bits == 32 ? 40_000 : bits == 16 ? 8_000 : 1_000);
        byte[] newBig = new byte[123_457];
        new Random(9).nextBytes(newBig);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                FatFileSystem fs = FatFileSystem.open(src, true)) {
            fs.replaceContent(path(fs, "EFI", "debian", "grub.cfg"), "set timeout=1\n".getBytes());
            fs.replaceContent(path(fs, "big.bin"), newBig);
            FileSystem.Node d = fs.mkdir(path(fs, "EFI"), "Microsoft Boot Directory", 0755, 0, 0);
            fs.createFile(d, "bootmgfw.efi.long-name", 0644, 0, 0, "efi".getBytes());
            fs.createFile(fs.root(), "STARTUP.NSH", 0644, 0, 0, "fs0:".getBytes());
            for (int i = 0; i < 40; i++) {
                // many long names with the same basis: ~N tails must stay unique, the directory must grow
                fs.createFile(
                        path(fs, "EFI", "debian"), "shimx64-variant-" + i + ".efi", 0644, 0, 0, ("v" + i).getBytes());
            }
            fs.unlink(path(fs, "a long directory name"), "Mixed Case File.Text");
            fs.unlink(fs.root(), "a long directory name");
            fs.rename(path(fs, "EFI", "debian"), "grub.cfg", path(fs, "EFI"), "grub-renamed.cfg");
            fs.setAttributes(path(fs, "STARTUP.NSH"), null, null, null, 1_700_000_000L);
            fs.mkdir(fs.root(), "Top Level Dir", 0755, 0, 0);
            // a directory moved across parents: its ".." must follow (fsck.vfat checks it)
            fs.rename(path(fs, "EFI"), "Microsoft Boot Directory", path(fs, "Top Level Dir"), "moved-dir");
            fs.rename(fs.root(), "STARTUP.NSH", fs.root(), "startup.nsh");
            fs.flush();
        }
        fsckClean(img);
        assertThat(Tools.run("mtype", "-i", img.toString(), "::/EFI/grub-renamed.cfg")
                        .out())
                .isEqualTo("set timeout=1\n");
        assertThat(Tools.run("mtype", "-i", img.toString(), "::/Top Level Dir/moved-dir/bootmgfw.efi.long-name")
                        .out())
                .isEqualTo("efi");
        assertThat(Tools.run("mdir", "-i", img.toString(), "::/EFI").out()).doesNotContain("Microsoft");
        assertThat(Tools.run("mtype", "-i", img.toString(), "::/EFI/debian/shimx64-variant-39.efi")
                        .out())
                .isEqualTo("v39");
        assertThat(Tools.run("mtype", "-i", img.toString(), "::/startup.nsh").out())
                .isEqualTo("fs0:");
        assertThat(Tools.run("mdir", "-i", img.toString(), "::/").out()).contains("startup.nsh");
        Path back = tmp.resolve("back.bin");
        Tools.run("mcopy", "-i", img.toString(), "::/big.bin", back.toString());
        assertThat(Files.readAllBytes(back)).isEqualTo(newBig);
        String root = Tools.run("mdir", "-i", img.toString(), "::/").out();
        assertThat(root).doesNotContain("a long directory name");
        assertThat(Tools.run("mdir", "-i", img.toString(), "::/startup.nsh").out())
                .contains("2023-11-14");
        // free-space accounting agrees with the oracle after re-opening
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                FatFileSystem fs = FatFileSystem.open(src, false)) {
            String minfo = Tools.run("mdir", "-i", img.toString(), "::/").out();
            long free = Long.parseLong(
                    minfo.replaceAll("(?s).*?([0-9 ]+) bytes free.*", "$1").replace(" ", ""));
            assertThat(fs.freeBytes()).isEqualTo(free);
            assertThatThrownBy(() -> fs.createFile(fs.root(), "x", 0644, 0, 0, new byte[1]))
                    .hasMessageContaining("read-only");
            assertThat(path(fs, "EFI", "debian", "shimx64-variant-0.efi").type())
                    .isEqualTo(GuestFiles.Type.FILE);
        }
    }

    @Test
    void refusesAFileLargerThanTheFreeSpaceWithoutCorruptingTheVolume() throws Exception {
        Path img = build(12, 1_000);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                FatFileSystem fs = FatFileSystem.open(src, true)) {
            assertThatThrownBy(() -> fs.createFile(fs.root(), "huge.bin", 0644, 0, 0, new byte[2_000_000]))
                    .hasMessageContaining("no space left");
        }
        fsckClean(img);
    }

    @Test
    void chainLoopIsATypedErrorNotAHang() throws Exception {
        Path img = build(16, 8_000);
        long entry;
        int firstCluster;
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                FatFileSystem fs = FatFileSystem.open(src, false)) {
            FileSystem.Node n = path(fs, "big.bin");
            entry = n.id();
            firstCluster = LittleEndian.u16(src.readBytes(entry, 32), 26);
        }
        // Point the second cluster of big.bin back at the first in FAT #1 (reserved sectors 4 for FAT16 mkfs).
        try (FileByteSource src = FileByteSource.openReadWrite(img)) {
            byte[] bs = src.readBytes(0, 512);
            long fatOff = LittleEndian.u16(bs, 14) * 512L;
            int second = LittleEndian.u16(src.readBytes(fatOff + firstCluster * 2L, 2), 0);
            src.write(fatOff + second * 2L, ByteBuffer.wrap(new byte[] {(byte) firstCluster, (byte) (firstCluster >> 8)
            }));
        }
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                FatFileSystem fs = FatFileSystem.open(src, false)) {
            FileSystem.Node n = path(fs, "big.bin");
            assertThatThrownBy(() -> readAll(fs, n)).hasMessageContaining("loops");
        }
    }
}
