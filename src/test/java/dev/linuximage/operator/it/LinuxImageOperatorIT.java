package dev.linuximage.operator.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.linuximage.core.report.Evidence;
import dev.linuximage.core.report.Finding;
import dev.linuximage.core.report.FindingStatus;
import dev.linuximage.core.report.JobResult;
import dev.linuximage.core.report.JobResultCodec;
import dev.linuximage.core.report.ProgressEvent;
import dev.linuximage.core.report.ReportLine;
import dev.linuximage.core.report.ResultReasons;
import dev.linuximage.operator.OperatorConfig;
import dev.linuximage.operator.api.v1alpha1.Condition;
import dev.linuximage.operator.api.v1alpha1.ConditionType;
import dev.linuximage.operator.api.v1alpha1.CredentialsSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImageStatus;
import dev.linuximage.operator.api.v1alpha1.Phase;
import dev.linuximage.operator.api.v1alpha1.SourceSpec;
import dev.linuximage.operator.api.v1alpha1.UploadSpec;
import dev.linuximage.operator.fake.FakeJobController;
import dev.linuximage.operator.fake.PodExecutor;
import dev.linuximage.operator.fake.PodRun;
import dev.linuximage.operator.job.JobNames;
import dev.linuximage.operator.reconciler.LinuxImageReconciler;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatusBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The operator against the fabric8 mock API server, with {@link FakeJobController} playing the Job controller, the
 * garbage collector and the kubelet. Each test works in its own namespace.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("integration")
class LinuxImageOperatorIT {

    static final String BLOB = "https://acct.blob.core.windows.net/vhds/web.vhd";
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final Path WORK = Path.of("target/operator-it");
    static FakeJobController fake;

    @KubernetesTestServer
    KubernetesServer server;

    /** The application's client: closed when the application's operator stops (see the restart test). */
    @Inject
    KubernetesClient appClient;

    /** The test's own client (and the fake controller's): it outlives the application's operator. */
    static KubernetesClient client;

    @Inject
    Operator operator;

    @Inject
    OperatorConfig config;

    String ns;
    TestNamespace k8s;
    Path disks;

    @BeforeEach
    void setUp(TestInfo info) throws Exception {
        if (!operator.getRuntimeInfo().isStarted()) {
            // Main starts the operator in operator mode (OperatorApplication); a test does what Main does.
            operator.start();
        }
        if (client == null) {
            client = new KubernetesClientBuilder()
                    .withConfig(appClient.getConfiguration())
                    .build();
        }
        if (fake == null) {
            fake = new FakeJobController(client, WORK.resolve("pods"))
                    .serveLogs(server)
                    .start();
        }
        k8s = TestNamespace.create(client, fake, info, TIMEOUT);
        ns = k8s.name;
        disks = Files.createDirectories(WORK.resolve("claims").resolve(ns + "-disks"));
        fake.claim("disks", disks); // claim names repeat across namespaces; each test sets its own directory
        Files.createDirectories(disks.resolve("builds"));
        Files.writeString(disks.resolve("builds/web.qcow2"), "not really a disk");
        createClaim("disks");
        fake.executor(new ScriptedCore(run -> success()));
        fake.holdPods(null, null);
        fake.refusePods(null);
    }

    @AfterAll
    static void stopFake() {
        if (fake != null) {
            fake.close();
            fake = null;
        }
        if (client != null) {
            client.close();
            client = null;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void createRunsOneJobAndReportsTheResult() {
        secret("storage", "sas", "sv=2024&sig=SECRET");
        LinuxImage li = create("web", spec(true));

        LinuxImageStatus s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Succeeded);
        assertThat(s.getObservedGeneration()).isEqualTo(1L);
        assertThat(s.getJobName()).isEqualTo("web-g1");
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("True/Succeeded");
        assertThat(TestNamespace.cond(s, ConditionType.Converted)).isEqualTo("True/Succeeded");
        assertThat(TestNamespace.cond(s, ConditionType.Uploaded)).isEqualTo("True/Succeeded");
        assertThat(TestNamespace.cond(s, ConditionType.Compliant)).isEqualTo("True/Compliant");
        assertThat(s.getUpload().getBlobUrl()).isEqualTo(BLOB);
        assertThat(s.getOutput().getPath()).isEqualTo("disks:builds/web.vhd");
        assertThat(s.getCompliance().getSummary()).containsEntry("Pass", 1).containsEntry("Fixed", 1);
        assertThat(s.getCompliance().getFindings())
                .singleElement()
                .satisfies(f -> assertThat(f.getId()).isEqualTo("CMDLINE-CONSOLE"));
        assertThat(s.getGenerations()).containsExactly("Gen1", "Gen2");
        assertThat(k8s.jobs()).extracting(j -> j.getMetadata().getName()).containsExactly("web-g1");
        Job job = k8s.jobs().get(0);
        assertThat(job.getMetadata().getOwnerReferences())
                .singleElement()
                .satisfies(
                        r -> assertThat(r.getUid()).isEqualTo(li.getMetadata().getUid()));
        // the SAS token went to the pod as a file and nowhere else
        assertThat(client.resources(LinuxImage.class)
                        .inNamespace(ns)
                        .withName("web")
                        .get()
                        .toString())
                .doesNotContain("SECRET");
        k8s.await(() -> k8s.reasons().containsAll(List.of("JobCreated", "Succeeded")));
    }

    @Test
    @Order(2)
    void specChangeRunsANewJobAndRetiresTheOld() {
        create("web", spec(false));
        k8s.awaitStatus("web", st -> st.getPhase() == Phase.Succeeded);
        int before = fake.runs();

        LinuxImage li = client.resources(LinuxImage.class)
                .inNamespace(ns)
                .withName("web")
                .get();
        li.getSpec().getGuest().getKernelArgs().setAdd(List.of("nvme_core.io_timeout=240"));
        client.resources(LinuxImage.class).inNamespace(ns).resource(li).update();

        LinuxImageStatus s =
                k8s.awaitStatus("web", st -> st.getObservedGeneration() == 2 && st.getPhase() == Phase.Succeeded);
        assertThat(s.getJobName()).isEqualTo("web-g2");
        k8s.await(() -> k8s.jobs().size() == 1);
        assertThat(k8s.jobs()).extracting(j -> j.getMetadata().getName()).containsExactly("web-g2");
        assertThat(fake.runs()).isEqualTo(before + 1);
        assertThat(k8s.jobs()
                        .get(0)
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getArgs())
                .containsSubsequence("--kernel-arg-add", "nvme_core.io_timeout=240");
    }

    @Test
    @Order(3)
    void unchangedSpecNeverRerunsFinishedWork() throws Exception {
        create("web", spec(false));
        k8s.awaitStatus("web", st -> st.getPhase() == Phase.Succeeded);
        int before = fake.runs();

        // a label change and a re-apply of the same spec (what a GitOps re-sync does)
        LinuxImage li = client.resources(LinuxImage.class)
                .inNamespace(ns)
                .withName("web")
                .get();
        li.getMetadata().setLabels(Map.of("team", "images"));
        client.resources(LinuxImage.class).inNamespace(ns).resource(li).update();
        LinuxImage again = client.resources(LinuxImage.class)
                .inNamespace(ns)
                .withName("web")
                .get();
        client.resources(LinuxImage.class).inNamespace(ns).resource(again).update();
        // the finished Job is TTL-deleted: its result is in the status already, nothing is recreated
        client.batch().v1().jobs().inNamespace(ns).withName("web-g1").delete();
        k8s.await(() -> k8s.jobs().isEmpty());
        Thread.sleep(3000); // a few reconcile and recheck rounds

        assertThat(k8s.jobs()).isEmpty();
        assertThat(fake.runs()).isEqualTo(before);
        LinuxImageStatus s = k8s.status("web");
        assertThat(s.getPhase()).isEqualTo(Phase.Succeeded);
        assertThat(s.getObservedGeneration()).isEqualTo(1L);
    }

    @Test
    @Order(4)
    void invalidSpecIsRefusedWithoutAJob() throws Exception {
        LinuxImageSpec spec = spec(true);
        spec.getUpload().setBlobUrl(BLOB + "?sv=2024&sig=abc");
        create("web", spec);
        LinuxImageStatus s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Failed);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/InvalidSpec");
        assertThat(s.condition(ConditionType.Ready).orElseThrow().getMessage()).contains("query string");
        k8s.await(() -> k8s.warnings().contains("InvalidSpec"));
        Thread.sleep(1500);
        assertThat(k8s.jobs()).isEmpty();
        assertThat(k8s.warnings()).as("one event, no retry storm").containsExactly("InvalidSpec");
    }

    /** Issue 12 reproduction: an unrelated Secret and a blob on another host. No Job, one Warning event. */
    @Test
    @Order(4)
    void foreignBlobHostIsRefusedWithoutAJob() throws Exception {
        LinuxImageSpec spec = spec(true);
        spec.getUpload().setBlobUrl("https://collector.evil.example/c/b.vhd");
        spec.getUpload().getCredentials().getSecretRef().setName("unrelated");
        create("web", spec);
        LinuxImageStatus s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Failed);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/BlobHostNotAllowed");
        assertThat(s.condition(ConditionType.Ready).orElseThrow().getMessage()).contains("collector.evil.example");
        k8s.await(() -> k8s.warnings().contains("BlobHostNotAllowed"));
        Thread.sleep(1500);
        assertThat(k8s.jobs()).isEmpty();
        assertThat(k8s.warnings()).as("one event, no retry storm").containsExactly("BlobHostNotAllowed");
    }

    @Test
    @Order(4)
    void foreignJobImageIsRefusedWithoutAJob() throws Exception {
        LinuxImageSpec spec = spec(false);
        spec.getJob().setImage("docker.io/attacker/shell:latest");
        create("web", spec);
        LinuxImageStatus s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Failed);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/ImageNotAllowed");
        k8s.await(() -> k8s.warnings().contains("ImageNotAllowed"));
        assertThat(k8s.jobs()).isEmpty();
    }

    /**
     * Issue 16: the operator reads the claim's volumeMode (get persistentvolumeclaims, already granted): a Block
     * claim is attached with volumeDevices and the core reads the device; a path on it is refused with the reason.
     */
    @Test
    @Order(4)
    void blockModeClaimIsAttachedAsADevice() throws Exception {
        createBlockClaim("raw");
        createClaim("vhds");
        fake.claim("raw", Files.createDirectories(WORK.resolve("claims").resolve(ns + "-raw")));
        fake.claim("vhds", Files.createDirectories(WORK.resolve("claims").resolve(ns + "-vhds")));
        LinuxImageSpec spec = new LinuxImageSpec();
        spec.setSource(new SourceSpec("raw", null));
        spec.setOutput(new dev.linuximage.operator.api.v1alpha1.OutputSpec("vhds", "out/web.vhd"));
        create("web", spec);
        k8s.await(() -> !k8s.jobs().isEmpty());
        var c = k8s.jobs()
                .get(0)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
        assertThat(c.getVolumeDevices())
                .singleElement()
                .satisfies(d -> assertThat(d.getDevicePath()).isEqualTo("/dev/linuximage-source"));
        assertThat(c.getArgs()).startsWith("prepare", "/dev/linuximage-source");
        assertThat(c.getVolumeMounts()).noneSatisfy(m -> assertThat(m.getName()).isEqualTo("source"));

        LinuxImageSpec withPath = new LinuxImageSpec();
        withPath.setSource(new SourceSpec("raw", "disk.img"));
        withPath.setMode(dev.linuximage.operator.api.v1alpha1.Mode.Audit);
        create("web-audit", withPath);
        LinuxImageStatus s = k8s.awaitStatus("web-audit", st -> st.getPhase() == Phase.Failed);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/InvalidSpec");
        assertThat(s.condition(ConditionType.Ready).orElseThrow().getMessage())
                .contains("spec.source.path: must be unset: claim 'raw' is a Block volume");
        assertThat(k8s.jobs()).hasSize(1);
    }

    /**
     * Issue 16: a Block-mode output claim (as CDI and KubeVirt use) is attached with volumeDevices, writable, and the
     * core writes the VHD onto the device in place; no report file (no file system), so the result ConfigMap has
     * the report from the pod's log and no claim path; the status names the claim alone. A path on it is refused.
     */
    @Test
    @Order(4)
    void blockModeOutputClaimReceivesTheVhdOnItsDevice() throws Exception {
        createBlockClaim("vm-disk");
        String report = report(10);
        fake.executor(new ScriptedCore(run -> {
            run.log().accept(dev.linuximage.core.report.ReportLine.toLine(report));
            return new PodExecutor.PodOutcome(
                    0,
                    JobResultCodec.write(JobResult.succeeded("prepared")
                            .withStages(new JobResult.Stages(true, true, true, null))
                            .withOutput(new JobResult.Output(run.arg("--output"), 1L << 30, null, "sha256:ab"))));
        }));
        LinuxImageSpec spec = new LinuxImageSpec();
        spec.setSource(new SourceSpec("disks", "builds/web.qcow2"));
        spec.setOutput(new dev.linuximage.operator.api.v1alpha1.OutputSpec("vm-disk", null));
        create("web", spec);
        k8s.await(() -> !k8s.jobs().isEmpty());
        // the claim's volumeMode, read from the API server, made the output a device: the Job's Block wiring field by
        // field (device path, writable, --output-in-place, no --report) is JobFactoryTest.blockModeOutput's
        var pod = k8s.jobs().get(0).getSpec().getTemplate().getSpec();
        assertThat(pod.getContainers().get(0).getVolumeDevices())
                .singleElement()
                .satisfies(d -> assertThat(d.getName()).isEqualTo("output"));
        assertThat(pod.getVolumes())
                .filteredOn(v -> v.getName().equals("output"))
                .singleElement()
                .satisfies(v ->
                        assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("vm-disk"));
        LinuxImageStatus s =
                k8s.awaitStatus("web", st -> st.getPhase() == Phase.Succeeded && st.getReportRef() != null);
        assertThat(s.getOutput().getPath()).isEqualTo("vm-disk");
        assertThat(s.getOutput().getVirtualSize()).isEqualTo(1L << 30);
        assertThat(s.getReportRef().getFullReport()).isNull();
        var cm = client.configMaps()
                .inNamespace(ns)
                .withName(s.getReportRef().getName())
                .get();
        assertThat(cm.getData()).containsKey("report.json").doesNotContainKey("fullReport");

        LinuxImageSpec withPath = new LinuxImageSpec();
        withPath.setSource(new SourceSpec("disks", "builds/web.qcow2"));
        withPath.setOutput(new dev.linuximage.operator.api.v1alpha1.OutputSpec("vm-disk", "web.vhd"));
        create("web-path", withPath);
        LinuxImageStatus refused = k8s.awaitStatus("web-path", st -> st.getPhase() == Phase.Failed);
        assertThat(TestNamespace.cond(refused, ConditionType.Ready)).isEqualTo("False/InvalidSpec");
        assertThat(refused.condition(ConditionType.Ready).orElseThrow().getMessage())
                .contains("spec.output.path: must be unset: claim 'vm-disk' is a Block volume");
        assertThat(k8s.jobs()).hasSize(1);
    }

    /** The operator plays no admission here: it reads the ServiceAccount's opt-in itself (needs get serviceaccounts). */
    @Test
    @Order(4)
    void workloadIdentityNeedsAServiceAccountThatOptedIn() {
        client.serviceAccounts()
                .inNamespace(ns)
                .resource(new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName("uploader")
                        .endMetadata()
                        .build())
                .create();
        LinuxImageSpec spec = spec(true);
        CredentialsSpec wi = CredentialsSpec.workloadIdentity("6e3f2a10-1b2c-4d3e-8f90-a1b2c3d4e5f6");
        wi.getWorkloadIdentity().setServiceAccountName("uploader");
        spec.getUpload().setCredentials(wi);
        create("web", spec);
        LinuxImageStatus s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Failed);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/ServiceAccountNotAllowed");
        assertThat(s.condition(ConditionType.Ready).orElseThrow().getMessage()).contains("linuximage.dev/allow-use");
        k8s.await(() -> k8s.warnings().contains("ServiceAccountNotAllowed"));
        assertThat(k8s.jobs()).isEmpty();

        // the owner of the ServiceAccount opts in: picked up at the next recheck, the Job runs as it
        client.serviceAccounts().inNamespace(ns).withName("uploader").edit(sa -> {
            sa.getMetadata().setAnnotations(Map.of("linuximage.dev/allow-use", "true"));
            return sa;
        });
        k8s.await(() -> k8s.jobs().size() == 1);
        assertThat(k8s.jobs().get(0).getSpec().getTemplate().getSpec().getServiceAccountName())
                .isEqualTo("uploader");
    }

    @Test
    @Order(4)
    void twoLinuxImagesOnOneBlobTheSecondIsRefused() {
        LinuxImageSpec first = spec(true);
        first.getUpload().setBlobUrl("https://acct.blob.core.windows.net/" + ns + "/shared.vhd");
        create("first", first);
        k8s.await(() -> k8s.jobs().size() == 1); // its outcome does not matter here (no Secret in this namespace)
        LinuxImageSpec second = spec(true);
        second.getUpload().setBlobUrl("https://acct.blob.core.windows.net/" + ns + "/shared.vhd");
        create("second", second);
        LinuxImageStatus s = k8s.awaitStatus("second", st -> st.getPhase() == Phase.Failed);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/BlobConflict");
        assertThat(s.condition(ConditionType.Ready).orElseThrow().getMessage()).contains(ns + "/first");
        assertThat(k8s.jobs()).extracting(j -> j.getMetadata().getName()).containsExactly("first-g1");
    }

    @Test
    @Order(5)
    void missingClaimWaitsForTheClaim() {
        LinuxImageSpec spec = spec(false);
        spec.getSource().setClaimName("later");
        create("web", spec);
        LinuxImageStatus s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Failed);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/MissingClaim");
        assertThat(s.condition(ConditionType.Ready).orElseThrow().getMessage()).contains("'later'");
        assertThat(k8s.jobs()).isEmpty();
        k8s.await(() -> k8s.warnings().contains("MissingClaim"));

        fake.claim("later", disks);
        createClaim("later");
        s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Succeeded);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("True/Succeeded");
        assertThat(k8s.jobs()).hasSize(1);
    }

    @Test
    @Order(6)
    void missingSecretEndsInMissingCredentials() {
        create("web", spec(true)); // no Secret "storage"
        LinuxImageStatus s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Failed);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/MissingCredentials");
        k8s.await(() -> k8s.warnings().contains("MissingCredentials"));
    }

    @Test
    @Order(7)
    void complianceFailure() {
        fake.executor(new ScriptedCore(run -> new PodExecutor.PodOutcome(
                4,
                JobResultCodec.write(JobResult.failed(
                                ResultReasons.NOT_COMPLIANT, "1 requirement failed and was not repaired")
                        .withStages(new JobResult.Stages(true, true, false, null))
                        .withCompliance(JobResult.Compliance.of(List.of(
                                new Finding(
                                        "PROVISION-AGENT",
                                        FindingStatus.Fail,
                                        "no provisioning agent",
                                        List.of(Evidence.of("/usr/bin/cloud-init", "absent")),
                                        null),
                                new Finding("CMDLINE-CONSOLE", FindingStatus.Pass, "ok", List.of(), null))))))));
        create("web", spec(false));
        LinuxImageStatus s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Failed);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/NotCompliant");
        assertThat(TestNamespace.cond(s, ConditionType.Compliant)).isEqualTo("False/NotCompliant");
        assertThat(s.getCompliance().getFindings()).singleElement().satisfies(f -> {
            assertThat(f.getId()).isEqualTo("PROVISION-AGENT");
            assertThat(f.getStatus()).isEqualTo("Fail");
            assertThat(f.getEvidence()).isEqualTo("/usr/bin/cloud-init=absent");
        });
        k8s.await(() -> k8s.warnings().contains("NotCompliant"));
    }

    @Test
    @Order(8)
    void crashedJobReportsTheLogTail() {
        fake.executor(run -> {
            run.log().accept("Exception in thread main: java.lang.OutOfMemoryError");
            return new PodExecutor.PodOutcome(137, null);
        });
        create("web", spec(false));
        LinuxImageStatus s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Failed);
        Condition ready = s.condition(ConditionType.Ready).orElseThrow();
        assertThat(ready.getReason()).isEqualTo("JobFailed");
        assertThat(ready.getMessage()).contains("OutOfMemoryError").contains("web-g1");
    }

    @Test
    @Order(9)
    void progressWhileRunning() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        fake.executor(new ScriptedCore(run -> {
            run.log().accept("starting");
            run.log().accept(new ProgressEvent("convert", 42, "4.2 GiB of 10 GiB").toLine());
            release.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return success();
        }));
        create("web", spec(false));
        LinuxImageStatus s = k8s.awaitStatus(
                "web",
                st -> st.getProgress() != null
                        && Integer.valueOf(42).equals(st.getProgress().getPercent()));
        assertThat(s.getPhase()).isEqualTo(Phase.Running);
        assertThat(s.getProgress().getStage()).isEqualTo("convert");
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/Running");
        release.countDown();
        s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Succeeded);
        assertThat(s.getProgress().getPercent()).isEqualTo(100);
    }

    @Test
    @Order(10)
    void deletionRemovesTheJobThroughOwnerReferences() {
        create("web", spec(false));
        k8s.awaitStatus("web", st -> st.getPhase() == Phase.Succeeded);
        assertThat(k8s.jobs()).hasSize(1);
        client.resources(LinuxImage.class).inNamespace(ns).withName("web").delete();
        k8s.await(() -> k8s.jobs().isEmpty()
                && client.pods().inNamespace(ns).list().getItems().isEmpty());
    }

    @Test
    @Order(12)
    void foreignJobWithTheSameNameIsNeverAdopted() {
        Job foreign = new io.fabric8.kubernetes.api.model.batch.v1.JobBuilder()
                .withNewMetadata()
                .withName("web-g1")
                .withNamespace(ns)
                .endMetadata()
                .withNewSpec()
                .withNewTemplate()
                .withNewSpec()
                .withRestartPolicy("Never")
                .addNewContainer()
                .withName("other")
                .withImage("busybox")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
        client.batch().v1().jobs().resource(foreign).create();
        create("web", spec(false));
        LinuxImageStatus s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Failed);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/JobNameConflict");
        assertThat(s.getJobName()).isNull();
        k8s.await(() -> k8s.warnings().contains("JobNameConflict"));
        assertThat(k8s.jobs())
                .singleElement()
                .satisfies(j -> assertThat(j.getMetadata().getUid())
                        .isEqualTo(client.batch()
                                .v1()
                                .jobs()
                                .inNamespace(ns)
                                .withName("web-g1")
                                .get()
                                .getMetadata()
                                .getUid()));
        assertThat(k8s.jobs().get(0).getMetadata().getOwnerReferences()).isEmpty();
    }

    @Test
    @Order(11)
    void healthAndMetrics() {
        given().when().get("/q/health/live").then().statusCode(200).body(containsString("UP"));
        given().when().get("/q/health/ready").then().statusCode(200).body(containsString("UP"));
        // the Operator SDK's own reconcile metrics are exported too (Micrometer, Prometheus format)
        given().when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .body(containsString("jvm_"))
                .body(containsString("operator_sdk_reconciliations_started"));
    }

    // --- pod-level truth (issues 13 and 16.2): job.status.active counts a pod that cannot start ------------------

    static PodStatus waitingPod(String reason, String message) {
        return new PodStatusBuilder()
                .withPhase("Pending")
                .addNewCondition()
                .withType("PodScheduled")
                .withStatus("True")
                .endCondition()
                .addNewContainerStatus()
                .withName("linuximage")
                .withImage("linuximage:test")
                .withReady(false)
                .withRestartCount(0)
                .withNewState()
                .withNewWaiting()
                .withReason(reason)
                .withMessage(message)
                .endWaiting()
                .endState()
                .endContainerStatus()
                .build();
    }

    static PodStatus unschedulablePod(String message) {
        return new PodStatusBuilder()
                .withPhase("Pending")
                .addNewCondition()
                .withType("PodScheduled")
                .withStatus("False")
                .withReason("Unschedulable")
                .withMessage(message)
                .endCondition()
                .build();
    }

    /** From the pod's creation to the condition: one progress interval, plus slack for a loaded test machine. */
    Duration withinOneProgressInterval() {
        return config.progressInterval().plusSeconds(4);
    }

    @Test
    @Order(13)
    void podInImagePullBackOffIsReportedAndClearsWhenThePodRuns() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        fake.holdPods(waitingPod("ImagePullBackOff", "Back-off pulling image \"linuximage:test\""), release);
        fake.executor(new ScriptedCore(run -> {
            finish.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return success();
        }));
        create("web", spec(false));
        k8s.await(() -> !client.pods().inNamespace(ns).list().getItems().isEmpty());
        long podCreated = System.nanoTime();
        LinuxImageStatus s = k8s.awaitStatus(
                "web",
                st -> st.condition(ConditionType.Running)
                        .filter(c -> "ImagePullBackOff".equals(c.getReason()))
                        .isPresent());
        assertThat(Duration.ofNanos(System.nanoTime() - podCreated)).isLessThan(withinOneProgressInterval());
        assertThat(k8s.jobs().get(0).getStatus().getActive())
                .as("the Job counts the pod as active")
                .isEqualTo(1);
        assertThat(s.getPhase()).isEqualTo(Phase.Pending);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/ImagePullBackOff");
        assertThat(TestNamespace.cond(s, ConditionType.Running)).isEqualTo("False/ImagePullBackOff");
        assertThat(s.condition(ConditionType.Running).orElseThrow().getMessage())
                .contains("Back-off pulling image \"linuximage:test\"")
                .contains("linuximage");
        k8s.await(() -> k8s.warnings().contains("ImagePullBackOff"));
        Thread.sleep(2500); // a few progress intervals: the condition is rewritten, the event is not repeated
        assertThat(k8s.warnings()).as("one event, no storm").containsOnlyOnce("ImagePullBackOff");

        release.countDown(); // the image is there now: the pod runs
        s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Running);
        assertThat(TestNamespace.cond(s, ConditionType.Running)).isEqualTo("True/Running");
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/Running");
        finish.countDown();
        s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Succeeded);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("True/Succeeded");
        assertThat(s.condition(ConditionType.Running))
                .as("only while the Job is active")
                .isEmpty();
    }

    @Test
    @Order(14)
    void unschedulablePodIsReportedWithTheSchedulersMessage() {
        CountDownLatch release = new CountDownLatch(1);
        fake.holdPods(
                unschedulablePod("0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are "
                        + "available: 3 No preemption victims found for incoming pod."),
                release);
        create("web", spec(false));
        k8s.await(() -> !client.pods().inNamespace(ns).list().getItems().isEmpty());
        long podCreated = System.nanoTime();
        LinuxImageStatus s = k8s.awaitStatus(
                "web",
                st -> st.condition(ConditionType.Ready)
                        .filter(c -> "Unschedulable".equals(c.getReason()))
                        .isPresent());
        assertThat(Duration.ofNanos(System.nanoTime() - podCreated)).isLessThan(withinOneProgressInterval());
        assertThat(s.getPhase()).isEqualTo(Phase.Pending);
        assertThat(TestNamespace.cond(s, ConditionType.Running)).isEqualTo("False/Unschedulable");
        assertThat(s.condition(ConditionType.Ready).orElseThrow().getMessage()).contains("3 Insufficient memory");
        k8s.await(() -> k8s.warnings().contains("Unschedulable"));

        release.countDown(); // a node was added
        s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Succeeded);
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("True/Succeeded");
    }

    @Test
    @Order(15)
    void unboundClaimIsNamedWhenThePodIsUnschedulable() {
        client.persistentVolumeClaims().inNamespace(ns).withName("disks").editStatus(pvc -> {
            pvc.setStatus(new PersistentVolumeClaimStatusBuilder()
                    .withPhase("Pending")
                    .build());
            return pvc;
        });
        fake.holdPods(
                unschedulablePod("0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
                        + "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."),
                new CountDownLatch(1));
        create("web", spec(false));
        LinuxImageStatus s = k8s.awaitStatus(
                "web",
                st -> st.condition(ConditionType.Ready)
                        .filter(c -> "PersistentVolumeClaimPending".equals(c.getReason()))
                        .isPresent());
        assertThat(s.condition(ConditionType.Ready).orElseThrow().getMessage()).contains("'disks'");
        k8s.await(() -> k8s.warnings().contains("PersistentVolumeClaimPending"));
    }

    /** No pod at all: only the Job controller's FailedCreate event says why (here a ResourceQuota). */
    @Test
    @Order(15)
    void refusedPodCreationIsReportedFromTheJobsEvent() {
        fake.refusePods("Error creating: pods \"web-g1-x7k2p\" is forbidden: exceeded quota: compute, requested: "
                + "requests.memory=512Mi, used: requests.memory=3584Mi, limited: requests.memory=4Gi");
        try {
            create("web", spec(false));
            LinuxImageStatus s = k8s.awaitStatus(
                    "web",
                    st -> st.condition(ConditionType.Ready)
                            .filter(c -> "FailedCreate".equals(c.getReason()))
                            .isPresent());
            assertThat(s.getPhase()).isEqualTo(Phase.Pending);
            assertThat(TestNamespace.cond(s, ConditionType.Running)).isEqualTo("False/FailedCreate");
            assertThat(s.condition(ConditionType.Ready).orElseThrow().getMessage())
                    .contains("exceeded quota");
            k8s.await(() -> k8s.warnings().contains("FailedCreate")
                    && k8s.reasons().stream().filter("FailedCreate"::equals).count()
                            == 2); // the Job controller's and ours on the LinuxImage
        } finally {
            fake.refusePods(null);
        }
    }

    /** Scheduled, but a ReadWriteOnce disk is still attached elsewhere: the attach/detach controller's event. */
    @Test
    @Order(15)
    void multiAttachIsReportedFromThePodsEvent() {
        fake.holdPods(
                new PodStatusBuilder()
                        .withPhase("Pending")
                        .addNewCondition()
                        .withType("PodScheduled")
                        .withStatus("True")
                        .endCondition()
                        .addNewContainerStatus()
                        .withName("linuximage")
                        .withReady(false)
                        .withRestartCount(0)
                        .withNewState()
                        .withNewWaiting()
                        .withReason("ContainerCreating")
                        .endWaiting()
                        .endState()
                        .endContainerStatus()
                        .build(),
                new CountDownLatch(1));
        create("web", spec(false));
        k8s.await(() -> !client.pods().inNamespace(ns).list().getItems().isEmpty());
        var pod = client.pods().inNamespace(ns).list().getItems().get(0);
        LinuxImageStatus s = k8s.awaitStatus(
                "web",
                st -> st.condition(ConditionType.Running)
                        .filter(c -> c.getMessage().contains("ContainerCreating"))
                        .isPresent());
        assertThat(TestNamespace.cond(s, ConditionType.Running))
                .as("normal while the kubelet sets the pod up")
                .isEqualTo("False/Pending");

        client.v1()
                .events()
                .inNamespace(ns)
                .resource(new EventBuilder()
                        .withNewMetadata()
                        .withName(pod.getMetadata().getName() + ".attach")
                        .endMetadata()
                        .withNewInvolvedObject()
                        .withApiVersion("v1")
                        .withKind("Pod")
                        .withName(pod.getMetadata().getName())
                        .withNamespace(ns)
                        .withUid(pod.getMetadata().getUid())
                        .endInvolvedObject()
                        .withType("Warning")
                        .withReason("FailedAttachVolume")
                        .withCount(1)
                        .withMessage(
                                "Multi-Attach error for volume \"pvc-0c1d2e3f\" Volume is already used by pod(s) web-g0-abcde")
                        .withLastTimestamp(java.time.Instant.now().toString())
                        .withNewSource()
                        .withComponent("attachdetach-controller")
                        .endSource()
                        .build())
                .create();
        long eventCreated = System.nanoTime();
        s = k8s.awaitStatus(
                "web",
                st -> st.condition(ConditionType.Running)
                        .filter(c -> "FailedAttachVolume".equals(c.getReason()))
                        .isPresent());
        assertThat(Duration.ofNanos(System.nanoTime() - eventCreated)).isLessThan(withinOneProgressInterval());
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/FailedAttachVolume");
        assertThat(s.condition(ConditionType.Ready).orElseThrow().getMessage()).contains("Multi-Attach error");
    }

    /** JOSDK calls updateErrorStatus after each failed attempt; only the last is written, as Ready=False. */
    @Test
    @Order(16)
    void exhaustedRetriesWriteTheErrorIntoTheStatus() {
        // refused once (InvalidSpec, not rechecked), so the running operator leaves its status alone meanwhile
        LinuxImageSpec spec = spec(true);
        spec.getUpload().setBlobUrl(BLOB + "?sv=2024&sig=abc");
        create("web", spec);
        k8s.awaitStatus("web", st -> st.getPhase() == Phase.Failed);
        k8s.await(() -> k8s.warnings().contains("InvalidSpec"));
        LinuxImageReconciler reconciler = new LinuxImageReconciler(client, config);
        Exception error = new KubernetesClientException(
                "Failure executing: POST at: jobs. Message: Forbidden: exceeded quota: compute", 403, null);

        LinuxImage li = client.resources(LinuxImage.class)
                .inNamespace(ns)
                .withName("web")
                .get();
        ErrorStatusUpdateControl<LinuxImage> early = reconciler.updateErrorStatus(li, retry(3, false), error);
        assertThat(early.getResource()).isEmpty();
        assertThat(TestNamespace.cond(k8s.status("web"), ConditionType.Ready))
                .as("an attempt that will be retried is not written")
                .isEqualTo("False/InvalidSpec");

        li = client.resources(LinuxImage.class).inNamespace(ns).withName("web").get();
        ErrorStatusUpdateControl<LinuxImage> last = reconciler.updateErrorStatus(li, retry(8, true), error);
        assertThat(last.getResource())
                .as("written by the reconciler itself (a locked PUT)")
                .isEmpty();
        LinuxImageStatus s = k8s.status("web");
        assertThat(TestNamespace.cond(s, ConditionType.Ready)).isEqualTo("False/ReconcileError");
        assertThat(s.condition(ConditionType.Ready).orElseThrow().getMessage())
                .contains("8 attempt(s)")
                .contains("exceeded quota");
        assertThat(s.getObservedGeneration()).isEqualTo(1L);
        assertThat(last.getScheduleDelay()).contains(config.recheckInterval().toMillis());
        k8s.await(() -> k8s.warnings().contains("ReconcileError"));
    }

    @SuppressWarnings("unchecked")
    static Context<LinuxImage> retry(int attempt, boolean last) {
        RetryInfo info = new RetryInfo() {
            @Override
            public int getAttemptCount() {
                return attempt;
            }

            @Override
            public boolean isLastAttempt() {
                return last;
            }
        };
        return (Context<LinuxImage>) Proxy.newProxyInstance(
                Context.class.getClassLoader(), new Class<?>[] {Context.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getRetryInfo")) {
                        return Optional.of(info);
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    // --- issue 16 items 5 and 6: the result as an API object, re-runs, domain metrics --------------------------

    @Test
    @Order(13)
    void resultIsPublishedInAConfigMapOwnedByTheLinuxImage() {
        LinuxImage li = create("web", spec(false));
        LinuxImageStatus s =
                k8s.awaitStatus("web", st -> st.getPhase() == Phase.Succeeded && st.getReportRef() != null);
        assertThat(s.getOs().getId()).isEqualTo("debian");
        assertThat(s.getOs().getVersionId()).isEqualTo("12");
        assertThat(s.getOs().getFamily()).isEqualTo("debian");
        assertThat(s.getReportRef().getName()).isEqualTo("web-g1-result");
        assertThat(s.getReportRef().getKey()).isEqualTo("result.json");
        // the core writes the full report next to the VHD (Locations.reportInPod): builds/web.report.json
        assertThat(s.getReportRef().getFullReport()).isEqualTo("disks:builds/web.report.json");

        ConfigMap cm =
                client.configMaps().inNamespace(ns).withName("web-g1-result").get();
        assertThat(cm).isNotNull();
        assertThat(cm.getImmutable()).isTrue();
        assertThat(cm.getMetadata().getOwnerReferences()).singleElement().satisfies(r -> {
            assertThat(r.getUid()).isEqualTo(li.getMetadata().getUid());
            assertThat(r.getKind()).isEqualTo("LinuxImage");
            assertThat(r.getController()).isTrue();
        });
        assertThat(cm.getData()).containsEntry("fullReport", "disks:builds/web.report.json");
        // another tool reads it with the core's own parser: what the pod reported, nothing lost
        JobResult r = JobResultCodec.parse(cm.getData().get("result.json"));
        assertThat(r.outcome()).isEqualTo(JobResult.Outcome.Succeeded);
        assertThat(r.compliance().summary())
                .containsEntry(FindingStatus.Pass, 1)
                .containsEntry(FindingStatus.Fixed, 1);
        assertThat(r.compliance().findings())
                .extracting(JobResult.CompactFinding::id)
                .containsExactly("CMDLINE-CONSOLE");
        assertThat(r.os()).isEqualTo(new JobResult.Os("debian", "12", "debian"));
        assertThat(r.upload().blobUrl()).isEqualTo(BLOB); // what the scripted core reported
    }

    /** The result ConfigMap that {@code name}'s status points to, once the run succeeded and published it. */
    private ConfigMap resultConfigMap(String name) {
        LinuxImageStatus s = k8s.awaitStatus(name, st -> st.getPhase() == Phase.Succeeded && st.getReportRef() != null);
        return client.configMaps()
                .inNamespace(ns)
                .withName(s.getReportRef().getName())
                .get();
    }

    /** A report as the core renders it (schema and shape of docs/report-schema.md), with one padded evidence value. */
    static String report(int evidenceChars) {
        ObjectNode r = new ObjectMapper().createObjectNode();
        r.put("schema", "linuximage.dev/report/v1");
        r.put("mode", "prepare");
        r.put("subject", "/disks/source/builds/web.qcow2");
        var f = r.putArray("findings").addObject();
        f.put("id", "CMDLINE-CONSOLE");
        f.put("status", "Fixed");
        f.putArray("evidence").addObject().put("file", "/etc/default/grub").put("value", "x".repeat(evidenceChars));
        r.putObject("summary").put("compliant", true);
        return r.toPrettyString(); // the core's layout; the log line is compact
    }

    static PodExecutor reportingCore(String reportLine) {
        return new ScriptedCore(run -> {
            run.log().accept("CMDLINE-CONSOLE   Fixed   console=ttyS0 added"); // the table
            run.log().accept(reportLine);
            run.log().accept(new ProgressEvent("done", 100, "compliant").toLine());
            return success();
        });
    }

    @Test
    @Order(13)
    void theFullReportFromThePodLogIsInTheResultConfigMap() throws Exception {
        String report = report(200);
        fake.executor(reportingCore(ReportLine.toLine(report)));
        create("web", spec(false));
        ConfigMap cm = resultConfigMap("web");
        var json = new ObjectMapper();
        assertThat(json.readTree(cm.getData().get("report.json"))).isEqualTo(json.readTree(report));
        assertThat(cm.getData()).doesNotContainKey("reportOmitted").containsKey("result.json");
    }

    @Test
    @Order(13)
    void aReportTooLargeForAConfigMapIsLeftOnTheClaimAndSaysSo() {
        // 1 MiB of evidence: with the result the ConfigMap would pass Kubernetes' 1 MiB limit
        fake.executor(reportingCore(ReportLine.toLine(report(1 << 20))));
        create("web", spec(false));
        ConfigMap cm = resultConfigMap("web");
        assertThat(cm.getData()).doesNotContainKey("report.json").containsKey("result.json");
        assertThat(cm.getData().get("reportOmitted"))
                .contains("larger than a ConfigMap can hold")
                .contains("disks:builds/web.report.json");
        long bytes = cm.getData().values().stream()
                .mapToLong(v -> v.getBytes(StandardCharsets.UTF_8).length)
                .sum();
        assertThat(bytes).isLessThan(1 << 20);
    }

    @Test
    @Order(13)
    void aReportLineOfAnotherSchemaIsNotPublished() {
        fake.executor(reportingCore(ReportLine.PREFIX + "{\"schema\":\"evil/v1\",\"findings\":[]}"));
        create("web", spec(false));
        ConfigMap cm = resultConfigMap("web");
        assertThat(cm.getData()).doesNotContainKey("report.json");
        assertThat(cm.getData().get("reportOmitted")).contains("held no full report");
    }

    @Test
    @Order(13)
    void aForeignConfigMapHoldingTheNameIsNeverTouched() throws Exception {
        client.configMaps()
                .inNamespace(ns)
                .resource(new ConfigMapBuilder()
                        .withNewMetadata()
                        .withName("web-g1-result")
                        .endMetadata()
                        .addToData("mine", "yes")
                        .build())
                .create();
        create("web", spec(false));
        LinuxImageStatus s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Succeeded);
        Thread.sleep(1500);
        assertThat(k8s.status("web").getReportRef()).isNull();
        assertThat(s.getOs()).isNotNull();
        ConfigMap cm =
                client.configMaps().inNamespace(ns).withName("web-g1-result").get();
        assertThat(cm.getData()).isEqualTo(Map.of("mine", "yes"));
        assertThat(cm.getMetadata().getOwnerReferences()).isEmpty();
    }

    @Test
    @Order(14)
    void rerunAnnotationRunsTheGenerationAgainOncePerValue() throws Exception {
        create("web", spec(false));
        k8s.awaitStatus("web", st -> st.getPhase() == Phase.Succeeded);
        int before = fake.runs(ns);

        annotate(Map.of(LinuxImageReconciler.RERUN_ANNOTATION, "build-42"));
        String rerunJob = JobNames.forRun("web", 1, "build-42");
        assertThat(rerunJob).startsWith("web-g1-r").hasSize("web-g1-r".length() + 8);
        LinuxImageStatus s = k8s.awaitStatus(
                "web",
                st -> "build-42".equals(st.getObservedRerun())
                        && st.getPhase() == Phase.Succeeded
                        && rerunJob.equals(st.getJobName()));
        assertThat(s.getObservedGeneration())
                .as("same generation, no spec change")
                .isEqualTo(1L);
        assertThat(fake.runs(ns)).isEqualTo(before + 1);
        // the old Job is retired (background deletion; the fake garbage-collects its pod)
        k8s.await(() -> k8s.jobs().size() == 1);
        assertThat(k8s.jobs()).extracting(j -> j.getMetadata().getName()).containsExactly(rerunJob);
        assertThat(s.getReportRef().getName()).isEqualTo(rerunJob + "-result");
        assertThat(client.configMaps()
                        .inNamespace(ns)
                        .withName(rerunJob + "-result")
                        .get())
                .isNotNull();

        // the same value again (a label change, a GitOps re-apply) and the annotation's removal: no new run
        LinuxImage li = client.resources(LinuxImage.class)
                .inNamespace(ns)
                .withName("web")
                .get();
        li.getMetadata().setLabels(Map.of("team", "images"));
        client.resources(LinuxImage.class).inNamespace(ns).resource(li).update();
        annotate(Map.of());
        Thread.sleep(3000);
        assertThat(fake.runs(ns)).isEqualTo(before + 1);
        assertThat(k8s.status("web").getJobName()).isEqualTo(rerunJob);
        assertThat(k8s.jobs()).extracting(j -> j.getMetadata().getName()).containsExactly(rerunJob);

        // a new value: one more run
        annotate(Map.of(LinuxImageReconciler.RERUN_ANNOTATION, "build-43"));
        k8s.awaitStatus("web", st -> "build-43".equals(st.getObservedRerun()) && st.getPhase() == Phase.Succeeded);
        Thread.sleep(1500);
        assertThat(fake.runs(ns)).isEqualTo(before + 2);
    }

    @Test
    @Order(15)
    void domainMetricsAfterAReconcile() {
        create("web", spec(false));
        k8s.awaitStatus("web", st -> st.getPhase() == Phase.Succeeded);
        String body = given().when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        // Prometheus text format: labels sorted by name; one finished run of this namespace
        assertThat(body)
                .contains("linuximage_jobs_finished_total{namespace=\"" + ns
                        + "\",outcome=\"Succeeded\",reason=\"Succeeded\"} 1.0");
        assertThat(body).contains("linuximage_output_bytes_total{namespace=\"" + ns + "\"} " + (double) (1L << 30));
        assertThat(body).contains("linuximage_upload_bytes_total{namespace=\"" + ns + "\"} 1000.0");
        assertThat(body).contains("linuximage_findings_total{requirement=\"CMDLINE-CONSOLE\",status=\"Fixed\"}");
        assertThat(body).contains("linuximage_requirements_checked_total{status=\"Pass\"}");
        for (String stage : List.of("pending", "run", "total")) {
            assertThat(body)
                    .contains("linuximage_job_stage_duration_seconds_bucket{outcome=\"Succeeded\",stage=\"" + stage
                            + "\",le=");
        }
        // the core's own steps, from the result: every scripted success reported the same durations, so per step
        // the sum is the count times that duration (other tests of this class ran successes too)
        Map<String, Double> steps = Map.of(
                "convert", STEP_SECONDS.convert(),
                "patch", STEP_SECONDS.patch(),
                "check", STEP_SECONDS.check(),
                "upload", STEP_SECONDS.upload());
        steps.forEach((step, seconds) -> {
            double count = sample(body, "linuximage_core_step_duration_seconds_count{step=\"" + step + "\"}");
            double sum = sample(body, "linuximage_core_step_duration_seconds_sum{step=\"" + step + "\"}");
            assertThat(count).as(step).isGreaterThanOrEqualTo(1);
            assertThat(sum).as(step).isCloseTo(count * seconds, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(body).contains("linuximage_core_step_duration_seconds_bucket{step=\"" + step + "\",le=");
        });
        assertThat(body).contains("linuximage_jobs_active ").contains("linuximage_jobs_active_oldest_seconds ");
        assertThat(body.lines().filter(l -> l.startsWith("linuximage_")))
                .as("no resource name in a label")
                .noneMatch(l -> l.contains("web"));
    }

    /** The value of one sample line of the Prometheus text format, by its metric name and labels. */
    static double sample(String body, String nameAndLabels) {
        return body.lines()
                .filter(l -> l.startsWith(nameAndLabels + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(nameAndLabels.length() + 1)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no sample " + nameAndLabels));
    }

    void annotate(Map<String, String> annotations) {
        LinuxImage li = client.resources(LinuxImage.class)
                .inNamespace(ns)
                .withName("web")
                .get();
        li.getMetadata().setAnnotations(new java.util.HashMap<>(annotations));
        client.resources(LinuxImage.class).inNamespace(ns).resource(li).update();
    }

    /** Last: it stops the application's operator. */
    @Test
    @Order(99)
    void restartedOperatorReattachesToTheRunningJob() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        fake.executor(new ScriptedCore(run -> {
            release.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return success();
        }));
        create("web", spec(false));
        k8s.awaitStatus("web", st -> st.getPhase() == Phase.Running || st.getPhase() == Phase.Pending);
        assertThat(k8s.jobs()).hasSize(1);

        operator.stop();
        release.countDown(); // the Job finishes while no operator runs
        k8s.await(() -> k8s.jobs().get(0).getStatus() != null
                && k8s.jobs().get(0).getStatus().getSucceeded() != null
                && k8s.jobs().get(0).getStatus().getSucceeded() == 1);
        int runs = fake.runs();

        Operator fresh = new Operator(o -> o.withKubernetesClient(client)
                .withCloseClientOnStop(false)
                .withStopOnInformerErrorDuringStartup(false)
                .withUseSSAToPatchPrimaryResource(false) // as %test.quarkus.operator-sdk.enable-ssa=false
                .withSSABasedCreateUpdateMatchForDependentResources(false));
        fresh.register(new LinuxImageReconciler(client, config));
        fresh.start();
        try {
            LinuxImageStatus s = k8s.awaitStatus("web", st -> st.getPhase() == Phase.Succeeded);
            assertThat(s.getJobName()).isEqualTo("web-g1");
            assertThat(k8s.jobs()).extracting(j -> j.getMetadata().getName()).containsExactly("web-g1");
            assertThat(fake.runs()).isEqualTo(runs);
        } finally {
            fresh.stop();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Stands in for the core inside the pod: checks what a real core would find (the source file, the credentials
     * file), then returns the scripted outcome.
     */
    record ScriptedCore(PodExecutorBody body) implements PodExecutor {
        @Override
        public PodOutcome run(PodRun run) throws Exception {
            Path source = run.local(run.args().get(1));
            if (!Files.isRegularFile(source)) {
                return new PodOutcome(
                        2,
                        JobResultCodec.write(JobResult.failed(
                                ResultReasons.SOURCE_NOT_FOUND, run.args().get(1) + " not found")));
            }
            for (String flag : List.of("--sas-file", "--connection-string-file")) {
                String file = run.arg(flag);
                if (file != null && (!Files.isRegularFile(run.local(file)) || Files.size(run.local(file)) == 0)) {
                    return new PodOutcome(
                            2,
                            JobResultCodec.write(JobResult.failed(
                                    ResultReasons.MISSING_CREDENTIALS,
                                    "credentials file " + file + " is missing or empty")));
                }
            }
            return body.apply(run);
        }
    }

    @FunctionalInterface
    interface PodExecutorBody {
        PodExecutor.PodOutcome apply(PodRun run) throws Exception;
    }

    static PodExecutor.PodOutcome success() {
        return new PodExecutor.PodOutcome(
                0,
                JobResultCodec.write(JobResult.succeeded("prepared")
                        .withStages(new JobResult.Stages(true, true, true, true))
                        .withCompliance(JobResult.Compliance.of(List.of(
                                new Finding(
                                        "CMDLINE-CONSOLE", FindingStatus.Fixed, "console=ttyS0 added", List.of(), null),
                                new Finding("SWAP-OS-DISK", FindingStatus.Pass, "no swap", List.of(), null))))
                        .withGenerations(List.of("Gen1", "Gen2"))
                        .withOs(new JobResult.Os("debian", "12", "debian"))
                        .withOutput(new JobResult.Output("/disks/source/builds/web.vhd", 1L << 30, "ab"))
                        .withUpload(new JobResult.Upload(BLOB, 1000L, "sha256:ab"))
                        .withDurations(STEP_SECONDS)));
    }

    /** The core's step durations every scripted success reports (seconds; distinct, so a mixed-up label shows). */
    static final JobResult.Durations STEP_SECONDS = new JobResult.Durations(12.5, 3.25, 0.75, 40.0);

    static LinuxImageSpec spec(boolean upload) {
        LinuxImageSpec s = new LinuxImageSpec();
        s.setSource(new SourceSpec("disks", "builds/web.qcow2"));
        if (upload) {
            s.setUpload(new UploadSpec(BLOB, CredentialsSpec.secret("storage")));
        }
        return s;
    }

    LinuxImage create(String name, LinuxImageSpec spec) {
        if (spec.getUpload() != null && BLOB.equals(spec.getUpload().getBlobUrl())) {
            // every test namespace is its own tenant with its own blob: LinuxImages of earlier tests stay on the
            // shared API server, and two LinuxImages on one blob are refused (BlobConflict, issue 12)
            spec.getUpload().setBlobUrl("https://acct.blob.core.windows.net/" + ns + "/web.vhd");
        }
        return client.resources(LinuxImage.class)
                .inNamespace(ns)
                .resource(new LinuxImage(ns, name, spec))
                .create();
    }

    void createClaim(String name) {
        createClaim(name, null);
    }

    /** A claim with {@code volumeMode: Block}: the operator reads the mode from the API server. */
    void createBlockClaim(String name) {
        createClaim(name, "Block");
    }

    /** @param volumeMode null: unset (Filesystem, the API's default) */
    private void createClaim(String name, String volumeMode) {
        client.persistentVolumeClaims()
                .inNamespace(ns)
                .resource(new PersistentVolumeClaimBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .withNewSpec()
                        .withAccessModes("ReadWriteOnce")
                        .withVolumeMode(volumeMode)
                        .withNewResources()
                        .addToRequests("storage", new Quantity("10Gi"))
                        .endResources()
                        .endSpec()
                        .build())
                .create();
    }

    void secret(String name, String key, String value) {
        client.secrets()
                .inNamespace(ns)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .addToStringData(key, value)
                        .addToData(
                                key,
                                java.util.Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)))
                        .build())
                .create();
    }
}
