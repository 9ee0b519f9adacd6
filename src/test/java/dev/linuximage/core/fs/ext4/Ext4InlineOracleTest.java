package dev.linuximage.core.fs.ext4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * inline_data: rewriting inline files (kept inline while content fits i_block + the system.data in-inode xattr,
 * converted to a mapped file beyond) and changing inline directories (converted to one block first). Oracles:
 * e2fsck -fn, debugfs cat / rdump / stat (flags) / ea_get, and our reader after reopening.
 */
@Tag("oracle")
class Ext4InlineOracleTest {
    static final int INLINE_FL = 0x10000000;
    static final int EXTENTS_FL = 0x80000;
    static Path work;
    static Path tree;

    @BeforeAll
    static void buildTree() throws Exception {
        work = Tools.scratch("ext4-tests", "inline");
        tree = work.resolve("tree");
        Random r = new Random(11);
        Files.createDirectories(tree.resolve("d"));
        Files.createDirectories(tree.resolve("d2/sub"));
        Files.createDirectories(tree.resolve("d3"));
        for (String n : new String[] {"small", "small2", "small3", "grow", "edge128", "edge129", "tagged"}) {
            Files.write(tree.resolve(n), ("inline " + n + "\n").getBytes(StandardCharsets.UTF_8));
        }
        Files.write(tree.resolve("mid"), Trees.random(r, 100)); // 60 in i_block + 40 in system.data
        Files.write(tree.resolve("empty"), new byte[0]);
        Files.write(tree.resolve("large"), Trees.random(r, 5000)); // extents
        Files.write(tree.resolve("untouched"), Trees.random(r, 90));
        Files.write(tree.resolve("d/a"), "a".getBytes(StandardCharsets.UTF_8));
        Files.write(tree.resolve("d/b"), "b".getBytes(StandardCharsets.UTF_8));
        Files.write(tree.resolve("d2/x"), "x".getBytes(StandardCharsets.UTF_8));
        Files.write(tree.resolve("d3/y"), "y".getBytes(StandardCharsets.UTF_8));
    }

    static int flags(Path img, String path) throws Exception {
        var m = java.util.regex.Pattern.compile("Flags: 0x([0-9a-f]+)")
                .matcher(Ext4Oracle.debugfs(img, "stat " + path).out());
        assertThat(m.find()).as(path).isTrue();
        return (int) Long.parseLong(m.group(1), 16);
    }

    /**
     * debugfs stat's size is the content's length and debugfs cat starts with the content. (debugfs 1.47.0 cat and
     * rdump print all 60 bytes of i_block for an inline file shorter than that, even on an image fresh from
     * mke2fs, so only the first i_size bytes are compared and the rest must be zeros.)
     */
    static void assertCat(Path img, String path, byte[] want) throws Exception {
        assertThat(Ext4Oracle.stat(img, path).size()).as("size of " + path).isEqualTo(want.length);
        byte[] got = Ext4Oracle.read(img, path);
        assertThat(got.length).as("cat length of " + path).isGreaterThanOrEqualTo(want.length);
        assertThat(java.util.Arrays.copyOf(got, want.length))
                .as("content of " + path)
                .isEqualTo(want);
        for (int k = want.length; k < got.length; k++) {
            assertThat(got[k]).as(path + " byte " + k + " past i_size").isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "ext4-4k|-t ext4 -b 4096 -O inline_data",
                "ext4-1k|-t ext4 -b 1024 -O inline_data",
                "ext4-no-csum|-t ext4 -O inline_data,^metadata_csum",
            })
    void inlineFilesAreRewrittenAndInlineDirectoriesConverted(String name, String opts) throws Exception {
        Path img = work.resolve(name + ".img");
        Ext4Oracle.mkfs(img, "16M", tree, opts.split(" "));
        // a second in-inode xattr next to system.data: it must survive both kinds of rewrite
        for (String f : new String[] {"/tagged", "/mid"}) {
            Tools.Result r = Ext4Oracle.debugfs(img, "-w", "ea_set " + f + " user.tag kept-" + f.substring(1));
            assertThat(r.exit()).as(r.err()).isZero();
        }
        Ext4Oracle.assertClean(img);
        for (String f : new String[] {"/small", "/mid", "/empty", "/edge128", "/tagged", "/d", "/d2", "/d3"}) {
            assertThat(flags(img, f) & INLINE_FL).as(f + " is inline").isNotZero();
        }
        assertThat(flags(img, "/large") & INLINE_FL).isZero();
        Path model = work.resolve(name + "-model");
        Mirror.copyTree(tree, model);
        Random r = new Random(name.hashCode());
        byte[] untouched = Files.readAllBytes(tree.resolve("untouched"));
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            assertThat(fs.writable()).as(fs.writeRefusalReason().orElse("")).isTrue();
            Mirror m = new Mirror(fs, model);
            // small -> small, small -> i_block + xattr, xattr -> small, empty stays empty
            m.write("/small", "still small".getBytes(StandardCharsets.UTF_8));
            m.write("/small2", Trees.random(r, 100));
            m.write("/mid", "now tiny".getBytes(StandardCharsets.UTF_8));
            m.write("/empty", new byte[0]);
            // 256-byte inodes, extra_isize 32: 92 bytes of xattr area, 24 taken by the system.data entry, so
            // 60 + 68 = 128 bytes stay inline and 129 do not
            m.write("/edge128", Trees.random(r, 128));
            m.write("/edge129", Trees.random(r, 129));
            // small -> large (converted), inline with another xattr -> large (converted, the xattr kept)
            m.write("/small3", Trees.random(r, 10_000));
            m.write("/tagged", Trees.random(r, 3000));
            // an extent-mapped file stays extent-mapped
            m.write("/large", Trees.random(r, 40));
            // a file that grows step by step across the boundary, then shrinks again (stays mapped)
            m.write("/grow", Trees.random(r, 61));
            m.write("/grow", Trees.random(r, 200));
            m.write("/grow", Trees.random(r, 7));
            // new files in an inline_data file system are mapped; names added to / removed from / renamed
            // between inline directories convert them to one block first
            m.create("/d/new", Trees.random(r, 50), 0644, 0, 0);
            m.mkdir("/d/newdir", 0755, 0, 0);
            m.unlink("/d2/x");
            m.rename("/d3/y", "/d3/z");
            m.rename("/d2/sub", "/d/sub");
            fs.flush();
        }
        Ext4Oracle.assertClean(img);
        // every file of the model, through debugfs: size from stat, content from cat
        try (var walk = Files.walk(model)) {
            for (Path h : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                String gp = "/" + model.relativize(h).toString().replace('\\', '/');
                assertCat(img, gp, Files.readAllBytes(h));
            }
        }
        for (String f : new String[] {"/small", "/small2", "/mid", "/empty", "/edge128"}) {
            assertThat(flags(img, f) & INLINE_FL).as(f + " still inline").isNotZero();
        }
        for (String f : new String[] {"/edge129", "/small3", "/tagged", "/large", "/grow"}) {
            int fl = flags(img, f);
            assertThat(fl & INLINE_FL).as(f + " no longer inline").isZero();
            assertThat(fl & EXTENTS_FL).as(f + " extent-mapped").isNotZero();
        }
        assertThat(Ext4Oracle.debugfs(img, "ea_get /tagged user.tag").out()).contains("kept-tagged");
        assertThat(Ext4Oracle.debugfs(img, "ea_get /mid user.tag").out()).contains("kept-mid");
        assertThat(Ext4Oracle.debugfs(img, "ea_list /small3").out()).doesNotContain("system.data");
        assertCat(img, "/untouched", untouched);
        assertThat(flags(img, "/untouched") & INLINE_FL).isNotZero();
        for (String d : new String[] {"/d", "/d2", "/d3"}) {
            assertThat(flags(img, d) & INLINE_FL).as(d + " converted").isZero();
        }
        assertThat(Ext4Oracle.stat(img, "/d").links()).isEqualTo(4); // ., .. + newdir, sub
        assertThat(Ext4Oracle.stat(img, "/d2").links()).isEqualTo(2);
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, false)) {
            Trees.assertSame(model, fs);
            Mirror m = new Mirror(fs, model);
            assertThat(fs.lookup(m.resolve("/d/sub"), "..").orElseThrow().id())
                    .isEqualTo(m.resolve("/d").id());
        }
    }

    /**
     * Random rewrites (0..300 bytes, across the inline limit both ways), moves between inline directories and
     * unlinks over a tree of inline files and directories; then e2fsck -fn, debugfs stat/cat of every file and our
     * reader against the model. The seed is printed; rerun with {@code -Dext4.seed=N}.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "random-1k|-t ext4 -b 1024 -O inline_data",
                "random-4k-no-csum|-t ext4 -b 4096 -O inline_data,^metadata_csum",
            })
    void randomInlineChangesStayConsistent(String name, String opts) throws Exception {
        long seed = Long.getLong("ext4.seed", System.nanoTime());
        System.out.println("Ext4InlineOracleTest " + name + " seed " + seed + " (rerun: -Dext4.seed=" + seed + ")");
        Random r = new Random(seed);
        Path dir = Tools.scratch("ext4-tests", "inline-" + name);
        Path model = dir.resolve("model");
        for (int d = 0; d < 4; d++) {
            Files.createDirectories(model.resolve("d" + d));
            for (int f = 0; f < 3; f++) {
                Files.write(model.resolve("d" + d).resolve("f" + f), Trees.random(r, r.nextInt(120)));
            }
        }
        Path img = dir.resolve("fs.img");
        Ext4Oracle.mkfs(img, "16M", model, opts.split(" "));
        assertThat(flags(img, "/d0/f0") & INLINE_FL).isNotZero();
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            Mirror m = new Mirror(fs, model);
            for (int i = 0; i < 150; i++) {
                java.util.List<Path> files;
                try (var w = Files.walk(model)) {
                    files = w.filter(Files::isRegularFile).sorted().toList();
                }
                if (files.isEmpty()) {
                    break;
                }
                Path pick = files.get(r.nextInt(files.size()));
                String gp = "/" + model.relativize(pick).toString();
                int op = r.nextInt(10);
                if (op < 7) {
                    m.write(gp, Trees.random(r, r.nextInt(301)));
                } else if (op < 9) {
                    String to = "/d" + r.nextInt(4) + "/m" + i;
                    m.rename(gp, to);
                } else {
                    m.unlink(gp);
                }
            }
            fs.flush();
        }
        Tools.Result fsck = Ext4Oracle.fsck(img);
        assertThat(fsck.exit()).as(name + " seed " + seed + "\n" + fsck.out()).isZero();
        try (var walk = Files.walk(model)) {
            for (Path h : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                assertCat(img, "/" + model.relativize(h).toString(), Files.readAllBytes(h));
            }
        }
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, false)) {
            Trees.assertSame(model, fs);
        }
    }
}
