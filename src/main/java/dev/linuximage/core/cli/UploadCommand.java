package dev.linuximage.core.cli;

import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.Sizes;
import dev.linuximage.core.io.SparseFileMap;
import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.upload.BlobCredentials;
import dev.linuximage.core.upload.FixedVhdCheck;
import dev.linuximage.core.upload.PageBlobUploader;
import dev.linuximage.core.upload.SourceFingerprint;
import dev.linuximage.core.upload.UploadException;
import dev.linuximage.core.upload.UploadListener;
import dev.linuximage.core.upload.UploadOptions;
import dev.linuximage.core.upload.UploadPhase;
import dev.linuximage.core.upload.UploadProgress;
import dev.linuximage.core.upload.UploadResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code linuximage upload <disk.vhd> --blob-url URL (--sas-file F | --connection-string-file F | --workload-identity)}. */
@Command(
        name = "upload",
        mixinStandardHelpOptions = true,
        description = "Uploads a fixed VHD (N MiB + 512 bytes) to an Azure page blob: only non-zero 512-byte pages are "
                + "sent, in parallel, resumably (re-run the same command), fenced by generation, verified.")
public class UploadCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<disk.vhd>", description = "fixed VHD file")
    Path disk;

    @Mixin
    UploadTargetMixin target;

    @Option(
            names = "--progress",
            paramLabel = "MODE",
            defaultValue = "auto",
            description = "auto (bar on a terminal, lines otherwise), bar, plain, none")
    String progress;

    @Option(
            names = "--progress-interval",
            paramLabel = "SECONDS",
            defaultValue = "5",
            description = "seconds between plain progress lines (default 5)")
    double progressInterval;

    @Option(
            names = "--fingerprint",
            paramLabel = "STRING",
            description = "source identity for resume (default: size, mtime and footer of the file)")
    String fingerprint;

    @Option(names = "--json", description = "print the result as one JSON line")
    boolean json;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FORMAT",
            description = OutputFormat.HELP)
    String outputFormat;

    @Override
    public Integer call() {
        json = OutputFormat.json(json, outputFormat);
        target.validate();
        if (!target.requested()) {
            throw new CoreException(ExitCodes.USAGE, "--blob-url is required");
        }
        UploadOptions options = target.options();
        if (!Files.isRegularFile(disk)) {
            throw new CoreException(ExitCodes.USAGE, disk + ": no such file");
        }
        try (FileByteSource src = FileByteSource.openReadOnly(disk)) {
            try {
                FixedVhdCheck.check(src, disk.toString());
            } catch (IllegalArgumentException e) {
                throw new CoreException(ExitCodes.BAD_INPUT, e.getMessage());
            }
            BlobCredentials creds = target.credentials();
            String fp = fingerprint != null ? fingerprint : SourceFingerprint.ofFile(disk, src);
            UploadProgressLines printer =
                    new UploadProgressLines(new PrintWriter(System.err, true), progress, progressInterval);
            // the file's holes are ZERO extents: never read (a 1 TiB sparse VHD reads only its data)
            UploadResult r = PageBlobUploader.upload(
                    SparseFileMap.view(disk, src, w -> System.err.println("linuximage upload: warning: " + w)),
                    fp,
                    target.blobUrl(),
                    creds,
                    options,
                    printer);
            printer.end();
            if (json) {
                System.out.println(r.toJson());
            } else {
                System.out.printf(
                        Locale.ROOT,
                        "uploaded %s%n  image %d bytes, sent %d, zero-skipped %d, already there %d,"
                                + " cleared %d%n  digest %s (verified: %s)%n  %.1f s, %d retries%s%n",
                        r.blobUrl(),
                        r.imageBytes(),
                        r.bytesSent(),
                        r.bytesSkippedZero(),
                        r.bytesAlreadyThere(),
                        r.bytesCleared(),
                        r.digest(),
                        r.verification().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                        r.duration().toMillis() / 1000.0,
                        r.retries(),
                        r.resumed() ? ", resumed" : "");
            }
            return ExitCodes.OK;
        } catch (CoreException e) {
            throw e;
        } catch (UploadException e) {
            throw new CoreException(ResultOutputMixin.exitCode(e), "upload failed: " + e.getMessage());
        } catch (IOException e) {
            throw new CoreException(
                    ExitCodes.ERROR,
                    "upload failed: " + e.getClass().getSimpleName() + ": "
                            + dev.linuximage.core.upload.Secrets.none().scrub(e.getMessage()));
        }
    }

    /**
     * Feeds the uploader's progress to {@link ProgressLine}, the one byte-progress renderer: each phase gets its own
     * line labelled {@code "upload: <phase>"} (bytes sent of bytes to send, rate, time left, then {@link #detail}), so a
     * phase change is always shown; events are printed as {@code "upload: <message>"} lines after any redrawn line. Thread-safe.
     */
    static final class UploadProgressLines implements UploadListener {
        private final PrintWriter out;
        private final boolean none;
        private final boolean redraw;
        private final double intervalSeconds;
        private UploadPhase phase;
        private ProgressLine line;

        /** @param mode auto, bar, plain or none ({@code --progress}); @param intervalSeconds between plain lines */
        UploadProgressLines(PrintWriter out, String mode, double intervalSeconds) {
            this.out = out;
            String m = mode.toLowerCase(Locale.ROOT);
            this.none = m.equals("none");
            this.redraw = m.equals("bar") || (m.equals("auto") && ProgressLine.terminal());
            this.intervalSeconds = intervalSeconds;
        }

        @Override
        public synchronized void onProgress(UploadProgress p) {
            if (none) {
                return;
            }
            if (p.phase() != phase) {
                end();
                phase = p.phase();
                line = new ProgressLine(out, redraw, intervalSeconds);
            }
            line.update(
                    "upload: " + p.phase().name().toLowerCase(Locale.ROOT),
                    p.bytesSent(),
                    p.bytesToSend(),
                    !p.totalExact(),
                    detail(p));
        }

        /**
         * What the bytes/rate/time-left part does not say (that part says {@code "of at most"} while the total is an
         * upper bound, {@link UploadProgress#totalExact()}): how much of the image is scanned and the retries so far,
         * e.g. {@code "scanned 512 MiB of 4.0 GiB, 2 retries"}.
         */
        static String detail(UploadProgress p) {
            return "scanned " + Sizes.human(p.bytesScanned()) + " of " + Sizes.human(p.imageSize()) + ", " + p.retries()
                    + (p.retries() == 1 ? " retry" : " retries");
        }

        @Override
        public synchronized void onEvent(String message) {
            if (none) {
                return;
            }
            if (line != null) {
                line.finish(); // ends a redrawn line; the phase's rate keeps counting from its start
            }
            out.println("upload: " + message);
            out.flush();
        }

        /** Ends a redrawn line so that the result starts on its own line. */
        synchronized void end() {
            if (line != null) {
                line.finish();
            }
        }
    }
}
