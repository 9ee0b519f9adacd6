package dev.linuximage.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.guest.Provisioning;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.Sha256;
import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.JobResult;
import dev.linuximage.core.report.JobResultCodec;
import dev.linuximage.core.report.ResultReasons;
import dev.linuximage.core.upload.FixedVhdCheck;
import dev.linuximage.testsupport.FamilyGuests;
import dev.linuximage.testsupport.GuestTree;
import dev.linuximage.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PreparePipeline} without the command line: the steps it tells a recording {@link ProgressSink}, in order,
 * the report it hands over once, the result it returns, and the resume of a finished prepare.
 */
@Tag("oracle")
class PreparePipelineOracleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Everything the pipeline told the sink, in order: "step stage percent message", "bytes ...", "note ...". */
    static final class Recording implements ProgressSink {
        final List<String> steps = new ArrayList<>();
        final List<long[]> convertBytes = new ArrayList<>();
        final List<String> reports = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        /** When each step was told, in nanoTime, by "stage percent" (the first time). */
        final java.util.Map<String, Long> stepAt = new java.util.HashMap<>();

        @Override
        public synchronized void step(String stage, int percent, String message) {
            steps.add(stage + " " + percent);
            events.add("step " + stage);
            stepAt.putIfAbsent(stage + " " + percent, System.nanoTime());
        }

        /** Seconds between two told steps: an outer bound, measured by the test, for what ran between them. */
        double secondsBetween(String from, String to) {
            return (stepAt.get(to) - stepAt.get(from)) / 1e9;
        }

        @Override
        public synchronized void bytes(String stage, int from, int to, String label, long done, long total) {
            if (stage.equals("convert")) {
                convertBytes.add(new long[] {from, to, done, total});
            }
            if (events.isEmpty() || !events.get(events.size() - 1).equals("bytes " + stage)) {
                events.add("bytes " + stage);
            }
        }

        @Override
        public synchronized void note(String line) {
            events.add("note");
        }

        @Override
        public synchronized void report(String json, String table) {
            reports.add(json);
            events.add("report");
        }
    }

    /** A 64 MiB raw disk: MBR, one Linux partition from 1 MiB, ext4 holding an Alpine guest. */
    static Path alpineDisk(Path dir) throws Exception {
        GuestTree tree = FamilyGuests.alpine(dir.resolve("tree"));
        Path raw = dir.resolve("disk.raw");
        try (var f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(64L << 20);
        }
        Path layout = Files.writeString(dir.resolve("layout.sfdisk"), "label: dos\nstart=2048, type=83\n");
        Tools.command("sh", "-c", "sfdisk --no-reread --no-tell-kernel " + raw + " < " + layout)
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        Tools.command(
                        "mke2fs",
                        "-q",
                        "-F",
                        "-t",
                        "ext4",
                        "-d",
                        tree.root().toString(),
                        "-E",
                        "offset=" + (1L << 20),
                        raw.toString(),
                        "63M")
                .timeout(Tools.MINUTE)
                .mergeStderr()
                .run();
        return raw;
    }

    static PreparePipeline.Input input(Path disk) {
        return new PreparePipeline.Input(
                disk,
                null,
                OpenOptions.defaults(),
                "null",
                PatchOptions.defaults().withProvisioning(Provisioning.CloudInit));
    }

    @Test
    void prepareTellsTheStepsInOrderReportsOnceAndAResumeSkipsConvertAndPatch(@TempDir Path dir) throws Exception {
        Path raw = alpineDisk(dir);
        Path out = dir.resolve("out.vhd");
        Recording first = new Recording();
        long t0 = System.nanoTime();
        PreparePipeline.Result r = new PreparePipeline(input(raw), first).prepare(out, null);
        double wall = (System.nanoTime() - t0) / 1e9;

        assertThat(first.steps).containsExactly("convert 2", "patch 40", "patch 45", "check 60", "done 100");
        // the byte counts of the copy: within the convert step's 2..40 %, growing, ending at the whole VHD
        assertThat(first.convertBytes)
                .isNotEmpty()
                .allSatisfy(b -> assertThat(b).startsWith(2, 40));
        long[] last = first.convertBytes.get(first.convertBytes.size() - 1);
        assertThat(last[2]).isEqualTo(last[3]).isEqualTo(Files.size(out));
        for (int i = 1; i < first.convertBytes.size(); i++) {
            assertThat(first.convertBytes.get(i)[2])
                    .isGreaterThanOrEqualTo(first.convertBytes.get(i - 1)[2]);
        }
        // the report comes once, after patch and check, before the run ends
        assertThat(first.reports).hasSize(1);
        assertThat(first.events.subList(first.events.indexOf("report"), first.events.size()))
                .containsExactly("report", "step done");
        JsonNode report = JSON.readTree(first.reports.get(0));
        assertThat(report.path("mode").asText()).isEqualTo("prepare");
        boolean compliant = report.path("summary").path("compliant").asBoolean();
        assertThat(r.exitCode()).isEqualTo(compliant ? ExitCodes.OK : ExitCodes.NOT_COMPLIANT);
        assertThat(r.failure()).isNull();
        assertThat(r.result().output().path()).isEqualTo(out.toString());
        // a fixed VHD: N MiB of data + the 512-byte footer (VHD spec), as the uploader checks it
        try (FileByteSource vhd = FileByteSource.openReadOnly(out)) {
            FixedVhdCheck.check(vhd, out.toString());
        }
        assertThat(r.result().output().virtualSize()).isEqualTo(Files.size(out) - 512);
        // the steps' durations (for the operator's histogram), within the test's own clock: the copy ran between
        // the convert and the patch milestones, all steps within the call; no upload was asked
        JobResult.Durations d = r.result().durations();
        assertThat(d.convert()).isPositive().isLessThanOrEqualTo(first.secondsBetween("convert 2", "patch 40") + 0.001);
        assertThat(d.patch()).isPositive();
        assertThat(d.check()).isPositive();
        assertThat(d.upload()).isNull();
        assertThat(d.convert() + d.patch() + d.check()).isLessThanOrEqualTo(wall + 0.002);
        // and through the termination message, as the operator reads them
        assertThat(JobResultCodec.parse(JobResultCodec.write(r.result())).durations())
                .isEqualTo(d);

        Recording again = new Recording();
        PreparePipeline.Result r2 = new PreparePipeline(input(raw), again).prepare(out, null);
        assertThat(again.steps).as("the state file: straight to the end").containsExactly("patch 60", "done 100");
        assertThat(again.convertBytes).isEmpty();
        assertThat(again.reports).containsExactly(first.reports.get(0));
        assertThat(r2.exitCode()).isEqualTo(r.exitCode());
        assertThat(r2.result().output()).isEqualTo(r.result().output());
        assertThat(r2.result().durations())
                .as("a resumed run converted, patched and checked nothing itself")
                .isNull();
    }

    @Test
    void checkReadsTheDiskWithoutChangingItAndReportsOnce(@TempDir Path dir) throws Exception {
        Path raw = alpineDisk(dir);
        String before = Sha256.hex(Files.readAllBytes(raw));
        Recording rec = new Recording();
        PreparePipeline.Result r = new PreparePipeline(input(raw), rec).check();

        assertThat(rec.steps).containsExactly("inspect 0", "check 50", "check 100");
        assertThat(rec.reports).hasSize(1);
        JsonNode report = JSON.readTree(rec.reports.get(0));
        assertThat(report.path("mode").asText()).isEqualTo("check");
        assertThat(r.exitCode())
                .isEqualTo(
                        report.path("summary").path("compliant").asBoolean() ? ExitCodes.OK : ExitCodes.NOT_COMPLIANT);
        assertThat(r.result().stages().patched()).isNull();
        assertThat(r.result().durations().check())
                .isPositive()
                .isLessThanOrEqualTo(rec.secondsBetween("inspect 0", "check 100") + 0.001);
        assertThat(r.result().durations().convert()).isNull();
        assertThat(r.result().durations().patch()).isNull();
        assertThat(Sha256.hex(Files.readAllBytes(raw)))
                .as("check writes nothing")
                .isEqualTo(before);
    }

    @Test
    void convertWritesAFixedVhdAndCountsItsBytes(@TempDir Path dir) throws Exception {
        Path raw = alpineDisk(dir);
        Path out = dir.resolve("c.vhd");
        Recording rec = new Recording();
        PreparePipeline.Converted c = new PreparePipeline(input(raw), rec)
                .convert(out, PatchOptions.DEFAULT_MAX_DISK_SIZE, UUID.nameUUIDFromBytes(new byte[1]), 0L);
        assertThat(c.inputFormat()).isEqualTo("raw");
        assertThat(c.inputVirtualSize()).isEqualTo(64L << 20);
        assertThat(c.diskSize()).isEqualTo(64L << 20); // already a whole MiB: no growth
        assertThat(c.fileSize()).isEqualTo(Files.size(out)).isEqualTo(c.diskSize() + 512);
        try (FileByteSource vhd = FileByteSource.openReadOnly(out)) {
            FixedVhdCheck.check(vhd, out.toString());
        }
        assertThat(rec.steps).isEmpty();
        assertThat(rec.reports).isEmpty();
        assertThat(rec.events).contains("bytes convert");
    }

    @Test
    void aMissingInputIsSourceNotFoundBeforeAnyStep(@TempDir Path dir) {
        Recording rec = new Recording();
        PreparePipeline p = new PreparePipeline(input(dir.resolve("nope.qcow2")), rec);
        assertThatThrownBy(() -> p.prepare(dir.resolve("o.vhd"), null))
                .isInstanceOfSatisfying(CoreException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE);
                    assertThat(e.reason()).isEqualTo(ResultReasons.SOURCE_NOT_FOUND);
                });
        assertThatThrownBy(p::check).isInstanceOf(CoreException.class);
        assertThat(rec.events).isEmpty();
    }
}
