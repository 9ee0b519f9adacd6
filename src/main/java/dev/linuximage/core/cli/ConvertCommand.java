package dev.linuximage.core.cli;

import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.io.Sizes;
import dev.linuximage.core.pipeline.PreparePipeline;
import dev.linuximage.core.pipeline.ProgressSink;
import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code linuximage convert <input> <output.vhd> [--format F] [--max-size SIZE]}: any supported container to an
 * Azure-ready fixed VHD (size aligned up to a whole MiB, GPT backup moved, footer per spec), written once, sparse,
 * under a temporary name renamed atomically at the end ({@link PreparePipeline#convert}); this class parses the
 * options and renders the progress, the summary line and {@code --json}.
 */
@Command(
        name = "convert",
        mixinStandardHelpOptions = true,
        description = "Convert a disk (raw, qcow2, VHD, VHDX, VMDK, VDI, OVA) to a fixed VHD aligned to 1 MiB.")
public class ConvertCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", description = "input disk")
    Path input;

    @Parameters(index = "1", description = "output fixed VHD")
    Path output;

    @Mixin
    InputMixin in;

    @Mixin
    InPlaceMixin place;

    @Option(
            names = {"--max-size", "--max-disk-size"},
            paramLabel = "SIZE",
            defaultValue = "1023G",
            description = "refuse disks larger than SIZE once aligned (bytes, or K/M/G/T, binary: 1023G = 1023Gi;"
                    + " default ${DEFAULT-VALUE})")
    String maxSize;

    @Option(names = "--unique-id", description = "footer unique id (UUID) for a deterministic output")
    UUID uniqueId;

    @Option(names = "--timestamp", description = "footer timestamp, seconds since 2000-01-01T00:00:00Z")
    Long timestamp;

    @Option(names = "--no-verify-manifest", description = "OVA: do not verify the manifest digests")
    boolean noVerifyManifest;

    @Option(names = "--quiet", description = "no progress on stderr")
    boolean quiet;

    @Option(
            names = "--json",
            description = "at the end print one JSON object describing the output on stdout"
                    + " (progress and messages stay on stderr)")
    boolean json;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FORMAT",
            description = OutputFormat.HELP)
    String outputFormat;

    /** Parses a size in the one grammar of {@link Sizes}; a bad one is a bad command line. */
    public static long parseSize(String s) {
        try {
            return Sizes.parse(s);
        } catch (IllegalArgumentException e) {
            throw new CoreException(ExitCodes.USAGE, "--max-size: " + e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        json = OutputFormat.json(json, outputFormat);
        long max = parseSize(maxSize);
        PrintWriter err = spec.commandLine().getErr();
        OpenOptions opts = new OpenOptions(
                !noVerifyManifest,
                OpenOptions.DEFAULT_MAX_VIRTUAL_SIZE,
                in.openOptions().ovaDisk());
        ProgressLine[] line = new ProgressLine[1]; // made at the first bytes: the rate counts from the write's start
        ProgressSink sink = new ProgressSink() {
            @Override
            public void step(String stage, int percent, String message) {}

            @Override
            public void bytes(String stage, int from, int to, String label, long done, long total) {
                if (!quiet) {
                    if (line[0] == null) {
                        line[0] = new ProgressLine(err, ProgressLine.terminal(), 2);
                    }
                    line[0].update(label, done, total);
                }
            }

            @Override
            public void note(String text) {
                err.println(text);
            }

            @Override
            public void report(String json, String table) {}
        };
        PreparePipeline.Converted c = new PreparePipeline(
                        new PreparePipeline.Input(input, in.format(), opts, null, null), sink)
                .convert(output, place.resolve(output), max, uniqueId, timestamp);
        if (line[0] != null) {
            line[0].finish();
        }
        if (!quiet) {
            err.printf(
                    Locale.ROOT,
                    "converted %s (%s, %s) to %s: fixed VHD of %s (%d bytes), %s of data" + " written in %.1f s%n",
                    input,
                    c.inputSubformat() == null || c.inputSubformat().isEmpty()
                            ? c.inputFormat()
                            : c.inputFormat() + " " + c.inputSubformat(),
                    Sizes.human(c.inputVirtualSize()),
                    output,
                    Sizes.human(c.diskSize()),
                    c.diskSize(),
                    Sizes.human(c.written()),
                    c.writeNanos() / 1e9);
            err.flush();
        }
        if (json) {
            // built explicitly (no reflective binding): native-image friendly, as ReportJson
            com.fasterxml.jackson.databind.node.ObjectNode o = JsonOut.object();
            o.put("output", output.toString());
            o.put("format", "vhd");
            o.put("subformat", "fixed");
            o.put("virtualSize", c.diskSize());
            o.put("fileSize", c.fileSize());
            o.put("dataWritten", c.written());
            com.fasterxml.jackson.databind.node.ObjectNode i = o.putObject("input");
            i.put("path", input.toString());
            i.put("format", c.inputFormat());
            i.put("subformat", c.inputSubformat());
            i.put("virtualSize", c.inputVirtualSize());
            System.out.println(JsonOut.line(o));
            System.out.flush();
        }
        return ExitCodes.OK;
    }
}
