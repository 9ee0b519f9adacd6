package dev.linuximage.operator.health;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.linuximage.core.report.Finding;
import dev.linuximage.core.report.FindingStatus;
import dev.linuximage.core.report.JobResult;
import dev.linuximage.core.report.ProgressEvent;
import dev.linuximage.core.report.ResultReasons;
import dev.linuximage.operator.api.v1alpha1.CredentialsSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImageStatus;
import dev.linuximage.operator.api.v1alpha1.SourceSpec;
import dev.linuximage.operator.api.v1alpha1.UploadSpec;
import dev.linuximage.operator.reconciler.JobObservation;
import dev.linuximage.operator.reconciler.PodInterpreter;
import dev.linuximage.operator.reconciler.Reason;
import dev.linuximage.operator.reconciler.StatusAggregator;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The status objects the GitOps health tests judge, one per phase, as the operator writes them: each is computed by
 * {@link StatusAggregator} from a Job observation (the image-pull case through {@link PodInterpreter} from a pod as the
 * kubelet reports it), following the previous status as a reconcile would. They are recorded as JSON under
 * {@code src/test/resources/status-fixtures/} (readable examples; the Lua and CEL tests read those files) and
 * {@link StatusFixturesTest} fails when the recording and the operator's output differ.
 */
final class StatusFixtures {

    static final Path DIR = Path.of("src/test/resources/status-fixtures");
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private static final Instant T0 = Instant.parse("2026-12-05T10:00:00Z");
    private static final Instant T1 = Instant.parse("2026-12-05T10:02:00Z");
    private static final Instant T2 = Instant.parse("2026-12-05T10:20:00Z");

    private StatusFixtures() {}

    static LinuxImageSpec spec() {
        LinuxImageSpec s = new LinuxImageSpec();
        s.setSource(new SourceSpec("disks", "builds/web.qcow2"));
        s.setUpload(new UploadSpec(
                "https://account.blob.core.windows.net/vhds/web.vhd", CredentialsSpec.secret("storage")));
        return s;
    }

    /** Fixture name (file name without .json) to the LinuxImage object, in life-cycle order. */
    static Map<String, Map<String, Object>> compute() {
        LinuxImageSpec spec = spec();
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();

        LinuxImageStatus pending = StatusAggregator.aggregate(spec, 1, null, JobObservation.pending("web-g1"), T0);
        out.put("pending", object(spec, 1, pending));

        Pod pulling = new PodBuilder()
                .withNewMetadata()
                .withName("web-g1-x7k2p")
                .endMetadata()
                .withNewStatus()
                .withPhase("Pending")
                .withContainerStatuses(new ContainerStatusBuilder()
                        .withName("linuximage")
                        .withReady(false)
                        .withRestartCount(0)
                        .withNewState()
                        .withNewWaiting()
                        .withReason("ImagePullBackOff")
                        .withMessage("Back-off pulling image \"registry.example/linuximage:0.1.0\"")
                        .endWaiting()
                        .endState()
                        .build())
                .endStatus()
                .build();
        PodInterpreter.PodState pullState = PodInterpreter.interpret(List.of(pulling), 0, Map.of());
        LinuxImageStatus imagePull = StatusAggregator.aggregate(
                spec,
                1,
                pending,
                new JobObservation("web-g1", JobObservation.State.Pending, null, null, null, null, null, pullState),
                T1);
        out.put("pending-image-pull", object(spec, 1, imagePull));

        LinuxImageStatus running = StatusAggregator.aggregate(
                spec,
                1,
                pending,
                new JobObservation(
                        "web-g1",
                        JobObservation.State.Running,
                        null,
                        null,
                        null,
                        null,
                        new ProgressEvent("convert", 42, null),
                        new PodInterpreter.PodState(Reason.Running, "pod web-g1-x7k2p is running", true)),
                T1);
        out.put("running", object(spec, 1, running));

        JobResult ok = JobResult.succeeded("prepared and uploaded")
                .withStages(new JobResult.Stages(true, true, true, true))
                .withCompliance(JobResult.Compliance.of(
                        List.of(new Finding("CMDLINE-CONSOLE", FindingStatus.Pass, "console=ttyS0", List.of(), null))))
                .withGenerations(List.of("Gen1", "Gen2"))
                .withOs(new JobResult.Os("debian", "12", "debian"))
                .withUpload(new JobResult.Upload(
                        "https://account.blob.core.windows.net/vhds/web.vhd", 1L << 30, "sha256:00"));
        LinuxImageStatus succeeded = StatusAggregator.aggregate(
                spec,
                1,
                running,
                new JobObservation("web-g1", JobObservation.State.Succeeded, null, null, ok, null, null),
                T2);
        out.put("succeeded", object(spec, 1, succeeded));

        // the claim is applied after the LinuxImage (or never): refused, and looked at again by the operator
        LinuxImageStatus retriable = StatusAggregator.refused(
                spec, 1, null, Reason.MissingClaim, "PersistentVolumeClaim 'disks' not found in namespace images", T0);
        out.put("failed-retriable", object(spec, 1, retriable));

        // the core refused the disk: the Job failed for good (a generation runs once)
        JobResult bad = JobResult.failed(ResultReasons.UNSUPPORTED_IMAGE, "no partition table and no file system")
                .withStages(new JobResult.Stages(false, null, null, null));
        LinuxImageStatus stalled = StatusAggregator.aggregate(
                spec,
                1,
                running,
                new JobObservation(
                        "web-g1",
                        JobObservation.State.Failed,
                        "BackoffLimitExceeded",
                        "Job has reached the specified backoff limit",
                        bad,
                        null,
                        null),
                T2);
        out.put("failed-stalled", object(spec, 1, stalled));

        // the spec was edited (generation 2) and the operator has not reconciled it yet: the status is generation 1's
        out.put("generation-changed", object(spec, 2, succeeded));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(LinuxImageSpec spec, long generation, LinuxImageStatus status) {
        LinuxImage image = new LinuxImage("images", "web", spec);
        image.getMetadata().setGeneration(generation);
        image.setStatus(status);
        try {
            // through JSON text, as the recording is read back (numbers as the JSON parser types them)
            return JSON.readValue(JSON.writeValueAsString(image), TreeMap.class);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The recorded fixtures: file name without .json to the object. */
    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> recorded() throws IOException {
        Map<String, Map<String, Object>> out = new TreeMap<>();
        try (var files = Files.list(DIR)) {
            for (Path f :
                    files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                out.put(
                        f.getFileName().toString().replaceFirst("\\.json$", ""),
                        JSON.readValue(f.toFile(), TreeMap.class));
            }
        }
        return out;
    }

    /** Writes the computed fixtures ({@code -Dlinuximage.record-fixtures=true}). */
    static void record() throws IOException {
        Files.createDirectories(DIR);
        for (var e : compute().entrySet()) {
            Files.writeString(DIR.resolve(e.getKey() + ".json"), JSON.writeValueAsString(e.getValue()) + "\n");
        }
    }
}
