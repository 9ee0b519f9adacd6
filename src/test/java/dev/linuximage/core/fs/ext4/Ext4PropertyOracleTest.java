package dev.linuximage.core.fs.ext4;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.testsupport.Ext4Oracle;
import dev.linuximage.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Random sequences of create / replace / delete / rename / mkdir / rmdir / symlink / chmod, mirrored on a host
 * directory (the model). Each sequence ends with e2fsck -fn clean, debugfs rdump equal to the model, and our own
 * reader equal to the model. The seed is printed; rerun one with {@code -Dext4.seed=N}.
 */
@Tag("oracle")
class Ext4PropertyOracleTest {
    private static final int OPS = 400;

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "ext4|-t ext4",
                "ext4-1k|-t ext4 -b 1024",
                "ext3|-t ext3",
                "ext4-uninit-bg|-t ext4 -O ^metadata_csum,uninit_bg",
                "ext2-1k|-t ext2 -b 1024",
            })
    void randomSequencesStayConsistent(String name, String opts) throws Exception {
        long seed = Long.getLong("ext4.seed", System.nanoTime());
        System.out.println("Ext4PropertyOracleTest " + name + " seed " + seed + " (rerun: -Dext4.seed=" + seed + ")");
        Path work = Tools.scratch("ext4-tests", "property-" + name);
        Path model = work.resolve("model");
        Files.createDirectories(model);
        Path img = work.resolve("fs.img");
        Ext4Oracle.mkfs(img, "32M", model, opts.split(" "));
        Random r = new Random(seed);
        String ctx = name + " seed " + seed;
        try (FileByteSource src = FileByteSource.openReadWrite(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, true)) {
            Mirror m = new Mirror(fs, model);
            int changes = 0;
            for (int i = 0; i < OPS; i++) {
                long before = fs.freeBytes() ^ treeSignature(model);
                step(m, r, model);
                if ((fs.freeBytes() ^ treeSignature(model)) != before) {
                    changes++;
                }
            }
            System.out.println(
                    "Ext4PropertyOracleTest " + name + ": " + changes + " of " + OPS + " steps changed the tree");
            assertThat(changes)
                    .as(ctx + ": the sequence must actually change things")
                    .isGreaterThan(OPS / 3);
        }
        Tools.Result fsck = Ext4Oracle.fsck(img);
        assertThat(fsck.exit()).as(ctx + "\n" + fsck.out()).isZero();
        Mirror.assertDumpMatches(model, img, work.resolve("dump"));
        try (FileByteSource src = FileByteSource.openReadOnly(img);
                Ext4FileSystem fs = Ext4FileSystem.open(src, false)) {
            Trees.assertSame(model, fs);
        }
    }

    /** A cheap fingerprint of the model: paths, sizes and modes. */
    private static long treeSignature(Path model) throws IOException {
        long h = 17;
        try (var s = Files.walk(model)) {
            for (Path p : s.sorted().toList()) {
                h = h * 31 + p.toString().hashCode();
                h = h * 31
                        + Files.readAttributes(
                                        p, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                                .size()
                        + (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            }
        }
        return h;
    }

    private static List<String> walk(Path model, boolean dirs, boolean others) throws IOException {
        List<String> out = new ArrayList<>();
        try (var s = Files.walk(model)) {
            s.filter(p -> !p.equals(model)).forEach(p -> {
                boolean d = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
                if ((d && dirs) || (!d && others)) {
                    out.add("/" + model.relativize(p).toString());
                }
            });
        }
        out.sort(null);
        return out;
    }

    private static String pick(List<String> l, Random r) {
        return l.get(r.nextInt(l.size()));
    }

    private static byte[] content(Random r) {
        int kind = r.nextInt(10);
        int n = kind < 2
                ? r.nextInt(3)
                : kind < 7 ? r.nextInt(3000) : kind < 9 ? r.nextInt(40_000) : 200_000 + r.nextInt(200_000);
        return Trees.random(r, n);
    }

    private static void step(Mirror m, Random r, Path model) throws Exception {
        List<String> dirs = walk(model, true, false);
        dirs.add(0, "");
        List<String> leaves = walk(model, false, true);
        String dir = pick(dirs, r);
        String name = "n" + r.nextInt(25);
        String path = dir + "/" + name;
        boolean exists = Files.exists(m.host(path), LinkOption.NOFOLLOW_LINKS);
        switch (r.nextInt(9)) {
            case 0, 1 -> {
                if (!exists) {
                    m.create(path, content(r), 0600 + r.nextInt(0100), r.nextInt(3) * 1000, r.nextInt(3) * 1000);
                }
            }
            case 2 -> {
                List<String> files = leaves.stream()
                        .filter(p -> Files.isRegularFile(m.host(p), LinkOption.NOFOLLOW_LINKS))
                        .toList();
                if (!files.isEmpty()) {
                    m.write(pick(files, r), content(r));
                }
            }
            case 3 -> {
                if (!leaves.isEmpty()) {
                    m.unlink(pick(leaves, r));
                }
            }
            case 4 -> {
                if (!exists) {
                    m.mkdir(path, 0700 + r.nextInt(0100), 0, 0);
                }
            }
            case 5 -> {
                List<String> real = dirs.stream().filter(d -> !d.isEmpty()).toList();
                if (!real.isEmpty()) {
                    String d = pick(real, r);
                    boolean empty;
                    try (var s = Files.list(m.host(d))) {
                        empty = s.findAny().isEmpty();
                    }
                    if (empty) {
                        m.unlink(d);
                    } else {
                        assertThatThrownBy(() -> m.unlink(d))
                                .isInstanceOf(java.nio.file.DirectoryNotEmptyException.class);
                    }
                }
            }
            case 6 -> {
                if (!exists) {
                    String target = r.nextBoolean() ? "t" + r.nextInt(100) : "/long/" + "x".repeat(60 + r.nextInt(300));
                    m.symlink(path, target);
                }
            }
            case 7 -> rename(m, r, dirs, leaves, path);
            default -> {
                List<String> all = new ArrayList<>(leaves);
                all.addAll(dirs.stream().filter(d -> !d.isEmpty()).toList());
                all.removeIf(p -> Files.isSymbolicLink(m.host(p)));
                if (!all.isEmpty()) {
                    m.setAttributes(pick(all, r), 0500 + r.nextInt(0300), null, r.nextInt(5), null);
                }
            }
        }
    }

    private static void rename(Mirror m, Random r, List<String> dirs, List<String> leaves, String to) throws Exception {
        List<String> all = new ArrayList<>(leaves);
        all.addAll(dirs.stream().filter(d -> !d.isEmpty()).toList());
        if (all.isEmpty()) {
            return;
        }
        String from = pick(all, r);
        Path hf = m.host(from);
        Path ht = m.host(to);
        boolean fromDir = Files.isDirectory(hf, LinkOption.NOFOLLOW_LINKS);
        if (from.equals(to)) {
            return;
        }
        if (fromDir && (to + "/").startsWith(from + "/")) {
            assertThatThrownBy(() -> m.rename(from, to)).isInstanceOf(IOException.class);
            return;
        }
        if (Files.exists(ht, LinkOption.NOFOLLOW_LINKS)) {
            boolean toDir = Files.isDirectory(ht, LinkOption.NOFOLLOW_LINKS);
            boolean toEmpty = true;
            if (toDir) {
                try (var s = Files.list(ht)) {
                    toEmpty = s.findAny().isEmpty();
                }
            }
            if (toDir != fromDir || !toEmpty) {
                assertThatThrownBy(() -> m.rename(from, to)).isInstanceOf(IOException.class);
                return;
            }
        }
        m.rename(from, to);
    }
}
