package dev.linuximage.core.fs.xfs;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.guests.XfsOracle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A /boot-like XFS image whose free space is fragmented: mkfs.xfs -p lays out many 0.25-1.25 MiB files back to back
 * (about {@code budgetMiB} in 8 directories, 4 AGs), then two of every three files are removed with our own writer,
 * leaving file-sized holes between the survivors; free extents larger than {@code fillAboveMiB} (the AG tails) are then
 * filled with files of exactly their size, so that a large file finds no single free extent. Contents are generated from (seed, length) so the test can compare any
 * file without keeping its bytes.
 */
final class XfsFragmented {
    /** Directories d0..d7: at most 60 files each, so each stays a single-block directory our writer can change. */
    static final int DIRS = 8;
    /** File content: {@code len} bytes from {@code new Random(seed)}. */
    record Content(long seed, int len) {
        byte[] bytes() {
            byte[] b = new byte[len];
            new Random(seed).nextBytes(b);
            return b;
        }
    }

    final Path img;
    /** Guest path ("/d0/f-3") to its expected content; removed files are absent. */
    final Map<String, Content> files = new LinkedHashMap<>();

    private XfsFragmented(Path img) {
        this.img = img;
    }

    static XfsFragmented build(Path dir, long sizeMiB, long budgetMiB, long seed, long fillAboveMiB) throws Exception {
        Random r = new Random(seed);
        List<Content> sources = new ArrayList<>();
        List<Path> srcPaths = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Content c = new Content(seed * 100 + i, (256 << 10) + r.nextInt(1 << 20) + r.nextInt(4096));
            sources.add(c);
            srcPaths.add(Files.write(dir.resolve("src-" + i), c.bytes()));
        }
        // files of 0.25-1.25 MiB, round robin over the directories, until budgetMiB is reached
        List<List<Integer>> perDir = new ArrayList<>();
        for (int d = 0; d < DIRS; d++) {
            perDir.add(new ArrayList<>());
        }
        long total = 0;
        for (int k = 0; k < DIRS * 60; k++) {
            int s = r.nextInt(sources.size());
            if (total + sources.get(s).len() > (budgetMiB << 20)) {
                break;
            }
            total += sources.get(s).len();
            perDir.get(k % DIRS).add(s);
        }
        StringBuilder p = new StringBuilder("/dev/null\n0 0\nd--755 0 0\n");
        Map<String, Content> all = new LinkedHashMap<>();
        for (int d = 0; d < DIRS; d++) {
            p.append("d").append(d).append(" d--755 0 0\n");
            for (int f = 0; f < perDir.get(d).size(); f++) {
                int s = perDir.get(d).get(f);
                p.append(" f-")
                        .append(f)
                        .append(" ---644 0 0 ")
                        .append(srcPaths.get(s))
                        .append('\n');
                all.put("/d" + d + "/f-" + f, sources.get(s));
            }
            p.append("$\n");
        }
        p.append("$\n");
        Path proto = Files.writeString(dir.resolve("frag.proto"), p.toString());
        Path img = DiskFiles.sparse(dir.resolve("frag.img"), sizeMiB << 20);
        Tools.run("mkfs.xfs", "-q", "-f", "-d", "agcount=4", "-p", proto.toString(), img.toString());
        XfsFragmented x = new XfsFragmented(img);
        x.files.putAll(all);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            for (int d = 0; d < DIRS; d++) {
                FileSystem.Node dn = fs.lookup(fs.root(), "d" + d).orElseThrow();
                for (int f = 0; f < perDir.get(d).size(); f++) {
                    if (f % 3 != 0) { // two of every three go; f-0, f-3, ... stay
                        fs.unlink(dn, "f-" + f);
                        x.files.remove("/d" + d + "/f-" + f);
                    }
                }
            }
        }
        // the AG tails mkfs left free would take a large file whole: fill every free extent above fillAboveMiB
        // with a file of exactly its size (a best fit takes that very extent), so only the holes remain large
        for (int k = 0; ; k++) {
            long[] big = largestFreeExtent(img);
            long bs = 4096; // mkfs.xfs default block size (no -b option above)
            if (big[2] * bs <= (fillAboveMiB << 20)) {
                break;
            }
            Content c = new Content(seed * 100 + 50 + k, (int) (big[2] * bs));
            try (FileByteSource src = FileByteSource.openReadWrite(img);
                    XfsFileSystem fs = XfsFileSystem.open(src, true)) {
                FileSystem.Node f = fs.createFile(fs.root(), "fill-" + k, 0644, 0, 0, new byte[0]);
                x.files.put("/fill-" + k, new Content(0, 0));
                fs.replaceContent(f, c.bytes());
                x.files.put("/fill-" + k, c);
            } catch (dev.linuximage.core.fs.UnsupportedFsFeatureException e) {
                break; // an AG's 1/64 reserve: the rest of that extent stays free
            }
        }
        return x;
    }

    /** The largest free extent (agno, agbno, length in blocks), from xfs_db's list of free extents. */
    static long[] largestFreeExtent(Path img) throws Exception {
        String out =
                Tools.run("xfs_db", "-r", "-c", "freesp -d", img.toString()).out();
        long[] max = {0, 0, 0};
        for (String l : out.lines().toList()) {
            String[] f = l.trim().split("\\s+");
            if (f.length == 3 && f[2].matches("\\d+") && Long.parseLong(f[2]) > max[2]) {
                max = new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
            }
        }
        return max;
    }

    /** Largest free extent of the file system in blocks, from xfs_db's list of free extents (the oracle). */
    static long largestFree(Path img) throws Exception {
        String out =
                Tools.run("xfs_db", "-r", "-c", "freesp -d", img.toString()).out();
        long max = 0;
        for (String l : out.lines().toList()) {
            String[] f = l.trim().split("\\s+");
            if (f.length == 3 && f[2].matches("\\d+")) { // rows "agno agbno len"
                max = Math.max(max, Long.parseLong(f[2]));
            }
        }
        return max;
    }

    /**
     * Paths whose bytes, read through xfs_db's block maps (one xfs_db run for all of them: {@code path},
     * {@code print core.size}, {@code bmap}), differ from the expected content. Independent of our extent decoding.
     */
    static List<String> oracleMismatches(Path img, Map<String, Content> expect) throws Exception {
        List<String> cmd =
                new ArrayList<>(List.of("xfs_db", "-r", "-c", "sb 0", "-c", "print blocksize agblocks agblklog"));
        for (String path : expect.keySet()) {
            cmd.addAll(List.of("-c", "echo @@ " + path, "-c", "path " + path, "-c", "print core.size", "-c", "bmap"));
        }
        cmd.add(img.toString());
        String out = Tools.run(cmd.toArray(new String[0])).out();
        java.util.regex.Matcher g = java.util.regex.Pattern.compile(
                        "(?s)blocksize = (\\d+)\\s+agblocks = (\\d+)\\s+agblklog = (\\d+)")
                .matcher(out);
        if (!g.find()) {
            throw new AssertionError("xfs_db geometry: " + out);
        }
        int bs = Integer.parseInt(g.group(1));
        long agblocks = Long.parseLong(g.group(2));
        int agblklog = Integer.parseInt(g.group(3));
        List<String> bad = new ArrayList<>();
        String[] parts = out.split("@@ ");
        java.util.regex.Pattern ext = java.util.regex.Pattern.compile(
                "data offset (\\d+) startblock (\\d+) \\(\\d+/\\d+\\) count (\\d+) flag (\\d)");
        try (FileByteSource src = FileByteSource.openReadOnly(img)) {
            for (int k = 1; k < parts.length; k++) {
                String path = parts[k].substring(0, parts[k].indexOf('\n')).trim();
                java.util.regex.Matcher sz =
                        java.util.regex.Pattern.compile("core.size = (\\d+)").matcher(parts[k]);
                Content c = expect.get(path);
                if (c == null || !sz.find() || Long.parseLong(sz.group(1)) != c.len()) {
                    bad.add(path + " (size)");
                    continue;
                }
                byte[] got = new byte[c.len()];
                java.util.regex.Matcher m = ext.matcher(parts[k]);
                while (m.find()) {
                    long off = Long.parseLong(m.group(1));
                    long fsb = Long.parseLong(m.group(2));
                    long count = Long.parseLong(m.group(3));
                    long block = XfsOracle.fsbToBlock(fsb, agblocks, agblklog);
                    long from = off * bs;
                    long n = Math.min(count * bs, c.len() - from);
                    if (n > 0 && !m.group(4).equals("1")) {
                        src.readFully(block * bs, java.nio.ByteBuffer.wrap(got, (int) from, (int) n));
                    }
                }
                if (!java.util.Arrays.equals(got, c.bytes())) {
                    bad.add(path);
                }
            }
        }
        if (parts.length - 1 != expect.size()) {
            bad.add("xfs_db answered for " + (parts.length - 1) + " of " + expect.size() + " paths");
        }
        return bad;
    }
}
