package dev.linuximage.core.cli;

import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.pipeline.PreparePipeline;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code linuximage check <disk>}: a read-only audit ({@link PreparePipeline#check}). The disk is opened read-only
 * (any container format) and the guest file systems without write access; nothing is written to the disk. Exit code
 * 4 when a requirement fails.
 */
@Command(
        name = "check",
        mixinStandardHelpOptions = true,
        description = "Audit a disk against Azure's requirements without changing it (exit code 4 when not compliant).")
public class CheckCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<disk>", description = "disk in any supported format")
    Path disk;

    @Mixin
    InputMixin in;

    @Mixin
    PatchOptionsMixin patch;

    @Mixin
    ResultOutputMixin results;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FORMAT",
            description = OutputFormat.HELP)
    void outputFormat(String format) {
        results.outputFormat = format;
    }

    @Override
    public Integer call() throws Exception {
        return results.run("check", () -> {
            // inside run(): a Job still gets a result with the precise reason, as prepare does
            PreparePipeline.requireDiskInput(disk);
            PatchOptions options = patch.resolve();
            PreparePipeline.Result r = new PreparePipeline(
                            new PreparePipeline.Input(disk, in.format(), in.openOptions(), in.identity(), options),
                            results.sink())
                    .check();
            return new ResultOutputMixin.Done(r.result(), r.exitCode());
        });
    }
}
