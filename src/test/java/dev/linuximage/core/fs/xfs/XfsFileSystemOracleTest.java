package dev.linuximage.core.fs.xfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles;
import dev.linuximage.core.fs.UnsupportedFsFeatureException;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.Tools;
import dev.linuximage.testsupport.guests.XfsOracle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("oracle")
class XfsFileSystemOracleTest {
    @TempDir
    static Path shared;

    static Path pristine;

    @TempDir
    Path tmp;

    @BeforeAll
    static void build() throws Exception {
        pristine = XfsFixture.build(shared, "xfs", 300, null);
    }

    Path copy() throws Exception {
        return Files.copy(pristine, tmp.resolve("xfs.img"), StandardCopyOption.REPLACE_EXISTING);
    }

    static FileSystem.Node path(FileSystem fs, String... names) throws Exception {
        FileSystem.Node n = fs.root();
        for (String s : names) {
            n = fs.lookup(n, s).orElseThrow(() -> new AssertionError("missing " + s));
        }
        return n;
    }

    static byte[] readAll(FileSystem fs, FileSystem.Node n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate((int) n.size());
        while (b.hasRemaining() && fs.read(n, b.position(), b) > 0) {
            // loop
        }
        return b.array();
    }

    /** Reads a file's bytes using xfs_db's block map (the oracle), independent of our extent decoding. */
    static byte[] oracleRead(Path img, String guestPath) throws Exception {
        String size = Tools.run("xfs_db", "-r", "-c", "path " + guestPath, "-c", "print core.size", img.toString())
                .out();
        long len = Long.parseLong(size.replaceAll("(?s).*core.size = (\\d+).*", "$1"));
        String bmap = Tools.run("xfs_db", "-r", "-c", "path " + guestPath, "-c", "bmap", img.toString())
                .out();
        String geo = Tools.run("xfs_db", "-r", "-c", "sb 0", "-c", "print blocksize agblocks agblklog", img.toString())
                .out();
        int bs = Integer.parseInt(geo.replaceAll("(?s).*blocksize = (\\d+).*", "$1"));
        long agblocks = Long.parseLong(geo.replaceAll("(?s).*agblocks = (\\d+).*", "$1"));
        int agblklog = Integer.parseInt(geo.replaceAll("(?s).*agblklog = (\\d+).*", "$1"));
        byte[] out = new byte[(int) len];
        Matcher m = Pattern.compile("data offset (\\d+) startblock (\\d+) \\(\\d+/\\d+\\) count (\\d+)")
                .matcher(bmap);
        try (FileByteSource src = FileByteSource.openReadOnly(img)) {
            while (m.find()) {
                long off = Long.parseLong(m.group(1));
                long fsb = Long.parseLong(m.group(2));
                long count = Long.parseLong(m.group(3));
                long block = XfsOracle.fsbToBlock(fsb, agblocks, agblklog);
                for (long k = 0; k < count && (off + k) * bs < len; k++) {
                    int n = (int) Math.min(bs, len - (off + k) * bs);
                    src.readFully((block + k) * bs, ByteBuffer.wrap(out, (int) ((off + k) * bs), n));
                }
            }
        }
        return out;
    }

    /**
     * {@code xfs_repair -n} exits 0 and says nothing beyond its phase banners: it reports some inconsistencies (e.g.
     * "sb_fdblocks X, counted Y") while still exiting 0, so the exit code alone is not enough.
     */
    static void repairClean(Path img) throws Exception {
        Tools.Result r = Tools.exec("xfs_repair", "-n", "-f", img.toString());
        assertThat(r.exit()).as("xfs_repair -n\n" + r.out() + r.err()).isZero();
        List<String> complaints = (r.out() + "\n" + r.err())
                .lines()
                .filter(l -> !l.isBlank()
                        && !l.startsWith("Phase ")
                        && !l.startsWith("        - ")
                        && !l.contains("host filesystem geometry")
                        && !l.startsWith("Repair may fail")
                        && !l.startsWith("the image and the host")
                        && !l.startsWith("No modify flag set"))
                .toList();
        assertThat(complaints).as("xfs_repair -n\n" + r.out() + r.err()).isEmpty();
    }

    @Test
    void readsEveryDirectoryFormatSymlinksAndFiles() throws Exception {
        try (FileByteSource src = FileByteSource.openReadOnly(pristine);
                XfsFileSystem fs = XfsFileSystem.open(src, false)) {
            assertThat(fs.type()).isEqualTo("xfs");
            assertThat(fs.label()).isEqualTo("xfsroot");
            assertThat(fs.uuid()).isEqualTo("5e1f8b5c-3f3e-4a3c-9a59-0d2b7f0c1a11");
            assertThat(fs.logClean()).isTrue();
            assertThat(new String(readAll(fs, path(fs, "etc", "os-release")), StandardCharsets.UTF_8))
                    .contains("ID=rocky");
            assertThat(fs.list(path(fs, "etc", "block"))).hasSize(40);
            assertThat(fs.list(path(fs, "usr", "leaf"))).hasSize(XfsFixture.LEAF_ENTRIES);
            assertThat(fs.list(path(fs, "usr", "node"))).hasSize(XfsFixture.NODE_ENTRIES);
            FileSystem.Node f = path(fs, "usr", "node", "node-entry-with-a-much-longer-name-to-fill-blocks-1499");
            assertThat(new String(readAll(fs, f), StandardCharsets.UTF_8)).isEqualTo("hello xfs\n");
            FileSystem.Node b = path(fs, "etc", "block", "file-in-block-dir-7");
            assertThat(b.mode()).isEqualTo(0600);
            assertThat(b.uid()).isEqualTo(1000);
            assertThat(readAll(fs, path(fs, "big.bin"))).isEqualTo(oracleRead(pristine, "/big.bin"));
            assertThat(fs.readLink(path(fs, "link-inline"))).isEqualTo("/etc/os-release");
            assertThat(path(fs, "link-inline").type()).isEqualTo(GuestFiles.Type.SYMLINK);
            assertThat(fs.freeBytes()).isPositive().isLessThan(fs.totalBytes());
            // the directory formats really are the ones we claim to read
            assertThat(Tools.run(
                                    "xfs_db",
                                    "-r",
                                    "-c",
                                    "path /usr/node",
                                    "-c",
                                    "print core.format core.nextents",
                                    pristine.toString())
                            .out())
                    .contains("extents");
            assertThat(Tools.run("xfs_db", "-r", "-c", "path /etc", "-c", "print core.format", pristine.toString())
                            .out())
                    .contains("local");
        }
    }

    @Test
    void pristineFixtureIsClean() throws Exception {
        repairClean(pristine);
    }

    @Test
    void replacesContentInPlaceAndXfsRepairAgrees() throws Exception {
        Path img = copy();
        byte[] smaller = new byte[1_000_000];
        new Random(3).nextBytes(smaller);
        byte[] grown = "GRUB_CMDLINE_LINUX=\"console=ttyS0\"\n".repeat(300).getBytes(StandardCharsets.UTF_8);
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                XfsFileSystem fs = XfsFileSystem.open(src, true)) {
            fs.replaceContent(path(fs, "big.bin"), smaller);
            fs.replaceContent(path(fs, "etc", "hostname"), "web01\n".getBytes());
            fs.setAttributes(path(fs, "etc", "default", "grub"), 0600, 5, 6, 1_700_000_000L);
            byte[] twoMiB = new byte[2 << 20];
            new Random(4).nextBytes(twoMiB);
            fs.replaceContent(path(fs, "etc", "os-release"), twoMiB); // no longer limited to 1 MiB
            // growing past the allocated block: a new extent is allocated, the old one freed
            fs.replaceContent(path(fs, "etc", "default", "grub"), grown);
            assertThat(readAll(fs, path(fs, "etc", "default", "grub"))).isEqualTo(grown);
            fs.flush();
        }
        repairClean(img);
        assertThat(oracleRead(img, "/big.bin")).isEqualTo(smaller);
        assertThat(new String(oracleRead(img, "/etc/hostname"), StandardCharsets.UTF_8))
                .isEqualTo("web01\n");
        String grub = Tools.run(
                        "xfs_db",
                        "-r",
                        "-c",
                        "path /etc/default/grub",
                        "-c",
                        "print core.mode core.uid " + "core.gid",
                        img.toString())
                .out();
        assertThat(grub)
                .contains("core.mode = 0100600")
                .contains("core.uid = 5")
                .contains("core.gid = 6");
        assertThat(oracleRead(img, "/etc/default/grub")).isEqualTo(grown);
        byte[] twoMiB = new byte[2 << 20];
        new Random(4).nextBytes(twoMiB);
        assertThat(oracleRead(img, "/etc/os-release")).isEqualTo(twoMiB);
    }

    @Test
    void refusesToWriteWithADirtyLogButStillReads() throws Exception {
        Path img = copy();
        // Make the last log record something other than an unmount record (clear XLOG_UNMOUNT_TRANS).
        String sb = Tools.run(
                        "xfs_db",
                        "-r",
                        "-c",
                        "sb 0",
                        "-c",
                        "print logstart blocksize agblocks agblklog",
                        img.toString())
                .out();
        long logstart = Long.parseLong(sb.replaceAll("(?s).*logstart = (\\d+).*", "$1"));
        int bs = Integer.parseInt(sb.replaceAll("(?s).*blocksize = (\\d+).*", "$1"));
        long agblocks = Long.parseLong(sb.replaceAll("(?s).*agblocks = (\\d+).*", "$1"));
        int agblklog = Integer.parseInt(sb.replaceAll("(?s).*agblklog = (\\d+).*", "$1"));
        long logByte = ((logstart >>> agblklog) * agblocks + (logstart & ((1L << agblklog) - 1))) * bs;
        try (FileByteSource src = FileByteSource.openReadWrite(img)) {
            ByteBuffer h = ByteBuffer.wrap(src.readBytes(logByte, 512));
            assertThat(h.getInt(0)).isEqualTo(0xfeedbabe);
            byte[] op = src.readBytes(logByte + 512, 16);
            assertThat(op[9] & 0x20).isEqualTo(0x20);
            op[9] = 0;
            src.write(logByte + 512, ByteBuffer.wrap(op));
        }
        Tools.Result r = Tools.exec("xfs_repair", "-n", "-f", img.toString());
        assertThat(r.out() + r.err()).as("the oracle agrees the log is dirty").containsIgnoringCase("log");
        try (FileByteSource src = FileByteSource.openReadWrite(img)) {
            assertThatThrownBy(() -> XfsFileSystem.open(src, true))
                    .isInstanceOf(UnsupportedFsFeatureException.class)
                    .hasMessageContaining("log is dirty");
            try (XfsFileSystem fs = XfsFileSystem.open(src, false)) {
                assertThat(fs.logClean()).isFalse();
                assertThat(fs.list(fs.root())).isNotEmpty();
            }
        }
    }

    @Test
    void corruptInodeCrcIsATypedError() throws Exception {
        Path img = copy();
        long ino;
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                XfsFileSystem fs = XfsFileSystem.open(src, false)) {
            ino = path(fs, "etc", "hostname").id();
            long off = fs.inodeOffset(ino);
            try (FileByteSource w = FileByteSource.openReadWrite(img)) {
                w.write(off + 8, ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
            }
            assertThatThrownBy(() -> path(fs, "etc", "hostname")).hasMessageContaining("CRC32C");
        }
    }
}
