package dev.linuximage.operator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobType;
import dev.linuximage.operator.api.v1alpha1.ConditionType;
import dev.linuximage.operator.api.v1alpha1.CredentialsSpec;
import dev.linuximage.operator.api.v1alpha1.FindingEntry;
import dev.linuximage.operator.api.v1alpha1.GuestSpec;
import dev.linuximage.operator.api.v1alpha1.ImageKind;
import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImageStatus;
import dev.linuximage.operator.api.v1alpha1.Mode;
import dev.linuximage.operator.api.v1alpha1.Phase;
import dev.linuximage.operator.api.v1alpha1.Provisioning;
import dev.linuximage.operator.api.v1alpha1.SourceSpec;
import dev.linuximage.operator.api.v1alpha1.UploadSpec;
import dev.linuximage.operator.fake.FakeJobController;
import dev.linuximage.operator.fake.PodExecutor;
import dev.linuximage.operator.fake.PodRun;
import dev.linuximage.testsupport.AzuriteExtension;
import dev.linuximage.testsupport.Digests;
import dev.linuximage.testsupport.FaultProxy;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The operator end to end with the REAL core: the fabric8 mock API server stands in for Kubernetes,
 * {@link FakeJobController} for the Job controller and the kubelet, a local directory for the PVC and a real Azurite
 * for Azure Storage. The "container" is a separate JVM running the product's entry point ({@code dev.linuximage.Main})
 * with the Job's own arguments (mount paths rewritten to the local directories): its stdout and stderr become the pod
 * log, its exit code and termination-log file the pod's terminated state. A separate JVM, as in a pod: the core's
 * progress lines go to its own stdout, and nothing but the mounted Secret file can carry the SAS token to it.
 *
 * <p>The disk is the project's sample ({@code scripts/make-sample-disk.sh}): unaligned (64 MiB + 123 KiB), GPT,
 * ext4 root with a Debian-like configuration that needs patching.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(RealCoreEndToEndIT.RealCore.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("integration")
class RealCoreEndToEndIT {

    /** Its own application start: the other operator test stops the application's operator in its last test. */
    public static final class RealCore implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of();
        }
    }

    static final Path WORK = Path.of("target/real-core-e2e").toAbsolutePath();
    /** Generous: the machine is shared and a retried Job runs the core twice. */
    static final Duration TIMEOUT = Duration.ofSeconds(240);
    /** The sample's 64 MiB + 123 KiB, aligned up to a whole MiB as Azure requires. */
    static final long ALIGNED_SIZE = 65L << 20;

    static final String CONTAINER = "vhds";

    static FakeJobController fake;
    static KubernetesClient client;
    static AzuriteExtension azurite;
    static Path disks;
    static Path sample;

    @KubernetesTestServer
    KubernetesServer server;

    @Inject
    KubernetesClient appClient;

    @Inject
    Operator operator;

    String ns;
    TestNamespace k8s;

    @BeforeEach
    void setUp(TestInfo info) throws Exception {
        if (!operator.getRuntimeInfo().isStarted()) {
            operator.start(); // as in LinuxImageOperatorIT: Main starts it in operator mode
        }
        if (client == null) {
            client = new KubernetesClientBuilder()
                    .withConfig(appClient.getConfiguration())
                    .build();
        }
        if (disks == null) {
            deleteRecursively(WORK);
            disks = Files.createDirectories(WORK.resolve("claims/disks"));
            sample = buildSampleDisk(disks.resolve("builds"));
        }
        if (fake == null) {
            fake = new FakeJobController(client, WORK.resolve("pods"))
                    .serveLogs(server)
                    .claim("disks", disks)
                    .start();
            fake.executor(RealCoreEndToEndIT::runCoreInAJvm);
        }
        if (azurite == null) {
            azurite = new AzuriteExtension(); // runs with --skipApiVersionCheck: the core uses the SDK's default
            azurite.start();
            azurite.serviceClient().getBlobContainerClient(CONTAINER).create();
        }
        k8s = TestNamespace.create(client, fake, info, TIMEOUT);
        ns = k8s.name;
        client.persistentVolumeClaims()
                .inNamespace(ns)
                .resource(new PersistentVolumeClaimBuilder()
                        .withNewMetadata()
                        .withName("disks")
                        .endMetadata()
                        .withNewSpec()
                        .withAccessModes("ReadWriteOnce")
                        .withNewResources()
                        .addToRequests("storage", new Quantity("1Gi"))
                        .endResources()
                        .endSpec()
                        .build())
                .create();
    }

    @AfterAll
    static void tearDown() {
        if (fake != null) {
            fake.close();
            fake = null;
        }
        if (azurite != null) {
            azurite.stop();
            azurite = null;
        }
        if (client != null) {
            client.close();
            client = null;
        }
        disks = null;
    }

    // ---------------------------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void prepareConvertsPatchesChecksAndUploadsToAzurite() throws Exception {
        String blob = "sample-" + ns + ".vhd";
        String blobUrl = azurite.blobEndpoint() + "/" + CONTAINER + "/" + blob;
        BlobContainerClient container = azurite.serviceClient().getBlobContainerClient(CONTAINER);
        String sas = azurite.sas(container, blob, "racwd");
        String signature = sas.replaceAll(".*sig=([^&]+).*", "$1");
        assertThat(signature).isNotEqualTo(sas).hasSizeGreaterThan(20);
        client.secrets()
                .inNamespace(ns)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("storage")
                        .endMetadata()
                        .addToData(
                                "sas",
                                java.util.Base64.getEncoder().encodeToString(sas.getBytes(StandardCharsets.UTF_8)))
                        .build())
                .create();
        String sourceBefore = sha256(sample);

        LinuxImageSpec spec = spec(Mode.Prepare);
        spec.setUpload(new UploadSpec(blobUrl, CredentialsSpec.secret("storage")));
        create("sample", spec);

        LinuxImageStatus s = k8s.awaitStatus("sample", st -> st.getPhase().isTerminal());
        assertThat(s.getPhase()).as(k8s.describe()).isEqualTo(Phase.Succeeded);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("True/Succeeded");
        assertThat(TestNamespace.cond(s, ConditionType.Converted)).isEqualTo("True/Succeeded");
        assertThat(TestNamespace.cond(s, ConditionType.Patched)).isEqualTo("True/Succeeded");
        assertThat(TestNamespace.cond(s, ConditionType.Compliant)).isEqualTo("True/Compliant");
        assertThat(TestNamespace.cond(s, ConditionType.Uploaded)).isEqualTo("True/Succeeded");
        assertThat(s.getCompliance().getSummary()).containsKey("Fixed");
        assertThat(s.getCompliance().getSummary().get("Fixed")).isPositive();
        assertThat(s.getCompliance().getSummary()).doesNotContainKey("Fail");
        // the sample boots with "quiet" and no serial console: the core must have added the console
        assertThat(s.getCompliance().getFindings())
                .filteredOn(f -> f.getId().equals("CMDLINE-CONSOLE"))
                .singleElement()
                .satisfies(f -> assertThat(f.getStatus()).isEqualTo("Fixed"));
        assertThat(s.getCompliance().getFindings())
                .extracting(FindingEntry::getStatus)
                .doesNotContain("Fail");
        assertThat(s.getGenerations()).contains("Gen2");
        assertThat(s.getOutput().getPath()).isEqualTo("disks:builds/sample.vhd");
        assertThat(s.getOutput().getVirtualSize()).isEqualTo(ALIGNED_SIZE);
        assertThat(s.getUpload().getBlobUrl()).isEqualTo(blobUrl).doesNotContain("?");
        assertThat(s.getUpload().getBytesSent()).isPositive();
        assertThat(s.getProgress().getPercent()).isEqualTo(100);

        // the VHD on the "claim", the source untouched
        Path vhd = disks.resolve("builds/sample.vhd");
        assertThat(Files.size(vhd)).isEqualTo(ALIGNED_SIZE + 512);
        assertThat(sha256(sample)).as("the source disk is never written").isEqualTo(sourceBefore);
        assertThat(disks.resolve("builds/sample.report.json")).isRegularFile();
        // the full report reached the result ConfigMap through the pod's log, equal to the copy on the claim
        k8s.await(() -> k8s.status("sample") != null && k8s.status("sample").getReportRef() != null);
        var resultMap = client.configMaps()
                .inNamespace(ns)
                .withName(k8s.status("sample").getReportRef().getName())
                .get();
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(mapper.readTree(resultMap.getData().get("report.json")))
                .isEqualTo(mapper.readTree(
                        disks.resolve("builds/sample.report.json").toFile()));
        // and the core's own step durations came with the result
        var durations = dev.linuximage.core.report.JobResultCodec.parse(
                        resultMap.getData().get("result.json"))
                .durations();
        assertThat(durations.convert()).isPositive();
        assertThat(durations.patch()).isPositive();
        assertThat(durations.check()).isPositive();
        assertThat(durations.upload()).isPositive();
        String vhdSha = sha256(vhd);
        assertThat(s.getOutput().getDigest()).isEqualTo(dev.linuximage.testsupport.ReferenceDigest.ofFile(vhd));

        // Azurite holds the same bytes as a page blob
        BlobClient b = container.getBlobClient(blob);
        assertThat(b.exists()).isTrue();
        BlobProperties props = b.getProperties();
        assertThat(props.getBlobType()).isEqualTo(BlobType.PAGE_BLOB);
        assertThat(props.getBlobSize()).isEqualTo(ALIGNED_SIZE + 512);
        Path downloaded = WORK.resolve("downloaded-" + ns + ".vhd");
        b.downloadToFile(downloaded.toString(), true);
        assertThat(sha256(downloaded)).isEqualTo(vhdSha);
        Files.delete(downloaded);

        // the pod log carried progress lines; the SAS token reached the core only through the mounted file
        Pod pod = onlyPod();
        String log = fake.log(ns, pod.getMetadata().getName());
        assertThat(log).contains("LINUXIMAGE-PROGRESS");
        List<String> args = pod.getSpec().getContainers().get(0).getArgs();
        assertThat(args).contains("--sas-file").noneMatch(a -> a.contains(signature));
        assertThat(pod.getSpec().getContainers().get(0).getEnv())
                .extracting(EnvVar::getValue)
                .noneMatch(v -> v != null && v.contains(signature));
        k8s.await(() -> k8s.reasons().contains("Succeeded"));
        String everything = Serialization.asJson(client.resources(LinuxImage.class)
                        .inNamespace(ns)
                        .withName("sample")
                        .get())
                + Serialization.asJson(client.v1().events().inNamespace(ns).list())
                + Serialization.asJson(
                        client.batch().v1().jobs().inNamespace(ns).list())
                + log;
        assertThat(everything).doesNotContain(signature).doesNotContain(sas);
    }

    @Test
    @Order(2)
    void auditReportsTheUnpatchedSampleAsNotCompliantAndWritesNothing() throws Exception {
        String before = sha256(sample);
        List<String> filesBefore = listing(disks);

        create("audit", spec(Mode.Audit));

        LinuxImageStatus s = k8s.awaitStatus("audit", st -> st.getPhase().isTerminal());
        assertThat(s.getPhase()).as(k8s.describe()).isEqualTo(Phase.Failed);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/NotCompliant");
        assertThat(TestNamespace.cond(s, ConditionType.Compliant)).isEqualTo("False/NotCompliant");
        assertThat(TestNamespace.cond(s, ConditionType.Converted)).isEqualTo("False/NotRequested");
        assertThat(TestNamespace.cond(s, ConditionType.Patched)).isEqualTo("False/NotRequested");
        assertThat(TestNamespace.cond(s, ConditionType.Uploaded)).isEqualTo("False/NotRequested");
        assertThat(s.getCompliance().getSummary().get("Fail")).isPositive();
        assertThat(s.getCompliance().getFindings())
                .filteredOn(f -> f.getId().equals("CMDLINE-CONSOLE"))
                .singleElement()
                .satisfies(f -> assertThat(f.getStatus()).isEqualTo("Fail"));
        assertThat(s.condition(ConditionType.Compliant).orElseThrow().getMessage())
                .contains("CMDLINE-CONSOLE");
        assertThat(s.getOutput()).isNull();
        assertThat(s.getUpload()).isNull();
        assertThat(fake.log(ns, onlyPod().getMetadata().getName())).contains("LINUXIMAGE-PROGRESS");
        k8s.await(() -> k8s.warnings().contains("NotCompliant"));

        assertThat(sha256(sample)).as("Audit never writes the source").isEqualTo(before);
        assertThat(listing(disks)).as("Audit writes nothing on the claim").isEqualTo(filesBefore);
    }

    @Test
    @Order(3)
    void missingSourceIsReportedAsSuchByTheCore() throws Exception {
        LinuxImageSpec spec = spec(Mode.Audit);
        spec.getSource().setPath("builds/absent.qcow2");
        create("absent", spec);

        LinuxImageStatus s = k8s.awaitStatus("absent", st -> st.getPhase().isTerminal());
        assertThat(s.getPhase()).as(k8s.describe()).isEqualTo(Phase.Failed);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/SourceNotFound");
        assertThat(s.condition(ConditionType.Ready).orElseThrow().getMessage()).contains("absent.qcow2");
        k8s.await(() -> k8s.warnings().contains("SourceNotFound"));

        // exit 2 is in the Job's own podFailurePolicy FailJob rule: one pod, no retry, reason PodFailurePolicy
        Job job = onlyJob();
        assertThat(jobCondition(job, "Failed")).isEqualTo("PodFailurePolicy");
        assertThat(job.getStatus().getConditions())
                .filteredOn(c -> c.getType().equals("Failed"))
                .singleElement()
                .satisfies(
                        c -> assertThat(c.getMessage()).contains("exit code 2").contains("FailJob rule at index 0"));
        sleepPastARetry();
        assertThat(fake.pods(ns, job.getMetadata().getName())).hasSize(1);
        assertThat(job.getStatus().getFailed()).isEqualTo(1);
    }

    /** After the first test: the VHD on the claim is already converted and patched, so only the upload runs. */
    @Test
    @Order(4)
    void aSasForAnotherBlobIsRefusedByAzuriteAndReportedWithoutTheToken() throws Exception {
        String blobUrl = azurite.blobEndpoint() + "/" + CONTAINER + "/denied-" + ns + ".vhd";
        BlobContainerClient container = azurite.serviceClient().getBlobContainerClient(CONTAINER);
        String sas = azurite.sas(container, "some-other-blob.vhd", "racwd");
        String signature = sas.replaceAll(".*sig=([^&]+).*", "$1");
        client.secrets()
                .inNamespace(ns)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("storage")
                        .endMetadata()
                        .addToData(
                                "sas",
                                java.util.Base64.getEncoder().encodeToString(sas.getBytes(StandardCharsets.UTF_8)))
                        .build())
                .create();
        LinuxImageSpec spec = spec(Mode.Prepare);
        spec.setUpload(new UploadSpec(blobUrl, CredentialsSpec.secret("storage")));
        create("denied", spec);

        LinuxImageStatus s = k8s.awaitStatus("denied", st -> st.getPhase().isTerminal());
        assertThat(s.getPhase()).as(k8s.describe()).isEqualTo(Phase.Failed);
        assertThat(TestNamespace.cond(s, ConditionType.Ready))
                .as(k8s.describe())
                .isEqualTo("False/UploadUnauthorized");
        // what was done before the upload failed stays visible
        assertThat(TestNamespace.cond(s, ConditionType.Converted)).isEqualTo("True/Succeeded");
        assertThat(TestNamespace.cond(s, ConditionType.Patched)).isEqualTo("True/Succeeded");
        assertThat(TestNamespace.cond(s, ConditionType.Compliant)).isEqualTo("True/Compliant");
        assertThat(TestNamespace.cond(s, ConditionType.Uploaded)).isEqualTo("False/UploadUnauthorized");
        assertThat(s.getOutput().getVirtualSize()).isEqualTo(ALIGNED_SIZE);
        assertThat(s.getUpload()).isNull();
        assertThat(container.getBlobClient("denied-" + ns + ".vhd").exists()).isFalse();
        k8s.await(() -> k8s.warnings().contains("UploadUnauthorized"));
        String everything = Serialization.asJson(client.resources(LinuxImage.class)
                        .inNamespace(ns)
                        .withName("denied")
                        .get())
                + Serialization.asJson(client.v1().events().inNamespace(ns).list())
                + fake.log(ns, onlyPod().getMetadata().getName());
        assertThat(everything).doesNotContain(signature);
    }

    /**
     * An operational failure (exit 1) is retried by the Job: the first run of the real core meets a 404
     * ContainerNotFound on Put Blob (injected once by a proxy in front of Azurite: the container "did not exist yet"),
     * exits 1, which the Job's podFailurePolicy does not mark FailJob; the fake controller counts it against
     * backoffLimit (1) and runs a second pod, a new run of the core, which resumes and succeeds.
     */
    @Test
    @Order(5)
    void anOperationalFailureIsRetriedByTheJobAndTheSecondPodSucceeds() throws Exception {
        String blob = "retried-" + ns + ".vhd";
        try (FaultProxy proxy = new FaultProxy(azurite.port())) {
            FaultProxy.Rule notYet = proxy.injectStatus(
                    r -> r.method().equals("PUT")
                            && r.target().contains(blob)
                            && "PageBlob".equals(r.header("x-ms-blob-type")),
                    404,
                    "ContainerNotFound",
                    null,
                    1);
            uploadSecret(blob);
            LinuxImageSpec spec = spec(Mode.Prepare);
            spec.setUpload(new UploadSpec(
                    proxy.blobEndpoint() + "/" + CONTAINER + "/" + blob, CredentialsSpec.secret("storage")));
            create("retried", spec);

            LinuxImageStatus s = k8s.awaitStatus("retried", st -> st.getPhase().isTerminal());
            assertThat(s.getPhase()).as(k8s.describe()).isEqualTo(Phase.Succeeded);
            assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("True/Succeeded");
            assertThat(notYet.applied.get()).isEqualTo(1);

            Job job = onlyJob();
            List<String> pods = fake.pods(ns, job.getMetadata().getName());
            assertThat(pods).as(k8s.describe()).hasSize(2);
            assertThat(exitCode(pods.get(0))).isEqualTo(1);
            assertThat(exitCode(pods.get(1))).isZero();
            assertThat(fake.log(ns, pods.get(0))).contains("404");
            assertThat(jobCondition(job, "Complete")).isNotNull();
            assertThat(job.getStatus().getFailed()).isEqualTo(1);
            assertThat(job.getStatus().getSucceeded()).isEqualTo(1);
            // the blob holds the VHD on the claim
            Path vhd = disks.resolve("builds/sample.vhd");
            BlobClient b =
                    azurite.serviceClient().getBlobContainerClient(CONTAINER).getBlobClient(blob);
            Path downloaded = WORK.resolve("downloaded-" + ns + ".vhd");
            b.downloadToFile(downloaded.toString(), true);
            assertThat(sha256(downloaded)).isEqualTo(sha256(vhd));
            assertThat(s.getOutput().getDigest()).isEqualTo(dev.linuximage.testsupport.ReferenceDigest.ofFile(vhd));
            Files.delete(downloaded);
        }
    }

    /** The same failure on every run: backoffLimit 1 allows two pods, then the Job fails BackoffLimitExceeded. */
    @Test
    @Order(6)
    void backoffLimitExhaustedEndsTheJobWithBackoffLimitExceeded() throws Exception {
        String blob = "never-" + ns + ".vhd";
        try (FaultProxy proxy = new FaultProxy(azurite.port())) {
            FaultProxy.Rule never = proxy.injectStatus(
                    r -> r.method().equals("PUT")
                            && r.target().contains(blob)
                            && "PageBlob".equals(r.header("x-ms-blob-type")),
                    404,
                    "ContainerNotFound",
                    null,
                    -1);
            uploadSecret(blob);
            LinuxImageSpec spec = spec(Mode.Prepare);
            spec.setUpload(new UploadSpec(
                    proxy.blobEndpoint() + "/" + CONTAINER + "/" + blob, CredentialsSpec.secret("storage")));
            spec.setJob(new dev.linuximage.operator.api.v1alpha1.JobSettings());
            spec.getJob().setBackoffLimit(1);
            create("never", spec);

            LinuxImageStatus s = k8s.awaitStatus("never", st -> st.getPhase().isTerminal());
            assertThat(s.getPhase()).as(k8s.describe()).isEqualTo(Phase.Failed);
            assertThat(s.condition(ConditionType.Ready).orElseThrow().getStatus())
                    .isEqualTo("False");
            assertThat(s.condition(ConditionType.Ready).orElseThrow().getMessage())
                    .contains("404");
            Job job = onlyJob();
            assertThat(job.getSpec().getBackoffLimit()).isEqualTo(1);
            assertThat(jobCondition(job, "Failed")).isEqualTo("BackoffLimitExceeded");
            assertThat(job.getStatus().getFailed()).isEqualTo(2);
            sleepPastARetry();
            List<String> pods = fake.pods(ns, job.getMetadata().getName());
            assertThat(pods).hasSize(2);
            assertThat(pods).allSatisfy(p -> assertThat(exitCode(p)).isEqualTo(1));
            assertThat(never.applied.get()).isEqualTo(2);
        }
    }

    private void uploadSecret(String blob) {
        BlobContainerClient container = azurite.serviceClient().getBlobContainerClient(CONTAINER);
        String sas = azurite.sas(container, blob, "racwd");
        client.secrets()
                .inNamespace(ns)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("storage")
                        .endMetadata()
                        .addToData(
                                "sas",
                                java.util.Base64.getEncoder().encodeToString(sas.getBytes(StandardCharsets.UTF_8)))
                        .build())
                .create();
    }

    Job onlyJob() {
        List<Job> jobs = k8s.jobs();
        assertThat(jobs).hasSize(1);
        return jobs.get(0);
    }

    /** The reason of the Job's condition of that type (True), or null. */
    static String jobCondition(Job job, String type) {
        return job.getStatus() == null || job.getStatus().getConditions() == null
                ? null
                : job.getStatus().getConditions().stream()
                        .filter(c -> c.getType().equals(type) && "True".equals(c.getStatus()))
                        .map(c -> c.getReason() == null ? "" : c.getReason())
                        .findFirst()
                        .orElse(null);
    }

    int exitCode(String pod) {
        return client.pods()
                .inNamespace(ns)
                .withName(pod)
                .get()
                .getStatus()
                .getContainerStatuses()
                .get(0)
                .getState()
                .getTerminated()
                .getExitCode();
    }

    /** Longer than the fake controller's delay before a replacement pod: a retry would have started by now. */
    static void sleepPastARetry() throws InterruptedException {
        Thread.sleep(3000);
    }

    // ---------------------------------------------------------------------------------------------------------------

    /**
     * The fake kubelet's container runtime: the Job's container args, mount paths mapped to local directories, run by
     * the product's {@code Main} in a fresh JVM. The environment is the container's (plus PATH), never the test's.
     */
    static PodExecutor.PodOutcome runCoreInAJvm(PodRun run) throws Exception {
        Path podDir = run.local("/tmp").getParent().getParent(); // <pods>/<ns>/<pod>/volumes/tmp
        Path terminationLog = podDir.resolve("termination-log");
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager", // as the Quarkus runner sets it
                "-Djava.io.tmpdir=" + run.local("/tmp"),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.linuximage.Main"));
        cmd.addAll(run.localArgs(terminationLog));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true); // the pod log has both streams
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv("PATH"));
        for (EnvVar e : run.pod().getSpec().getContainers().get(0).getEnv()) {
            pb.environment().put(e.getName(), e.getValue());
        }
        Process p = pb.start();
        Thread pump = new Thread(
                () -> pump(p.getInputStream(), run),
                "pod-log-" + run.pod().getMetadata().getName());
        pump.start();
        if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
            run.log().accept("killed: ran longer than " + TIMEOUT);
        }
        pump.join(5000);
        String message = Files.exists(terminationLog) ? Files.readString(terminationLog) : null;
        return new PodExecutor.PodOutcome(p.exitValue(), message);
    }

    private static void pump(InputStream in, PodRun run) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                run.log().accept(line);
            }
        } catch (IOException e) {
            run.log().accept("log pump failed: " + e);
        }
    }

    static Path buildSampleDisk(Path dir) throws Exception {
        Path script = Path.of("scripts/make-sample-disk.sh").toAbsolutePath();
        Process p = new ProcessBuilder(script.toString(), dir.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(script + " failed (it needs sgdisk, mke2fs, mkfs.vfat, mtools and "
                    + "qemu-img; see scripts/setup.sh): exit " + p.exitValue() + "\n" + out);
        }
        Path disk = dir.resolve("sample.qcow2");
        if (!Files.isRegularFile(disk)) {
            throw new IllegalStateException(script + " did not write " + disk + ":\n" + out);
        }
        return disk;
    }

    static LinuxImageSpec spec(Mode mode) {
        LinuxImageSpec s = new LinuxImageSpec();
        s.setMode(mode);
        s.setSource(new SourceSpec("disks", "builds/sample.qcow2"));
        GuestSpec g = new GuestSpec();
        g.setImageKind(ImageKind.Generalized);
        g.setProvisioning(Provisioning.CloudInit);
        g.getDeprovision().setRemoveUsers(List.of("builder"));
        s.setGuest(g);
        return s;
    }

    void create(String name, LinuxImageSpec spec) {
        client.resources(LinuxImage.class)
                .inNamespace(ns)
                .resource(new LinuxImage(ns, name, spec))
                .create();
    }

    Pod onlyPod() {
        List<Pod> pods = client.pods().inNamespace(ns).list().getItems();
        assertThat(pods).hasSize(1);
        return pods.get(0);
    }

    static String sha256(Path file) throws Exception {
        return Digests.sha256(file);
    }

    static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p)
                            + (Files.isRegularFile(p) ? " " + p.toFile().length() : ""))
                    .sorted()
                    .toList();
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p :
                    s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(p);
            }
        }
    }
}
