package dev.linuximage.core.fs.ext4;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.io.FileByteSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Allocation beyond the first group: BLOCK_UNINIT and INODE_UNINIT groups initialised on first use, bg_itable_unused,
 * flex_bg and non-flex layouts, large files across groups, and triple-indirect block maps.
 */
class Ext4AllocationTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "ext4-1k-flex|-t ext4 -b 1024 -N 4096",
            "ext4-1k-noflex|-t ext4 -b 1024 -N 4096 -O ^flex_bg",
            "ext4-1k-uninit-bg|-t ext4 -b 1024 -N 4096 -O ^metadata_csum,uninit_bg",
            "ext3-1k|-t ext3 -b 1024 -N 4096",
    })
    void fillsManyGroups(String name, String opts) throws Exception {
        Path work = Tools.workDir("alloc-" + name);
        Path img = work.resolve("fs.img");
        Tools.mkfs(img, "64M", null, opts.split(" "));
        String statsBefore = Tools.debugfs(img, "stats").out();
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
        Tools.assertClean(img);
        assertThat(Tools.cat(img, "/d4/f199")).containsExactly(199, 4);
        assertThat(Tools.stat(img, "/big").size()).isEqualTo(1000);
        // the uninitialised groups really were initialised by us (ext3 has no such flags)
        String statsAfter = Tools.debugfs(img, "stats").out();
        if (!name.startsWith("ext3")) {
            assertThat(count(statsBefore, "Inode not init")).isGreaterThan(count(statsAfter, "Inode not init"));
            assertThat(count(statsBefore, "Block not init")).isGreaterThan(count(statsAfter, "Block not init"));
        }
    }

    private static int count(String s, String what) {
        return s.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }

    /** ext2 with 1 KiB blocks: a 66 MiB file needs the triple-indirect block (12 + 256 + 65536 blocks before it). */
    @Test
    void tripleIndirectBlockMap() throws Exception {
        Path work = Tools.workDir("alloc-triple");
        Path img = work.resolve("fs.img");
        Tools.mkfs(img, "96M", null, "-t", "ext2", "-b", "1024");
        byte[] data = Trees.random(new Random(3), 66 << 20);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
             Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            FileSystem.Node f = fs.createFile(fs.root(), "huge", 0600, 0, 0, new byte[0]);
            fs.replaceContent(f, data);
            assertThat(Trees.readAll(fs, fs.lookup(fs.root(), "huge").orElseThrow())).isEqualTo(data);
        }
        Tools.assertClean(img);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        assertThat(md.digest(Tools.cat(img, "/huge"))).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
        assertThat(Tools.debugfs(img, "stat /huge").out()).contains("TIND");
    }
}
