package dev.linuximage.testsupport.guests;

import dev.linuximage.testsupport.Tools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and checks an XFS file system image with the real xfsprogs: {@code xfs_repair -n} for consistency and
 * {@code xfs_db -r} (path, core.size, bmap, superblock geometry) to locate a file's blocks, so the bytes come from
 * xfs_db's own extent decoding, not the product's. XFS tools take no byte offset: {@link
 * dev.linuximage.testsupport.DiskFiles#copyRange} copies a file system out of a disk first. Byte order of the image is XFS's (big-endian); only the offsets xfs_db prints are used.
 */
public final class XfsOracle {
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private XfsOracle() {}

    /** {@code xfs_repair -n -f}: exit 0 and nothing beyond its phase banners. */
    public static void assertClean(Path fs) {
        Tools.Result r = Tools.command("xfs_repair", "-n", "-f", fs.toString())
                .timeout(TIMEOUT)
                .mergeStderr()
                .exec();
        List<String> complaints = r.out()
                .lines()
                .filter(l -> !l.isBlank()
                        && !l.startsWith("Phase ")
                        && !l.startsWith("        - ")
                        && !l.contains("host filesystem geometry")
                        && !l.startsWith("Repair may fail")
                        && !l.startsWith("the image and the host")
                        && !l.startsWith("No modify flag set"))
                .toList();
        if (r.exit() != 0 || !complaints.isEmpty()) {
            throw new AssertionError("xfs_repair -n " + fs + " exited " + r.exit() + ":\n" + r.out());
        }
    }

    /** Whether {@code guestPath} exists, per {@code xfs_db path}. */
    public static boolean exists(Path fs, String guestPath) {
        Tools.Result r = Tools.command(
                        "xfs_db", "-r", "-c", "path " + guestPath, "-c", "print core.mode", fs.toString())
                .timeout(TIMEOUT)
                .mergeStderr()
                .exec();
        if (r.out().contains("core.mode =")) {
            return true;
        }
        if (r.out().contains("No such file or directory") || r.out().contains("not found")) {
            return false;
        }
        throw new AssertionError("xfs_db could not look up " + guestPath + ":\n" + r.out());
    }

    /** The names in a directory, per {@code xfs_db ls}. */
    public static String list(Path fs, String guestDir) {
        return Tools.command("xfs_db", "-r", "-c", "ls " + guestDir, fs.toString())
                .timeout(TIMEOUT)
                .mergeStderr()
                .run()
                .out();
    }

    /** A regular file's bytes, read at the blocks xfs_db's {@code bmap} names. */
    public static byte[] read(Path fs, String guestPath) {
        String size = Tools.command("xfs_db", "-r", "-c", "path " + guestPath, "-c", "print core.size", fs.toString())
                .timeout(TIMEOUT)
                .mergeStderr()
                .run()
                .out();
        Matcher sm = Pattern.compile("core.size = (\\d+)").matcher(size);
        if (!sm.find()) {
            throw new AssertionError("xfs_db: no size for " + guestPath + ":\n" + size);
        }
        long len = Long.parseLong(sm.group(1));
        if (len > (16 << 20)) {
            throw new AssertionError(guestPath + " is " + len + " bytes; the oracle reads small files only");
        }
        String bmap = Tools.command("xfs_db", "-r", "-c", "path " + guestPath, "-c", "bmap", fs.toString())
                .timeout(TIMEOUT)
                .mergeStderr()
                .run()
                .out();
        String geo = Tools.command(
                        "xfs_db", "-r", "-c", "sb 0", "-c", "print blocksize agblocks agblklog", fs.toString())
                .timeout(TIMEOUT)
                .mergeStderr()
                .run()
                .out();
        int bs = Integer.parseInt(geo.replaceAll("(?s).*blocksize = (\\d+).*", "$1"));
        long agblocks = Long.parseLong(geo.replaceAll("(?s).*agblocks = (\\d+).*", "$1"));
        int agblklog = Integer.parseInt(geo.replaceAll("(?s).*agblklog = (\\d+).*", "$1"));
        byte[] out = new byte[(int) len];
        Matcher m = Pattern.compile("data offset (\\d+) startblock (\\d+) \\(\\d+/\\d+\\) count (\\d+)")
                .matcher(bmap);
        long covered = 0;
        try (RandomAccessFile f = new RandomAccessFile(fs.toFile(), "r")) {
            while (m.find()) {
                long off = Long.parseLong(m.group(1));
                long fsb = Long.parseLong(m.group(2));
                long count = Long.parseLong(m.group(3));
                long block = fsbToBlock(fsb, agblocks, agblklog);
                for (long k = 0; k < count && (off + k) * bs < len; k++) {
                    int n = (int) Math.min(bs, len - (off + k) * bs);
                    f.seek((block + k) * bs);
                    f.readFully(out, (int) ((off + k) * bs), n);
                    covered += n;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (covered != len) {
            throw new AssertionError(guestPath + ": bmap covers " + covered + " of " + len + " bytes:\n" + bmap);
        }
        return out;
    }

    /**
     * The block of the file system image (counted from 0, in file-system blocks; times the block size gives the byte
     * offset) that an XFS file-system block number names, e.g. a "startblock" of xfs_db's {@code bmap}. An fsb is
     * (AG number &lt;&lt; {@code agblklog}) | block in the AG, while each AG is {@code agblocks} long on disk, so the
     * two differ whenever agblocks is not a power of two (xfsprogs' XFS_FSB_TO_DADDR, here in blocks rather than
     * 512-byte units). The one conversion the XFS oracle readers share.
     */
    public static long fsbToBlock(long fsb, long agblocks, int agblklog) {
        return (fsb >>> agblklog) * agblocks + (fsb & ((1L << agblklog) - 1));
    }

    /** A guest text file (UTF-8). */
    public static String readString(Path fs, String guestPath) {
        return new String(read(fs, guestPath), StandardCharsets.UTF_8);
    }
}
