package dev.linuximage.core.fs.ext4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.fs.FileSystem;
import dev.linuximage.core.fs.GuestFiles;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

/** Host source trees for mke2fs -d, and a comparison of a host tree with what our reader sees. */
final class Trees {
    private Trees() {}

    static byte[] random(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /**
     * A tree exercising the reader: sizes around block boundaries, a fragmented sparse file (hundreds of extents:
     * an extent tree of depth &gt; 0), fast and slow symlinks, hard links, an htree directory of
     * {@code bigDirEntries} names, owners and modes.
     */
    static void build(Path root, long seed, int bigDirEntries, boolean tailHole) throws IOException {
        Random r = new Random(seed);
        Files.createDirectories(root.resolve("etc/default"));
        Files.write(root.resolve("etc/hostname"), "guest\n".getBytes());
        Files.write(root.resolve("etc/default/grub"), "GRUB_CMDLINE_LINUX=\"quiet\"\n".getBytes());
        Files.write(root.resolve("empty"), new byte[0]);
        for (int n : new int[] {1, 1023, 1024, 1025, 4095, 4096, 4097, 65536, 300_000}) {
            Files.write(root.resolve("size-" + n), random(r, n));
        }
        // sparse and fragmented: 600 one-block islands separated by holes -> 600 extents
        try (RandomAccessFile f = new RandomAccessFile(root.resolve("sparse").toFile(), "rw")) {
            for (int i = 0; i < 600; i++) {
                f.seek((long) i * 8192);
                f.write(random(r, 1024));
            }
        }
        if (tailHole) {
            // (mke2fs -d with inline_data drops a trailing hole from i_size: e2fsprogs 1.47.0 quirk)
            try (RandomAccessFile f =
                    new RandomAccessFile(root.resolve("tailhole").toFile(), "rw")) {
                f.write(random(r, 3000));
                f.setLength(1 << 20);
            }
        }
        Files.createSymbolicLink(root.resolve("fastlink"), Path.of("etc/hostname"));
        Files.createSymbolicLink(root.resolve("slowlink"), Path.of("x".repeat(100) + "/target-of-a-long-link"));
        Files.createLink(root.resolve("hardlink"), root.resolve("size-4096"));
        Files.createDirectories(root.resolve("a/b/c/d"));
        Files.write(root.resolve("a/b/c/d/deep"), "deep\n".getBytes());
        Files.write(root.resolve("a/owned"), "owned\n".getBytes());
        Files.setPosixFilePermissions(root.resolve("a/owned"), PosixFilePermissions.fromString("rw-r-----"));
        Files.setAttribute(root.resolve("a/owned"), "unix:uid", 1234);
        Files.setAttribute(root.resolve("a/owned"), "unix:gid", 4321);
        Files.createDirectories(root.resolve("emptydir"));
        Files.write(root.resolve("na\u00efve-\u6587\u4ef6"), "unicode\n".getBytes());
        Path big = root.resolve("bigdir");
        Files.createDirectories(big);
        for (int i = 0; i < bigDirEntries; i++) {
            Files.write(big.resolve("entry-with-a-longish-name-" + i), ("v" + i).getBytes());
        }
    }

    /** Asserts that {@code fs} holds exactly the host tree under {@code host} (ignoring lost+found). */
    static void assertSame(Path host, FileSystem fs) throws IOException {
        compareDir(host, fs, fs.root(), "/");
    }

    private static void compareDir(Path host, FileSystem fs, FileSystem.Node dir, String path) throws IOException {
        TreeSet<String> want = new TreeSet<>();
        try (var s = Files.list(host)) {
            s.forEach(p -> want.add(p.getFileName().toString()));
        }
        TreeMap<String, FileSystem.Entry> got = new TreeMap<>();
        for (FileSystem.Entry e : fs.list(dir)) {
            if (!(path.equals("/") && e.name().equals("lost+found"))) {
                got.put(e.name(), e);
            }
        }
        assertThat(got.keySet()).as("entries of " + path).containsExactlyElementsOf(want);
        int k = 0;
        for (String name : want) {
            Path hp = host.resolve(name);
            FileSystem.Node n;
            if (want.size() < 300 || k++ % 97 == 0) {
                n = fs.lookup(dir, name).orElseThrow();
                assertThat(n.id()).isEqualTo(got.get(name).id());
            } else {
                // a linear lookup per name would make big directories quadratic in the test
                n = ((Ext4FileSystem) fs).node(got.get(name).id());
            }
            String p = path + name;
            if (Files.isSymbolicLink(hp)) {
                assertThat(n.type()).as(p).isEqualTo(GuestFiles.Type.SYMLINK);
                assertThat(fs.readLink(n))
                        .as(p)
                        .isEqualTo(Files.readSymbolicLink(hp).toString());
            } else if (Files.isDirectory(hp)) {
                assertThat(n.type()).as(p).isEqualTo(GuestFiles.Type.DIRECTORY);
                compareDir(hp, fs, n, p + "/");
            } else {
                assertThat(n.type()).as(p).isEqualTo(GuestFiles.Type.FILE);
                byte[] content = Files.readAllBytes(hp);
                assertThat(n.size()).as(p).isEqualTo(content.length);
                assertThat(readAll(fs, n)).as(p).isEqualTo(content);
                int mode = (Integer) Files.getAttribute(hp, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                assertThat(n.mode()).as(p + " mode").isEqualTo(mode & 07777);
                assertThat(n.uid()).as(p + " uid").isEqualTo(Files.getAttribute(hp, "unix:uid"));
                assertThat(n.gid()).as(p + " gid").isEqualTo(Files.getAttribute(hp, "unix:gid"));
                assertThat(n.links()).as(p + " links").isEqualTo(Files.getAttribute(hp, "unix:nlink"));
            }
        }
    }

    /** Reads a whole file in odd-sized chunks (exercises chunked reads across blocks and extents). */
    static byte[] readAll(FileSystem fs, FileSystem.Node n) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) n.size());
        long off = 0;
        ByteBuffer chunk = ByteBuffer.allocate(7777);
        while (true) {
            chunk.clear();
            int k = fs.read(n, off, chunk);
            if (k < 0) {
                break;
            }
            chunk.flip();
            all.put(chunk);
            off += k;
        }
        return all.array();
    }
}
