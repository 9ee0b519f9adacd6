package dev.linuximage.core.cli;

import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.DiskImages;
import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.format.vhd.FixedVhdOptions;
import dev.linuximage.core.format.vhd.FixedVhdView;
import dev.linuximage.core.format.vhd.VhdFooter;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.Sizes;
import dev.linuximage.core.io.SparseFileWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.LongConsumer;

/**
 * {@code linuximage convert <input> <output.vhd> [--format F] [--max-size SIZE]}: any supported container to an
 * Azure-ready fixed VHD (size aligned up to a whole MiB, GPT backup moved, footer per spec), written once, sparse,
 * under a temporary name renamed atomically at the end.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
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

    @Option(names = {"--max-size", "--max-disk-size"}, paramLabel = "SIZE", defaultValue = "1023G",
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

    @Option(names = "--json", description = "at the end print one JSON object describing the output on stdout"
            + " (progress and messages stay on stderr)")
    boolean json;

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
        long max = parseSize(maxSize);
        PrintWriter err = spec.commandLine().getErr();
        if (!dev.linuximage.core.io.DiskFiles.isDiskInput(input)) {
            throw new CoreException(ExitCodes.USAGE, "input " + input + " is neither a regular file nor a block device");
        }
        if (Files.exists(output) && Files.isSameFile(input, output)) {
            throw new CoreException(ExitCodes.USAGE, "output must differ from input");
        }
        OpenOptions opts = new OpenOptions(!noVerifyManifest, OpenOptions.DEFAULT_MAX_VIRTUAL_SIZE,
                in.openOptions().ovaDisk());
        try (DiskImage img = DiskImages.open(input, in.format(), opts)) {
            for (String w : img.warnings()) {
                err.println("warning: " + w);
            }
            FixedVhdOptions vo = new FixedVhdOptions(max, uniqueId, timestamp);
            if (img.format().equals("vhd") && img.subformat().equals("fixed")
                    && (uniqueId == null || timestamp == null)) {
                // keep a fixed VHD's identity so fixed in -> fixed out is byte-identical
                try (FileByteSource f = FileByteSource.openReadOnly(input)) {
                    VhdFooter old = VhdFooter.parse(f.readBytes(f.size() - 512, 512));
                    vo = new FixedVhdOptions(max, uniqueId != null ? uniqueId : old.uniqueId(),
                            timestamp != null ? timestamp : old.timestamp());
                }
            }
            try (FixedVhdView view = FixedVhdView.of(img.data(), vo)) {
                for (String n : view.notes()) {
                    err.println("note: " + n);
                }
                for (String w : view.warnings()) {
                    err.println("warning: " + w);
                }
                String space = SparseFileWriter.spaceWarning(view, output);
                if (space != null) {
                    err.println("warning: " + space);
                }
                long started = System.nanoTime();
                ProgressLine line = quiet ? null : new ProgressLine(err, ProgressLine.terminal(), 2);
                long total = view.size();
                LongConsumer progress = line == null ? null : done -> line.update("converting", done, total);
                long written = SparseFileWriter.write(view, output, progress);
                if (line != null) {
                    line.finish();
                }
                double secs = (System.nanoTime() - started) / 1e9;
                if (!quiet) {
                    err.printf(Locale.ROOT, "converted %s (%s %s, %s) to %s: fixed VHD of %s (%d bytes), %s of data"
                                    + " written in %.1f s%n", input, img.format(), img.subformat(),
                            Sizes.human(img.virtualSize()), output, Sizes.human(view.diskSize()), view.diskSize(),
                            Sizes.human(written), secs);
                    err.flush();
                }
                if (json) {
                    // built explicitly (no reflective binding): native-image friendly, as ReportJson
                    com.fasterxml.jackson.databind.node.ObjectNode o = JsonOut.object();
                    o.put("output", output.toString());
                    o.put("format", "vhd");
                    o.put("subformat", "fixed");
                    o.put("virtualSize", view.diskSize());
                    o.put("fileSize", Files.size(output));
                    o.put("dataWritten", written);
                    com.fasterxml.jackson.databind.node.ObjectNode i = o.putObject("input");
                    i.put("path", input.toString());
                    i.put("format", img.format());
                    i.put("subformat", img.subformat());
                    i.put("virtualSize", img.virtualSize());
                    System.out.println(JsonOut.line(o));
                    System.out.flush();
                }
            }
        }
        return ExitCodes.OK;
    }
}
