package dev.linuximage.core.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.linuximage.core.io.OutputFiles;
import dev.linuximage.core.io.Sizes;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.upload.UploadPhase;
import dev.linuximage.core.upload.UploadProgress;
import dev.linuximage.testsupport.CliRun;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command-line habits users bring from qemu-img and az (issue #16.7): a bare command prints usage, one size
 * grammar and one name for the size cap, {@code --report -}, device paths written through, a SAS in the URL refused
 * as a bad command line, Job-only flags hidden, check's help free of repairs, shell completion, throttled progress.
 */
class CliHabitsTest {

    @Test
    void aBareCommandOutsideAPodPrintsUsageAndExits2() {
        CliRun.Run r = CliRun.run();
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("prepare", "convert", "linuximage operator");
        assertThat(r.err().lines().count()).isLessThan(60); // usage, not a stack trace
    }

    @Test
    void theOperatorStartsOnlyWhenAskedOrInsideAPod() throws Exception {
        var m = Class.forName("dev.linuximage.Main").getDeclaredMethod("startsOperator", String[].class, Map.class);
        m.setAccessible(true);
        assertThat(m.invoke(null, new String[0], Map.of())).isEqualTo(false);
        assertThat(m.invoke(null, new String[0], Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1")))
                .isEqualTo(true);
        assertThat(m.invoke(null, new String[] {"operator"}, Map.of())).isEqualTo(true);
        assertThat(m.invoke(null, new String[] {"inspect", "x"}, Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1")))
                .isEqualTo(false);
    }

    @ParameterizedTest
    @CsvSource({
        "1023G,1098437885952",
        "1023Gi,1098437885952",
        "1023GiB,1098437885952",
        "1023g,1098437885952",
        "512M,536870912",
        "512mi,536870912",
        "4096,4096",
        "4096B,4096",
        "1T,1099511627776",
        "64 Gi,68719476736"
    })
    void oneSizeGrammar(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "1.5G", "lots", "1P", "G", "", "9999999999T", "99999999999999999999"})
    void badSizesAreRefusedNamingTheText(String text) {
        assertThatThrownBy(() -> Sizes.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'");
    }

    @Test
    void humanSizes() {
        assertThat(Sizes.human(512)).isEqualTo("512 B");
        assertThat(Sizes.human(1536)).isEqualTo("1.5 KiB");
        assertThat(Sizes.human(64L << 20)).isEqualTo("64 MiB");
        assertThat(Sizes.human(1023L << 30)).isEqualTo("1023 GiB");
        assertThat(Sizes.human((3L << 30) + (1L << 29))).isEqualTo("3.5 GiB");
    }

    @Test
    void convertsSummaryNamesTheInputFormatWithoutAnEmptySubformat(@TempDir Path dir) throws Exception {
        Path raw = dir.resolve("d.raw");
        Files.write(raw, new byte[3 << 20]);
        CliRun.Run r =
                CliRun.run("convert", raw.toString(), dir.resolve("a.vhd").toString());
        assertThat(r.code()).isEqualTo(ExitCodes.OK);
        assertThat(r.err()).contains("converted " + raw + " (raw, 3 MiB) to ");
    }

    @Test
    void theSizeCapHasOneNameAndOneGrammarOnEveryCommand(@TempDir Path dir) throws Exception {
        Path raw = dir.resolve("d.raw");
        Files.write(raw, new byte[3 << 20]);
        // convert refused Kubernetes-style suffixes before: 1023Gi was a bad size
        assertThat(CliRun.run(
                                "convert",
                                raw.toString(),
                                dir.resolve("a.vhd").toString(),
                                "--max-size",
                                "1023Gi",
                                "--quiet")
                        .code())
                .isEqualTo(ExitCodes.OK);
        assertThat(CliRun.run(
                                "convert",
                                raw.toString(),
                                dir.resolve("b.vhd").toString(),
                                "--max-disk-size",
                                "2Mi",
                                "--quiet")
                        .code())
                .isEqualTo(ExitCodes.BAD_INPUT);
        for (String cmd : List.of("check", "prepare")) {
            var parsed = CoreCli.commandLine(cmd, "x").parseArgs(cmd, "x", "--max-size", "2T");
            assertThat(parsed.subcommand()
                            .matchedOption("--max-size")
                            .getValue()
                            .toString())
                    .isEqualTo("2T");
            assertThat(CoreCli.commandLine(cmd, "x")
                            .parseArgs(cmd, "x", "--max-disk-size", "2Ti")
                            .subcommand()
                            .hasMatchedOption("--max-size"))
                    .isTrue();
        }
        CliRun.Run bad = CliRun.run("check", raw.toString(), "--max-size", "1.5T");
        assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("--max-size", "'1.5T'");
    }

    @Test
    void aLinkToAFileStaysALinkAndTheFileIsReplacedWhole(@TempDir Path dir) throws Exception {
        Path real = Files.writeString(dir.resolve("real.json"), "old contents, longer than the new ones");
        Path link = Files.createSymbolicLink(dir.resolve("report.json"), real.getFileName());
        OutputFiles.write(link, "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readString(real)).isEqualTo("{}");
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("real.json", "report.json");
        }
    }

    @Test
    void aFifoBehindALinkIsWrittenThroughNotReplaced(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("pipe");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertThat(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0).isTrue();
        Path link = Files.createSymbolicLink(dir.resolve("stdout"), fifo);
        CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readAllBytes(fifo);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        OutputFiles.write(link, "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        assertThat(new String(reader.get(20, TimeUnit.SECONDS), StandardCharsets.UTF_8))
                .isEqualTo("{\"a\":1}");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.isRegularFile(fifo)).isFalse();
        assertThat(Files.exists(fifo)).isTrue();
    }

    @Test
    void aSasInTheBlobUrlIsABadCommandLineAndIsNotEchoed(@TempDir Path dir) throws Exception {
        Path vhd = Files.write(dir.resolve("d.vhd"), new byte[1024]);
        Path sas = Files.writeString(dir.resolve("sas"), "sv=2024-11-04&sig=abc");
        CliRun.Run r = CliRun.run(
                "upload",
                vhd.toString(),
                "--blob-url",
                "https://acct.blob.core.windows.net/c/d.vhd?sv=2024-11-04&sig=SECRETSIG",
                "--sas-file",
                sas.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--blob-url", "query string").doesNotContain("SECRETSIG");
    }

    @Test
    void jobOnlyFlagsAreHiddenButAccepted() {
        String help =
                CoreCli.commandLine("prepare").getSubcommands().get("prepare").getUsageMessage();
        assertThat(help)
                .contains("--blob-url", "--report")
                .doesNotContain("--termination-log", "--fence-owner", "--fence-generation");
        assertThat(CoreCli.commandLine("prepare", "x")
                        .parseArgs(
                                "prepare",
                                "x",
                                "--termination-log",
                                "/tmp/t",
                                "--fence-owner",
                                "u",
                                "--fence-generation",
                                "3")
                        .subcommand()
                        .hasMatchedOption("--termination-log"))
                .isTrue();
    }

    @Test
    void checksHelpDescribesNoRepair() {
        var check = CoreCli.commandLine("check").getSubcommands().get("check");
        // the guest options check shares with prepare: on check they say what the image must be, not what to do
        var patchOptions = picocli.CommandLine.Model.CommandSpec.forAnnotatedObject(new PatchOptionsMixin())
                .optionsMap()
                .keySet();
        assertThat(patchOptions).contains("--hyperv-drivers", "--kernel-arg-add", "--remove-user");
        List<String> imperative = new ArrayList<>();
        for (var o : check.getCommandSpec().options()) {
            if (!patchOptions.contains(o.longestName())) {
                continue;
            }
            for (String line : o.description()) {
                if (line.matches("(?i)^(add|write|delete|remove|rewrite|set|repair|fix|enable|install)\\b.*")) {
                    imperative.add(o.longestName() + ": " + line);
                }
            }
        }
        assertThat(imperative).isEmpty();
        assertThat(check.getUsageMessage()).contains("without changing it");
    }

    @Test
    void bashCompletesCommandsAndOptions(@TempDir Path dir) throws Exception {
        CliRun.Run r = CliRun.run("completion");
        assertThat(r.code()).isEqualTo(ExitCodes.OK);
        Path script = Files.writeString(dir.resolve("linuximage-completion.bash"), r.out());
        assertThat(complete(script, "linuximage", "pre")).contains("prepare");
        assertThat(complete(script, "linuximage", "convert", "--max")).contains("--max-size", "--max-disk-size");
        assertThat(complete(script, "linuximage", "check", "--prov")).contains("--provisioning");
    }

    /** What bash itself offers for the last word, with the generated script sourced (the oracle is bash). */
    private static List<String> complete(Path script, String... words) throws Exception {
        String line = String.join(" ", words);
        StringBuilder arr = new StringBuilder();
        for (String w : words) {
            arr.append('\'').append(w).append("' ");
        }
        String prog = "source '" + script + "'\nCOMP_WORDS=(" + arr + ")\nCOMP_CWORD=" + (words.length - 1)
                + "\nCOMP_LINE='" + line + "'\nCOMP_POINT=${#COMP_LINE}\n_complete_linuximage\n"
                + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        Process p =
                new ProcessBuilder("bash", "-c", prog).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS))
                .isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.lines().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    @Test
    void plainProgressIsThrottledAndNeverRepeated() {
        StringWriter buf = new StringWriter();
        ProgressLine line = new ProgressLine(new PrintWriter(buf), false, 3600);
        long total = 100L << 20;
        for (long done = 0; done < total; done += 4 << 20) { // one callback per 4 MiB chunk
            line.update("converting", done, total);
        }
        line.update("converting", total, total);
        line.update("converting", total, total);
        List<String> lines = buf.toString().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("converting: 0 B of 100 MiB (0%)");
        assertThat(lines.get(1)).startsWith("converting: 100 MiB of 100 MiB (100%)");
    }

    @Test
    void aTerminalLineIsRedrawnInPlaceWithRateAndTimeLeft() {
        StringWriter buf = new StringWriter();
        ProgressLine line = new ProgressLine(new PrintWriter(buf), true, 2);
        line.update("uploading", 1L << 30, 4L << 30);
        line.finish();
        assertThat(buf.toString())
                .startsWith("\r")
                .endsWith(System.lineSeparator())
                .doesNotContain("\n\r");
        assertThat(ProgressLine.text("uploading", 1L << 30, 4L << 30, 10_000_000_000L))
                .isEqualTo("uploading: 1 GiB of 4 GiB (25%), 102.4 MiB/s, 30 s left");
        assertThat(ProgressLine.duration(3725)).isEqualTo("1 h 02 min");
    }

    @Test
    void theDetailFollowsRateAndTimeLeftOnRedrawnAndPlainLines() {
        assertThat(ProgressLine.text("upload: uploading", 1L << 30, 4L << 30, 10_000_000_000L, "2 retries"))
                .isEqualTo("upload: uploading: 1 GiB of 4 GiB (25%), 102.4 MiB/s, 30 s left; 2 retries");
        assertThat(ProgressLine.text("converting", 0, 4L << 30, 0, "")).isEqualTo("converting: 0 B of 4 GiB (0%)");

        StringWriter redrawn = new StringWriter();
        ProgressLine bar = new ProgressLine(new PrintWriter(redrawn), true, 2);
        bar.update("upload: uploading", 1L << 20, 4L << 20, "scanned 1 MiB of 8 MiB, 0 retries");
        bar.finish();
        assertThat(redrawn.toString()).startsWith("\r").contains("; scanned 1 MiB of 8 MiB, 0 retries");
        assertThat(bar.lastText()).endsWith("; scanned 1 MiB of 8 MiB, 0 retries"); // what a Job's JSON line carries

        StringWriter plain = new StringWriter();
        ProgressLine log = new ProgressLine(new PrintWriter(plain), false, 3600);
        log.update("upload: uploading", 0, 4L << 20, "0 retries");
        log.update("upload: uploading", 4L << 20, 4L << 20, "1 retry");
        assertThat(plain.toString().lines().toList())
                .hasSize(2)
                .allSatisfy(l -> assertThat(l).startsWith("upload: uploading: "))
                .satisfies(l -> assertThat(l.get(1)).endsWith("; 1 retry"));
    }

    @Test
    void uploadProgressSaysWhenTheTotalIsAnUpperBoundWhatIsScannedAndTheRetries() {
        StringWriter buf = new StringWriter();
        UploadCommand.UploadProgressLines lines =
                new UploadCommand.UploadProgressLines(new PrintWriter(buf), "plain", 3600);
        // scan running: 3 MiB non-zero so far plus the 8 MiB not yet scanned is an upper bound of what is sent
        lines.onProgress(
                new UploadProgress(UploadPhase.UPLOADING, 1L << 20, 11L << 20, false, 8L << 20, 16L << 20, 0, 3));
        lines.onProgress(
                new UploadProgress(UploadPhase.VERIFYING, 5L << 20, 5L << 20, true, 16L << 20, 16L << 20, 0, 4));
        lines.end();
        List<String> out = buf.toString().lines().toList();
        assertThat(out).hasSize(2);
        assertThat(out.get(0))
                .startsWith("upload: uploading: 1 MiB of at most 11 MiB (9%)")
                .endsWith("; scanned 8 MiB of 16 MiB, 3 retries");
        assertThat(out.get(1))
                .startsWith("upload: verifying: 5 MiB of 5 MiB (100%)")
                .endsWith("; scanned 16 MiB of 16 MiB, 4 retries");
    }

    /** prepare's upload step renders through the pipeline's sink: a total that is only a bound says so there too. */
    @Test
    void prepareSaysWhenTheUploadTotalIsAnUpperBound() {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            ResultOutputMixin results = new ResultOutputMixin();
            results.sink().bytes("upload", 60, 99, "uploading", 1L << 20, 11L << 20, true);
            results.sink().bytes("upload", 60, 99, "verifying", 5L << 20, 5L << 20, false);
        } finally {
            System.setErr(old);
        }
        List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("uploading: 1 MiB of at most 11 MiB (9%)");
        assertThat(lines.get(1)).startsWith("verifying: 5 MiB of 5 MiB (100%)");
    }

    @Test
    void theSameMilestoneTwiceIsPrintedOnce() {
        ResultOutputMixin results = new ResultOutputMixin();
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            results.progress("patch", 40, "opening the guest file systems");
            results.progress("patch", 40, "opening the guest file systems");
            results.progress("patch", 45, "patching and checking");
        } finally {
            System.setErr(old);
        }
        assertThat(err.toString(StandardCharsets.UTF_8).lines().toList()).hasSize(2);
    }

    /** Every command (and subcommand) that has {@code --json} has {@code -o}, and {@code --output} unless taken. */
    @Test
    void everyJsonCommandTakesDashOAndOutput() {
        List<String> seen = new ArrayList<>();
        walk(CoreCli.commandLine("--help"), c -> {
            if (c.getCommandSpec().findOption("--json") == null) {
                return;
            }
            String name = c.getCommandSpec().qualifiedName();
            seen.add(name);
            var o = c.getCommandSpec().findOption("-o");
            assertThat(o).as(name + " -o").isNotNull();
            var output = c.getCommandSpec().findOption("--output");
            if (name.endsWith(" prepare")) {
                // prepare's --output is the VHD path (a stable spelling): -o is the format's only name there
                assertThat(output).isNotSameAs(o);
                assertThat(output.paramLabel()).isEqualTo("out.vhd");
            } else {
                assertThat(output).as(name + " --output").isSameAs(o);
            }
        });
        assertThat(seen)
                .containsExactlyInAnyOrder(
                        "linuximage inspect",
                        "linuximage convert",
                        "linuximage check",
                        "linuximage prepare",
                        "linuximage upload",
                        "linuximage digest",
                        "linuximage guest ls");
    }

    private static void walk(picocli.CommandLine c, java.util.function.Consumer<picocli.CommandLine> f) {
        f.accept(c);
        c.getSubcommands().values().forEach(s -> walk(s, f));
    }

    @Test
    void dashOJsonPrintsWhatJsonPrints(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("pages.bin");
        byte[] b = new byte[8 * 512];
        b[700] = 1;
        Files.write(f, b);
        CliRun.Run json = CliRun.run("digest", f.toString(), "--json");
        assertThat(json.code()).as(json.err()).isZero();
        assertThat(json.out()).startsWith("{").contains("\"digest\"");
        for (String[] spelling : List.of(
                new String[] {"-o", "json"},
                new String[] {"-ojson"},
                new String[] {"-o=json"},
                new String[] {"--output", "json"},
                new String[] {"--output=json"},
                new String[] {"-o", "JSON"})) {
            List<String> args = new ArrayList<>(List.of("digest", f.toString()));
            args.addAll(List.of(spelling));
            CliRun.Run r = CliRun.run(args.toArray(String[]::new));
            assertThat(r.code()).as(String.join(" ", spelling) + r.err()).isZero();
            assertThat(r.out()).as(String.join(" ", spelling)).isEqualTo(json.out());
        }
        CliRun.Run text = CliRun.run("digest", f.toString(), "-o", "text");
        assertThat(text.out())
                .isEqualTo(CliRun.run("digest", f.toString()).out())
                .startsWith("sparse-sha256-v1:");
    }

    @Test
    void anUnknownOrContradictoryFormatIsABadCommandLine(@TempDir Path dir) throws Exception {
        Path f = Files.write(dir.resolve("pages.bin"), new byte[512]);
        CliRun.Run yaml = CliRun.run("digest", f.toString(), "-o", "yaml");
        assertThat(yaml.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(yaml.out()).isEmpty();
        assertThat(yaml.err()).contains("'yaml'", "json or text");
        CliRun.Run both = CliRun.run("digest", f.toString(), "--json", "-o", "text");
        assertThat(both.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(both.out()).isEmpty();
        assertThat(both.err()).contains("--json", "-o text");
    }

    /** az/qemu-img users type {@code --output json}; on prepare that would write a VHD named 'json'. */
    @Test
    void prepareOutputJsonIsRefusedNotAFileNamedJson(@TempDir Path dir) throws Exception {
        Path f = Files.write(dir.resolve("disk.raw"), new byte[1 << 20]);
        Path cwd = Path.of("").toAbsolutePath();
        boolean before = Files.exists(cwd.resolve("json"));
        CliRun.Run r = CliRun.run("prepare", f.toString(), "--output", "json");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("-o json", "--output ./json");
        assertThat(Files.exists(cwd.resolve("json"))).isEqualTo(before);
    }
}
