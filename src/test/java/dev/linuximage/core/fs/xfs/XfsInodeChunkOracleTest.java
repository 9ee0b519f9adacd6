package dev.linuximage.core.fs.xfs;

import static dev.linuximage.core.fs.xfs.XfsCreateOracleTest.db;
import static dev.linuximage.core.fs.xfs.XfsCreateOracleTest.sha;
import static dev.linuximage.core.fs.xfs.XfsFileSystemOracleTest.readAll;
import static dev.linuximage.core.fs.xfs.XfsFileSystemOracleTest.repairClean;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.DiskFiles;
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
 * New inode chunks: files are created on mkfs.xfs -p images until every allocated inode is used and several new
 * 64-inode chunks are needed. After every step {@code xfs_repair -n} must be silent and the counters xfs_db reads
 * must be what the on-disk format says: {@code sb_icount} grows by 64 per chunk and equals the AGIs' counts,
 * {@code sb_ifree} is the free inodes left, {@code sb_fdblocks} drops by exactly the chunk's blocks (64 /
 * inopblock) plus the files' data blocks, every inobt record starts on an {@code sb_inoalignmt} boundary, and the
 * finobt (when present) holds exactly the records with free inodes. Contents are read back through xfs_db's block
 * maps and our reader. Variants: mkfs defaults (finobt, sparse inodes), {@code -m finobt=0}, and
 * {@code -i sparse=0} (the older inobt record format with a 32-bit freecount).
 */
@Tag("oracle")
class XfsInodeChunkOracleTest {
    /** New chunks each variant needs ({@code -Dxfs.chunks=N} for more). */
    static final int CHUNKS = Integer.getInteger("xfs.chunks", 2);

    @TempDir
    Path tmp;

    @Test
    void newChunksWithFinobtAndSparseInodes() throws Exception {
        fillUntilNewChunks(List.of(), CHUNKS);
    }

    @Test
    void newChunksWithoutFinobt() throws Exception {
        fillUntilNewChunks(List.of("-m", "finobt=0"), CHUNKS);
    }

    @Test
    void newChunksWithoutSparseInodesOrFinobt() throws Exception {
        fillUntilNewChunks(List.of("-i", "sparse=0", "-m", "finobt=0"), CHUNKS);
    }

    /** mkfs.xfs -p, two AGs: directories d0..d7 with {@code filesPerDir} files each. */
    private Path image(List<String> mkfs, int filesPerDir) throws Exception {
        Path src = Files.writeString(tmp.resolve("small"), "x\n");
        StringBuilder p = new StringBuilder("/dev/null\n0 0\nd--755 0 0\n");
        for (int d = 0; d < 8; d++) {
            p.append("d").append(d).append(" d--755 0 0\n");
            for (int f = 0; f < filesPerDir; f++) {
                p.append(" prototype-file-")
                        .append(f)
                        .append(" ---644 0 0 ")
                        .append(src)
                        .append('\n');
            }
            p.append("$\n");
        }
        p.append("$\n");
        Path proto = Files.writeString(tmp.resolve("chunks.proto"), p.toString());
        Path img = DiskFiles.sparse(tmp.resolve("chunks.img"), 300L << 20);
        List<String> cmd = new ArrayList<>(List.of("mkfs.xfs", "-q", "-f", "-d", "agcount=2"));
        cmd.addAll(mkfs);
        cmd.addAll(List.of("-p", proto.toString(), img.toString()));
        Tools.run(cmd.toArray(new String[0]));
        return img;
    }

    /**
     * Creates only in the directories of AG 0 (found with xfs_db). Like the kernel's xfs_dialloc, a create takes a
     * free inode of the parent's AG, and when that AG has none allocates a new chunk there (before using free
     * inodes of other AGs): so "AGI 0 freecount is 0" is exactly "the next create needs a chunk in AG 0".
     */
    private void fillUntilNewChunks(List<String> mkfs, int chunks) throws Exception {
        Path img = image(mkfs, 16); // 16 names: block-form directories, so creating adds no directory block
        repairClean(img);
        Map<String, Long> sb0 = sb(img);
        long bs = sb0.get("blocksize");
        long chunkBlocks = 64 / sb0.get("inopblock");
        int agShift = (int) (num(db(img, "sb 0", "print agblklog"), "agblklog")
                + num(db(img, "sb 0", "print inopblog"), "inopblog"));
        List<String> dirs = new ArrayList<>();
        Matcher ls = Pattern.compile("(?m)^\\d+\\s+(\\d+)\\s+directory\\s+\\S+\\s+\\d+\\s+(d\\d)\\b")
                .matcher(db(img, "ls /"));
        while (ls.find()) {
            if (Long.parseLong(ls.group(1)) >>> agShift == 0) {
                dirs.add(ls.group(2));
            }
        }
        assertThat(dirs).as(db(img, "ls /")).hasSizeGreaterThanOrEqualTo(3);
        boolean finobt = db(img, "version").contains("FINOBT");
        Random r = new Random(20261205L);
        Map<String, XfsFragmented.Content> files = new LinkedHashMap<>();
        long dataBlocks = 0;
        int made = 0;
        for (int chunk = 0; chunk <= chunks; chunk++) {
            // step 0: use up AG 0's free inodes (no chunk may appear); step 1: one more create needs a new chunk
            for (int step = 0; step < 2; step++) {
                if (chunk == chunks && step == 1) {
                    break;
                }
                State before = state(img, finobt);
                long agFree = before.agFree()[0];
                long agCount = before.agCount()[0];
                long n = step == 0 ? agFree : 1;
                if (step == 1) {
                    assertThat(agFree).isZero();
                }
                try (FileByteSource src = FileByteSource.openReadWrite(img);
                        XfsFileSystem fs = XfsFileSystem.open(src, true)) {
                    for (long i = 0; i < n; i++, made++) {
                        String dir = dirs.get(made % dirs.size());
                        int len = r.nextInt(10) == 0 ? 0 : r.nextInt(6000);
                        XfsFragmented.Content c = new XfsFragmented.Content(made, len);
                        FileSystem.Node f = fs.createFile(
                                fs.lookup(fs.root(), dir).orElseThrow(), "n" + made, 0644, 0, 0, c.bytes());
                        assertThat(f.id() >>> agShift).isZero();
                        assertThat(readAll(fs, f)).isEqualTo(c.bytes());
                        files.put("/" + dir + "/n" + made, c);
                        dataBlocks += (len + bs - 1) / bs;
                    }
                }
                repairClean(img);
                State now = state(img, finobt);
                long newChunks = step;
                String ctx = "chunk " + chunk + " step " + step + " after " + made + " creates";
                assertThat(now.agCount()[0]).as(ctx).isEqualTo(agCount + 64 * newChunks);
                assertThat(now.agFree()[0]).as(ctx).isEqualTo(step == 0 ? 0 : 63);
                assertThat(now.sb().get("icount")).as(ctx).isEqualTo(before.sb().get("icount") + 64 * newChunks);
                assertThat(now.sb().get("ifree")).as(ctx).isEqualTo(before.sb().get("ifree") - n + 64 * newChunks);
                assertThat(now.sb().get("fdblocks"))
                        .as(ctx)
                        .isEqualTo(sb0.get("fdblocks")
                                - dataBlocks
                                - chunkBlocks * (now.sb().get("icount") - sb0.get("icount")) / 64);
                checkInodeBtrees(now, ctx);
            }
        }
        assertThat(sb(img).get("icount")).isEqualTo(sb0.get("icount") + 64L * chunks);
        assertThat(XfsFragmented.oracleMismatches(img, files)).isEmpty();
    }

    /** What xfs_db reads in one run: superblock fields, per AG the AGI count/freecount and inobt/finobt records. */
    record State(
            Map<String, Long> sb, long[] agCount, long[] agFree, List<List<long[]>> inobt, List<List<long[]>> finobt) {}

    static State state(Path img, boolean finobt) throws Exception {
        List<String> cmds = new ArrayList<>(List.of("sb 0", "print " + String.join(" ", SB_FIELDS)));
        long agcount = sb(img).get("agcount");
        for (int ag = 0; ag < agcount; ag++) {
            cmds.addAll(List.of(
                    "echo @@",
                    "agi " + ag,
                    "print count freecount level free_level",
                    "echo @i",
                    "addr root",
                    "print recs"));
            if (finobt) {
                cmds.addAll(List.of("echo @f", "agi " + ag, "addr free_root", "print recs"));
            }
        }
        String[] parts = db(img, cmds.toArray(new String[0])).split("@@ ?\n");
        Map<String, Long> sb = new LinkedHashMap<>();
        for (String k : SB_FIELDS) {
            sb.put(k, num(parts[0], k));
        }
        long[] count = new long[(int) agcount];
        long[] free = new long[(int) agcount];
        List<List<long[]>> ino = new ArrayList<>();
        List<List<long[]>> fino = new ArrayList<>();
        for (int ag = 0; ag < agcount; ag++) {
            String p = parts[ag + 1];
            String head = p.substring(0, p.indexOf("@i"));
            assertThat(head).contains("level = 1"); // single-leaf inode btrees here: all records parsed below
            count[ag] = num(head, "count");
            free[ag] = num(head, "freecount");
            String rest = p.substring(p.indexOf("@i") + 2);
            int f = rest.indexOf("@f");
            ino.add(recs(f < 0 ? rest : rest.substring(0, f)));
            fino.add(f < 0 ? null : recs(rest.substring(f + 2)));
        }
        return new State(sb, count, free, ino, fino);
    }

    /**
     * AGI count/freecount summed equal sb icount/ifree; every inobt record starts at an agbno that is a multiple of
     * sb_inoalignmt with 64 inodes, its freecount matches its free mask; the finobt lists exactly the records with
     * free inodes.
     */
    private static void checkInodeBtrees(State st, String ctx) {
        long icount = 0;
        long ifree = 0;
        for (int ag = 0; ag < st.agCount().length; ag++) {
            icount += st.agCount()[ag];
            ifree += st.agFree()[ag];
            long free = 0;
            List<Long> withFree = new ArrayList<>();
            for (long[] rec : st.inobt().get(ag)) {
                long agbno = rec[0] / st.sb().get("inopblock");
                assertThat(rec[0] % st.sb().get("inopblock")).as(ctx).isZero();
                assertThat(agbno % Math.max(1, st.sb().get("inoalignmt")))
                        .as(ctx + " chunk " + rec[0])
                        .isZero();
                assertThat(Long.bitCount(rec[2])).as(ctx + " chunk " + rec[0]).isEqualTo(rec[1]);
                free += rec[1];
                if (rec[1] > 0) {
                    withFree.add(rec[0]);
                }
            }
            assertThat(free).as(ctx + " AG " + ag).isEqualTo(st.agFree()[ag]);
            assertThat(64L * st.inobt().get(ag).size()).as(ctx + " AG " + ag).isEqualTo(st.agCount()[ag]);
            if (st.finobt().get(ag) != null) {
                assertThat(st.finobt().get(ag).stream().map(x -> x[0]).toList())
                        .as(ctx + " finobt AG " + ag)
                        .isEqualTo(withFree);
            }
        }
        assertThat(icount).as(ctx).isEqualTo(st.sb().get("icount"));
        assertThat(ifree).as(ctx).isEqualTo(st.sb().get("ifree"));
    }

    /** inobt/finobt records as (startino, freecount, free mask), both record formats. */
    private static List<long[]> recs(String out) {
        List<long[]> l = new ArrayList<>();
        boolean sparse = out.contains("holemask");
        Matcher m = Pattern.compile("\\d+:\\[([^\\]]+)]").matcher(out);
        while (m.find()) {
            String[] f = m.group(1).split(",");
            long start = Long.parseLong(f[0]);
            long freecount = Long.parseLong(sparse ? f[3] : f[1]);
            long mask = Long.parseUnsignedLong((sparse ? f[4] : f[2]).replaceFirst("^0x", ""), 16);
            if (sparse) {
                assertThat(f[1]).isEqualTo("0"); // full chunks only: no holes
                assertThat(f[2]).isEqualTo("64");
            }
            l.add(new long[] {start, freecount, mask});
        }
        return l;
    }

    /**
     * The inode limit: {@code sb_imax_pct} percent of the data blocks, in whole chunks (xfs(5) "maxpct"; kernel
     * xfs_ialloc_setup_geometry). With maxpct=1 the writer allocates chunks up to the limit, then refuses naming it,
     * byte-identical.
     */
    @Test
    void stopsAtTheImaxpctInodeLimit() throws Exception {
        Path img = DiskFiles.sparse(tmp.resolve("max.img"), 300L << 20);
        Tools.run("mkfs.xfs", "-q", "-f", "-i", "maxpct=1", img.toString()); // four AGs
        Map<String, Long> sb0 = sb(img);
        long chunkBlocks = 64 / sb0.get("inopblock");
        long max = sb0.get("dblocks") * sb0.get("imax_pct") / 100 / chunkBlocks * chunkBlocks * sb0.get("inopblock");
        // fill most of it with mkfs -p (fast), so that the writer's creates need the last few chunks
        StringBuilder p = new StringBuilder("/dev/null\n0 0\nd--755 0 0\n");
        long pre = max - 64 * 3 - 10;
        for (int d = 0; d * 150L < pre; d++) {
            p.append("d").append(d).append(" d--755 0 0\n");
            for (int f = 0; f < 149 && d * 150L + f + 1 < pre; f++) {
                p.append(" f").append(f).append(" ---644 0 0 /dev/null\n");
            }
            p.append("$\n");
        }
        p.append("new d--755 0 0\n$\n$\n");
        Path proto = Files.writeString(tmp.resolve("max.proto"), p.toString());
        Tools.run("mkfs.xfs", "-q", "-f", "-i", "maxpct=1", "-p", proto.toString(), img.toString());
        Map<String, Long> start = sb(img);
        assertThat(start.get("icount")).isLessThan(max);
        long expectCreates = max - start.get("icount") + start.get("ifree"); // every inode up to the limit
        int made = 0;
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            for (int d = 0; made < expectCreates; d++) {
                FileSystem.Node dir = fs.mkdir(fs.lookup(fs.root(), "new").orElseThrow(), "m" + d, 0755, 0, 0);
                made++;
                for (int i = 0; i < 60 && made < expectCreates; i++, made++) {
                    fs.createFile(dir, "f" + i, 0644, 0, 0, new byte[0]);
                }
            }
            fs.flush();
            String before = sha(img);
            FileSystem.Node root = fs.root();
            assertThatThrownBy(() -> fs.createFile(
                            fs.lookup(root, "new").orElseThrow(), "one-too-many", 0644, 0, 0, new byte[0]))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("imaxpct");
            assertThat(sha(img)).isEqualTo(before);
        }
        repairClean(img);
        Map<String, Long> end = sb(img);
        assertThat(end.get("icount")).isEqualTo(max);
        assertThat(end.get("ifree")).isZero();
    }

    static final List<String> SB_FIELDS = List.of(
            "icount", "ifree", "fdblocks", "blocksize", "inopblock", "inoalignmt", "agcount", "dblocks", "imax_pct");

    static Map<String, Long> sb(Path img) throws Exception {
        String out = db(img, "sb 0", "print " + String.join(" ", SB_FIELDS));
        Map<String, Long> m = new LinkedHashMap<>();
        for (String k : SB_FIELDS) {
            m.put(k, num(out, k));
        }
        return m;
    }

    static long num(String out, String field) {
        Matcher m = Pattern.compile("(?m)^" + field + " = (\\d+)").matcher(out);
        assertThat(m.find()).as(field + " in " + out).isTrue();
        return Long.parseLong(m.group(1));
    }
}
