package dev.linuximage.core.cli;

import dev.linuximage.core.pipeline.PreparePipeline;
import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How the fixed VHD is written onto its output: a new file (the default), or in place onto a device. */
public class InPlaceMixin {
    @Option(
            names = "--output-in-place",
            description = "write the fixed VHD into the existing output (a pre-sized file; a block device always is):"
                    + " its first bytes, footer last, no temporary file, no rename; the output must hold the VHD")
    boolean inPlace;

    @Option(
            names = "--assume-zeroed",
            description = "in place only: the output is known to read zeros, do not read back and zero the ranges"
                    + " the image leaves empty (faster; wrong bytes if the output held data)")
    boolean assumeZeroed;

    /** The mode for {@code output}; {@code --assume-zeroed} on an output that is not written in place is refused. */
    PreparePipeline.OutputMode resolve(Path output) {
        PreparePipeline.OutputMode mode = new PreparePipeline.OutputMode(inPlace, assumeZeroed);
        if (assumeZeroed && (output == null || !mode.inPlace(output))) {
            throw new CoreException(
                    ExitCodes.USAGE,
                    "--assume-zeroed applies to an output written in place (a block device, or --output-in-place)");
        }
        return mode;
    }

    boolean requested() {
        return inPlace || assumeZeroed;
    }
}
