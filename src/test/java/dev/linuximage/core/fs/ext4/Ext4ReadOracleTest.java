package dev.linuximage.core.fs.ext4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.Tools;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reads images built by mke2fs -d in every supported layout and compares with the source tree. */
@Tag("oracle")
class Ext4ReadOracleTest {
    static Path work;
    static Path tree;
    static Path inlineTree;

    @BeforeAll
    static void buildTree() throws Exception {
        work = Tools.scratch("ext4-tests", "read");
        tree = work.resolve("tree");
        Trees.build(tree, 42, 2000, true);
        inlineTree = work.resolve("tree-inline");
        Trees.build(inlineTree, 42, 2000, false);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "ext4-default|-t ext4",
                "ext4-1k|-t ext4 -b 1024",
                "ext4-no-csum|-t ext4 -O ^metadata_csum,uninit_bg",
                "ext4-no-64bit|-t ext4 -O ^64bit",
                "ext4-no-flexbg|-t ext4 -O ^flex_bg",
                "ext4-inline|-t ext4 -O inline_data",
                "ext4-csum-seed|-t ext4 -O metadata_csum_seed",
                "ext3|-t ext3",
                "ext2|-t ext2",
                "ext2-1k-128|-t ext2 -b 1024 -I 128",
            })
    void readsWhatMke2fsWrote(String name, String opts) throws Exception {
        Path img = work.resolve(name + ".img");
        Path t = name.contains("inline") ? inlineTree : tree;
        Ext4Oracle.mkfs(img, "48M", t, opts.split(" "));
        Ext4Oracle.indexDirectories(img);
        assertThat(Ext4Oracle.indexed(img, "/bigdir")).as("bigdir has an htree").isTrue();
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, false)) {
            assertThat(fs.writable()).isFalse();
            Trees.assertSame(t, fs);
            String expectType = name.startsWith("ext4") ? "ext4" : name.substring(0, 4);
            assertThat(fs.type()).isEqualTo(expectType);
            FileSystem.Node big = fs.lookup(fs.root(), "bigdir").orElseThrow();
            assertThat(fs.list(big)).hasSize(2000);
        }
    }

    @Test
    void uuidAndLabelMatchTheSuperblock() throws Exception {
        Path img = work.resolve("label.img");
        Ext4Oracle.mkfs(img, "8M", null, "-t", "ext4", "-L", "rootfs", "-U", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, false)) {
            assertThat(fs.label()).isEqualTo("rootfs");
            assertThat(fs.uuid()).isEqualTo("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
            assertThat(Ext4FileSystem.probe(src)).isTrue();
            assertThat(fs.totalBytes()).isEqualTo(8L << 20);
        }
    }
}
