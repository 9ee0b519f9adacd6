package dev.linuximage.core.fs.xfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Structures mkfs.xfs -p cannot make, written by the Linux kernel itself: the fixture is built by a loop mount in the
 * test (never by the product). A fragmented file with holes (btree data fork), unwritten (fallocated) extents, a
 * reflinked file, a remote (long) symlink.
 */
@Tag("oracle")
class XfsKernelWrittenOracleTest {
    @TempDir
    static Path shared;

    static Path img;
    static final String LONG_TARGET = "/" + "long-symlink-target/".repeat(40) + "end";
    static final String LABEL = "system_u:object_r:etc_t:s0";

    @TempDir
    Path tmp;

    @BeforeAll
    static void build() throws Exception {
        img = XfsFixture.build(shared, "kernel", 300, null);
        Path mnt = Files.createDirectories(shared.resolve("mnt"));
        Tools.run("mount", "-o", "loop", img.toString(), mnt.toString());
        try {
            for (int i = 0; i <= 60; i++) {
                Tools.run(
                        "xfs_io",
                        "-f",
                        "-c",
                        "pwrite -q " + (i * 8) + "k 4k",
                        mnt.resolve("frag.bin").toString());
            }
            Tools.run(
                    "xfs_io",
                    "-f",
                    "-c",
                    "falloc 0 1m",
                    "-c",
                    "pwrite -q 0 100",
                    mnt.resolve("unw.bin").toString());
            Tools.run(
                    "xfs_io",
                    "-f",
                    "-c",
                    "pwrite -q 0 64k",
                    mnt.resolve("shared.bin").toString());
            Tools.run(
                    "cp",
                    "--reflink=always",
                    mnt.resolve("shared.bin").toString(),
                    mnt.resolve("refl.bin").toString());
            Files.createSymbolicLink(mnt.resolve("longlink"), Path.of(LONG_TARGET));
            // like SELinux labels on RHEL: every inode carries an inline (local) attribute fork, di_forkoff != 0
            Path xd = Files.createDirectories(mnt.resolve("xattr-dir"));
            Path lf = Files.writeString(xd.resolve("labelled.conf"), "x\n");
            for (Path p : new Path[] {xd, lf}) {
                Files.getFileAttributeView(p, java.nio.file.attribute.UserDefinedFileAttributeView.class)
                        .write("label", java.nio.ByteBuffer.wrap(LABEL.getBytes()));
            }
        } finally {
            Tools.run("umount", mnt.toString());
        }
        assertThat(Tools.run("xfs_db", "-r", "-c", "path /frag.bin", "-c", "print core.format", img.toString())
                        .out())
                .contains("btree");
    }

    static FileSystem.Node node(FileSystem fs, String name) throws Exception {
        return fs.lookup(fs.root(), name).orElseThrow();
    }

    @Test
    void readsBtreeForksHolesUnwrittenExtentsAndRemoteSymlinks() throws Exception {
        byte[] frag = new byte[60 * 8192 + 4096];
        for (int i = 0; i <= 60; i++) {
            Arrays.fill(frag, i * 8192, i * 8192 + 4096, (byte) 0xcd); // xfs_io's default pattern
        }
        byte[] unw = new byte[1 << 20];
        Arrays.fill(unw, 0, 100, (byte) 0xcd);
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                XfsFileSystem fs = XfsFileSystem.open(src, false)) {
            assertThat(XfsFileSystemOracleTest.readAll(fs, node(fs, "frag.bin")))
                    .isEqualTo(frag)
                    .isEqualTo(XfsFileSystemOracleTest.oracleRead(img, "/frag.bin"));
            assertThat(XfsFileSystemOracleTest.readAll(fs, node(fs, "unw.bin"))).isEqualTo(unw);
            byte[] shared64k = new byte[65536];
            Arrays.fill(shared64k, (byte) 0xcd);
            assertThat(XfsFileSystemOracleTest.readAll(fs, node(fs, "refl.bin")))
                    .isEqualTo(shared64k);
            assertThat(node(fs, "longlink").type()).isEqualTo(GuestFiles.Type.SYMLINK);
            assertThat(fs.readLink(node(fs, "longlink"))).isEqualTo(LONG_TARGET);
        }
    }

    @Test
    void writesOnlyWhereSafe() throws Exception {
        Path copy = Files.copy(img, tmp.resolve("k.img"), StandardCopyOption.REPLACE_EXISTING);
        long fdBefore = XfsInodeChunkOracleTest.sb(copy).get("fdblocks");
        long fragBlocks = XfsInodeChunkOracleTest.num(
                Tools.run("xfs_db", "-r", "-c", "path /frag.bin", "-c", "print core.nblocks", copy.toString())
                        .out(),
                "core.nblocks");
        long unwBlocks = XfsInodeChunkOracleTest.num(
                Tools.run("xfs_db", "-r", "-c", "path /unw.bin", "-c", "print core.nblocks", copy.toString())
                        .out(),
                "core.nblocks");
        try (FileByteSource src = FileByteSource.openReadWrite(copy);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            assertThatThrownBy(() -> fs.replaceContent(node(fs, "refl.bin"), new byte[10]))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("reflinked");
            fs.replaceContent(node(fs, "frag.bin"), "fits in the first block\n".getBytes());
            fs.replaceContent(node(fs, "unw.bin"), "fits in the written block\n".getBytes());
        }
        Tools.Result r = Tools.exec("xfs_repair", "-n", "-f", copy.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        // written in place into the first block; everything past it is freed (the kernel's bmap btree blocks, its
        // other 60 extents, the fallocated unwritten extent): one extent each, an extent list in the inode again
        for (String f : new String[] {"/frag.bin", "/unw.bin"}) {
            assertThat(Tools.run(
                                    "xfs_db",
                                    "-r",
                                    "-c",
                                    "path " + f,
                                    "-c",
                                    "print core.format core.nextents " + "core.nblocks",
                                    copy.toString())
                            .out())
                    .contains("core.format = 2 (extents)")
                    .contains("core.nextents = 1")
                    .contains("core.nblocks = 1");
        }
        assertThat(XfsInodeChunkOracleTest.sb(copy).get("fdblocks"))
                .isEqualTo(fdBefore + fragBlocks - 1 + unwBlocks - 1);
        assertThat(new String(XfsFileSystemOracleTest.oracleRead(copy, "/frag.bin")))
                .isEqualTo("fits in the first block\n");
        assertThat(new String(XfsFileSystemOracleTest.oracleRead(copy, "/unw.bin")))
                .isEqualTo("fits in the written block\n");
        // content larger than the one block left goes to new extents; the old block is freed
        byte[] five = new byte[5000];
        Arrays.fill(five, (byte) 0x5a);
        byte[] eightK = new byte[8192];
        Arrays.fill(eightK, (byte) 0xa5);
        try (FileByteSource src = FileByteSource.openReadWrite(copy);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            fs.replaceContent(node(fs, "unw.bin"), five);
            fs.replaceContent(node(fs, "frag.bin"), eightK);
        }
        XfsFileSystemOracleTest.repairClean(copy);
        assertThat(Tools.run(
                                "xfs_db",
                                "-r",
                                "-c",
                                "path /frag.bin",
                                "-c",
                                "print core.format core.nextents",
                                copy.toString())
                        .out())
                .contains("core.format = 2 (extents)")
                .contains("core.nextents = 1");
        assertThat(XfsFileSystemOracleTest.oracleRead(copy, "/unw.bin")).isEqualTo(five);
        assertThat(XfsFileSystemOracleTest.oracleRead(copy, "/frag.bin")).isEqualTo(eightK);
    }

    @Test
    void unlinksOnlyWhereSafe() throws Exception {
        Path copy = Files.copy(img, tmp.resolve("u.img"), StandardCopyOption.REPLACE_EXISTING);
        try (FileByteSource src = FileByteSource.openReadWrite(copy);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            assertThatThrownBy(() -> fs.unlink(fs.root(), "refl.bin"))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("reflinked");
            fs.unlink(fs.root(), "frag.bin"); // a btree data fork: its extents and bmap btree blocks are freed
            fs.unlink(fs.root(), "unw.bin"); // written and unwritten extents go back to the free-space btrees
            fs.unlink(fs.root(), "longlink"); // a remote symlink block
            // the kernel's own free-space layout after its writes still takes our allocations
            fs.createFile(fs.root(), "after-kernel.cfg", 0644, 0, 0, new byte[20_000]);
        }
        XfsFileSystemOracleTest.repairClean(copy);
        assertThat(Tools.run("xfs_db", "-r", "-c", "ls /", copy.toString()).out())
                .doesNotContain("unw.bin")
                .doesNotContain("longlink")
                .doesNotContain("frag.bin")
                .contains("after-kernel.cfg")
                .contains("refl.bin");
    }

    @Test
    void createsAndUnlinksBesideInlineAttributeForks() throws Exception {
        Path copy = Files.copy(img, tmp.resolve("x.img"), StandardCopyOption.REPLACE_EXISTING);
        assertThat(Tools.run(
                                "xfs_db",
                                "-r",
                                "-c",
                                "path /xattr-dir",
                                "-c",
                                "print core.forkoff core.aformat",
                                copy.toString())
                        .out())
                .doesNotContain("core.forkoff = 0")
                .contains("local");
        try (FileByteSource src = FileByteSource.openReadWrite(copy);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            FileSystem.Node xd = node(fs, "xattr-dir");
            for (int i = 0; i < 25; i++) { // the short form outgrows its smaller data fork: block form
                fs.createFile(xd, "conf-" + i + ".conf", 0644, 0, 0, ("v" + i + "\n").getBytes());
            }
            fs.unlink(xd, "labelled.conf");
        }
        XfsFileSystemOracleTest.repairClean(copy);
        assertThat(Tools.run(
                                "xfs_db",
                                "-r",
                                "-c",
                                "path /xattr-dir",
                                "-c",
                                "print core.format core.aformat",
                                copy.toString())
                        .out())
                .contains("core.format = 2 (extents)")
                .contains("local");
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        Tools.run("mount", "-o", "loop", copy.toString(), mnt.toString());
        try {
            Path xd = mnt.resolve("xattr-dir");
            var view = Files.getFileAttributeView(xd, java.nio.file.attribute.UserDefinedFileAttributeView.class);
            java.nio.ByteBuffer v = java.nio.ByteBuffer.allocate(100);
            view.read("label", v);
            assertThat(new String(v.array(), 0, v.position())).isEqualTo(LABEL);
            assertThat(Files.readString(xd.resolve("conf-24.conf"))).isEqualTo("v24\n");
            assertThat(xd.resolve("labelled.conf")).doesNotExist();
        } finally {
            Tools.run("umount", mnt.toString());
        }
        XfsFileSystemOracleTest.repairClean(copy);
    }
}
