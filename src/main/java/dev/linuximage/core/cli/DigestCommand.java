package dev.linuximage.core.cli;

import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.SparseFileMap;
import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.upload.SparseDigest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code linuximage digest <file>}: prints the file's {@link SparseDigest} ({@code sparse-sha256-v1:<hex>}), the
 * digest {@code prepare} and {@code upload} report and store in the blob's metadata. Streaming, one 4 MiB window;
 * reads only the file's allocated data where the file system tells its holes ({@link SparseFileMap}).
 */
@Command(
        name = "digest",
        mixinStandardHelpOptions = true,
        description = "Prints the digest prepare and upload report for a VHD (or any file of whole 512-byte pages): "
                + SparseDigest.ALGORITHM + ", a SHA-256 over the non-zero 512-byte pages and their offsets plus the "
                + "size; holes and zero pages cost nothing.")
public class DigestCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<file>", description = "the file, e.g. a fixed VHD")
    Path file;

    @Option(names = "--json", description = "print {\"algorithm\", \"digest\", \"size\", \"file\"} as one JSON object")
    boolean json;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FORMAT",
            description = OutputFormat.HELP)
    String outputFormat;

    @Override
    public Integer call() {
        json = OutputFormat.json(json, outputFormat);
        if (!Files.isRegularFile(file)) {
            throw new CoreException(ExitCodes.USAGE, file + ": no such file");
        }
        try (FileByteSource src = FileByteSource.openReadOnly(file)) {
            if (src.size() % 512 != 0) {
                throw new CoreException(
                        ExitCodes.BAD_INPUT,
                        file + ": size " + src.size()
                                + " bytes is not a multiple of 512 (a VHD is whole 512-byte pages)");
            }
            String d = SparseDigest.of(
                    SparseFileMap.view(file, src, w -> System.err.println("linuximage digest: warning: " + w)));
            if (json) {
                // built explicitly (no reflective binding): native-image friendly, as ReportJson
                com.fasterxml.jackson.databind.node.ObjectNode o = JsonOut.object();
                o.put("algorithm", SparseDigest.ALGORITHM);
                o.put("digest", d);
                o.put("size", src.size());
                o.put("file", file.toString());
                System.out.println(JsonOut.line(o));
            } else {
                System.out.println(d + "  " + file);
            }
            return ExitCodes.OK;
        } catch (IOException e) {
            throw new CoreException(
                    ExitCodes.ERROR, "digest failed: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
