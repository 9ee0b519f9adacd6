package dev.linuximage.core.fs.xfs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random rounds of large-file writes on a /boot-like XFS whose free space is fragmented
 * ({@link XfsFragmented}: 512 MiB, 4 AGs, mkfs.xfs -p files with two of three removed, AG tails filled). Each
 * round rewrites a file to a random size from 0 B to 80 MiB (in place, one extent, several extents, or a bmap btree,
 * whichever the free space gives), removes one, or creates one; after every round {@code xfs_repair -n} must be
 * silent and the touched file must read back equal both through xfs_db's block map and through our reader; every
 * few rounds and at the end every file is compared through xfs_db, and at the end through a kernel loop mount when
 * this host can mount. A refusal must name its reason, leave every file as it was, and "not enough free space" may only come when
 * the AGF counters (read by xfs_db) say the space is really short.
 *
 * <p>Defaults keep the test well under a minute on an idle machine; {@code -Dxfs.grow.rounds=N},
 * {@code -Dxfs.grow.seed=S} and {@code -Dxfs.grow.bytes=B} (total bytes written) run more or other rounds.
 */
@Tag("oracle")
class XfsGrowRoundsOracleTest {
    static final int MIB = 1 << 20;

    @TempDir
    Path tmp;

    @Test
    void seededRandomRewritesRemovesAndCreatesStayRepairClean() throws Exception {
        long seed = Long.getLong("xfs.grow.seed", 20261205L);
        int rounds = Integer.getInteger("xfs.grow.rounds", 12);
        long byteBudget = Long.getLong("xfs.grow.bytes", 640L * MIB);
        Random r = new Random(seed);
        XfsFragmented x = XfsFragmented.build(tmp, 512, 340, seed, 8);
        Path img = x.img;
        Map<String, XfsFragmented.Content> files = x.files;
        XfsFileSystemOracleTest.repairClean(img);
        long bs = sbLong(img, "blocksize");
        long inlineMax = (sbLong(img, "inodesize") - 176) / 16; // extent records the data fork holds (no attr fork)
        // Space accounting from the on-disk fields: free blocks + the files' blocks (di_nblocks: data and bmap btree)
        // + inode chunk blocks stay constant, so blocks past a shrunk file's end must come back to sb_fdblocks.
        long invariant = accounted(meta(img, files.keySet()));
        int shrinks = 0;
        int rewrites = 0;
        int btrees = 0;
        int multi = 0;
        int refused = 0;
        long written = 0;
        List<String> log = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            List<String> paths = new ArrayList<>(files.keySet());
            int op = round == 0 ? 0 : r.nextInt(10);
            String path;
            XfsFragmented.Content want;
            boolean shrink = round == 1 || (op == 6 && round > 0); // round 1: the 80 MiB file of round 0
            if (op < 7 || paths.size() < 8 || shrink) {
                path = paths.get(r.nextInt(paths.size()));
                int size = round == 0 ? 80 * MIB - r.nextInt(4096) : randomSize(r);
                if (shrink) { // the largest file, cut anywhere (often inside an extent, a btree may become a list)
                    path = files.entrySet().stream()
                            .max(Map.Entry.comparingByValue(
                                    java.util.Comparator.comparingInt(XfsFragmented.Content::len)))
                            .orElseThrow()
                            .getKey();
                    size = r.nextInt(Math.max(1, files.get(path).len()));
                }
                long usable = usableBlocks(img, bs);
                if (round > 0 && usable * bs < 96L * MIB && r.nextBoolean()) {
                    // space is short: half the time shrink the largest file, so later rounds can grow again
                    path = files.entrySet().stream()
                            .max(Map.Entry.comparingByValue(
                                    java.util.Comparator.comparingInt(XfsFragmented.Content::len)))
                            .orElseThrow()
                            .getKey();
                    size = r.nextInt(8 * MIB);
                }
                if (written + size > byteBudget) {
                    size = r.nextInt(64 << 10);
                }
                want = new XfsFragmented.Content(seed * 1000 + round, size);
                if (round == 0) { // the scenario's premise: the first 80 MiB file fits no single free extent
                    assertThat(XfsFragmented.largestFree(img)).isLessThan((size + bs - 1) / bs);
                }
                long need = (size + bs - 1) / bs;
                try (FileByteSource src = FileByteSource.openReadWrite(img);
                        XfsFileSystem fs = XfsFileSystem.open(src, true)) {
                    fs.replaceContent(node(fs, path), want.bytes());
                    written += size;
                    rewrites++;
                    shrinks += shrink ? 1 : 0;
                    files.put(path, want);
                    assertThat(XfsFileSystemOracleTest.readAll(fs, node(fs, path)))
                            .as(path)
                            .isEqualTo(want.bytes());
                } catch (UnsupportedFsFeatureException e) {
                    refused++;
                    assertThat(e.getMessage())
                            .containsAnyOf(
                                    "not enough free space",
                                    "so fragmented",
                                    "btree splits are not implemented",
                                    "more than one level");
                    if (e.getMessage().contains("not enough free space")) {
                        // short by the AGF counters (a few blocks of slack for bmap btree leaves)
                        assertThat(need + 32).as(e.getMessage()).isGreaterThan(usable);
                    }
                    want = files.get(path);
                }
                log.add(round + ": " + (shrink ? "shrink " : "rewrite ") + path + " to " + size + " B");
            } else if (op < 8) {
                path = paths.get(r.nextInt(paths.size()));
                try (FileByteSource src = FileByteSource.openReadWrite(img);
                        XfsFileSystem fs = XfsFileSystem.open(src, true)) {
                    String dir = path.substring(1, path.lastIndexOf('/'));
                    fs.unlink(fs.lookup(fs.root(), dir).orElseThrow(), path.substring(path.lastIndexOf('/') + 1));
                }
                files.remove(path);
                want = null;
                assertThat(Tools.run(
                                        "xfs_db",
                                        "-r",
                                        "-c",
                                        "ls " + path.substring(0, path.lastIndexOf('/')),
                                        img.toString())
                                .out())
                        .doesNotContain(" " + path.substring(path.lastIndexOf('/') + 1) + "\n");
                log.add(round + ": unlink " + path);
            } else {
                String dir = "d" + r.nextInt(XfsFragmented.DIRS);
                path = "/" + dir + "/new-" + round;
                want = new XfsFragmented.Content(seed * 1000 + round, r.nextInt(XfsFileSystem.MAX_CREATE_BYTES + 1));
                try (FileByteSource src = FileByteSource.openReadWrite(img);
                        XfsFileSystem fs = XfsFileSystem.open(src, true)) {
                    fs.createFile(fs.lookup(fs.root(), dir).orElseThrow(), "new-" + round, 0644, 0, 0, want.bytes());
                }
                files.put(path, want);
                log.add(round + ": create " + path + " of " + want.len() + " B");
            }
            XfsFileSystemOracleTest.repairClean(img);
            Map<String, long[]> snap = meta(img, files.keySet());
            assertThat(accounted(snap)).as(String.join("\n", log)).isEqualTo(invariant);
            if (want != null) {
                assertThat(XfsFragmented.oracleMismatches(img, Map.of(path, want)))
                        .as(String.join("\n", log))
                        .isEmpty();
                // the file maps exactly the blocks its size needs (a shrink freed the rest), plus bmap btree
                // leaves only in btree format, which is only used when the extents do not fit the inode
                long[] f = snap.get(path);
                btrees += f[2] == 3 ? 1 : 0;
                long dataBlocks = (want.len() + bs - 1) / bs;
                if (f[2] == 2) {
                    assertThat(f[0]).as(String.join("\n", log)).isEqualTo(dataBlocks);
                    assertThat(f[3]).isLessThanOrEqualTo(inlineMax);
                } else {
                    assertThat(f[2]).isEqualTo(3);
                    assertThat(f[0] - dataBlocks).as(String.join("\n", log)).isBetween(1L, inlineMax);
                    assertThat(f[3]).isGreaterThan(inlineMax);
                }
                multi += f[3] > 1 ? 1 : 0;
            }
            if (round % 5 == 4) {
                assertThat(XfsFragmented.oracleMismatches(img, files))
                        .as(String.join("\n", log))
                        .isEmpty();
            }
        }
        assertThat(XfsFragmented.oracleMismatches(img, files))
                .as(String.join("\n", log))
                .isEmpty();
        System.out.printf(
                "xfs grow rounds: seed %d, %d rounds, %d rewrites (%d MiB written, %d shrinks of the "
                        + "largest file), %d with several extents, %d bmap btrees, %d refused%n",
                seed, rounds, rewrites, written >> 20, shrinks, multi, btrees, refused);
        // the rounds must exercise what they are for: rewrites that succeed, several extents, a bmap btree
        assertThat(rewrites).as(String.join("\n", log)).isGreaterThan(rounds / 3);
        assertThat(btrees).isPositive();
        assertThat(multi).isPositive();
        assertThat(refused).isLessThan(rounds);
        assertThat(shrinks).as(String.join("\n", log)).isPositive();
        kernelReadBack(img, files);
    }

    /**
     * Per path (di_nblocks, di_size, data fork format 2 extents / 3 btree, extent count), and under "" the
     * superblock's (fdblocks, icount, inopblock), from one xfs_db run.
     */
    static Map<String, long[]> meta(Path img, java.util.Collection<String> paths) throws Exception {
        List<String> cmd =
                new ArrayList<>(List.of("xfs_db", "-r", "-c", "sb 0", "-c", "print fdblocks icount inopblock"));
        for (String p : paths) {
            cmd.addAll(List.of(
                    "-c",
                    "echo @@ " + p,
                    "-c",
                    "path " + p,
                    "-c",
                    "print core.nblocks core.size core.format core.nextents"));
        }
        cmd.add(img.toString());
        Map<String, long[]> out = new LinkedHashMap<>();
        String[] parts = Tools.run(cmd.toArray(new String[0])).out().split("@@ ");
        Matcher sb = Pattern.compile("(?s)fdblocks = (\\d+)\\s+icount = (\\d+)\\s+inopblock = (\\d+)")
                .matcher(parts[0]);
        assertThat(sb.find()).as(parts[0]).isTrue();
        out.put("", new long[] {Long.parseLong(sb.group(1)), Long.parseLong(sb.group(2)), Long.parseLong(sb.group(3))});
        Pattern p = Pattern.compile(
                "(?s)core.nblocks = (\\d+)\\s+core.size = (\\d+)\\s+core.format = (\\d)" + ".*?core.nextents = (\\d+)");
        for (int k = 1; k < parts.length; k++) {
            String path = parts[k].substring(0, parts[k].indexOf('\n')).trim();
            Matcher m = p.matcher(parts[k]);
            assertThat(m.find()).as(parts[k]).isTrue();
            out.put(path, new long[] {
                Long.parseLong(m.group(1)),
                Long.parseLong(m.group(2)),
                Long.parseLong(m.group(3)),
                Long.parseLong(m.group(4))
            });
        }
        assertThat(out).hasSize(paths.size() + 1);
        return out;
    }

    /** sb_fdblocks + the files' di_nblocks + inode chunk blocks (sb_icount / sb_inopblock), from {@link #meta}. */
    private static long accounted(Map<String, long[]> meta) {
        long[] sb = meta.get("");
        long sum = sb[0] + sb[1] / sb[2];
        for (Map.Entry<String, long[]> e : meta.entrySet()) {
            sum += e.getKey().isEmpty() ? 0 : e.getValue()[0];
        }
        return sum;
    }

    /** 0 B (1 in 20), up to 64 KiB, up to 8 MiB, or 8 MiB to 80 MiB. */
    private static int randomSize(Random r) {
        int k = r.nextInt(20);
        if (k == 0) {
            return 0;
        }
        if (k < 6) {
            return r.nextInt(64 << 10);
        }
        if (k < 13) {
            return r.nextInt(8 * MIB);
        }
        return 8 * MIB + r.nextInt(72 * MIB + 1);
    }

    private static FileSystem.Node node(XfsFileSystem fs, String path) throws Exception {
        FileSystem.Node n = fs.root();
        for (String part : path.substring(1).split("/")) {
            n = fs.lookup(n, part).orElseThrow();
        }
        return n;
    }

    private static long sbLong(Path img, String field) throws Exception {
        String out = Tools.run("xfs_db", "-r", "-c", "sb 0", "-c", "print " + field, img.toString())
                .out();
        Matcher m = Pattern.compile(field + " = (\\d+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** Blocks allocatable by the writer's documented rule: per AG, freeblks minus 1/64 of the AG (xfs_db agf). */
    private static long usableBlocks(Path img, long bs) throws Exception {
        long agcount = sbLong(img, "agcount");
        long agblocks = sbLong(img, "agblocks");
        List<String> cmd = new ArrayList<>(List.of("xfs_db", "-r"));
        for (int ag = 0; ag < agcount; ag++) {
            cmd.addAll(List.of("-c", "agf " + ag, "-c", "print freeblks"));
        }
        cmd.add(img.toString());
        Matcher m = Pattern.compile("freeblks = (\\d+)")
                .matcher(Tools.run(cmd.toArray(new String[0])).out());
        long usable = 0;
        while (m.find()) {
            usable += Math.max(0, Long.parseLong(m.group(1)) - (agblocks >> 6));
        }
        return usable;
    }

    /** The Linux kernel reads every file back through a read-only loop mount, when this host can mount. */
    private void kernelReadBack(Path img, Map<String, XfsFragmented.Content> files) throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        if (Tools.exec("mount", "-o", "loop,ro", img.toString(), mnt.toString()).exit() != 0) {
            return; // no loop mounts here (not root): the xfs_db block-map comparisons above stand alone
        }
        try {
            Map<String, String> bad = new LinkedHashMap<>();
            for (Map.Entry<String, XfsFragmented.Content> e : files.entrySet()) {
                byte[] got = Files.readAllBytes(mnt.resolve(e.getKey().substring(1)));
                if (!java.util.Arrays.equals(got, e.getValue().bytes())) {
                    bad.put(e.getKey(), got.length + " bytes");
                }
            }
            assertThat(bad).isEmpty();
        } finally {
            Tools.run("umount", mnt.toString());
        }
    }
}
