package dev.linuximage.core.fs.ext4;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every kind of change on every layout, then the oracles: e2fsck -fn must be clean, debugfs must read back exactly
 * the model (rdump: content, types, symlinks, modes, owners; stat: link counts, mtime), and so must our reader.
 */
@Tag("oracle")
class Ext4WriteOracleTest {
    static Path work;
    static Path tree;

    @BeforeAll
    static void buildTree() throws Exception {
        work = Tools.scratch("ext4-tests", "write");
        tree = work.resolve("tree");
        Trees.build(tree, 7, 800, true);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "ext4-default|-t ext4",
                "ext4-1k|-t ext4 -b 1024",
                "ext4-no-csum-uninit|-t ext4 -O ^metadata_csum,uninit_bg",
                "ext4-no-64bit|-t ext4 -O ^64bit",
                "ext4-no-flexbg|-t ext4 -O ^flex_bg",
                "ext4-csum-seed|-t ext4 -O metadata_csum_seed",
                "ext4-orphan-file|-t ext4 -O orphan_file",
                "ext3|-t ext3",
                "ext2|-t ext2",
                "ext2-1k-128|-t ext2 -b 1024 -I 128",
            })
    void everyChangeLeavesACleanFileSystem(String name, String opts) throws Exception {
        Path img = work.resolve(name + ".img");
        Ext4Oracle.mkfs(img, "64M", tree, opts.split(" "));
        Ext4Oracle.indexDirectories(img);
        assertThat(Ext4Oracle.indexed(img, "/bigdir")).as("bigdir has an htree").isTrue();
        Path model = work.resolve(name + "-model");
        Mirror.copyTree(tree, model);
        Random r = new Random(name.hashCode());
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            assertThat(fs.writable()).as(fs.writeRefusalReason().orElse("")).isTrue();
            long free0 = fs.freeBytes();
            Mirror m = new Mirror(fs, model);
            // replace: grow, shrink, multi-level extent tree freed, hard-linked inode
            m.write("/etc/hostname", "patched-host\n".getBytes(StandardCharsets.UTF_8));
            m.write("/size-300000", "short".getBytes(StandardCharsets.UTF_8));
            m.write("/size-1", Trees.random(r, 700_000));
            m.write("/sparse", "tiny".getBytes(StandardCharsets.UTF_8));
            m.write("/hardlink", Trees.random(r, 9000));
            m.write("/empty", new byte[0]);
            m.write("/size-4095", new byte[0]);
            // create
            m.create("/etc/new.conf", Trees.random(r, 5000), 0600, 1000, 1000);
            m.mkdir("/opt", 0755, 0, 0);
            m.mkdir("/opt/app", 0750, 1000, 100);
            m.create("/opt/app/run.sh", "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8), 04755, 0, 0);
            m.symlink("/opt/current", "app");
            m.symlink("/opt/longlink", "/very/" + "long/".repeat(40) + "target");
            // unlink
            m.unlink("/size-65536");
            m.unlink("/hardlink");
            m.unlink("/emptydir");
            m.unlink("/fastlink");
            m.unlink("/slowlink");
            assertThatThrownBy(() -> fs.unlink(fs.root(), "a")).isInstanceOf(DirectoryNotEmptyException.class);
            // rename: same dir, across dirs, a directory across dirs, over an existing file
            m.rename("/etc/default/grub", "/etc/default/grub.bak");
            m.rename("/a/owned", "/opt/owned");
            m.rename("/a/b", "/opt/b");
            m.rename("/etc/new.conf", "/etc/hostname");
            m.mkdir("/opt/target", 0700, 0, 0);
            m.mkdir("/opt/moving", 0700, 0, 0);
            m.rename("/opt/moving", "/opt/target"); // a directory over an empty directory
            assertThatThrownBy(() -> fs.rename(m.resolve("/opt"), "b", m.resolve("/opt/b/c"), "x"))
                    .hasMessageContaining("into itself");
            // attributes
            m.setAttributes("/etc/hostname", 0640, 7, 8, 1_700_000_000L);
            m.setAttributes("/opt/app", 0711, null, 55, null);
            // an indexed (htree) directory: adds drop the index, removals keep working
            for (int i = 0; i < 300; i++) {
                m.create("/bigdir/added-" + i, ("n" + i).getBytes(StandardCharsets.UTF_8), 0644, 0, 0);
            }
            for (int i = 0; i < 800; i += 15) {
                m.unlink("/bigdir/entry-with-a-longish-name-" + i);
            }
            m.mkdir("/bigdir/sub", 0755, 0, 0);
            // a directory that grows over many blocks (indirect blocks on ext2/3 with 1 KiB blocks)
            m.mkdir("/grow", 0755, 0, 0);
            for (int i = 0; i < 300; i++) {
                m.create("/grow/" + "f".repeat(60) + i, new byte[] {(byte) i}, 0644, 0, 0);
            }
            for (int i = 0; i < 300; i += 3) {
                m.unlink("/grow/" + "f".repeat(60) + i);
            }
            fs.flush();
            assertThat(fs.freeBytes()).isLessThan(free0);
        }
        Ext4Oracle.assertClean(img);
        assertThat(Ext4Oracle.indexed(img, "/bigdir"))
                .as("index dropped on insert")
                .isFalse();
        Mirror.assertDumpMatches(model, img, work.resolve(name + "-dump"));
        Ext4Oracle.Stat host = Ext4Oracle.stat(img, "/etc/hostname");
        assertThat(host).isEqualTo(new Ext4Oracle.Stat("regular", 0640, 7, 8, 1, 5000));
        assertThat(Ext4Oracle.debugfs(img, "stat /etc/hostname").out()).contains("mtime: 0x6553f100");
        assertThat(Ext4Oracle.stat(img, "/size-4096").links()).isEqualTo(1);
        assertThat(Ext4Oracle.stat(img, "/opt").links()).isEqualTo(5); // 2 + subdirectories app, b, target
        assertThat(Ext4Oracle.stat(img, "/a").links()).isEqualTo(2);
        assertThat(Ext4Oracle.stat(img, "/opt/app/run.sh").mode()).isEqualTo(04755);
        assertThat(Ext4Oracle.read(img, "/opt/b/c/d/deep")).isEqualTo("deep\n".getBytes(StandardCharsets.UTF_8));
        // the inode reads back whole (an error, e.g. "Inode checksum does not match inode", goes to stderr; a bare
        // "bad" on stdout was matched by checksums such as 0xa54fbad2)
        var optB = Ext4Oracle.debugfs(img, "stat /opt/b");
        assertThat(optB.out()).contains("Type: directory");
        assertThat(optB.err().lines().filter(l -> !l.startsWith("debugfs ")))
                .as("debugfs's complaints about /opt/b")
                .isEmpty();
        assertThat(Files.exists(model.resolve("opt/target"))).isTrue();
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, false)) {
            Trees.assertSame(model, fs);
            FileSystem.Node b = new Mirror(fs, model).resolve("/opt/b");
            assertThat(fs.lookup(b, "..").orElseThrow().id())
                    .isEqualTo(new Mirror(fs, model).resolve("/opt").id());
        }
    }
}
