package dev.linuximage.core.cli;

import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.compliance.Compliance;
import dev.linuximage.core.format.FormatException;
import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.DiskImages;
import dev.linuximage.core.format.vhd.FixedVhdOptions;
import dev.linuximage.core.format.vhd.FixedVhdView;
import dev.linuximage.core.format.vhd.VhdFooter;
import dev.linuximage.core.guestfs.ChangeLog;
import dev.linuximage.core.guestfs.GuestDisk;
import dev.linuximage.core.guestfs.GuestOptions;
import dev.linuximage.core.guest.ContainerFacts;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.ConcatSource;
import dev.linuximage.core.io.ForwardingSource;
import dev.linuximage.core.io.ZeroSource;
import dev.linuximage.core.partition.Gpt;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.OverlaySource;
import dev.linuximage.core.io.SparseFileWriter;
import dev.linuximage.core.io.WritableByteSource;
import dev.linuximage.core.pipeline.GuestAnalysis;
import dev.linuximage.core.pipeline.PrepareState;
import dev.linuximage.core.report.ComplianceReport;
import dev.linuximage.core.report.JobResult;
import dev.linuximage.core.report.ReportJson;
import dev.linuximage.core.report.ReportTable;
import dev.linuximage.core.report.ResultReasons;
import dev.linuximage.core.upload.SparseDigest;
import dev.linuximage.core.io.SparseFileMap;
import dev.linuximage.core.upload.PageBlobUploader;
import dev.linuximage.core.upload.UploadException;
import dev.linuximage.core.upload.UploadResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * {@code linuximage prepare <input>}: inspect → convert → align → patch → check → upload.
 *
 * <p>With a local output (the default: next to the input) the input is converted once into a sparse fixed VHD,
 * the guest is patched in that file, checked, and the file uploaded. A state file beside the output records that
 * convert and patch finished for this input and these options, so a re-run after an interruption (an evicted pod)
 * goes straight to the upload, which resumes. With {@code --stream-to-upload} no VHD is written: the guest is
 * patched on a copy-on-write overlay of the input and the fixed-VHD view of it streams to the blob.
 */
@Command(name = "prepare", mixinStandardHelpOptions = true,
        description = "Convert, align, patch and check a disk, then upload it as a page blob when --blob-url is given.")
public class PrepareCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<input>", description = "disk in any supported format")
    Path input;

    @Mixin
    InputMixin in;

    @Option(names = "--output", paramLabel = "out.vhd",
            description = "fixed VHD to write (default: next to the input, extension .vhd)")
    Path output;

    @Option(names = "--stream-to-upload", description = "write no local VHD: patch an overlay and stream to the blob")
    boolean streamToUpload;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "where the overlay spills modified blocks when streaming (default: the system temp dir)")
    Path workDir;

    @Mixin
    PatchOptionsMixin patch;

    @Mixin
    UploadTargetMixin target;

    @Mixin
    ResultOutputMixin results;

    @Override
    public Integer call() {
        if (streamToUpload && !target.requested()) {
            throw new CoreException(ExitCodes.USAGE, "--stream-to-upload needs --blob-url");
        }
        if (streamToUpload && output != null) {
            throw new CoreException(ExitCodes.USAGE, "--stream-to-upload writes no --output");
        }
        return results.run("prepare", () -> {
            target.validate(); // inside run: a refused blob host still ends in a result with its reason
            if (!dev.linuximage.core.io.DiskFiles.isDiskInput(input)) { // a file, or a Block-mode claim's device
                throw new CoreException(ExitCodes.USAGE, ResultReasons.SOURCE_NOT_FOUND, input + ": no such file",
                        null);
            }
            PatchOptions options = patch.resolve();
            return streamToUpload ? streamed(options) : toFile(options);
        });
    }

    private ResultOutputMixin.Done toFile(PatchOptions options) throws Exception {
        Path out = output != null ? output : defaultOutput(input);
        if (Files.exists(out) && Files.isSameFile(out, input)) {
            throw new CoreException(ExitCodes.USAGE, "the output would overwrite the input: give --output");
        }
        PrepareState state = PrepareState.of(input, options, in.identity());
        PrepareState.Outcome outcome = state.completedAt(out);
        if (outcome != null) {
            results.progress("patch", 60, "already converted and patched for this input: " + out.getFileName());
        } else {
            PrepareState.clear(out);
            if (SparseFileWriter.removeStalePartials(out) > 0) {
                note("note: removed the partial output of an earlier run that was killed");
            }
            results.progress("convert", 2, "converting " + input.getFileName() + " to " + out.getFileName());
            // written and patched under a temporary name, renamed to the output only once patch and check ended: a
            // failure (bad input, exit 3) or an interruption never leaves an unpatched or half-patched VHD at out
            try (SparseFileWriter.Pending pending = convert(out, state, options)) {
                try (FileByteSource vhd = FileByteSource.openReadWrite(pending.path())) {
                    WritableByteSource disk = vhd.truncatedView(vhd.size() - VhdFooter.SIZE);
                    ContainerFacts container = withGpt(containerFacts(vhd), convertedGpt);
                    outcome = result(patchAndCheck(disk, options, container));
                    vhd.flush();
                }
                pending.commit();
            }
            state.markCompleted(out, outcome);
        }
        JobResult r = outcome.result();
        if (!outcome.compliant() || !target.requested()) {
            r = r.withOutput(output(out, digestOf(out)));
            return finish(r, outcome, null);
        }
        UploadResult up;
        try (FileByteSource vhd = FileByteSource.openReadOnly(out)) {
            up = upload(SparseFileMap.view(out, vhd), state.fingerprint(out));
        } catch (UploadException e) {
            return uploadFailed(r.withOutput(output(out, digestOf(out))), outcome, e);
        }
        r = r.withOutput(output(out, up.digest()));
        return finish(r, outcome, up);
    }

    private static JobResult.Output output(Path out, String digest) throws IOException {
        return new JobResult.Output(out.toString(), Files.size(out) - VhdFooter.SIZE, null, digest);
    }

    /** The output's {@link SparseDigest}: reads the file's data, not its holes (where the file system tells them). */
    private static String digestOf(Path out) throws IOException {
        try (FileByteSource vhd = FileByteSource.openReadOnly(out)) {
            return SparseDigest.of(SparseFileMap.view(out, vhd));
        }
    }

    /** Set by {@link #convert}: what the converter did to the GPT (DISK-GPT evidence). */
    private Gpt.Repair convertedGpt;

    /** Converts the input into an uncommitted fixed VHD beside {@code out}. */
    private SparseFileWriter.Pending convert(Path out, PrepareState state, PatchOptions options) throws IOException {
        try (DiskImage image = open()) {
            FixedVhdOptions vo = new FixedVhdOptions(options.maxDiskSizeBytes(), state.uniqueId(),
                    state.timestamp());
            try (FixedVhdView view = FixedVhdView.of(image.data(), vo)) {
                convertedGpt = view.gptRepair();
                view.notes().forEach(n -> note("note: " + n));
                view.warnings().forEach(w -> note("warning: " + w));
                String space = SparseFileWriter.spaceWarning(view, out);
                if (space != null) {
                    note("warning: " + space);
                }
                long total = view.size();
                return SparseFileWriter.writePending(view, out, done -> results.progressBytes("convert", 2, 40,
                        "converting", done, total));
            }
        }
    }

    /**
     * The upload failed after convert, patch and check succeeded: the result keeps what was done (stages, compliance,
     * output) so the status does not claim those stages never ran, and the report is still written.
     */
    private ResultOutputMixin.Done uploadFailed(JobResult done, PrepareState.Outcome outcome, UploadException e)
            throws IOException {
        String message = dev.linuximage.core.upload.Secrets.none().scrub(
                e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        JobResult r = JobResult.failed(ResultOutputMixin.reason(e, ExitCodes.ERROR), message)
                .withStages(new JobResult.Stages(true, true, true, false))
                .withCompliance(done.compliance()).withGenerations(done.generations()).withOutput(done.output())
                .withOs(done.os());
        results.report(outcome.reportJson(), outcome.reportTable());
        System.err.println("linuximage prepare: " + message);
        return new ResultOutputMixin.Done(r, ResultOutputMixin.exitCode(e));
    }

    private ResultOutputMixin.Done streamed(PatchOptions options) throws Exception {
        PrepareState state = PrepareState.of(input, options, in.identity());
        try (DiskImage image = open()) {
            return streamed(options, state, image);
        }
    }

    /**
     * The overlay is the input grown with zeros to its MiB-aligned size, so the GPT is made consistent there
     * (DISK-GPT) and the guest patched on the disk exactly as it will be uploaded; the fixed-VHD view then only adds
     * the footer.
     */
    private ResultOutputMixin.Done streamed(PatchOptions options, PrepareState state, DiskImage image)
            throws Exception {
        long size = image.data().size();
        FixedVhdOptions vo = new FixedVhdOptions(options.maxDiskSizeBytes(), state.uniqueId(), state.timestamp());
        long aligned = FixedVhdView.alignedSize(size, vo);
        ByteSource grown = ConcatSource.of(ForwardingSource.nonClosing(image.data()), new ZeroSource(aligned - size));
        try (OverlaySource overlay = new OverlaySource(grown, 64 << 10, 256L << 20,
                workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir")))) {
            java.util.List<String> notes = new java.util.ArrayList<>();
            java.util.List<String> warnings = new java.util.ArrayList<>();
            Gpt.Repair gpt = FixedVhdView.alignGpt(overlay, size, notes, warnings);
            notes.forEach(n -> note("note: " + n));
            warnings.forEach(w -> note("warning: " + w));
            ContainerFacts container = withGpt(new ContainerFacts("vhd-fixed", aligned, aligned + VhdFooter.SIZE,
                    null), gpt);
            PrepareState.Outcome outcome = result(patchAndCheck(overlay, options, container));
            JobResult r = outcome.result();
            if (!outcome.compliant()) {
                return finish(r, outcome, null);
            }
            try (FixedVhdView view = FixedVhdView.of(overlay, vo)) {
                view.warnings().forEach(w -> note("warning: " + w));
                // a fresh identity per run: patching is not byte-reproducible (timestamps), so a streamed upload
                // never resumes onto bytes of an earlier run
                UploadResult up = upload(view, "stream:" + UUID.randomUUID());
                r = r.withOutput(new JobResult.Output(null, view.diskSize(), null, up.digest()));
                return finish(r, outcome, up);
            }
        }
    }

    /** The converter's GPT repair as container facts (DISK-GPT evidence). */
    static ContainerFacts withGpt(ContainerFacts c, Gpt.Repair gpt) {
        if (gpt == null) {
            return c;
        }
        return c.withGptRepair(gpt.changed() || gpt.refused() != null ? gpt.before().problems() : java.util.List.of(),
                gpt.actions());
    }

    private DiskImage open() throws IOException {
        DiskImage image = DiskImages.open(input, in.format(), in.openOptions());
        image.warnings().forEach(w -> note("warning: " + w));
        return image;
    }

    private ComplianceReport patchAndCheck(WritableByteSource disk, PatchOptions options, ContainerFacts container)
            throws IOException {
        results.progress("patch", 40, "opening the guest file systems");
        try (GuestDisk guest = GuestDisk.open(disk, GuestOptions.readWrite(), new ChangeLog())) {
            guest.warnings().forEach(w -> note("warning: " + w));
            Compliance.Facts facts = GuestAnalysis.prepareFacts(disk, guest, container);
            results.progress("patch", 45, "patching and checking");
            Compliance.Outcome outcome = Compliance.prepare(guest, options, facts, input.toString(),
                    Instant.now());
            results.progress("check", 60, outcome.changes().size() + " change(s), "
                    + (outcome.report().compliant() ? "compliant" : "not compliant"));
            disk.flush();
            return outcome.report();
        }
    }

    private UploadResult upload(ByteSource image, String fingerprint) throws IOException {
        results.progress("upload", 60, "uploading to " + PageBlobUploader.class.getSimpleName());
        return PageBlobUploader.upload(image, fingerprint, target.blobUrl(), credentials(), target.options(),
                new dev.linuximage.core.upload.UploadListener() {
                    @Override
                    public void onProgress(dev.linuximage.core.upload.UploadProgress p) {
                        results.progressBytes("upload", 60, 99, p.phase().name().toLowerCase(java.util.Locale.ROOT),
                                p.bytesSent(), p.bytesToSend());
                    }

                    /** Blob created, resumed, recreated: what a re-run of a killed Job did is visible in the log. */
                    @Override
                    public void onEvent(String message) {
                        note("upload: " + message);
                    }
                });
    }

    private dev.linuximage.core.upload.BlobCredentials credentials() {
        try {
            return target.credentials();
        } catch (IOException e) {
            throw new CoreException(ExitCodes.USAGE, ResultReasons.MISSING_CREDENTIALS,
                    "cannot read the credentials file: " + e.getClass().getSimpleName(), null);
        }
    }

    private ContainerFacts containerFacts(FileByteSource vhd) throws IOException {
        long size = vhd.size();
        String problem = null;
        try {
            VhdFooter f = VhdFooter.parse(vhd.readBytes(size - VhdFooter.SIZE, VhdFooter.SIZE));
            if (f.diskType() != VhdFooter.TYPE_FIXED || f.currentSize() != size - VhdFooter.SIZE
                    || f.originalSize() != f.currentSize()) {
                problem = "footer type/size do not describe this file";
            }
        } catch (FormatException | RuntimeException e) {
            problem = e.getMessage();
        }
        return new ContainerFacts("vhd-fixed", size - VhdFooter.SIZE, size, problem);
    }

    /** The compact result of convert + patch + check, with the rendered report. */
    private PrepareState.Outcome result(ComplianceReport report) {
        JobResult base = report.compliant()
                ? JobResult.succeeded(target.requested() ? "prepared and uploaded" : "prepared")
                : JobResult.failed(ResultReasons.NOT_COMPLIANT, "requirements not met after repair; not uploaded");
        JobResult r = base.withCompliance(GuestAnalysis.compliance(report))
                .withGenerations(GuestAnalysis.generations(report)).withOs(GuestAnalysis.os(report))
                .withStages(new JobResult.Stages(true, true, report.compliant(), null));
        return new PrepareState.Outcome(r, report.compliant(), ReportJson.toJson(report),
                ReportTable.render(report, 120));
    }

    private ResultOutputMixin.Done finish(JobResult r, PrepareState.Outcome outcome, UploadResult up)
            throws IOException {
        if (up != null) {
            r = r.withUpload(new JobResult.Upload(up.blobUrl(), up.bytesSent(), up.digest()))
                    .withStages(new JobResult.Stages(true, true, true, true));
        }
        results.report(outcome.reportJson(), outcome.reportTable());
        results.progress("done", 100, outcome.compliant() ? "compliant" : "not compliant");
        return new ResultOutputMixin.Done(r, outcome.compliant() ? ExitCodes.OK : ExitCodes.NOT_COMPLIANT);
    }

    private void note(String s) {
        results.note(s);
    }

    /** {@code builds/web.qcow2} → {@code builds/web.vhd}; a {@code .vhd} input gets {@code web-azure.vhd}. */
    static Path defaultOutput(Path in) {
        String name = in.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String candidate = stem + ".vhd";
        if (candidate.equals(name)) {
            candidate = stem + "-azure.vhd";
        }
        return in.resolveSibling(candidate);
    }
}
