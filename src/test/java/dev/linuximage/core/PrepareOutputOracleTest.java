package dev.linuximage.core;

import static dev.linuximage.testsupport.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.testsupport.CliRun.Run;
import dev.linuximage.testsupport.FamilyGuests;
import dev.linuximage.testsupport.GuestTree;
import dev.linuximage.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code prepare}'s output file (issue 13): the VHD appears under {@code --output} only once convert, patch and
 * check ended; a failure after the copy (a corrupt guest file system, exit 3) or a SIGKILL leaves no VHD at the
 * output name and no partial file beside it, and the state-file resume (a re-run goes straight on) still works.
 */
@Tag("oracle")
class PrepareOutputOracleTest {

    static List<String> listing(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static Path alpineDisk(Path dir) throws Exception {
        GuestTree tree = FamilyGuests.alpine(dir.resolve("tree"));
        return FamilyDiskCliOracleTest.disk(dir, tree);
    }

    @Test
    void aCorruptGuestFailsWithExit3AndLeavesNoVhdAtTheOutput(@TempDir Path dir) throws Exception {
        Path raw = alpineDisk(dir);
        // the root directory's extent header magic (first bytes of i_block, ext4 disk layout "The Extent Tree")
        // overwritten: the copy succeeds, opening the guest's / fails
        Tools.command(
                        "debugfs",
                        "-w",
                        "-R",
                        "sif <2> block[0] 0x12345678",
                        raw.toAbsolutePath() + "?offset=" + FamilyDiskCliOracleTest.OFFSET)
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        Path outDir = Files.createDirectory(dir.resolve("out"));
        Path out = outDir.resolve("disk.vhd");
        Run r = run("prepare", raw.toString(), "--output", out.toString(), "--quiet", "--provisioning", "CloudInit");
        assertThat(r.exit()).as(r.err()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(listing(outDir))
                .as("nothing under the output name, no partial file")
                .isEmpty();
    }

    @Test
    void aKilledRunLeavesNoVhdAtTheOutputAndTheNextRunCompletesThenResumes(@TempDir Path dir) throws Exception {
        Path raw = alpineDisk(dir);
        Path outDir = Files.createDirectory(dir.resolve("out"));
        Path out = outDir.resolve("disk.vhd");
        String[] args = {"prepare", raw.toString(), "--output", out.toString(), "--quiet", "--provisioning", "CloudInit"
        };
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.linuximage.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("killed.txt").toFile())
                .start();
        boolean sawPartial = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && System.nanoTime() < deadline) {
            if (listing(outDir).stream().anyMatch(n -> n.endsWith(".partial"))) {
                sawPartial = true;
                break;
            }
            Thread.sleep(1);
        }
        assertThat(sawPartial)
                .as("the run wrote a partial file first: %s", Files.readString(dir.resolve("killed.txt")))
                .isTrue();
        p.destroyForcibly(); // SIGKILL, like an evicted pod: no shutdown hook runs
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out)
                .as("killed while converting or patching: nothing under the output name")
                .doesNotExist();

        Run first = run(args);
        assertThat(first.exit()).as(first.err()).isIn(ExitCodes.OK, ExitCodes.NOT_COMPLIANT);
        assertThat(listing(outDir))
                .as("the killed run's partial file is removed by the next run")
                .containsExactly("disk.vhd", "disk.vhd.state.json");
        long mtime = Files.getLastModifiedTime(out).toMillis();

        // the state-file resume still works on the renamed output: the re-run goes straight on without converting
        Run again = run("prepare", raw.toString(), "--output", out.toString(), "--provisioning", "CloudInit");
        assertThat(again.exit()).isEqualTo(first.exit());
        assertThat(again.err())
                .contains("already converted and patched for this input")
                .doesNotContain("converting");
        assertThat(Files.getLastModifiedTime(out).toMillis()).isEqualTo(mtime);
    }
}
