package dev.linuximage.core.cli;

import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.pipeline.PreparePipeline;
import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code linuximage prepare <input>}: inspect → convert → align → patch → check → upload, run by
 * {@link PreparePipeline}; this class parses the options and renders the pipeline's progress and result.
 */
@Command(
        name = "prepare",
        mixinStandardHelpOptions = true,
        description = "Convert, align, patch and check a disk, then upload it as a page blob when --blob-url is given.")
public class PrepareCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<input>", description = "disk in any supported format")
    Path input;

    @Mixin
    InputMixin in;

    @Option(
            names = "--output",
            paramLabel = "out.vhd",
            description = "fixed VHD to write (default: next to the input, extension .vhd)")
    Path output;

    @Option(names = "--stream-to-upload", description = "write no local VHD: patch an overlay and stream to the blob")
    boolean streamToUpload;

    @Option(
            names = "--work-dir",
            paramLabel = "DIR",
            description = "where the overlay spills modified blocks when streaming (default: the system temp dir)")
    Path workDir;

    @Mixin
    InPlaceMixin place;

    @Mixin
    PatchOptionsMixin patch;

    @Mixin
    UploadTargetMixin target;

    @Mixin
    ResultOutputMixin results;

    @Option(names = "-o", paramLabel = "FORMAT", description = OutputFormat.HELP_SHORT_ONLY)
    void outputFormat(String format) {
        results.outputFormat = format;
    }

    @Override
    public Integer call() {
        if (output != null && FORMAT_NAMES.contains(output.toString())) {
            // az and qemu-img users type '--output json' for JSON; here it would write a VHD named 'json'
            throw new CoreException(
                    ExitCodes.USAGE,
                    "--output is the VHD to write, not a format: '-o " + output + "' selects the output format"
                            + " (a VHD file named '" + output + "': --output ./" + output + ")");
        }
        if (streamToUpload && !target.requested()) {
            throw new CoreException(ExitCodes.USAGE, "--stream-to-upload needs --blob-url");
        }
        if (streamToUpload && (output != null || place.requested())) {
            throw new CoreException(ExitCodes.USAGE, "--stream-to-upload writes no --output");
        }
        Path out = output != null ? output : defaultOutput(input);
        PreparePipeline.OutputMode mode = streamToUpload ? null : place.resolve(out);
        return results.run("prepare", () -> {
            target.validate(); // inside run: a refused blob host still ends in a result with its reason
            PreparePipeline.requireDiskInput(input); // before the options: a missing input is named first
            PatchOptions options = patch.resolve();
            PreparePipeline pipeline = new PreparePipeline(
                    new PreparePipeline.Input(input, in.format(), in.openOptions(), in.identity(), options),
                    results.sink());
            PreparePipeline.UploadTarget to = target.requested()
                    ? new PreparePipeline.UploadTarget(target.blobUrl(), target::credentials, target.options())
                    : null;
            PreparePipeline.Result r = streamToUpload
                    ? pipeline.stream(workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir")), to)
                    : pipeline.prepare(out, mode, to);
            if (r.failure() != null) {
                System.err.println("linuximage prepare: " + r.failure());
            }
            return new ResultOutputMixin.Done(r.result(), r.exitCode());
        });
    }

    private static final java.util.Set<String> FORMAT_NAMES = java.util.Set.of("json", "text");

    /** {@code builds/web.qcow2} → {@code builds/web.vhd}; a {@code .vhd} input gets {@code web-azure.vhd}. */
    static Path defaultOutput(Path in) {
        return PreparePipeline.defaultOutput(in);
    }
}
