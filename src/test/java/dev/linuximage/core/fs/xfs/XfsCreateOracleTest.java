package dev.linuximage.core.fs.xfs;

import static dev.linuximage.core.fs.xfs.XfsFileSystemOracleTest.oracleRead;
import static dev.linuximage.core.fs.xfs.XfsFileSystemOracleTest.path;
import static dev.linuximage.core.fs.xfs.XfsFileSystemOracleTest.readAll;
import static dev.linuximage.core.fs.xfs.XfsFileSystemOracleTest.repairClean;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Creating files, symlinks and directories on XFS v5 through the {@link FileSystem} API, judged by the real tools:
 * {@code xfs_repair -n} must be clean (exit 0) after every scenario and {@code xfs_db} must read the new names,
 * inode fields and bytes back; refusals must leave the image byte-identical.
 */
@Tag("oracle")
class XfsCreateOracleTest {
    static final String AZURE_CFG = "datasource_list: [ Azure ]\nreporting:\n  logging:\n    type: log\n";
    static final String LONG_TARGET = "/" + "a-long-symlink-target-component/".repeat(20) + "end";

    @TempDir
    Path tmp;

    static String sha(Path img) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(img)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String db(Path img, String... cmds) throws Exception {
        List<String> c = new ArrayList<>(List.of("xfs_db", "-r"));
        for (String s : cmds) {
            c.add("-c");
            c.add(s);
        }
        c.add(img.toString());
        return Tools.run(c.toArray(new String[0])).out();
    }

    static String text(FileSystem fs, FileSystem.Node n) throws Exception {
        return new String(readAll(fs, n), StandardCharsets.UTF_8);
    }

    /** The product's scenario on one image; returns the 200 kB payload written to /etc/block/payload.bin. */
    static byte[] createEverything(Path img) throws Exception {
        byte[] payload = new byte[200_000];
        new Random(7).nextBytes(payload);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            FileSystem.Node etc = path(fs, "etc");
            FileSystem.Node cfg = fs.mkdir(etc, "cloud.cfg.d", 0755, 0, 0);
            assertThat(cfg.type()).isEqualTo(GuestFiles.Type.DIRECTORY);
            assertThat(cfg.links()).isEqualTo(2);
            FileSystem.Node f =
                    fs.createFile(cfg, "91-azure.cfg", 0644, 0, 0, AZURE_CFG.getBytes(StandardCharsets.UTF_8));
            assertThat(f.size()).isEqualTo(AZURE_CFG.length());
            fs.createFile(etc, "empty.conf", 0600, 7, 8, new byte[0]);
            fs.symlink(etc, "localtime", "/usr/share/zoneinfo/UTC", 0, 0);
            fs.symlink(etc, "long-link", LONG_TARGET, 0, 0);
            FileSystem.Node block = path(fs, "etc", "block");
            fs.createFile(block, "payload.bin", 0600, 1000, 1000, payload);
            fs.symlink(block, "hv-kvp.service", "/usr/lib/systemd/system/hv-kvp.service", 0, 0);
            // a fresh short-form directory grows past the inode literal area: it becomes a block directory
            FileSystem.Node wants = fs.mkdir(etc, "multi-user.target.wants", 0755, 0, 0);
            for (int i = 0; i < 30; i++) {
                fs.symlink(
                        wants, "unit-number-" + i + ".service", "/usr/lib/systemd/system/unit-" + i + ".service", 0, 0);
            }
            fs.flush();
            // our reader sees it all in the same session
            assertThat(text(fs, path(fs, "etc", "cloud.cfg.d", "91-azure.cfg"))).isEqualTo(AZURE_CFG);
            assertThat(fs.list(path(fs, "etc", "multi-user.target.wants"))).hasSize(30);
            assertThat(path(fs, "etc").links()).isEqualTo(6); // 2 + subdirectories default, block, cloud.cfg.d, wants
            assertThatThrownBy(() -> fs.createFile(etc, "empty.conf", 0644, 0, 0, new byte[1]))
                    .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        }
        return payload;
    }

    static void verifyEverything(Path img, byte[] payload) throws Exception {
        repairClean(img);
        assertThat(db(img, "ls /etc/cloud.cfg.d")).contains("91-azure.cfg");
        assertThat(db(img, "ls /etc"))
                .contains("empty.conf")
                .contains("localtime")
                .contains("long-link")
                .contains("multi-user.target.wants")
                .contains("os-release");
        assertThat(db(img, "ls /etc/block"))
                .contains("payload.bin")
                .contains("hv-kvp.service")
                .contains("file-in-block-dir-39");
        assertThat(db(img, "path /etc/multi-user.target.wants", "print core.format"))
                .contains("extents");
        assertThat(db(img, "ls /etc/multi-user.target.wants"))
                .contains("unit-number-0.service")
                .contains("unit-number-29.service");
        assertThat(new String(oracleRead(img, "/etc/cloud.cfg.d/91-azure.cfg"), StandardCharsets.UTF_8))
                .isEqualTo(AZURE_CFG);
        assertThat(oracleRead(img, "/etc/block/payload.bin")).isEqualTo(payload);
        assertThat(db(img, "path /etc/empty.conf", "print core.mode core.uid core.gid core.size"))
                .contains("core.mode = 0100600")
                .contains("core.uid = 7")
                .contains("core.gid = 8")
                .contains("core.size = 0");
        assertThat(db(img, "path /etc/localtime", "print core.format core.size"))
                .contains("local")
                .contains("core.size = 23");
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                XfsFileSystem fs = XfsFileSystem.open(src, false)) {
            assertThat(text(fs, path(fs, "etc", "cloud.cfg.d", "91-azure.cfg"))).isEqualTo(AZURE_CFG);
            assertThat(readAll(fs, path(fs, "etc", "block", "payload.bin"))).isEqualTo(payload);
            assertThat(fs.readLink(path(fs, "etc", "localtime"))).isEqualTo("/usr/share/zoneinfo/UTC");
            assertThat(fs.readLink(path(fs, "etc", "long-link"))).isEqualTo(LONG_TARGET);
            assertThat(fs.readLink(path(fs, "etc", "multi-user.target.wants", "unit-number-17.service")))
                    .isEqualTo("/usr/lib/systemd/system/unit-17.service");
            assertThat(fs.list(path(fs, "etc", "block"))).hasSize(42);
            assertThat(text(fs, path(fs, "etc", "block", "file-in-block-dir-3")))
                    .isEqualTo("hello xfs\n");
        }
    }

    @Test
    void createsInShortFormAndBlockDirectoriesWithDefaultFeatures() throws Exception {
        Path img = XfsFixture.build(tmp, "dflt", 300, null);
        String feats = db(img, "sb 0", "print features_ro_compat features_incompat");
        assertThat(db(img, "path /etc", "print core.format")).contains("local");
        assertThat(db(img, "path /etc/block", "print core.format core.size"))
                .contains("extents")
                .contains("core.size = 4096");
        long freeBefore;
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                XfsFileSystem fs = XfsFileSystem.open(src, false)) {
            freeBefore = fs.freeBytes();
        }
        long icountBefore = XfsInodeChunkOracleTest.sb(img).get("icount");
        byte[] payload = createEverything(img);
        verifyEverything(img, payload);
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                XfsFileSystem fs = XfsFileSystem.open(src, false)) {
            // payload 49 blocks + config 1 + remote link 1 + the converted directory's block 1, plus 8 blocks (64
            // inodes of 512 bytes) for each inode chunk allocated: like the kernel's xfs_dialloc, a new chunk goes
            // into the parent's AG when it has no free inode, before free inodes of other AGs are used
            long chunks = (XfsInodeChunkOracleTest.sb(img).get("icount") - icountBefore) / 64;
            assertThat(freeBefore - fs.freeBytes()).isEqualTo((52L + 8 * chunks) * 4096);
        }
        assertThat(feats).as("mkfs defaults include finobt and reflink").contains("features_ro_compat = 0xd");
    }

    @Test
    void createsWithoutFinobtReflinkSparseInodesOrBigtime() throws Exception {
        Path img = XfsFixture.build(
                tmp,
                "old",
                300,
                null,
                null,
                List.of("-m", "finobt=0,reflink=0,bigtime=0,inobtcount=0", "-i", "sparse=0"));
        assertThat(db(img, "sb 0", "print features_ro_compat")).contains("features_ro_compat = 0");
        byte[] payload = createEverything(img);
        verifyEverything(img, payload);
    }

    @Test
    void createsWithEightKiBDirectoryBlocksAndOneKiBFsBlocks() throws Exception {
        Path img = XfsFixture.build(tmp, "geo", 300, null, null, List.of("-b", "size=1024", "-n", "size=8192"));
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            FileSystem.Node block = path(fs, "etc", "block");
            fs.createFile(block, "x.cfg", 0644, 0, 0, "x=1\n".getBytes(StandardCharsets.UTF_8));
            FileSystem.Node d = fs.mkdir(path(fs, "etc"), "d", 0755, 0, 0);
            for (int i = 0; i < 40; i++) {
                fs.createFile(d, "file-number-" + i + ".conf", 0644, 0, 0, new byte[3000 + i]);
            }
        }
        repairClean(img);
        assertThat(db(img, "ls /etc/d")).contains("file-number-39.conf");
        assertThat(oracleRead(img, "/etc/d/file-number-39.conf")).hasSize(3039);
    }

    @Test
    void rmapbtAllowsInlineCreationButRefusesBlockAllocationByteIdentical() throws Exception {
        Path img = XfsFixture.build(tmp, "rmap", 300, null, null, List.of("-m", "rmapbt=1"));
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            FileSystem.Node etc = path(fs, "etc");
            fs.createFile(etc, "empty", 0644, 0, 0, new byte[0]);
            fs.symlink(etc, "short-link", "/etc/os-release", 0, 0);
            fs.mkdir(etc, "sub", 0755, 0, 0);
            fs.createFile(path(fs, "etc", "block"), "empty-in-block", 0644, 0, 0, new byte[0]);
            fs.flush();
            String before = sha(img);
            assertThatThrownBy(() -> fs.createFile(etc, "data", 0644, 0, 0, new byte[10]))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("rmapbt")
                    .hasMessageContaining("file data");
            assertThatThrownBy(() -> fs.symlink(etc, "long", LONG_TARGET, 0, 0))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("rmapbt");
            assertThat(sha(img)).isEqualTo(before);
        }
        repairClean(img);
        assertThat(db(img, "ls /etc")).contains("empty").contains("short-link").contains("sub");
        assertThat(db(img, "ls /etc/block")).contains("empty-in-block");
    }

    @Test
    void refusalsNameTheReasonAndLeaveTheImageByteIdentical() throws Exception {
        Path img = XfsFixture.build(tmp, "refuse", 300, null);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            String before = sha(img);
            assertThatThrownBy(() -> fs.createFile(path(fs, "usr", "node"), "x", 0644, 0, 0, new byte[1]))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("node form directory");
            assertThatThrownBy(() -> fs.symlink(path(fs, "usr", "node"), "x", "y", 0, 0))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("node form directory");
            assertThatThrownBy(() ->
                            fs.createFile(fs.root(), "huge", 0644, 0, 0, new byte[XfsFileSystem.MAX_CREATE_BYTES + 1]))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("at most 1048576 bytes");
            assertThatThrownBy(() -> fs.rename(path(fs, "etc"), "hostname", fs.root(), "h"))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("renaming");
            assertThatThrownBy(() -> fs.unlink(fs.root(), "usr"))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("not empty");
            assertThatThrownBy(() -> fs.createFile(path(fs, "etc"), "hostname", 0644, 0, 0, new byte[1]))
                    .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
            assertThatThrownBy(() -> fs.createFile(path(fs, "etc"), "a/b", 0644, 0, 0, new byte[1]))
                    .hasMessageContaining("invalid file name");
            assertThat(sha(img)).isEqualTo(before);
            // fill the single-block directory until it is full: the refusal names it and changes nothing
            FileSystem.Node block = path(fs, "etc", "block");
            int made = 0;
            UnsupportedFsFeatureException refused = null;
            while (refused == null && made < 200) {
                try {
                    fs.createFile(
                            block,
                            "a-rather-long-file-name-to-fill-the-block-quickly-" + made,
                            0644,
                            0,
                            0,
                            new byte[0]);
                    made++;
                } catch (UnsupportedFsFeatureException e) {
                    refused = e;
                }
            }
            assertThat(refused).isNotNull();
            assertThat(refused.getMessage()).contains("full single-block directory");
            assertThat(made).isPositive();
            String beforeFull = sha(img); // the refusal, repeated, writes nothing
            final int next = made;
            assertThatThrownBy(() -> fs.createFile(
                            block,
                            "a-rather-long-file-name-to-fill-the-block-quickly-" + next,
                            0644,
                            0,
                            0,
                            new byte[0]))
                    .hasMessageContaining("full single-block directory");
            assertThat(sha(img)).isEqualTo(beforeFull);
        }
        repairClean(img);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, false)) {
            assertThatThrownBy(() -> fs.createFile(fs.root(), "x", 0644, 0, 0, new byte[1]))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("read-only");
        }
    }

    /** A new inode chunk needs an rmapbt record, which this writer does not add: refused by name, byte-identical. */
    @Test
    void refusesANewInodeChunkUnderRmapbt() throws Exception {
        Path small = Files.writeString(tmp.resolve("small"), "x\n");
        StringBuilder p = new StringBuilder("/dev/null\n0 0\nd--755 0 0\n");
        for (String d : List.of("a", "b")) { // two block directories (20 names: past the short form)
            p.append(d).append(" d--755 0 0\n");
            for (int i = 0; i < 20; i++) {
                p.append(" prototype-")
                        .append(i)
                        .append(" ---644 0 0 ")
                        .append(small)
                        .append('\n');
            }
            p.append("$\n");
        }
        p.append("$\n");
        Path proto = Files.writeString(tmp.resolve("full.proto"), p.toString());
        Path img = DiskFiles.sparse(tmp.resolve("full.img"), 300L << 20);
        Tools.run("mkfs.xfs", "-q", "-f", "-d", "agcount=2", "-m", "rmapbt=1", "-p", proto.toString(), img.toString());
        int made = 0;
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            long free = Long.parseLong(db(img, "sb 0", "print ifree").replaceAll("(?s).*ifree = (\\d+).*", "$1"));
            for (; made < free; made++) { // block directories: adding names needs no block
                fs.createFile(path(fs, made % 2 == 0 ? "a" : "b"), "f" + made, 0644, 0, 0, new byte[0]);
            }
            FileSystem.Node block = path(fs, "a");
            String before = sha(img);
            assertThatThrownBy(() -> fs.createFile(block, "one-too-many", 0644, 0, 0, new byte[0]))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("no new inode chunk could be allocated")
                    .hasMessageContaining("rmapbt");
            assertThat(sha(img)).isEqualTo(before);
        }
        assertThat(made).isPositive();
        repairClean(img);
        assertThat(db(img, "sb 0", "print ifree")).contains("ifree = 0");
    }

    @Test
    void directoryHashMatchesXfsDb() throws Exception {
        Path img = DiskFiles.sparse(tmp.resolve("hash.img"), 300L << 20);
        Tools.run("mkfs.xfs", "-q", "-f", img.toString());
        for (String n : List.of(
                "a",
                "ab",
                "abc",
                "abcd",
                "91-azure.cfg",
                "multi-user.target.wants",
                "\u00e9t\u00e9",
                "hv-kvp-daemon.service")) {
            String out = db(img, "hash " + n).trim();
            assertThat(Integer.toUnsignedString(XfsDir.hash(n.getBytes(StandardCharsets.UTF_8)), 16))
                    .as(n)
                    .isEqualTo(out.replaceFirst("^0x", ""));
        }
    }

    @Test
    void theRepairOracleCatchesAWrongFreeBlockCounter() throws Exception {
        // negative control for repairClean(): a superblock counter off by one block must be reported
        Path img = DiskFiles.sparse(tmp.resolve("neg.img"), 300L << 20);
        Tools.run("mkfs.xfs", "-q", "-f", img.toString());
        long fd = Long.parseLong(db(img, "sb 0", "print fdblocks").replaceAll("(?s).*fdblocks = (\\d+).*", "$1"));
        Tools.run("xfs_db", "-x", "-c", "sb 0", "-c", "write fdblocks " + (fd - 1), img.toString());
        assertThatThrownBy(() -> repairClean(img))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("sb_fdblocks");
    }

    @Test
    void unlinksFilesSymlinksAndEmptyDirectoriesAndGivesTheSpaceBack() throws Exception {
        Path img = XfsFixture.build(tmp, "unlink", 300, null);
        long free0;
        long ifree0 = Long.parseLong(db(img, "sb 0", "print ifree").replaceAll("(?s).*ifree = (\\d+).*", "$1"));
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            free0 = fs.freeBytes();
            FileSystem.Node etc = path(fs, "etc");
            fs.createFile(etc, "tmp.cfg", 0644, 0, 0, new byte[70_000]);
            FileSystem.Node d = fs.mkdir(etc, "sub.d", 0755, 0, 0);
            fs.symlink(path(fs, "etc", "block"), "tmp-link", LONG_TARGET, 0, 0);
            assertThat(fs.freeBytes()).isLessThan(free0);
            fs.unlink(etc, "tmp.cfg");
            fs.unlink(path(fs, "etc", "block"), "tmp-link");
            assertThatThrownBy(() -> fs.unlink(fs.root(), "usr"))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("not empty");
            fs.unlink(etc, "sub.d");
            assertThat(path(fs, "etc").links()).isEqualTo(4);
            assertThat(fs.freeBytes()).isEqualTo(free0);
            // files mkfs made: in the short-form /etc, in the block directory, a 3 MiB file, an inline symlink
            fs.unlink(etc, "hostname");
            fs.unlink(path(fs, "etc", "block"), "file-in-block-dir-5");
            fs.unlink(fs.root(), "big.bin");
            fs.unlink(fs.root(), "link-inline");
            assertThatThrownBy(() -> fs.unlink(etc, "hostname")).isInstanceOf(java.nio.file.NoSuchFileException.class);
            assertThat(fs.lookup(etc, "hostname")).isEmpty();
            assertThat(fs.freeBytes()).isGreaterThan(free0 + 3L * 1024 * 1024);
            // the freed inodes and blocks are reusable
            fs.createFile(etc, "hostname", 0644, 0, 0, "again\n".getBytes(StandardCharsets.UTF_8));
            String before = sha(img);
            assertThatThrownBy(() -> fs.unlink(path(fs, "usr", "leaf"), "leaf-entry-with-a-longish-name-3"))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("leaf or node form");
            assertThat(sha(img)).isEqualTo(before);
        }
        repairClean(img);
        assertThat(db(img, "ls /etc"))
                .doesNotContain("tmp.cfg")
                .doesNotContain("sub.d")
                .contains("hostname");
        assertThat(db(img, "ls /etc/block"))
                .doesNotContain("file-in-block-dir-5 ")
                .doesNotContain("tmp-link")
                .contains("file-in-block-dir-6");
        assertThat(db(img, "ls /")).doesNotContain("big.bin").doesNotContain("link-inline");
        assertThat(new String(oracleRead(img, "/etc/hostname"), StandardCharsets.UTF_8))
                .isEqualTo("again\n");
        assertThat(db(img, "sb 0", "print ifree")).contains("ifree = " + (ifree0 + 3));
    }

    @Test
    void unlinkUnderRmapbtFreesInlineInodesAndRefusesBlockFreeingByteIdentical() throws Exception {
        Path img = XfsFixture.build(tmp, "rmapdel", 300, null, null, List.of("-m", "rmapbt=1"));
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            FileSystem.Node etc = path(fs, "etc");
            fs.createFile(etc, "empty", 0644, 0, 0, new byte[0]);
            fs.unlink(etc, "empty");
            fs.unlink(fs.root(), "link-inline");
            fs.flush();
            String before = sha(img);
            assertThatThrownBy(() -> fs.unlink(etc, "hostname"))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("rmapbt");
            assertThat(sha(img)).isEqualTo(before);
        }
        repairClean(img);
        assertThat(db(img, "ls /")).doesNotContain("link-inline");
    }

    /**
     * The Linux kernel is the final judge: it mounts what we wrote (its verifiers check every CRC, btree and inode it
     * touches), reads our files, allocates and frees on top of our changes, and xfs_repair is still clean afterwards.
     * The mount happens only in this test, never in the product.
     */
    @Test
    void theKernelMountsReadsAndExtendsWhatWeWrote() throws Exception {
        Path img = XfsFixture.build(tmp, "kern", 300, null);
        byte[] payload = createEverything(img);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            fs.unlink(path(fs, "etc"), "hostname");
        }
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        Tools.run("mount", "-o", "loop", img.toString(), mnt.toString());
        try {
            assertThat(Files.readString(mnt.resolve("etc/cloud.cfg.d/91-azure.cfg")))
                    .isEqualTo(AZURE_CFG);
            assertThat(Files.readAllBytes(mnt.resolve("etc/block/payload.bin"))).isEqualTo(payload);
            assertThat(Files.readSymbolicLink(mnt.resolve("etc/long-link")).toString())
                    .isEqualTo(LONG_TARGET);
            assertThat(Files.readSymbolicLink(mnt.resolve("etc/multi-user.target.wants/unit-number-29.service"))
                            .toString())
                    .isEqualTo("/usr/lib/systemd/system/unit-29.service");
            assertThat(mnt.resolve("etc/hostname")).doesNotExist();
            try (var list = Files.list(mnt.resolve("etc/multi-user.target.wants"))) {
                assertThat(list.count()).isEqualTo(30);
            }
            Files.writeString(mnt.resolve("etc/cloud.cfg.d/92-kernel.cfg"), "x".repeat(100_000));
            Files.writeString(mnt.resolve("etc/kernel-made"), "k\n");
            Files.delete(mnt.resolve("etc/block/payload.bin"));
            Files.delete(mnt.resolve("etc/multi-user.target.wants/unit-number-3.service"));
        } finally {
            Tools.run("umount", mnt.toString());
        }
        repairClean(img);
        assertThat(db(img, "ls /etc")).contains("kernel-made").contains("empty.conf");
    }

    /**
     * A two-level inode btree (1 KiB blocks hold 60 inobt records; 9,800 inodes in two AGs): allocation walks the leaf
     * chain from the leftmost leaf, freeing descends by key; both change one leaf record in place.
     */
    @Test
    void multiLevelInodeBtree() throws Exception {
        StringBuilder p = new StringBuilder("/dev/null\n0 0\nd--755 0 0\netc d--755 0 0\n$\n");
        for (int d = 0; d < 240; d++) {
            p.append("d").append(d).append(" d--755 0 0\n");
            for (int f = 0; f < 40; f++) {
                p.append(" file-").append(f).append(" ---644 0 0 /dev/null\n");
            }
            p.append("$\n");
        }
        p.append("$\n");
        Path proto = Files.writeString(tmp.resolve("many.proto"), p.toString());
        Path img = DiskFiles.sparse(tmp.resolve("many.img"), 300L << 20);
        Tools.run("mkfs.xfs", "-q", "-f", "-b", "size=1024", "-d", "agcount=2", "-p", proto.toString(), img.toString());
        assertThat(db(img, "agi 0", "print level")).contains("level = 2");
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            FileSystem.Node etc = path(fs, "etc");
            for (int i = 0; i < 10; i++) {
                fs.createFile(etc, "new-" + i, 0644, 0, 0, ("n" + i).getBytes());
            }
            fs.unlink(path(fs, "d3"), "file-7"); // an early chunk: its inobt record sits in the first leaf
            fs.unlink(path(fs, "d239"), "file-39");
            fs.createFile(etc, "reuses-a-freed-inode", 0644, 0, 0, new byte[0]);
        }
        repairClean(img);
        assertThat(db(img, "ls /etc")).contains("new-9").contains("reuses-a-freed-inode");
        assertThat(db(img, "ls /d3")).doesNotContain("file-7 ").contains("file-8");
    }

    /** Leaf-form directories (several data blocks + one LEAF1 block), like /etc on a real guest. */
    @Test
    void createsInALeafFormDirectoryUntilItsDataBlocksAreFull() throws Exception {
        Path img = XfsFixture.build(tmp, "leaf", 300, null);
        assertThat(db(img, "path /usr/leaf", "print core.size")).doesNotContain("core.size = 4096");
        int made = 0;
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            FileSystem.Node leaf = path(fs, "usr", "leaf");
            fs.createFile(leaf, "waagent.conf", 0644, 0, 0, "Provisioning.Agent=auto\n".getBytes());
            fs.symlink(leaf, "ab", "/x", 0, 0);
            made = 2;
            UnsupportedFsFeatureException refused = null;
            while (refused == null && made < 400) {
                try {
                    fs.createFile(leaf, "filler-entry-" + made, 0644, 0, 0, new byte[0]);
                    made++;
                } catch (UnsupportedFsFeatureException e) {
                    refused = e;
                }
            }
            assertThat(refused).as("created " + made).isNotNull();
            assertThat(refused.getMessage()).contains("data blocks are full");
            assertThat(made).isGreaterThan(2);
            String before = sha(img); // the refusal, repeated, writes nothing
            final int next = made;
            assertThatThrownBy(() -> fs.createFile(leaf, "filler-entry-" + next, 0644, 0, 0, new byte[0]))
                    .hasMessageContaining("data blocks are full");
            assertThat(sha(img)).isEqualTo(before);
            assertThat(fs.list(leaf)).hasSize(XfsFixture.LEAF_ENTRIES + made);
        }
        repairClean(img);
        assertThat(db(img, "ls /usr/leaf"))
                .contains("waagent.conf")
                .contains("filler-entry-" + (made - 1))
                .contains("leaf-entry-with-a-longish-name-299");
        assertThat(new String(oracleRead(img, "/usr/leaf/waagent.conf"), StandardCharsets.UTF_8))
                .isEqualTo("Provisioning.Agent=auto\n");
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        Tools.run("mount", "-o", "loop,ro", img.toString(), mnt.toString());
        try {
            assertThat(Files.readString(mnt.resolve("usr/leaf/waagent.conf"))).isEqualTo("Provisioning.Agent=auto\n");
            assertThat(mnt.resolve("usr/leaf/filler-entry-" + (made - 1))).exists();
            try (var list = Files.list(mnt.resolve("usr/leaf"))) {
                assertThat(list.count()).isEqualTo(XfsFixture.LEAF_ENTRIES + made);
            }
        } finally {
            Tools.run("umount", mnt.toString());
        }
    }
}
