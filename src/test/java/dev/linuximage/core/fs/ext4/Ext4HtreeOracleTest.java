package dev.linuximage.core.fs.ext4;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.ExtentVisitor;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.LittleEndian;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.Tools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Hashed lookup in htree directories. Oracles: debugfs {@code dx_hash} for the hash functions, directories indexed
 * by {@code e2fsck -fyD} with each hash version (set with {@code tune2fs -E hash_alg=}, unsigned hashing with
 * {@code debugfs -w -R "ssv flags 2"}), debugfs {@code htree} for the tree shape, {@code blocks} for the
 * directory's blocks, and a counting byte source proving a lookup reads O(depth) directory blocks, not all.
 */
@Tag("oracle")
class Ext4HtreeOracleTest {
    static final int NAMES = 2000;
    static Path work;
    static Path tree;
    static List<String> names;

    @BeforeAll
    static void buildTree() throws Exception {
        work = Tools.scratch("ext4-tests", "htree");
        tree = work.resolve("tree");
        Files.createDirectories(tree.resolve("big"));
        names = new ArrayList<>();
        Random r = new Random(4);
        for (int i = 0; i < NAMES; i++) {
            // varied lengths (1..~120 bytes) and non-ASCII bytes, so signed and unsigned hashing differ
            String n = switch (i % 4) {
                case 0 -> "é" + i + "-" + "ü".repeat(10 + r.nextInt(60));
                case 1 -> "file-" + i + "-" + "x".repeat(40 + r.nextInt(150));
                case 2 -> "日本" + i + "ÿ".repeat(r.nextInt(40));
                default -> i + "-" + "n".repeat(r.nextInt(200));
            };
            names.add(n);
            Files.write(tree.resolve("big").resolve(n), new byte[0]);
        }
    }

    @Test
    void hashesMatchDebugfsDxHash() throws Exception {
        Path img = work.resolve("hash.img");
        Ext4Oracle.mkfs(img, "4M", null, "-t", "ext4");
        List<String> samples = new ArrayList<>(List.of(
                "a",
                ".x",
                "hello",
                "héllo",
                "ÿÿÿÿ",
                "0123456789abcdef",
                "0123456789abcdefg",
                "x".repeat(31),
                "y".repeat(32),
                "z".repeat(33),
                "日本語のファイル名.txt",
                "é".repeat(40),
                "q".repeat(255)));
        String seed = "6d1f6a0e-5b2c-4b7e-9a51-0c3d2e1f4a5b";
        List<String> cmds = new ArrayList<>();
        for (int v = 0; v <= 5; v++) {
            for (String s : samples) {
                cmds.add("dx_hash -h HASHALG_" + v + " " + s);
                cmds.add("dx_hash -h HASHALG_" + v + " -s " + seed + " " + s);
            }
        }
        Path cmdFile = work.resolve("dx_hash.cmds");
        Files.writeString(cmdFile, String.join("\n", cmds) + "\n");
        Tools.Result res = Tools.command(List.of("debugfs", "-f", cmdFile.toString(), img.toString()))
                .exec();
        Matcher m = Pattern.compile("Hash of (\\S+) is 0x([0-9a-f]+) \\(minor 0x([0-9a-f]+)\\)")
                .matcher(res.out());
        int[] seedWords = seedWords(seed);
        int k = 0;
        for (int v = 0; v <= 5; v++) {
            for (String s : samples) {
                for (int[] sd : new int[][] {null, seedWords}) {
                    assertThat(m.find())
                            .as("debugfs output for %s:\n%s%s", cmds.get(k), res.out(), res.err())
                            .isTrue();
                    assertThat(m.group(1)).isEqualTo(s);
                    int[] ours = DirHash.hashes(v, s.getBytes(StandardCharsets.UTF_8), sd);
                    assertThat(Integer.toHexString(ours[0])).as(cmds.get(k)).isEqualTo(m.group(2));
                    assertThat(Integer.toHexString(ours[1]))
                            .as(cmds.get(k) + " minor")
                            .isEqualTo(m.group(3));
                    k++;
                }
            }
        }
        assertThat(k).isEqualTo(cmds.size());
    }

    /** The UUID text as the four little-endian words the superblock stores (bytes in textual order). */
    static int[] seedWords(String uuid) {
        String hex = uuid.replace("-", "");
        byte[] b = new byte[16];
        for (int i = 0; i < 16; i++) {
            b[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return new int[] {
            LittleEndian.i32(b, 0), LittleEndian.i32(b, 4), LittleEndian.i32(b, 8), LittleEndian.i32(b, 12)
        };
    }

    /** mke2fs -d, then the hash algorithm and signedness, then e2fsck -fyD to build the index with them. */
    static Path indexedImage(String name, String alg, boolean unsigned, String... mkfsOpts) throws Exception {
        Path img = work.resolve(name + ".img");
        Ext4Oracle.mkfs(img, "32M", tree, mkfsOpts);
        if (unsigned) {
            Tools.Result r = Ext4Oracle.debugfs(img, "-w", "ssv flags 2");
            assertThat(r.exit()).as(r.err()).isZero();
        }
        Tools.Result t = Tools.command(List.of("tune2fs", "-E", "hash_alg=" + alg, img.toString()))
                .exec();
        assertThat(t.exit()).as(t.out() + t.err()).isZero();
        Ext4Oracle.indexDirectories(img);
        Ext4Oracle.assertClean(img);
        assertThat(Ext4Oracle.indexed(img, "/big")).as("/big has an htree").isTrue();
        String sbDump =
                Tools.command(List.of("dumpe2fs", "-h", img.toString())).exec().out();
        assertThat(sbDump).contains("Default directory hash:   " + alg);
        if (unsigned) {
            assertThat(sbDump).contains("unsigned_directory_hash");
        } else {
            assertThat(sbDump).contains("signed_directory_hash").doesNotContain("unsigned_directory_hash");
        }
        return img;
    }

    static int indirectLevels(Path img) throws Exception {
        String h = Ext4Oracle.debugfs(img, "htree /big").out();
        Matcher m = Pattern.compile("Indirect levels: (\\d+)").matcher(h);
        assertThat(m.find()).as(h).isTrue();
        return Integer.parseInt(m.group(1));
    }

    /** Physical blocks holding the directory's content (bmap of each logical block; mapping blocks excluded). */
    static Set<Long> dirBlocks(Path img, String path, int bs) throws Exception {
        long n = Ext4Oracle.stat(img, path).size() / bs;
        List<String> cmds = new ArrayList<>();
        for (long l = 0; l < n; l++) {
            cmds.add("bmap " + path + " " + l);
        }
        Path cmdFile = work.resolve("bmap.cmds");
        Files.writeString(cmdFile, String.join("\n", cmds) + "\n");
        Tools.Result r = Tools.command(List.of("debugfs", "-f", cmdFile.toString(), img.toString()))
                .exec();
        Set<Long> out = new HashSet<>();
        for (String line : r.out().split("\n")) {
            if (line.matches("\\d+")) {
                out.add(Long.parseLong(line));
            }
        }
        assertThat(out).as(r.out()).hasSize((int) n);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "legacy-signed|legacy|false|-t ext4 -b 1024",
                "half_md4-signed|half_md4|false|-t ext4 -b 1024",
                "tea-signed|tea|false|-t ext4 -b 1024",
                "legacy-unsigned|legacy|true|-t ext4 -b 1024",
                "half_md4-unsigned|half_md4|true|-t ext4 -b 1024",
                "tea-unsigned|tea|true|-t ext4 -b 1024",
                "half_md4-4k-no-csum|half_md4|false|-t ext4 -b 4096 -O ^metadata_csum",
                "tea-ext3-1k|tea|false|-t ext3 -b 1024",
            })
    void everyNameIsFoundReadingOnlyAFewBlocks(String name, String alg, boolean unsigned, String opts)
            throws Exception {
        Path img = indexedImage(name, alg, unsigned, opts.split(" "));
        int levels = indirectLevels(img);
        if (opts.contains("1024")) {
            assertThat(levels)
                    .as("1 KiB blocks and 2000 long names need a two-level tree")
                    .isEqualTo(1);
        }
        Set<Long> bigBlocks = dirBlocks(img, "/big", opts.contains("4096") ? 4096 : 1024);
        assertThat(bigBlocks.size()).isGreaterThan(30);
        Map<String, Long> inodes = new HashMap<>();
        try (CountingSource src = new CountingSource(FileByteSource.openReadOnly(img));
                Ext4FileSystem fs = Ext4FileSystem.open(src, false)) {
            FileSystem.Node big = fs.lookup(fs.root(), "big").orElseThrow();
            int bs = fs.blockSize();
            for (FileSystem.Entry e : fs.list(big)) {
                inodes.put(e.name(), e.id());
            }
            assertThat(inodes.keySet()).containsExactlyInAnyOrderElementsOf(names);
            int maxReads = 0;
            long totalReads = 0;
            for (String n : names) {
                src.blocks.clear();
                FileSystem.Node found = fs.lookup(big, n).orElse(null);
                assertThat(found).as("lookup %s", n).isNotNull();
                assertThat(found.id()).as(n).isEqualTo(inodes.get(n));
                int reads = src.dirBlockReads(bigBlocks, bs);
                maxReads = Math.max(maxReads, reads);
                totalReads += reads;
            }
            System.out.printf(
                    "Ext4HtreeOracleTest %s: %d names, depth %d, %d directory blocks; per lookup max %d, "
                            + "mean %.3f blocks read%n",
                    name, names.size(), levels + 1, bigBlocks.size(), maxReads, (double) totalReads / names.size());
            // root + interior level(s) + the leaf; one more leaf only when a hash collision spans two leaves
            assertThat(maxReads)
                    .as("directory blocks read by one lookup (of %d)", bigBlocks.size())
                    .isLessThanOrEqualTo(levels + 3);
            assertThat((double) totalReads / names.size()).isLessThan(levels + 2.1);
            Random r = new Random(name.hashCode());
            for (int i = 0; i < 300; i++) {
                String absent = names.get(r.nextInt(names.size())) + (char) ('a' + r.nextInt(26));
                if (inodes.containsKey(absent)) {
                    continue;
                }
                src.blocks.clear();
                assertThat(fs.lookup(big, absent)).as(absent).isEmpty();
                assertThat(src.dirBlockReads(bigBlocks, bs)).isLessThanOrEqualTo(levels + 3);
            }
            assertThat(fs.lookup(big, "..").orElseThrow().id()).isEqualTo(2);
            assertThat(fs.lookup(big, ".").orElseThrow().id()).isEqualTo(big.id());
            assertThat(fs.htreeFallbacks())
                    .as(String.valueOf(fs.lastHtreeFallback()))
                    .isZero();
        }
    }

    @Test
    void unlinkThroughTheIndexKeepsItAndFsckClean() throws Exception {
        Path img = indexedImage("unlink", "half_md4", false, "-t", "ext4", "-b", "1024");
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            FileSystem.Node big = fs.lookup(fs.root(), "big").orElseThrow();
            for (int i = 0; i < NAMES; i += 7) {
                fs.unlink(big, names.get(i));
            }
            for (int i = 0; i < NAMES; i++) {
                assertThat(fs.lookup(big, names.get(i)).isPresent())
                        .as(names.get(i))
                        .isEqualTo(i % 7 != 0);
            }
            assertThat(fs.htreeFallbacks()).isZero();
            fs.flush();
        }
        Ext4Oracle.assertClean(img);
        assertThat(Ext4Oracle.indexed(img, "/big")).isTrue();
        assertThat(Ext4Oracle.debugfs(img, "stat /big/" + names.get(7)).err()).contains("File not found");
        assertThat(Ext4Oracle.debugfs(img, "stat /big/" + names.get(8)).err()).doesNotContain("File not found");
    }

    /** Patches bytes of logical block {@code lblk} of /big (physical block from debugfs bmap). */
    static void patchDirBlock(Path img, int lblk, int off, byte[] bytes, int bs) throws Exception {
        long pblk = Long.parseLong(
                Ext4Oracle.debugfs(img, "bmap /big " + lblk).out().trim());
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.seek(pblk * bs + off);
            f.write(bytes);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "limit",
        "count-zero",
        "count-over-limit",
        "levels",
        "hash-version",
        "info-length",
        "block-out-of-range",
        "block-zero",
        "hash-order",
        "flags",
    })
    void aBrokenIndexFallsBackToTheLinearScan(String what) throws Exception {
        // without metadata_csum, so only the structural checks can notice
        Path img = indexedImage("broken-" + what, "tea", false, "-t", "ext4", "-b", "1024", "-O", "^metadata_csum");
        int e = Htree.ROOT_ENTRIES;
        switch (what) {
            case "limit" -> patchDirBlock(img, 0, e, le16(100), 1024);
            case "count-zero" -> patchDirBlock(img, 0, e + 2, le16(0), 1024);
            case "count-over-limit" -> patchDirBlock(img, 0, e + 2, le16(2000), 1024);
            case "levels" -> patchDirBlock(img, 0, Htree.ROOT_INFO + 6, new byte[] {2}, 1024);
            case "hash-version" -> patchDirBlock(img, 0, Htree.ROOT_INFO + 4, new byte[] {6}, 1024);
            case "info-length" -> patchDirBlock(img, 0, Htree.ROOT_INFO + 5, new byte[] {16}, 1024);
            case "block-out-of-range" -> patchDirBlock(img, 0, e + 8 + 4, le32(0x0FFFFFFF), 1024);
            case "block-zero" -> patchDirBlock(img, 0, e + 4, le32(0), 1024);
            case "hash-order" -> {
                // in the first interior node (the root of a two-level tree has only a few entries)
                Matcher m = Pattern.compile("Entry #0: Hash 0x0+, block (\\d+)")
                        .matcher(Ext4Oracle.debugfs(img, "htree /big").out());
                assertThat(m.find()).isTrue();
                patchDirBlock(img, Integer.parseInt(m.group(1)), Htree.NODE_ENTRIES + 16, le32(0xFFFFFFF0), 1024);
            }
            case "flags" -> patchDirBlock(img, 0, Htree.ROOT_INFO + 7, new byte[] {1}, 1024);
            default -> throw new AssertionError(what);
        }
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, false)) {
            FileSystem.Node big = fs.lookup(fs.root(), "big").orElseThrow();
            for (int i = 0; i < NAMES; i += 50) {
                assertThat(fs.lookup(big, names.get(i))).as(names.get(i)).isPresent();
            }
            assertThat(fs.lookup(big, "not-there")).isEmpty();
            assertThat(fs.htreeFallbacks()).isGreaterThan(0);
            assertThat(fs.lastHtreeFallback()).contains("directory inode " + big.id());
        }
    }

    @Test
    void aDxChecksumMismatchIsATypedCorruption() throws Exception {
        Path img = indexedImage("bad-dx-csum", "half_md4", false, "-t", "ext4", "-b", "1024");
        // a hash of the root's second entry changes, the dx_tail checksum does not
        patchDirBlock(img, 0, Htree.ROOT_ENTRIES + 8, le32(0x00000010), 1024);
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, false)) {
            FileSystem.Node big = fs.lookup(fs.root(), "big").orElseThrow();
            assertThatThrownBy(() -> fs.lookup(big, names.get(3)))
                    .isInstanceOf(Ext4CorruptException.class)
                    .hasMessageContaining("dx block 0 checksum");
            // the listing does not depend on the index
            assertThat(fs.list(big)).hasSize(NAMES);
        }
    }

    /**
     * A three-level tree (large_dir) built by hand, since an e2fsck-made one needs ~50,000 long names: root -> 2
     * nodes -> 4 nodes -> 8 leaves of 8 names, keys from our half_md4. Name X is stored first in leaf 4 while the
     * key of leaf 4 is hash(X) | 1 (the collision flag), so the probe lands in leaf 3 and must climb two levels and
     * re-descend to reach it, as the kernel's ext4_htree_next_block does. Without large_dir the tree is refused.
     */
    @Test
    void threeLevelTreeWithACollisionAcrossNodes() throws Exception {
        int bs = 1024;
        List<byte[]> all = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            all.add(("synthetic-name-" + i).getBytes(StandardCharsets.UTF_8));
        }
        all.sort((a, b) -> Integer.compareUnsigned(DirHash.hash(1, a, null), DirHash.hash(1, b, null)));
        byte[][] blocks = new byte[15][bs];
        long[] key = new long[8]; // leaf l's starting hash
        for (int l = 0; l < 8; l++) {
            List<byte[]> in = all.subList(8 * l, 8 * l + 8);
            key[l] = DirHash.hash(1, in.get(0), null) & 0xFFFFFFFFL;
            int off = 0;
            for (int k = 0; k < 8; k++) {
                int len = k == 7 ? bs - off : Dirents.recLenFor(in.get(k).length);
                Dirents.put(blocks[7 + l], off, 100 + 8 * l + k, len, in.get(k), Dirents.FT_REG, true);
                off += len;
            }
        }
        byte[] x = all.get(32); // first name of leaf 4
        key[4] |= 1;
        // level 2 nodes (blocks 3..6) -> leaves (7..14); level 1 nodes (1..2) -> level 2; root -> level 1
        for (int j = 0; j < 4; j++) {
            node(
                    blocks[3 + j],
                    bs,
                    Htree.NODE_ENTRIES,
                    Htree.nodeLimit(bs, false),
                    7 + 2 * j,
                    key[2 * j + 1],
                    8 + 2 * j);
        }
        for (int m = 0; m < 2; m++) {
            node(
                    blocks[1 + m],
                    bs,
                    Htree.NODE_ENTRIES,
                    Htree.nodeLimit(bs, false),
                    3 + 2 * m,
                    key[4 * m + 2],
                    4 + 2 * m);
        }
        byte[] root = blocks[0];
        Dirents.put(root, 0, 50, 12, new byte[] {'.'}, Dirents.FT_DIR, true);
        Dirents.put(root, 12, 2, bs - 12, new byte[] {'.', '.'}, Dirents.FT_DIR, true);
        root[Htree.ROOT_INFO + 4] = 1; // half_md4
        root[Htree.ROOT_INFO + 5] = Htree.INFO_LENGTH;
        root[Htree.ROOT_INFO + 6] = 2; // indirect levels: three index levels in all
        LittleEndian.put16(root, Htree.ROOT_ENTRIES, Htree.rootLimit(bs, false));
        LittleEndian.put16(root, Htree.ROOT_ENTRIES + 2, 2);
        LittleEndian.put32(root, Htree.ROOT_ENTRIES + 4, 1);
        LittleEndian.put32(root, Htree.ROOT_ENTRIES + 8, key[4]);
        LittleEndian.put32(root, Htree.ROOT_ENTRIES + 12, 2);
        int[] reads = {0};
        Htree.DirBlocks dev = l -> {
            reads[0]++;
            return blocks[(int) l].clone();
        };
        Htree.Params largedir = new Htree.Params(bs, 15, false, 0, true, false, null, "synthetic");
        for (int i = 0; i < 64; i++) {
            byte[] n = all.get(i);
            reads[0] = 0;
            Htree h = Htree.probe(dev, largedir, root, n);
            int leaves = 0;
            boolean found = false;
            for (long leaf = h.nextLeaf(); leaf >= 0 && !found; leaf = h.nextLeaf()) {
                leaves++;
                for (Dirents.Dirent d : Dirents.parse(blocks[(int) leaf], 0, bs, bs, true, "leaf")) {
                    found |= d.nameEquals(n);
                }
            }
            assertThat(found).as("name %d", i).isTrue();
            if (Arrays.equals(n, x)) {
                assertThat(leaves)
                        .as("X: leaf 3, then across two node levels to leaf 4")
                        .isEqualTo(2);
                assertThat(reads[0])
                        .as("two interior nodes, then the next two on the way to leaf 4")
                        .isEqualTo(4);
            } else {
                assertThat(leaves).as("name %d", i).isEqualTo(1);
                assertThat(reads[0])
                        .as("two interior node reads for name %d", i)
                        .isEqualTo(2);
            }
        }
        Htree.Params noLargedir = new Htree.Params(bs, 15, false, 0, false, false, null, "synthetic");
        assertThatThrownBy(() -> Htree.probe(dev, noLargedir, root, x))
                .isInstanceOf(Htree.BadIndexException.class)
                .hasMessageContaining("indirect_levels 2");
    }

    /** An interior node: empty record spanning the block, count 2, entry 0 -> {@code b0}, entry 1 = (h1, b1). */
    static void node(byte[] blk, int bs, int entries, int limit, long b0, long h1, long b1) {
        Dirents.putRecLen(blk, 4, bs);
        LittleEndian.put16(blk, entries, limit);
        LittleEndian.put16(blk, entries + 2, 2);
        LittleEndian.put32(blk, entries + 4, b0);
        LittleEndian.put32(blk, entries + 8, h1);
        LittleEndian.put32(blk, entries + 12, b1);
    }

    static byte[] le16(int v) {
        byte[] b = new byte[2];
        LittleEndian.put16(b, 0, v);
        return b;
    }

    static byte[] le32(long v) {
        byte[] b = new byte[4];
        LittleEndian.put32(b, 0, v);
        return b;
    }

    /** Records which device blocks were read (by byte range), to count the directory blocks a lookup touches. */
    static final class CountingSource implements ByteSource {
        final FileByteSource inner;
        final List<long[]> blocks = new ArrayList<>();

        CountingSource(FileByteSource inner) {
            this.inner = inner;
        }

        @Override
        public long size() {
            return inner.size();
        }

        @Override
        public int read(long offset, ByteBuffer dst) throws IOException {
            int n = inner.read(offset, dst);
            if (n > 0) {
                blocks.add(new long[] {offset, n});
            }
            return n;
        }

        @Override
        public void extents(long offset, long length, ExtentVisitor visitor) throws IOException {
            inner.extents(offset, length, visitor);
        }

        /** Distinct blocks of {@code dir} touched by the reads recorded since the last clear. */
        int dirBlockReads(Set<Long> dir, int bs) {
            Set<Long> hit = new HashSet<>();
            for (long[] r : blocks) {
                for (long b = r[0] / bs; b <= (r[0] + r[1] - 1) / bs; b++) {
                    if (dir.contains(b)) {
                        hit.add(b);
                    }
                }
            }
            return hit.size();
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }
}
