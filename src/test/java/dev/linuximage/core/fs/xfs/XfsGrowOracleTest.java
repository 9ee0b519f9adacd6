package dev.linuximage.core.fs.xfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Growing a large file (an initramfs rewritten with Hyper-V drivers: 12 MiB to 80 MiB) on a 1 GiB /boot made by
 * mkfs.xfs with its defaults (v5, reflink=1, finobt=1, rmapbt=0 on xfsprogs 6.1). Oracles: xfs_repair -n, xfs_db
 * (free block counter, extent count) and the Linux kernel reading the file back through a loop mount.
 */
@Tag("oracle")
class XfsGrowOracleTest {
    static final int MIB = 1 << 20;

    @TempDir
    Path tmp;

    private Path image(long sizeMiB, List<String> mkfsOptions) throws Exception {
        byte[] old = new byte[12 * MIB + 4321];
        new Random(7).nextBytes(old);
        Path f = Files.write(tmp.resolve("initrd.src"), old);
        return XfsFixture.build(tmp, "boot", sizeMiB, null, "initrd.img ---644 0 0 " + f + "\n", mkfsOptions);
    }

    private static long sbField(Path img, String field) throws Exception {
        String out = Tools.run("xfs_db", "-r", "-c", "sb 0", "-c", "print " + field, img.toString())
                .out();
        Matcher m = Pattern.compile(field + " = (\\d+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void growsA12MiBFileTo80MiBAndTheKernelReadsIt() throws Exception {
        Path img = image(1024, List.of());
        long freeBefore = sbField(img, "fdblocks");
        long bs = sbField(img, "blocksize");
        byte[] big = new byte[80 * MIB + 777];
        new Random(8).nextBytes(big);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            FileSystem.Node n = fs.lookup(fs.root(), "initrd.img").orElseThrow();
            fs.replaceContent(n, big);
        }
        XfsFileSystemOracleTest.repairClean(img);
        long oldBlocks = (12L * MIB + 4321 + bs - 1) / bs;
        long newBlocks = (big.length + bs - 1) / bs;
        assertThat(sbField(img, "fdblocks")).isEqualTo(freeBefore - newBlocks + oldBlocks);
        assertThat(Tools.run(
                                "xfs_db",
                                "-r",
                                "-c",
                                "path /initrd.img",
                                "-c",
                                "print core.size core.nextents",
                                img.toString())
                        .out())
                .contains("core.size = " + big.length)
                .contains("core.nextents = 1");
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        Tools.run("mount", "-o", "loop,ro", img.toString(), mnt.toString());
        try {
            assertThat(Files.mismatch(mnt.resolve("initrd.img"), Files.write(tmp.resolve("want"), big)))
                    .isEqualTo(-1L);
        } finally {
            Tools.run("umount", mnt.toString());
        }
        // and back: a smaller content is written in place, the file stays consistent
        byte[] small = new byte[5 * MIB + 3];
        new Random(9).nextBytes(small);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            FileSystem.Node n = fs.lookup(fs.root(), "initrd.img").orElseThrow();
            fs.replaceContent(n, small);
            java.nio.ByteBuffer got = java.nio.ByteBuffer.allocate(small.length + 10);
            FileSystem.Node m = fs.lookup(fs.root(), "initrd.img").orElseThrow();
            while (fs.read(m, got.position(), got) > 0) {
                // until end of file
            }
            assertThat(java.util.Arrays.copyOf(got.array(), got.position())).isEqualTo(small);
        }
        XfsFileSystemOracleTest.repairClean(img);
    }

    @Test
    void rmapbtIsRefusedByNameAndNothingIsWritten() throws Exception {
        Path img = image(320, List.of("-m", "rmapbt=1"));
        byte[] before = Files.readAllBytes(img);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            FileSystem.Node n = fs.lookup(fs.root(), "initrd.img").orElseThrow();
            assertThatThrownBy(() -> fs.replaceContent(n, new byte[20 * MIB]))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("rmapbt");
        }
        assertThat(Files.mismatch(img, Files.write(tmp.resolve("before"), before)))
                .isEqualTo(-1L);
        XfsFileSystemOracleTest.repairClean(img);
    }

    @Test
    void aFileLargerThanAnyAgIsSpreadOverSeveralAgs() throws Exception {
        // 320 MiB in 4 AGs of 80 MiB: 100 MiB fits in no AG as one extent, so it takes several (largest first)
        Path img = image(320, List.of("-d", "agcount=4"));
        long freeBefore = sbField(img, "fdblocks");
        long bs = sbField(img, "blocksize");
        byte[] big = new byte[100 * MIB + 5];
        new Random(10).nextBytes(big);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            fs.replaceContent(fs.lookup(fs.root(), "initrd.img").orElseThrow(), big);
        }
        XfsFileSystemOracleTest.repairClean(img);
        long oldBlocks = (12L * MIB + 4321 + bs - 1) / bs;
        assertThat(sbField(img, "fdblocks")).isEqualTo(freeBefore - (big.length + bs - 1) / bs + oldBlocks);
        String core = Tools.run(
                        "xfs_db",
                        "-r",
                        "-c",
                        "path /initrd.img",
                        "-c",
                        "print core.format core.nextents",
                        img.toString())
                .out();
        Matcher m = Pattern.compile("core.nextents = (\\d+)").matcher(core);
        assertThat(m.find()).as(core).isTrue();
        assertThat(Long.parseLong(m.group(1))).isBetween(2L, 21L);
        assertThat(core).contains("core.format = 2 (extents)");
        assertThat(XfsFileSystemOracleTest.oracleRead(img, "/initrd.img")).isEqualTo(big);
    }

    @Test
    void moreThanTheFreeSpaceIsRefusedByNameAndNothingIsWritten() throws Exception {
        Path img = image(320, List.of("-d", "agcount=4"));
        byte[] before = Files.readAllBytes(img);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            FileSystem.Node n = fs.lookup(fs.root(), "initrd.img").orElseThrow();
            assertThatThrownBy(() -> fs.replaceContent(n, new byte[310 * MIB]))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("not enough free space");
        }
        assertThat(Files.mismatch(img, Files.write(tmp.resolve("before"), before)))
                .isEqualTo(-1L);
    }

    private static long inodeField(Path img, String path, String field) throws Exception {
        String out = Tools.run("xfs_db", "-r", "-c", "path " + path, "-c", "print " + field, img.toString())
                .out();
        Matcher m = Pattern.compile(Pattern.quote(field) + " = (\\d+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void fragmentedFreeSpaceGivesABmapBtreeThatRewritesAndUnlinksCleanly() throws Exception {
        XfsFragmented x = XfsFragmented.build(tmp, 512, 340, 11, 8);
        XfsFileSystemOracleTest.repairClean(x.img);
        Path img = x.img;
        long bs = sbField(img, "blocksize");
        long freeStart = sbField(img, "fdblocks");
        byte[] big = new byte[80 * MIB + 99];
        new Random(12).nextBytes(big);
        long bigBlocks = (big.length + bs - 1) / bs;
        // precondition of the scenario: no free extent holds the file, so it must be spread over many
        assertThat(XfsFragmented.largestFree(img)).isLessThan(bigBlocks);
        String victim = "/d1/f-0";
        long oldBlocks = inodeField(img, victim, "core.nblocks");
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            FileSystem.Node d1 = fs.lookup(fs.root(), "d1").orElseThrow();
            fs.replaceContent(fs.lookup(d1, "f-0").orElseThrow(), big);
            assertThat(XfsFileSystemOracleTest.readAll(fs, fs.lookup(d1, "f-0").orElseThrow()))
                    .isEqualTo(big);
        }
        XfsFileSystemOracleTest.repairClean(img);
        assertThat(Tools.run("xfs_db", "-r", "-c", "path " + victim, "-c", "print core.format", img.toString())
                        .out())
                .contains("core.format = 3 (btree)");
        long nextents = inodeField(img, victim, "core.nextents");
        long nblocks = inodeField(img, victim, "core.nblocks");
        assertThat(nextents).isGreaterThan(21); // more than a 512-byte inode's data fork holds as a list
        assertThat(nblocks).isGreaterThan(bigBlocks); // data plus the bmap btree leaves
        assertThat(sbField(img, "fdblocks")).isEqualTo(freeStart - nblocks + oldBlocks);
        assertThat(XfsFileSystemOracleTest.oracleRead(img, victim)).isEqualTo(big);
        Map<String, XfsFragmented.Content> others = new java.util.LinkedHashMap<>(x.files);
        others.remove(victim);
        assertThat(XfsFragmented.oracleMismatches(img, others)).isEmpty();
        // btree to btree (old leaves and extents freed), then the file goes: every block comes back
        byte[] again = new byte[60 * MIB + 1];
        new Random(13).nextBytes(again);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            FileSystem.Node d1 = fs.lookup(fs.root(), "d1").orElseThrow();
            fs.replaceContent(fs.lookup(d1, "f-0").orElseThrow(), again);
        }
        XfsFileSystemOracleTest.repairClean(img);
        assertThat(XfsFileSystemOracleTest.oracleRead(img, victim)).isEqualTo(again);
        assertThat(sbField(img, "fdblocks")).isEqualTo(freeStart - inodeField(img, victim, "core.nblocks") + oldBlocks);
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        Tools.run("mount", "-o", "loop,ro", img.toString(), mnt.toString());
        try {
            assertThat(Files.mismatch(mnt.resolve("d1/f-0"), Files.write(tmp.resolve("want"), again)))
                    .isEqualTo(-1L);
        } finally {
            Tools.run("umount", mnt.toString());
        }
        // shrinking: cut inside the 26th extent (still more than the inode holds: a btree, rebuilt), then inside
        // the 4th (an extent list in the inode again, as xfs_bmap_btree_to_extents leaves it); every block past
        // the new end (rounded up to a block) comes back to sb_fdblocks
        for (int keep : new int[] {26, 4}) {
            List<long[]> map = bmap(img, victim);
            assertThat(map.size()).isGreaterThan(keep);
            long[] cut = map.get(keep - 1);
            int size = (int) ((cut[0] + cut[2] / 2) * bs + 777); // inside the extent, mid-block
            byte[] head = java.util.Arrays.copyOf(again, size);
            try (FileByteSource src = FileByteSource.openReadWrite(img);
                    XfsFileSystem fs = XfsFileSystem.open(src, true)) {
                fs.replaceContent(
                        fs.lookup(fs.lookup(fs.root(), "d1").orElseThrow(), "f-0")
                                .orElseThrow(),
                        head);
            }
            XfsFileSystemOracleTest.repairClean(img);
            assertThat(XfsFileSystemOracleTest.oracleRead(img, victim)).isEqualTo(head);
            assertThat(inodeField(img, victim, "core.nextents")).isEqualTo(keep);
            long blocks = (size + bs - 1) / bs;
            long nb = inodeField(img, victim, "core.nblocks");
            String format = Tools.run("xfs_db", "-r", "-c", "path " + victim, "-c", "print core.format", img.toString())
                    .out();
            if (keep > 21) {
                assertThat(format).contains("(btree)");
                assertThat(nb).isEqualTo(blocks + 1); // one bmap btree leaf holds them all
            } else {
                assertThat(format).contains("(extents)");
                assertThat(nb).isEqualTo(blocks);
            }
            assertThat(bmap(img, victim).stream().mapToLong(e -> e[2]).sum()).isEqualTo(blocks);
            assertThat(sbField(img, "fdblocks")).isEqualTo(freeStart - nb + oldBlocks);
        }
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            fs.unlink(fs.lookup(fs.root(), "d1").orElseThrow(), "f-0");
        }
        XfsFileSystemOracleTest.repairClean(img);
        assertThat(sbField(img, "fdblocks")).isEqualTo(freeStart + oldBlocks);
    }

    /** xfs_db's block map of a file: (file block, fs block, count) per extent, in file order. */
    private static List<long[]> bmap(Path img, String path) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                        "data offset (\\d+) startblock (\\d+) \\(\\d+/\\d+\\) count (\\d+)")
                .matcher(Tools.run("xfs_db", "-r", "-c", "path " + path, "-c", "bmap", img.toString())
                        .out());
        List<long[]> out = new java.util.ArrayList<>();
        while (m.find()) {
            out.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))});
        }
        return out;
    }
}
