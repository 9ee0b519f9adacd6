package dev.linuximage.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.fs.xfs.XfsFixture;
import dev.linuximage.testsupport.DiskFiles;
import dev.linuximage.testsupport.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: {@code guest ls} of a 10,000-entry XFS directory took 14 s and 870 MB (every entry was stat'ed by path,
 * and every path lookup materialised the whole directory as a list). Now the listing streams from the directory
 * reader to standard output. The directories are built by the real tools ({@code mkfs.xfs -p} protofile,
 * {@code mke2fs -d}) with 10,000 entries of three kinds; the listing runs in a separate JVM with a 64 MiB heap and
 * must list every entry, each exactly once, with the type and owner the protofile gave it.
 */
@Tag("oracle")
class GuestLsStreamingOracleTest {
    static final int ENTRIES = 10_000;
    static final int DIRS = 50;
    static final int LINKS = 50;

    @TempDir
    static Path dir;

    static Path xfs;
    static Path ext4;
    static Set<String> names = new HashSet<>();

    static String name(int i) {
        // XFS leaf/node directory: names long enough to spread over many directory blocks
        return "entry-number-" + i + "-of-a-large-directory";
    }

    @BeforeAll
    static void build() throws Exception {
        StringBuilder many = new StringBuilder("many d--755 0 0\n");
        Path tree = Files.createDirectories(dir.resolve("ext4-tree/many"));
        for (int i = 0; i < ENTRIES; i++) {
            String n = name(i);
            names.add(n);
            if (i < DIRS) {
                many.append(' ').append(n).append(" d--750 7 8\n $\n");
                Files.createDirectory(tree.resolve(n));
            } else if (i < DIRS + LINKS) {
                many.append(' ').append(n).append(" l--777 0 0 ../etc/os-release\n");
                Files.createSymbolicLink(tree.resolve(n), Path.of("../etc/os-release"));
            } else {
                many.append(' ').append(n).append(" ---640 1000 1001 /dev/null\n");
                Files.createFile(tree.resolve(n));
            }
        }
        many.append("$\n");
        xfs = XfsFixture.build(dir, "ls", 320, null, many.toString()); // mkfs.xfs 6.1: at least 300 MB
        ext4 = DiskFiles.sparse(dir.resolve("ext4.img"), 128L << 20);
        Tools.run(
                "mke2fs",
                "-q",
                "-t",
                "ext4",
                "-F",
                "-L",
                "ext4root",
                "-d",
                dir.resolve("ext4-tree").toString(),
                ext4.toString());
    }

    record Listing(int exit, List<String> lines, String err, long millis) {}

    /** {@code guest ls} in a fresh JVM with a 64 MiB heap, as a user would run it. */
    static Listing ls(Path disk, String label, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.linuximage.Main",
                "guest",
                "ls"));
        cmd.addAll(List.of(extra));
        cmd.addAll(List.of("--fs", "LABEL=" + label, disk.toString(), "/many"));
        Path out = dir.resolve("ls.out");
        Path err = dir.resolve("ls.err");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("guest ls ran longer than 120 s");
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        System.out.printf(
                "guest ls %s %s: %d lines in %d ms (JVM start included, -Xmx64m)%n",
                label, String.join(" ", extra), lines.size(), ms);
        return new Listing(p.exitValue(), lines, Files.readString(err), ms);
    }

    static void assertLongListing(Listing l) {
        assertThat(l.exit()).as(l.err()).isZero();
        assertThat(l.lines()).hasSize(ENTRIES);
        Set<String> seen = new HashSet<>();
        int dirs = 0;
        int links = 0;
        int files = 0;
        for (String line : l.lines()) {
            // "%c%04o %5d %5d %12d %s%s": type+mode uid gid size name [-> target]
            String[] f = line.trim().split("\\s+");
            String n = f[4];
            assertThat(seen.add(n)).as("listed once: " + n).isTrue();
            int i = Integer.parseInt(n.split("-")[2]);
            if (i < DIRS) {
                assertThat(f[0]).isEqualTo("d0750");
                assertThat(f[1] + ":" + f[2]).isEqualTo("7:8");
                dirs++;
            } else if (i < DIRS + LINKS) {
                assertThat(f[0]).isEqualTo("l0777");
                assertThat(line).endsWith(" -> ../etc/os-release");
                links++;
            } else {
                assertThat(f[0]).isEqualTo("-0640");
                assertThat(f[1] + ":" + f[2] + ":" + f[3]).isEqualTo("1000:1001:0");
                files++;
            }
        }
        assertThat(seen).isEqualTo(names);
        assertThat(new int[] {dirs, links, files}).containsExactly(DIRS, LINKS, ENTRIES - DIRS - LINKS);
    }

    @Test
    void xfsDirectoryOfTenThousandEntriesListsInA64MiBHeap() throws Exception {
        Listing l = ls(xfs, "xfsroot");
        assertLongListing(l);
        assertThat(l.millis()).as("streamed, not quadratic").isLessThan(60_000);
    }

    @Test
    void xfsNamesOnlyListing() throws Exception {
        Listing l = ls(xfs, "xfsroot", "-1");
        assertThat(l.exit()).as(l.err()).isZero();
        assertThat(new HashSet<>(l.lines())).hasSize(ENTRIES).isEqualTo(names);
    }

    @Test
    void ext4DirectoryOfTenThousandEntriesListsInA64MiBHeap() throws Exception {
        Listing l = ls(ext4, "ext4root");
        // mke2fs -d copies the owner of the host files: check names and types only here
        assertThat(l.exit()).as(l.err()).isZero();
        assertThat(l.lines()).hasSize(ENTRIES);
        Set<String> seen = new HashSet<>();
        for (String line : l.lines()) {
            String[] f = line.trim().split("\\s+");
            assertThat(seen.add(f[4])).isTrue();
            int i = Integer.parseInt(f[4].split("-")[2]);
            assertThat(f[0].charAt(0)).isEqualTo(i < DIRS ? 'd' : i < DIRS + LINKS ? 'l' : '-');
        }
        assertThat(seen).isEqualTo(names);
    }

    @Test
    void xfsJsonLinesListingStreamsInA64MiBHeap() throws Exception {
        Listing l = ls(xfs, "xfsroot", "--json");
        assertThat(l.exit()).as(l.err()).isZero();
        assertThat(l.lines()).hasSize(ENTRIES);
        com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
        Set<String> seen = new HashSet<>();
        for (String line : l.lines()) {
            com.fasterxml.jackson.databind.JsonNode e = m.readTree(line);
            String n = e.path("name").asText();
            assertThat(seen.add(n)).as("listed once: " + n).isTrue();
            assertThat(e.path("path").asText()).isEqualTo("/many/" + n);
            int i = Integer.parseInt(n.split("-")[2]);
            // the protofile's types, modes and owners
            assertThat(e.path("type").asText())
                    .isEqualTo(i < DIRS ? "directory" : i < DIRS + LINKS ? "symlink" : "file");
            assertThat(e.path("mode").asInt()).isEqualTo(i < DIRS ? 0750 : i < DIRS + LINKS ? 0777 : 0640);
            if (i >= DIRS + LINKS) {
                assertThat(e.path("uid").asInt() + ":" + e.path("gid").asInt()).isEqualTo("1000:1001");
            } else if (i >= DIRS) {
                assertThat(e.path("target").asText()).isEqualTo("../etc/os-release");
            }
        }
        assertThat(seen).isEqualTo(names);
        assertThat(l.millis()).as("streamed, not quadratic").isLessThan(60_000);
    }
}
