package dev.linuximage.core.pipeline;

import dev.linuximage.core.compliance.Compliance;
import dev.linuximage.core.format.DiskImage;
import dev.linuximage.core.format.DiskImages;
import dev.linuximage.core.format.FormatException;
import dev.linuximage.core.format.OpenOptions;
import dev.linuximage.core.format.vhd.FixedVhdOptions;
import dev.linuximage.core.format.vhd.FixedVhdView;
import dev.linuximage.core.format.vhd.VhdFooter;
import dev.linuximage.core.format.vhd.VhdFormat;
import dev.linuximage.core.guest.ContainerFacts;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.guestfs.GuestDisk;
import dev.linuximage.core.guestfs.GuestOptions;
import dev.linuximage.core.io.ByteSource;
import dev.linuximage.core.io.ConcatSource;
import dev.linuximage.core.io.DiskPaths;
import dev.linuximage.core.io.FileByteSource;
import dev.linuximage.core.io.ForwardingSource;
import dev.linuximage.core.io.InPlaceOutput;
import dev.linuximage.core.io.OutputFiles;
import dev.linuximage.core.io.OutputTooSmallException;
import dev.linuximage.core.io.OverlaySource;
import dev.linuximage.core.io.SparseFileMap;
import dev.linuximage.core.io.SparseFileWriter;
import dev.linuximage.core.io.WritableByteSource;
import dev.linuximage.core.io.ZeroSource;
import dev.linuximage.core.partition.Gpt;
import dev.linuximage.core.report.ComplianceReport;
import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.core.report.JobResult;
import dev.linuximage.core.report.ReportJson;
import dev.linuximage.core.report.ReportOutput;
import dev.linuximage.core.report.ReportTable;
import dev.linuximage.core.report.ResultReasons;
import dev.linuximage.core.upload.BlobCredentials;
import dev.linuximage.core.upload.PageBlobUploader;
import dev.linuximage.core.upload.Secrets;
import dev.linuximage.core.upload.SparseDigest;
import dev.linuximage.core.upload.UploadException;
import dev.linuximage.core.upload.UploadListener;
import dev.linuximage.core.upload.UploadOptions;
import dev.linuximage.core.upload.UploadProgress;
import dev.linuximage.core.upload.UploadResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The steps of {@code prepare} (inspect → convert → align → patch → check → upload), {@code check} (inspect →
 * check) and {@code convert}, run in one place and told to a {@link ProgressSink}; the command line only parses
 * options and renders the sink and the returned {@link Result}.
 *
 * <p>With a local output the input is converted once into a sparse fixed VHD, the guest is patched in that file,
 * checked, and the file uploaded. A state file beside the output ({@link PrepareState}) records that convert and
 * patch finished for this input and these options, so a re-run after an interruption (an evicted pod) goes straight
 * to the upload, which resumes. Streaming writes no VHD: the guest is patched on a copy-on-write overlay of the input
 * and the fixed-VHD view of it streams to the blob.
 *
 * <p>Each run opens the guest file systems once ({@link GuestDisk#open}) and inspects it through that one handle.
 */
public final class PreparePipeline {

    /**
     * What to read and how to repair it.
     *
     * @param input       the disk file or block device
     * @param format      the container format, or {@code null} to detect it
     * @param open        how to open the container (OVA disk choice, manifest check)
     * @param identity    the input choice as it enters {@link PrepareState}'s request identity
     * @param options     the repairs and the image kind
     */
    public record Input(Path input, String format, OpenOptions open, String identity, PatchOptions options) {}

    /** Where and how to upload; the credentials are read only when the upload starts. */
    public record UploadTarget(String blobUrl, Credentials credentials, UploadOptions options) {}

    /** Reads the blob credentials (a mounted secret); an {@link IOException} is a usage error. */
    @FunctionalInterface
    public interface Credentials {
        BlobCredentials read() throws IOException;
    }

    /**
     * The compact result and the process exit code; the report was given to the sink.
     *
     * @param failure null, or the (scrubbed) message of a failed upload, for the caller to print after the report
     */
    public record Result(JobResult result, int exitCode, String failure) {
        Result(JobResult result, int exitCode) {
            this(result, exitCode, null);
        }
    }

    /**
     * What {@link #convert} did.
     *
     * @param written     bytes of data written (holes not counted)
     * @param writeNanos  time the write took, in nanoseconds
     */
    public record Converted(
            String inputFormat,
            String inputSubformat,
            long inputVirtualSize,
            long diskSize,
            long written,
            long fileSize,
            long writeNanos) {}

    /**
     * How the output is written. A file (the default) is written sparse under a temporary name and renamed; an
     * in-place output ({@link InPlaceOutput}) is an existing block device, or an existing pre-sized file standing in
     * for one, that receives the fixed VHD in its first bytes, footer last: no temporary file, no rename, no state
     * file, no chmod.
     *
     * @param inPlace      write in place even onto a regular file ({@code --output-in-place}); a block device is
     *                     always written in place
     * @param assumeZeroed in place only: the output is known to read zeros, skip the ranges the image leaves zero
     *                     instead of making sure they read zero
     */
    public record OutputMode(boolean inPlace, boolean assumeZeroed) {
        /** A file, written under a temporary name and renamed. */
        public static final OutputMode FILE = new OutputMode(false, false);

        /** Whether {@code output} is written in place: asked for, or a block device (which a rename cannot replace). */
        public boolean inPlace(Path output) {
            return inPlace || DiskPaths.isBlockDevice(output);
        }
    }

    private final Input in;
    private final ProgressSink sink;
    /** Set by {@link #convert(Path, PrepareState)}: what the converter did to the GPT (DISK-GPT evidence). */
    private Gpt.Repair convertedGpt;
    /** Nanoseconds of the steps this run did ({@link JobResult.Durations}); -1: not done in this run. */
    private long convertNanos = -1;

    private long patchNanos = -1;
    private long checkNanos = -1;
    private long uploadNanos = -1;

    public PreparePipeline(Input in, ProgressSink sink) {
        this.in = in;
        this.sink = sink;
    }

    // ---------------------------------------------------------------------------------------------------- check

    /** {@code check}: opens the disk and its guest read-only, runs every check, reports. Exit 4 when not compliant. */
    public Result check() throws Exception {
        requireDiskInput(in.input());
        Path disk = in.input();
        sink.step("inspect", 0, "opening " + disk.getFileName());
        try (DiskImage image = DiskImages.open(disk, in.format(), in.open());
                GuestDisk guest = GuestDisk.open(image.data(), GuestOptions.readOnly())) {
            ContainerFacts container = new ContainerFacts(
                    VhdFormat.kind(image.format(), image.subformat()), image.virtualSize(), DiskPaths.size(disk), null);
            long started = System.nanoTime();
            Compliance.Facts facts = GuestAnalysis.facts(image.data(), guest, container);
            sink.step("check", 50, "checking requirements");
            ComplianceReport report = Compliance.audit(guest, in.options(), facts, disk.toString(), Instant.now());
            checkNanos = System.nanoTime() - started;
            sink.step("check", 100, "done");
            sink.report(ReportJson.toJson(report), ReportTable.render(report, ReportOutput.DEFAULT_WIDTH));
            JobResult r = (report.compliant()
                            ? JobResult.succeeded("the image meets every requirement")
                            : JobResult.failed(ResultReasons.NOT_COMPLIANT, "at least one requirement is not met"))
                    .withCompliance(GuestAnalysis.compliance(report))
                    .withGenerations(GuestAnalysis.generations(report))
                    .withOs(GuestAnalysis.os(report))
                    .withStages(new JobResult.Stages(null, null, report.compliant(), null))
                    .withDurations(durations());
            return new Result(r, report.compliant() ? ExitCodes.OK : ExitCodes.NOT_COMPLIANT);
        }
    }

    // -------------------------------------------------------------------------------------------------- convert

    /**
     * {@code convert}: the input to a fixed VHD at {@code output}, written sparse under a temporary name and renamed
     * at the end. A fixed VHD input keeps its footer's identity unless {@code uniqueId}/{@code timestamp} are given,
     * so fixed in → fixed out is byte-identical.
     *
     * @param maxDiskSize refuse a disk larger than this once aligned, in bytes
     * @param timestamp   footer timestamp, seconds since 2000-01-01T00:00:00Z, or null
     */
    public Converted convert(Path output, long maxDiskSize, UUID uniqueId, Long timestamp) throws IOException {
        return convert(output, OutputMode.FILE, maxDiskSize, uniqueId, timestamp);
    }

    /** As {@link #convert(Path, long, UUID, Long)}, the output written as {@code mode} says. */
    public Converted convert(Path output, OutputMode mode, long maxDiskSize, UUID uniqueId, Long timestamp)
            throws IOException {
        Path input = in.input();
        if (!DiskPaths.isDiskInput(input)) {
            throw new CoreException(
                    ExitCodes.USAGE, "input " + input + " is neither a regular file nor a block device");
        }
        if (Files.exists(output) && Files.isSameFile(input, output)) {
            throw new CoreException(ExitCodes.USAGE, "output must differ from input");
        }
        IdentityOf identity = img -> {
            if (!VhdFormat.isFixedVhd(img.format(), img.subformat()) || (uniqueId != null && timestamp != null)) {
                return new FixedVhdOptions(maxDiskSize, uniqueId, timestamp);
            }
            // keep a fixed VHD's identity so fixed in -> fixed out is byte-identical
            try (FileByteSource f = FileByteSource.openReadOnly(input)) {
                VhdFooter old = VhdFooter.parse(f.readBytes(f.size() - VhdFooter.SIZE, VhdFooter.SIZE));
                return new FixedVhdOptions(
                        maxDiskSize,
                        uniqueId != null ? uniqueId : old.uniqueId(),
                        timestamp != null ? timestamp : old.timestamp());
            }
        };
        if (mode.inPlace(output)) {
            try (DiskImage img = open();
                    FixedVhdView view = FixedVhdView.of(img.data(), identity.of(img))) {
                notesOf(view);
                long started = System.nanoTime();
                long written;
                try (InPlaceOutput dev = openInPlace(output, view.size())) {
                    written = writeInPlace(dev, view, mode, 0, 100);
                    dev.commit(view.readBytes(view.size() - VhdFooter.SIZE, VhdFooter.SIZE));
                }
                return converted(img, view, started, written, view.size());
            }
        }
        return writeFixedVhd(output, 0, 100, identity, (pending, img, view, started) -> {
            long written;
            try (pending) {
                pending.commit();
                written = pending.written();
            }
            return converted(img, view, started, written, Files.size(output));
        });
    }

    /** What {@link #convert} reports of {@code img} written as {@code view}, timed from {@code startedNanos}. */
    private static Converted converted(
            DiskImage img, FixedVhdView view, long startedNanos, long written, long fileSize) {
        return new Converted(
                img.format(),
                img.subformat(),
                img.virtualSize(),
                view.diskSize(),
                written,
                fileSize,
                System.nanoTime() - startedNanos);
    }

    // -------------------------------------------------------------------------------------------------- prepare

    /**
     * {@code prepare} to a local fixed VHD ({@code output}, resumable) and, with a target, an upload of it.
     *
     * @param target null for no upload
     */
    public Result prepare(Path output, UploadTarget target) throws Exception {
        return prepare(output, OutputMode.FILE, target);
    }

    /** As {@link #prepare(Path, UploadTarget)}, the output written as {@code mode} says. */
    public Result prepare(Path output, OutputMode mode, UploadTarget target) throws Exception {
        requireDiskInput(in.input());
        Path out = output;
        if (Files.exists(out) && Files.isSameFile(out, in.input())) {
            throw new CoreException(ExitCodes.USAGE, "the output would overwrite the input: give --output");
        }
        if (mode.inPlace(out)) {
            return prepareInPlace(out, mode, target);
        }
        PrepareState state = PrepareState.of(in.input(), in.options(), in.identity());
        PrepareState.Outcome outcome = state.completedAt(out);
        if (outcome != null) {
            sink.step("patch", 60, "already converted and patched for this input: " + out.getFileName());
        } else {
            PrepareState.clear(out);
            if (OutputFiles.removeStalePartials(out) > 0) {
                sink.note("note: removed the partial output of an earlier run that was killed");
            }
            sink.step("convert", 2, "converting " + in.input().getFileName() + " to " + out.getFileName());
            // written and patched under a temporary name, renamed to the output only once patch and check ended: a
            // failure (bad input, exit 3) or an interruption never leaves an unpatched or half-patched VHD at out
            try (OutputFiles.Pending pending = convert(out, state)) {
                try (FileByteSource vhd = FileByteSource.openReadWrite(pending.path())) {
                    WritableByteSource disk = vhd.truncatedView(vhd.size() - VhdFooter.SIZE);
                    ContainerFacts container = withGpt(containerFacts(vhd), convertedGpt);
                    outcome = result(patchAndCheck(disk, container), target != null);
                    vhd.flush();
                }
                pending.commit();
            }
            state.markCompleted(out, outcome);
        }
        JobResult r = outcome.result();
        if (!outcome.compliant() || target == null) {
            r = r.withOutput(output(out, digestOf(out)));
            return finish(r, outcome, null);
        }
        UploadResult up;
        try (FileByteSource vhd = FileByteSource.openReadOnly(out)) {
            up = upload(SparseFileMap.view(out, vhd, this::warn), state.fingerprint(out), target);
        } catch (UploadException e) {
            return uploadFailed(r.withOutput(output(out, digestOf(out))), outcome, e);
        }
        r = r.withOutput(output(out, up.digest()));
        return finish(r, outcome, up);
    }

    /**
     * {@code prepare --stream-to-upload}: no local VHD. The overlay is the input grown with zeros to its MiB-aligned
     * size, so the GPT is made consistent there (DISK-GPT) and the guest patched on the disk exactly as it will be
     * uploaded; the fixed-VHD view then only adds the footer.
     *
     * @param workDir where the overlay spills modified blocks
     */
    public Result stream(Path workDir, UploadTarget target) throws Exception {
        requireDiskInput(in.input());
        PrepareState state = PrepareState.of(in.input(), in.options(), in.identity());
        try (DiskImage image = open()) {
            long size = image.data().size();
            FixedVhdOptions vo =
                    new FixedVhdOptions(in.options().maxDiskSizeBytes(), state.uniqueId(), state.timestamp());
            long aligned = FixedVhdView.alignedSize(size, vo);
            ByteSource grown =
                    ConcatSource.of(ForwardingSource.nonClosing(image.data()), new ZeroSource(aligned - size));
            try (OverlaySource overlay = new OverlaySource(grown, 64 << 10, 256L << 20, workDir)) {
                List<String> notes = new ArrayList<>();
                List<String> warnings = new ArrayList<>();
                Gpt.Repair gpt = FixedVhdView.alignGpt(overlay, size, notes, warnings);
                notes.forEach(n -> sink.note("note: " + n));
                warnings.forEach(w -> sink.note("warning: " + w));
                ContainerFacts container =
                        withGpt(new ContainerFacts(VhdFormat.KIND, aligned, aligned + VhdFooter.SIZE, null), gpt);
                PrepareState.Outcome outcome = result(patchAndCheck(overlay, container), true);
                JobResult r = outcome.result();
                if (!outcome.compliant()) {
                    return finish(r, outcome, null);
                }
                try (FixedVhdView view = FixedVhdView.of(overlay, vo)) {
                    view.warnings().forEach(w -> sink.note("warning: " + w));
                    // a fresh identity per run: patching is not byte-reproducible (timestamps), so a streamed upload
                    // never resumes onto bytes of an earlier run
                    UploadResult up = upload(view, "stream:" + UUID.randomUUID(), target);
                    r = r.withOutput(new JobResult.Output(null, view.diskSize(), null, up.digest()));
                    return finish(r, outcome, up);
                }
            }
        }
    }

    /**
     * {@code prepare} onto an in-place output ({@link OutputMode}): the disk's bytes are written onto the device,
     * the guest patched and checked there, and only then the footer written (the VHD is valid from then on, as the
     * rename publishes a file). Nothing beside a device can hold a state file, so there is no resume: a re-run
     * writes the device again, and an upload never resumes onto another run's bytes.
     */
    private Result prepareInPlace(Path out, OutputMode mode, UploadTarget target) throws Exception {
        PrepareState state = PrepareState.of(in.input(), in.options(), in.identity());
        FixedVhdOptions vo = new FixedVhdOptions(in.options().maxDiskSizeBytes(), state.uniqueId(), state.timestamp());
        sink.step("convert", 2, "converting " + in.input().getFileName() + " onto " + out);
        PrepareState.Outcome outcome;
        long vhdSize;
        try (DiskImage image = open();
                FixedVhdView view = FixedVhdView.of(dataOf(image), vo)) {
            notesOf(view);
            vhdSize = view.size();
            byte[] footer = view.readBytes(vhdSize - VhdFooter.SIZE, VhdFooter.SIZE);
            try (InPlaceOutput dev = openInPlace(out, vhdSize)) {
                long started = System.nanoTime();
                writeInPlace(dev, view, mode, 2, 40);
                convertedGpt = view.gptRepair();
                convertNanos = System.nanoTime() - started;
                ContainerFacts container = withGpt(
                        new ContainerFacts(VhdFormat.KIND, vhdSize - VhdFooter.SIZE, vhdSize, null), convertedGpt);
                outcome = result(patchAndCheck(dev.disk(), container), target != null);
                dev.commit(footer);
            }
        }
        JobResult r = outcome.result();
        try (FileByteSource dev = FileByteSource.openReadOnly(out);
                FileByteSource vhd = dev.truncatedView(vhdSize)) {
            if (!outcome.compliant() || target == null) {
                return finish(
                        r.withOutput(new JobResult.Output(
                                out.toString(), vhdSize - VhdFooter.SIZE, null, SparseDigest.of(vhd))),
                        outcome,
                        null);
            }
            JobResult.Output output = new JobResult.Output(out.toString(), vhdSize - VhdFooter.SIZE, null, null);
            UploadResult up;
            try {
                // a fresh identity per run, as when streaming: the device holds no state of an earlier run
                up = upload(vhd, "device:" + UUID.randomUUID(), target);
            } catch (UploadException e) {
                return uploadFailed(r.withOutput(output), outcome, e);
            }
            return finish(
                    r.withOutput(new JobResult.Output(out.toString(), vhdSize - VhdFooter.SIZE, null, up.digest())),
                    outcome,
                    up);
        }
    }

    /**
     * {@link InPlaceOutput#open}, a too small output being a usage error (exit 2: a retry writes the same VHD, the
     * fix is a larger volume) with the reason of a full output volume.
     */
    private static InPlaceOutput openInPlace(Path out, long vhdSize) throws IOException {
        try {
            return InPlaceOutput.open(out, vhdSize);
        } catch (OutputTooSmallException e) {
            throw new CoreException(ExitCodes.USAGE, ResultReasons.OUTPUT_VOLUME_FULL, e.getMessage(), e);
        }
    }

    /** Writes the disk's bytes of {@code view} onto {@code dev} with byte progress from {@code from} to {@code to}. */
    private long writeInPlace(InPlaceOutput dev, FixedVhdView view, OutputMode mode, int from, int to)
            throws IOException {
        long total = view.size() - VhdFooter.SIZE; // the disk's bytes: the footer is commit's
        if (!mode.assumeZeroed()) {
            sink.note("note: writing onto " + dev.target() + " in place: the ranges the image leaves zero are read"
                    + " back and zeroed where they are not (--assume-zeroed skips them on a volume known to read"
                    + " zeros)");
        }
        return dev.writeData(
                view, mode.assumeZeroed(), done -> sink.bytes("convert", from, to, "converting", done, total));
    }

    /** Refuses (usage error, SourceNotFound) an input that is neither a file nor a block device. */
    public static void requireDiskInput(Path input) {
        if (!DiskPaths.isDiskInput(input)) { // a file, or a Block-mode claim's device
            throw new CoreException(ExitCodes.USAGE, ResultReasons.SOURCE_NOT_FOUND, input + ": no such file", null);
        }
    }

    private static JobResult.Output output(Path out, String digest) throws IOException {
        return new JobResult.Output(out.toString(), Files.size(out) - VhdFooter.SIZE, null, digest);
    }

    /** The output's {@link SparseDigest}: reads the file's data, not its holes (where the file system tells them). */
    private String digestOf(Path out) throws IOException {
        try (FileByteSource vhd = FileByteSource.openReadOnly(out)) {
            return SparseDigest.of(SparseFileMap.view(out, vhd, this::warn));
        }
    }

    private void warn(String w) {
        sink.note("warning: " + w);
    }

    /** Converts the input into an uncommitted fixed VHD beside {@code out}, with the identity kept in the state. */
    private OutputFiles.Pending convert(Path out, PrepareState state) throws IOException {
        FixedVhdOptions vo = new FixedVhdOptions(in.options().maxDiskSizeBytes(), state.uniqueId(), state.timestamp());
        return writeFixedVhd(out, 2, 40, img -> vo, (pending, img, view, started) -> {
            convertedGpt = view.gptRepair();
            convertNanos = System.nanoTime() - started;
            return pending;
        });
    }

    /** The footer identity and size limit of the fixed VHD written from the opened input. */
    private interface IdentityOf {
        FixedVhdOptions of(DiskImage image) throws IOException;
    }

    /**
     * What becomes of the written file: {@code convert} renames it to the output at once, {@code prepare} keeps it
     * pending to patch the guest in it first. Called while the image and the view are still open.
     */
    private interface Publish<T> {
        /** @param startedNanos {@link System#nanoTime()} when the write began */
        T publish(OutputFiles.Pending pending, DiskImage image, FixedVhdView view, long startedNanos)
                throws IOException;
    }

    /**
     * The one writer of a fixed VHD from the input, for {@code convert} and {@code prepare}: opens the image (its
     * warnings noted), makes the {@link FixedVhdView} with the caller's identity, notes what the view did and a
     * space warning, writes the view sparse under a temporary name beside {@code out} with byte progress from
     * {@code from} to {@code to} percent, and hands the uncommitted file to {@code publish} (which must commit or
     * close it).
     */
    private <T> T writeFixedVhd(Path out, int from, int to, IdentityOf identity, Publish<T> publish)
            throws IOException {
        try (DiskImage image = open()) {
            try (FixedVhdView view = FixedVhdView.of(dataOf(image), identity.of(image))) {
                notesOf(view);
                String space = SparseFileWriter.spaceWarning(view, out);
                if (space != null) {
                    sink.note("warning: " + space);
                }
                long started = System.nanoTime();
                long total = view.size();
                OutputFiles.Pending pending = SparseFileWriter.writePending(
                        view, out, done -> sink.bytes("convert", from, to, "converting", done, total));
                try {
                    return publish.publish(pending, image, view, started);
                } catch (IOException | RuntimeException e) {
                    try {
                        pending.close(); // removes the temporary file
                    } catch (IOException c) {
                        e.addSuppressed(c);
                    }
                    throw e;
                }
            }
        }
    }

    private void notesOf(FixedVhdView view) {
        view.notes().forEach(n -> sink.note("note: " + n));
        view.warnings().forEach(w -> sink.note("warning: " + w));
    }

    /**
     * The upload failed after convert, patch and check succeeded: the result keeps what was done (stages, compliance,
     * output) so the status does not claim those stages never ran, and the report is still written.
     */
    private Result uploadFailed(JobResult done, PrepareState.Outcome outcome, UploadException e) throws IOException {
        String message =
                Secrets.none().scrub(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        JobResult r = JobResult.failed(FailureReason.of(e, ExitCodes.ERROR), message)
                .withStages(new JobResult.Stages(true, true, true, false))
                .withCompliance(done.compliance())
                .withGenerations(done.generations())
                .withOutput(done.output())
                .withOs(done.os())
                .withDurations(durations());
        sink.report(outcome.reportJson(), outcome.reportTable());
        return new Result(r, ExitCodes.of(e), message);
    }

    /** The converted output as container facts: a fixed VHD whose footer must describe this very file. */
    private static ContainerFacts containerFacts(FileByteSource vhd) throws IOException {
        long size = vhd.size();
        String problem = null;
        try {
            VhdFooter f = VhdFooter.parse(vhd.readBytes(size - VhdFooter.SIZE, VhdFooter.SIZE));
            if (f.diskType() != VhdFooter.TYPE_FIXED
                    || f.currentSize() != size - VhdFooter.SIZE
                    || f.originalSize() != f.currentSize()) {
                problem = "footer type/size do not describe this file";
            }
        } catch (FormatException | RuntimeException e) {
            problem = e.getMessage();
        }
        return new ContainerFacts(VhdFormat.KIND, size - VhdFooter.SIZE, size, problem);
    }

    /** The converter's GPT repair as container facts (DISK-GPT evidence). */
    static ContainerFacts withGpt(ContainerFacts c, Gpt.Repair gpt) {
        if (gpt == null) {
            return c;
        }
        return c.withGptRepair(
                gpt.changed() || gpt.refused() != null ? gpt.before().problems() : List.of(), gpt.actions());
    }

    /**
     * The data the converter reads: a raw input that is a regular file comes with the file system's allocation map
     * ({@link SparseFileMap}), so the writer reads the allocated data only, not every hole of a 1 TiB file (Java 17
     * has no {@code SEEK_DATA}; without {@code filefrag} or FIEMAP the map falls back to reading everything, as
     * before). Every other format knows its own map; a raw disk inside an OVA or on a device is read whole.
     */
    private ByteSource dataOf(DiskImage image) throws IOException {
        Path p = in.input();
        if ("raw".equals(image.format())
                && Files.isRegularFile(p)
                && Files.size(p) == image.data().size()) {
            return SparseFileMap.view(p, image.data(), this::warn);
        }
        return image.data();
    }

    private DiskImage open() throws IOException {
        DiskImage image = DiskImages.open(in.input(), in.format(), in.open());
        image.warnings().forEach(w -> sink.note("warning: " + w));
        return image;
    }

    private ComplianceReport patchAndCheck(WritableByteSource disk, ContainerFacts container) throws IOException {
        long started = System.nanoTime();
        sink.step("patch", 40, "opening the guest file systems");
        try (GuestDisk guest = GuestDisk.open(disk, GuestOptions.readWrite())) {
            guest.warnings().forEach(w -> sink.note("warning: " + w));
            Compliance.Facts facts = GuestAnalysis.prepareFacts(disk, guest, container);
            sink.step("patch", 45, "patching and checking");
            Compliance.Outcome outcome =
                    Compliance.prepare(guest, in.options(), facts, in.input().toString(), Instant.now());
            sink.step(
                    "check",
                    60,
                    outcome.changes().size() + " change(s), "
                            + (outcome.report().compliant() ? "compliant" : "not compliant"));
            disk.flush();
            checkNanos = outcome.checkNanos();
            patchNanos = Math.max(0, System.nanoTime() - started - checkNanos);
            return outcome.report();
        }
    }

    private UploadResult upload(ByteSource image, String fingerprint, UploadTarget target) throws IOException {
        sink.step("upload", 60, "uploading the page blob");
        long started = System.nanoTime();
        try {
            return uploadTimed(image, fingerprint, target);
        } finally {
            // a failed upload is timed too: how long it tried before it gave up
            uploadNanos = System.nanoTime() - started;
        }
    }

    private UploadResult uploadTimed(ByteSource image, String fingerprint, UploadTarget target) throws IOException {
        return PageBlobUploader.upload(
                image, fingerprint, target.blobUrl(), credentials(target), target.options(), new UploadListener() {
                    @Override
                    public void onProgress(UploadProgress p) {
                        sink.bytes(
                                "upload",
                                60,
                                99,
                                p.phase().name().toLowerCase(Locale.ROOT),
                                p.bytesSent(),
                                p.bytesToSend(),
                                !p.totalExact());
                    }

                    /** Blob created, resumed, recreated: what a re-run of a killed Job did is visible in the log. */
                    @Override
                    public void onEvent(String message) {
                        sink.note("upload: " + message);
                    }
                });
    }

    private static BlobCredentials credentials(UploadTarget target) {
        try {
            return target.credentials().read();
        } catch (IOException e) {
            throw new CoreException(
                    ExitCodes.USAGE,
                    ResultReasons.MISSING_CREDENTIALS,
                    "cannot read the credentials file: " + e.getClass().getSimpleName(),
                    null);
        }
    }

    /** The compact result of convert + patch + check, with the rendered report. */
    private static PrepareState.Outcome result(ComplianceReport report, boolean upload) {
        JobResult base = report.compliant()
                ? JobResult.succeeded(upload ? "prepared and uploaded" : "prepared")
                : JobResult.failed(ResultReasons.NOT_COMPLIANT, "requirements not met after repair; not uploaded");
        JobResult r = base.withCompliance(GuestAnalysis.compliance(report))
                .withGenerations(GuestAnalysis.generations(report))
                .withOs(GuestAnalysis.os(report))
                .withStages(new JobResult.Stages(true, true, report.compliant(), null));
        return new PrepareState.Outcome(
                r,
                report.compliant(),
                ReportJson.toJson(report),
                ReportTable.render(report, ReportOutput.DEFAULT_WIDTH));
    }

    /** The steps this run did, in seconds. */
    private JobResult.Durations durations() {
        JobResult.Durations d = new JobResult.Durations(
                JobResult.Durations.seconds(convertNanos),
                JobResult.Durations.seconds(patchNanos),
                JobResult.Durations.seconds(checkNanos),
                JobResult.Durations.seconds(uploadNanos));
        return d.isEmpty() ? null : d;
    }

    private Result finish(JobResult r, PrepareState.Outcome outcome, UploadResult up) throws IOException {
        r = r.withDurations(durations());
        if (up != null) {
            r = r.withUpload(new JobResult.Upload(up.blobUrl(), up.bytesSent(), up.digest()))
                    .withStages(new JobResult.Stages(true, true, true, true));
        }
        sink.report(outcome.reportJson(), outcome.reportTable());
        sink.step("done", 100, outcome.compliant() ? "compliant" : "not compliant");
        return new Result(r, outcome.compliant() ? ExitCodes.OK : ExitCodes.NOT_COMPLIANT);
    }

    /** {@code builds/web.qcow2} → {@code builds/web.vhd}; a {@code .vhd} input gets {@code web-azure.vhd}. */
    public static Path defaultOutput(Path in) {
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
