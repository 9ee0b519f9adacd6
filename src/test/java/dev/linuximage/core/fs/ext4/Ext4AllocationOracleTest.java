package dev.linuximage.core.fs.ext4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.LittleEndian;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.Tools;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Allocation beyond the first group: BLOCK_UNINIT and INODE_UNINIT groups initialised on first use, bg_itable_unused,
 * flex_bg and non-flex layouts, large files across groups, and triple-indirect block maps.
 */
@Tag("oracle")
class Ext4AllocationOracleTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "ext4-1k-flex|-t ext4 -b 1024 -N 4096",
                "ext4-1k-noflex|-t ext4 -b 1024 -N 4096 -O ^flex_bg",
                "ext4-1k-uninit-bg|-t ext4 -b 1024 -N 4096 -O ^metadata_csum,uninit_bg",
                "ext3-1k|-t ext3 -b 1024 -N 4096",
            })
    void fillsManyGroups(String name, String opts) throws Exception {
        Path work = Tools.scratch("ext4-tests", "alloc-" + name);
        Path img = work.resolve("fs.img");
        Ext4Oracle.mkfs(img, "64M", null, opts.split(" "));
        String statsBefore = Ext4Oracle.debugfs(img, "stats").out();
        Random r = new Random(name.hashCode());
        byte[] big = Trees.random(r, 30 << 20); // spans several 8 MiB groups
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            FileSystem.Node root = fs.root();
            fs.createFile(root, "big", 0644, 0, 0, big);
            // 4096 inodes over 8 groups = 512 per group: 1200 new inodes reach groups that were INODE_UNINIT
            for (int d = 0; d < 6; d++) {
                FileSystem.Node dir = fs.mkdir(root, "d" + d, 0755, 0, 0);
                for (int i = 0; i < 200; i++) {
                    fs.createFile(dir, "f" + i, 0644, 0, 0, new byte[] {(byte) i, (byte) d});
                }
            }
            fs.replaceContent(fs.lookup(root, "big").orElseThrow(), Trees.random(r, 1000));
            fs.unlink(fs.lookup(root, "d5").orElseThrow(), "f7");
            fs.flush();
        }
        Ext4Oracle.assertClean(img);
        assertThat(Ext4Oracle.read(img, "/d4/f199")).containsExactly(199, 4);
        assertThat(Ext4Oracle.stat(img, "/big").size()).isEqualTo(1000);
        // the uninitialised groups really were initialised by us (ext3 has no such flags)
        String statsAfter = Ext4Oracle.debugfs(img, "stats").out();
        if (!name.startsWith("ext3")) {
            assertThat(count(statsBefore, "Inode not init")).isGreaterThan(count(statsAfter, "Inode not init"));
            assertThat(count(statsBefore, "Block not init")).isGreaterThan(count(statsAfter, "Block not init"));
        }
    }

    /**
     * Xattr blocks: a block shared by two inodes (h_refcount 2) loses one reference when the first goes, and is
     * freed with the second. e2fsck checks refcounts, the block checksum and the bitmaps.
     */
    @Test
    void sharedXattrBlockRefcount() throws Exception {
        Path work = Tools.scratch("ext4-tests", "alloc-xattr");
        Path tree = work.resolve("tree");
        java.nio.file.Files.createDirectories(tree);
        for (String n : new String[] {"f", "g"}) {
            Path p = java.nio.file.Files.write(tree.resolve(n), (n + "\n").getBytes());
            var view = java.nio.file.Files.getFileAttributeView(
                    p, java.nio.file.attribute.UserDefinedFileAttributeView.class);
            view.write("big", java.nio.ByteBuffer.wrap("v".repeat(800).getBytes()));
        }
        Path img = work.resolve("fs.img");
        Ext4Oracle.mkfs(img, "8M", tree, "-t", "ext4");
        long fAcl = fileAcl(img, "/f");
        long gAcl = fileAcl(img, "/g");
        assertThat(fAcl).isPositive();
        // make /g share /f's xattr block (identical content), as the kernel's mbcache does
        assertThat(Ext4Oracle.debugfs(img, "-w", "sif /g file_acl " + fAcl).exit())
                .isZero();
        assertThat(Ext4Oracle.debugfs(img, "-w", "freeb " + gAcl).exit()).isZero();
        // e2fsck -fy completes the set-up as a real tool: it counts two references and sets h_refcount = 2
        // (with the block checksum) and fixes the free counts that debugfs freeb leaves behind
        Tools.Result fix = Tools.command(java.util.List.of("e2fsck", "-fy", img.toString()))
                .exec();
        assertThat(fix.exit()).as(fix.out()).isLessThanOrEqualTo(1);
        int bs;
        try (FileByteSource src = FileByteSource.openReadOnly(img)) {
            bs = Superblock.parse(src.readBytes(1024, 1024), src.size()).blockSize;
            assertThat(LittleEndian.u32(src.readBytes(fAcl * bs, 8), 4))
                    .as("h_refcount")
                    .isEqualTo(2);
        }
        Ext4Oracle.assertClean(img);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            fs.unlink(fs.root(), "f");
        }
        Ext4Oracle.assertClean(img);
        assertThat(Ext4Oracle.debugfs(img, "ea_list /g").out()).contains("big");
        assertThat(Ext4Oracle.debugfs(img, "testb " + fAcl).out()).contains("marked in use");
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            fs.unlink(fs.root(), "g");
        }
        Ext4Oracle.assertClean(img);
        assertThat(Ext4Oracle.debugfs(img, "testb " + fAcl).out()).contains("not in use");
    }

    private static long fileAcl(Path img, String path) throws Exception {
        var m = java.util.regex.Pattern.compile("File ACL: (\\d+)")
                .matcher(Ext4Oracle.debugfs(img, "stat " + path).out());
        assertThat(m.find()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static int count(String s, String what) {
        return s.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }

    /** ext2 with 1 KiB blocks: a 66 MiB file needs the triple-indirect block (12 + 256 + 65536 blocks before it). */
    @Test
    void tripleIndirectBlockMap() throws Exception {
        Path work = Tools.scratch("ext4-tests", "alloc-triple");
        Path img = work.resolve("fs.img");
        Ext4Oracle.mkfs(img, "96M", null, "-t", "ext2", "-b", "1024");
        byte[] data = Trees.random(new Random(3), 66 << 20);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            FileSystem.Node f = fs.createFile(fs.root(), "huge", 0600, 0, 0, new byte[0]);
            fs.replaceContent(f, data);
            assertThat(Trees.readAll(fs, fs.lookup(fs.root(), "huge").orElseThrow()))
                    .isEqualTo(data);
        }
        Ext4Oracle.assertClean(img);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        assertThat(md.digest(Ext4Oracle.read(img, "/huge")))
                .isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
        assertThat(Ext4Oracle.debugfs(img, "stat /huge").out()).contains("TIND");
    }
}
