package dev.linuximage.operator.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.linuximage.operator.api.v1alpha1.CredentialType;
import dev.linuximage.operator.api.v1alpha1.CredentialsSpec;
import dev.linuximage.operator.api.v1alpha1.ImageKind;
import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.Mode;
import dev.linuximage.operator.api.v1alpha1.OutputSpec;
import dev.linuximage.operator.api.v1alpha1.Provisioning;
import dev.linuximage.operator.api.v1alpha1.SourceSpec;
import dev.linuximage.operator.api.v1alpha1.UploadSpec;
import dev.linuximage.testsupport.Golden;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobFactoryTest {

    static final JobDefaults DEFAULTS = JobDefaults.standard("ghcr.io/linuximage/linuximage-operator:0.1.0");
    static final String BLOB = "https://acct.blob.core.windows.net/vhds/web.vhd";

    static LinuxImage image(String name, long generation, LinuxImageSpec spec) {
        LinuxImage li = new LinuxImage("images", name, spec);
        li.getMetadata().setGeneration(generation);
        li.getMetadata().setUid("0f6c3c1e-7d2a-4c55-9d4e-1a2b3c4d5e6f");
        return li;
    }

    static LinuxImageSpec prepare(String path) {
        LinuxImageSpec spec = new LinuxImageSpec();
        spec.setSource(new SourceSpec("disks", path));
        return spec;
    }

    @Test
    void prepareWithSasSecret() {
        LinuxImageSpec spec = prepare("builds/web.qcow2");
        spec.getSource().setFormat("qcow2");
        spec.getGuest().getKernelArgs().setAdd(List.of("nvme_core.io_timeout=240"));
        spec.getGuest().getKernelArgs().setRemove(List.of("quiet", "rhgb"));
        spec.getGuest().getDeprovision().setRemoveUsers(List.of("builder"));
        spec.setUpload(new UploadSpec(BLOB, CredentialsSpec.secret("storage")));
        Job job = JobFactory.build(image("web", 3, spec), DEFAULTS);
        Golden.assertMatches("job/prepare-sas.yaml", Serialization.asYaml(job));

        PodSpec pod = job.getSpec().getTemplate().getSpec();
        Container c = pod.getContainers().get(0);
        assertThat(job.getMetadata().getName()).isEqualTo("web-g3");
        assertThat(c.getArgs())
                .containsSubsequence(
                        "prepare",
                        "/disks/source/builds/web.qcow2",
                        "--output",
                        "/disks/source/builds/web.vhd",
                        "--report",
                        "/disks/source/builds/web.report.json");
        assertThat(c.getArgs()).containsSubsequence("--sas-file", "/var/run/linuximage/credentials/sas");
        assertThat(c.getArgs()).containsSubsequence("--fence-generation", "3");
        // the SAS never appears in args or env: only a file path does
        assertThat(c.getEnv()).isEmpty();
        Volume creds = volume(pod, "credentials");
        assertThat(creds.getSecret().getSecretName()).isEqualTo("storage");
        assertThat(creds.getSecret().getItems().get(0).getKey()).isEqualTo("sas");
        assertThat(creds.getSecret().getOptional()).isTrue();
        assertRestricted(pod);
    }

    @Test
    void prepareWithConnectionStringToSeparateClaim() {
        LinuxImageSpec spec = prepare("in/db.vmdk");
        spec.setOutput(new OutputSpec("vhds", "out/db.vhd"));
        CredentialsSpec creds = CredentialsSpec.secret("storage-cs");
        creds.getSecretRef().setType(CredentialType.ConnectionString);
        spec.setUpload(new UploadSpec(BLOB, creds));
        spec.getGuest().setImageKind(ImageKind.Specialized);
        spec.getGuest().setProvisioning(Provisioning.WALinuxAgent);
        Job job = JobFactory.build(image("db", 1, spec), DEFAULTS);
        Golden.assertMatches("job/prepare-connection-string.yaml", Serialization.asYaml(job));

        Container c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getArgs()).containsSubsequence("--output", "/disks/output/out/db.vhd");
        assertThat(c.getArgs())
                .containsSubsequence("--connection-string-file", "/var/run/linuximage/credentials/connection-string");
        // the source claim is read-only when the output goes elsewhere
        assertThat(c.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getName()).isEqualTo("source");
            assertThat(m.getReadOnly()).isTrue();
        });
        assertThat(volume(job.getSpec().getTemplate().getSpec(), "credentials")
                        .getSecret()
                        .getItems()
                        .get(0)
                        .getKey())
                .isEqualTo("connectionString");
    }

    @Test
    void prepareWithWorkloadIdentity() {
        LinuxImageSpec spec = prepare("builds/app.raw");
        CredentialsSpec creds = CredentialsSpec.workloadIdentity("6e3f2a10-1b2c-4d3e-8f90-a1b2c3d4e5f6");
        creds.getWorkloadIdentity().setServiceAccountName("image-uploader");
        spec.setUpload(new UploadSpec(BLOB, creds));
        Job job = JobFactory.build(image("app", 2, spec), DEFAULTS);
        Golden.assertMatches("job/prepare-workload-identity.yaml", Serialization.asYaml(job));

        PodSpec pod = job.getSpec().getTemplate().getSpec();
        assertThat(job.getSpec().getTemplate().getMetadata().getLabels())
                .containsEntry("azure.workload.identity/use", "true");
        assertThat(pod.getServiceAccountName()).isEqualTo("image-uploader");
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        Volume token = volume(pod, "azure-identity-token");
        assertThat(token.getProjected()
                        .getSources()
                        .get(0)
                        .getServiceAccountToken()
                        .getAudience())
                .isEqualTo("api://AzureADTokenExchange");
        assertThat(pod.getContainers().get(0).getArgs())
                .contains("--workload-identity")
                .doesNotContain("--sas-file");
        assertRestricted(pod);
    }

    @Test
    void audit() {
        LinuxImageSpec spec = prepare("builds/web.qcow2");
        spec.setMode(Mode.Audit);
        Job job = JobFactory.build(image("web-audit", 1, spec), DEFAULTS);
        Golden.assertMatches("job/audit.yaml", Serialization.asYaml(job));

        PodSpec pod = job.getSpec().getTemplate().getSpec();
        assertThat(pod.getContainers().get(0).getArgs())
                .startsWith("check", "/disks/source/builds/web.qcow2")
                .doesNotContain("--output", "--report", "--blob-url", "--fence-generation");
        assertThat(volume(pod, "source").getPersistentVolumeClaim().getReadOnly())
                .isTrue();
        assertThat(pod.getContainers().get(0).getVolumeMounts()).allSatisfy(m -> {
            if (m.getName().equals("source")) {
                assertThat(m.getReadOnly()).isTrue();
            }
        });
        assertThat(job.getMetadata().getLabels()).containsEntry("app.kubernetes.io/component", "audit");
    }

    @Test
    void streamToUpload() {
        LinuxImageSpec spec = prepare("builds/web.vhdx");
        OutputSpec out = new OutputSpec();
        out.setStreamToUpload(true);
        spec.setOutput(out);
        spec.setUpload(new UploadSpec(BLOB, CredentialsSpec.secret("storage")));
        spec.getGuest().setResourceDiskSwapMiB(0);
        spec.getGuest().setHyperVDrivers(false);
        spec.getGuest().setProvisioning(Provisioning.None);
        spec.getGuest().getKernelArgs().setKeepCrashkernel(true);
        Job job = JobFactory.build(image("web", 7, spec), DEFAULTS);
        Golden.assertMatches("job/stream-to-upload.yaml", Serialization.asYaml(job));

        List<String> args =
                job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
        assertThat(args)
                .doesNotContain("--output")
                .contains("--stream-to-upload", "--keep-crashkernel", "--hyperv-drivers=false");
        assertThat(args).containsSubsequence("--report", "/disks/source/builds/web.report.json");
        assertThat(args).containsSubsequence("--resource-disk-swap-mib", "0");
    }

    @Test
    void customJobSettings() {
        LinuxImageSpec spec = prepare("a.qcow2");
        spec.getJob().setImage("registry.example/linuximage:1.2.3");
        spec.getJob().setActiveDeadlineSeconds(3600L);
        spec.getJob().setBackoffLimit(0);
        spec.getJob().setNodeSelector(Map.of("kubernetes.io/arch", "amd64"));
        spec.getJob()
                .setTolerations(List.of(new TolerationBuilder()
                        .withKey("dedicated")
                        .withOperator("Equal")
                        .withValue("images")
                        .withEffect("NoSchedule")
                        .build()));
        spec.getJob()
                .setResources(new ResourceRequirementsBuilder()
                        .addToRequests("cpu", new Quantity("2"))
                        .addToRequests("memory", new Quantity("2Gi"))
                        .addToLimits("memory", new Quantity("4Gi"))
                        .build());
        String longName = "a-very-long-linux-image-name-that-goes-on-and-on-and-on-for-a-while";
        Job job = JobFactory.build(image(longName, 12, spec), DEFAULTS);
        Golden.assertMatches("job/custom-job.yaml", Serialization.asYaml(job));

        assertThat(job.getMetadata().getName()).hasSizeLessThanOrEqualTo(52).endsWith("-g12");
        assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(3600L);
        assertThat(job.getSpec().getBackoffLimit()).isZero();
        assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .isEqualTo("registry.example/linuximage:1.2.3");
        assertThat(job.getMetadata().getLabels().values())
                .allSatisfy(v -> assertThat(v).hasSizeLessThanOrEqualTo(63));
    }

    /**
     * The operator and the core agree on the command line: every Job the factory builds parses in the core's own
     * picocli model (an unknown option fails the pod with a usage error before any result is written).
     */
    @Test
    void everyJobCommandLineParsesInTheCore() {
        LinuxImageSpec sas = prepare("builds/web.qcow2");
        sas.getSource().setFormat("qcow2");
        sas.getGuest().getKernelArgs().setAdd(List.of("nvme_core.io_timeout=240"));
        sas.getGuest().getKernelArgs().setRemove(List.of("quiet"));
        sas.getGuest().getKernelArgs().setKeepCrashkernel(true);
        sas.getGuest().getDeprovision().setRemoveUsers(List.of("builder"));
        sas.setUpload(new UploadSpec(BLOB, CredentialsSpec.secret("storage")));
        LinuxImageSpec cs = prepare("in/db.vmdk");
        cs.setOutput(new OutputSpec("vhds", "out/db.vhd"));
        cs.setUpload(new UploadSpec(BLOB, CredentialsSpec.secret("storage-cs")));
        cs.getUpload().getCredentials().getSecretRef().setType(CredentialType.ConnectionString);
        LinuxImageSpec wi = prepare("a.raw");
        wi.setUpload(new UploadSpec(BLOB, CredentialsSpec.workloadIdentity("0f6c3c1e-7d2a-4c55-9d4e-1a2b3c4d5e6f")));
        LinuxImageSpec stream = prepare("b.vhdx");
        OutputSpec out = new OutputSpec();
        out.setStreamToUpload(true);
        stream.setOutput(out);
        stream.setUpload(new UploadSpec(BLOB, CredentialsSpec.secret("storage")));
        LinuxImageSpec local = prepare("c.ova");
        local.getSource().setOvaDisk("vmdisk2");
        LinuxImageSpec audit = prepare("d.ova");
        audit.getSource().setOvaDisk("2");
        audit.setMode(Mode.Audit);
        audit.getGuest().getDeprovision().setRemoveUsers(List.of("builder"));
        audit.getGuest().getKernelArgs().setAdd(List.of("nvme_core.io_timeout=240"));
        for (LinuxImageSpec spec : List.of(sas, cs, wi, stream, local, audit)) {
            List<String> args =
                    JobFactory.args(spec, 4, "0f6c3c1e-7d2a-4c55-9d4e-1a2b3c4d5e6f", DEFAULTS.allowedBlobHosts());
            var parsed = dev.linuximage.core.cli.CoreCli.commandLine(args.toArray(String[]::new))
                    .parseArgs(args.toArray(String[]::new));
            assertThat(parsed.subcommand().commandSpec().name())
                    .as("%s", args)
                    .isEqualTo(spec.getMode() == Mode.Audit ? "check" : "prepare");
            if (spec.getSource().getOvaDisk() != null) {
                assertThat(parsed.subcommand().matchedOptionValue("--ova-disk", ""))
                        .as("%s", args)
                        .isEqualTo(spec.getSource().getOvaDisk());
            }
        }
    }

    @Test
    void buildIsDeterministic() {
        LinuxImageSpec spec = prepare("builds/web.qcow2");
        spec.setUpload(new UploadSpec(BLOB, CredentialsSpec.secret("storage")));
        assertThat(Serialization.asYaml(JobFactory.build(image("web", 3, spec), DEFAULTS)))
                .isEqualTo(Serialization.asYaml(JobFactory.build(image("web", 3, spec), DEFAULTS)));
    }

    @Test
    void ownerReferenceMakesTheLinuxImageTheController() {
        Job job = JobFactory.build(image("web", 1, prepare("x.raw")), DEFAULTS);
        var ref = job.getMetadata().getOwnerReferences().get(0);
        assertThat(ref.getKind()).isEqualTo("LinuxImage");
        assertThat(ref.getApiVersion()).isEqualTo("linuximage.dev/v1alpha1");
        assertThat(ref.getController()).isTrue();
        assertThat(ref.getBlockOwnerDeletion()).isTrue();
        assertThat(ref.getUid()).isEqualTo("0f6c3c1e-7d2a-4c55-9d4e-1a2b3c4d5e6f");
    }

    @Test
    void jobNamesAreShortUniqueAndStable() {
        assertThat(JobNames.forGeneration("web", 3)).isEqualTo("web-g3");
        String a = "x".repeat(60) + "a";
        String b = "x".repeat(60) + "b";
        assertThat(JobNames.forGeneration(a, 1))
                .hasSize(52)
                .isNotEqualTo(JobNames.forGeneration(b, 1))
                .isEqualTo(JobNames.forGeneration(a, 1))
                .matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
        assertThat(JobNames.labelValue("y".repeat(253))).hasSize(63);
    }

    @Test
    void defaultOutputIsNextToTheSource() {
        assertThat(Locations.defaultOutputPath("builds/web.qcow2")).isEqualTo("builds/web.vhd");
        assertThat(Locations.defaultOutputPath("web")).isEqualTo("web.vhd");
        assertThat(Locations.defaultOutputPath("dir.d/web")).isEqualTo("dir.d/web.vhd");
        assertThat(Locations.defaultOutputPath("web.vhd")).isEqualTo("web-azure.vhd");
    }

    static final PodSettings PLATFORM = new PodSettings(
            null,
            List.of("registry-pull"),
            java.util.Map.of("HTTPS_PROXY", "http://proxy.corp:3128"),
            "trusted-ca",
            "ca-bundle.crt",
            "https://login.microsoftonline.us/");

    /** Cluster-wide settings (operator configuration): pull secrets, proxy, CA bundle, authority host. */
    @Test
    void platformSettingsReachThePod() {
        LinuxImageSpec spec = prepare("builds/app.raw");
        CredentialsSpec creds = CredentialsSpec.workloadIdentity("6e3f2a10-1b2c-4d3e-8f90-a1b2c3d4e5f6");
        creds.getWorkloadIdentity().setServiceAccountName("image-uploader");
        spec.setUpload(new UploadSpec("https://acct.blob.core.usgovcloudapi.net/vhds/app.vhd", creds));
        Job job = JobFactory.build(image("app", 2, spec), DEFAULTS.withPod(PLATFORM));
        Golden.assertMatches("job/platform-settings.yaml", Serialization.asYaml(job));

        PodSpec pod = job.getSpec().getTemplate().getSpec();
        Container c = pod.getContainers().get(0);
        assertThat(pod.getImagePullSecrets()).extracting(r -> r.getName()).containsExactly("registry-pull");
        assertThat(c.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("HTTPS_PROXY");
            assertThat(e.getValue()).isEqualTo("http://proxy.corp:3128");
        });
        assertThat(c.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("AZURE_AUTHORITY_HOST");
            assertThat(e.getValue()).isEqualTo("https://login.microsoftonline.us/");
        });
        assertThat(c.getArgs()).containsSubsequence("--ca-bundle", "/etc/linuximage/ca/ca-bundle.crt");
        Volume ca = volume(pod, "ca-bundle");
        assertThat(ca.getConfigMap().getName()).isEqualTo("trusted-ca");
        assertThat(ca.getConfigMap().getItems().get(0).getKey()).isEqualTo("ca-bundle.crt");
        assertThat(c.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getName()).isEqualTo("ca-bundle");
            assertThat(m.getReadOnly()).isTrue();
        });
        assertRestricted(pod);
        // the core accepts the flags the platform settings add
        var parsed = dev.linuximage.core.cli.CoreCli.commandLine(c.getArgs().toArray(String[]::new))
                .parseArgs(c.getArgs().toArray(String[]::new));
        assertThat(parsed.subcommand().matchedOptionValue("--ca-bundle", (Object) null))
                .isNotNull();
    }

    /** An Audit pod makes no connection: no proxy, no CA bundle, even when configured. */
    @Test
    void auditPodGetsNoNetworkSettings() {
        LinuxImageSpec spec = prepare("builds/web.qcow2");
        spec.setMode(Mode.Audit);
        Job job = JobFactory.build(image("web-audit", 1, spec), DEFAULTS.withPod(PLATFORM));
        PodSpec pod = job.getSpec().getTemplate().getSpec();
        assertThat(pod.getContainers().get(0).getEnv()).isEmpty();
        assertThat(pod.getContainers().get(0).getArgs()).doesNotContain("--ca-bundle");
        assertThat(pod.getVolumes()).noneSatisfy(v -> assertThat(v.getName()).isEqualTo("ca-bundle"));
        // pulling the image still needs the pull secret
        assertThat(pod.getImagePullSecrets()).extracting(r -> r.getName()).containsExactly("registry-pull");
    }

    @Test
    void fsGroupOnlyWhenConfigured() {
        LinuxImageSpec spec = prepare("a.raw");
        assertThat(JobFactory.build(image("a", 1, spec), DEFAULTS)
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getSecurityContext()
                        .getFsGroup())
                .isNull();
        PodSettings withGroup = new PodSettings(65532L, List.of(), java.util.Map.of(), null, null, null);
        assertThat(JobFactory.build(image("a", 1, spec), DEFAULTS.withPod(withGroup))
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getSecurityContext()
                        .getFsGroup())
                .isEqualTo(65532L);
    }

    /** Per-LinuxImage scheduling and metadata: affinity, priority class, extra labels and annotations. */
    @Test
    void podPassthroughFromTheSpec() {
        LinuxImageSpec spec = prepare("a.qcow2");
        spec.getJob().setPriorityClassName("batch-low");
        spec.getJob().setPodLabels(new java.util.LinkedHashMap<>(Map.of("team", "images")));
        spec.getJob()
                .setPodAnnotations(new java.util.LinkedHashMap<>(
                        Map.of("cluster-autoscaler.kubernetes.io/safe-to-evict", "false")));
        spec.getJob()
                .setAffinity(new io.fabric8.kubernetes.api.model.AffinityBuilder()
                        .withNewNodeAffinity()
                        .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                        .addNewNodeSelectorTerm()
                        .addNewMatchExpression()
                        .withKey("topology.kubernetes.io/zone")
                        .withOperator("In")
                        .withValues("westeurope-1")
                        .endMatchExpression()
                        .endNodeSelectorTerm()
                        .endRequiredDuringSchedulingIgnoredDuringExecution()
                        .endNodeAffinity()
                        .build());
        Job job = JobFactory.build(image("a", 1, spec), DEFAULTS);
        Golden.assertMatches("job/pod-passthrough.yaml", Serialization.asYaml(job));
        PodSpec pod = job.getSpec().getTemplate().getSpec();
        assertThat(pod.getPriorityClassName()).isEqualTo("batch-low");
        assertThat(pod.getAffinity().getNodeAffinity()).isNotNull();
        assertThat(job.getSpec().getTemplate().getMetadata().getLabels())
                .containsEntry("team", "images")
                .containsEntry("app.kubernetes.io/managed-by", "linuximage-operator");
        assertThat(job.getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry("cluster-autoscaler.kubernetes.io/safe-to-evict", "false");
        // the Job's own labels (the operator's selector) are not touched by pod labels
        assertThat(job.getMetadata().getLabels()).doesNotContainKey("team");
        assertRestricted(pod);
    }

    /** Even a label the validator would refuse cannot replace the operator's own on the pod: ours are put last. */
    @Test
    void ourPodLabelsWinOverTheSpecs() {
        LinuxImageSpec spec = prepare("a.qcow2");
        spec.getJob()
                .setPodLabels(new java.util.LinkedHashMap<>(
                        Map.of("app.kubernetes.io/managed-by", "someone", "linuximage.dev/generation", "99")));
        Job job = JobFactory.build(image("a", 4, spec), DEFAULTS);
        assertThat(job.getSpec().getTemplate().getMetadata().getLabels())
                .containsEntry("app.kubernetes.io/managed-by", "linuximage-operator")
                .containsEntry("linuximage.dev/generation", "4");
    }

    /**
     * A Block-mode output claim: attached as a writable device, the core writes the VHD onto it in place
     * ({@code --output-in-place}, explicit so a missing device is an error, never a new file on the pod's /dev);
     * no report file (a device has no file system); the Job says so in an annotation for the result's publisher.
     */
    @Test
    void blockModeOutput() {
        LinuxImageSpec spec = prepare("builds/web.qcow2");
        spec.setOutput(new OutputSpec("vm-disk", null));
        Job job = JobFactory.build(image("web", 2, spec), DEFAULTS, false, true);
        Golden.assertMatches("job/block-output.yaml", Serialization.asYaml(job));
        assertThat(JobFactory.outputBlock(job)).isTrue();
        assertThat(JobFactory.outputBlock(JobFactory.build(image("web", 2, spec), DEFAULTS)))
                .isFalse();
        PodSpec pod = job.getSpec().getTemplate().getSpec();
        Container c = pod.getContainers().get(0);
        assertThat(c.getVolumeDevices()).singleElement().satisfies(d -> {
            assertThat(d.getName()).isEqualTo("output");
            assertThat(d.getDevicePath()).isEqualTo("/dev/linuximage-output");
        });
        assertThat(c.getVolumeMounts()).noneSatisfy(m -> assertThat(m.getName()).isEqualTo("output"));
        assertThat(volume(pod, "output").getPersistentVolumeClaim().getClaimName())
                .isEqualTo("vm-disk");
        assertThat(volume(pod, "output").getPersistentVolumeClaim().getReadOnly())
                .isFalse();
        assertThat(volume(pod, "source").getPersistentVolumeClaim().getReadOnly())
                .isTrue();
        assertThat(c.getArgs())
                .containsSubsequence(
                        "prepare",
                        "/disks/source/builds/web.qcow2",
                        "--output",
                        "/dev/linuximage-output",
                        "--output-in-place")
                .doesNotContain("--report");
        assertRestricted(pod);
        var parsed = dev.linuximage.core.cli.CoreCli.commandLine(c.getArgs().toArray(String[]::new))
                .parseArgs(c.getArgs().toArray(String[]::new));
        assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("prepare");

        // device to device (a CDI import from one Block volume to another)
        LinuxImageSpec both = prepare(null);
        both.setOutput(new OutputSpec("vm-disk", null));
        Container d = JobFactory.build(image("web", 1, both), DEFAULTS, true, true)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
        assertThat(d.getVolumeDevices())
                .extracting(v -> v.getName() + "=" + v.getDevicePath())
                .containsExactly("source=/dev/linuximage-source", "output=/dev/linuximage-output");
        assertThat(d.getVolumeMounts()).extracting(m -> m.getName()).containsExactly("tmp");
        assertThat(d.getArgs()).startsWith("prepare", "/dev/linuximage-source", "--output", "/dev/linuximage-output");
    }

    /** A Block-mode source claim: attached as a device, the core reads the device; the output on its own claim. */
    @Test
    void blockModeSource() {
        LinuxImageSpec spec = prepare(null);
        spec.setOutput(new OutputSpec("vhds", "out/web.vhd"));
        spec.setUpload(new UploadSpec(BLOB, CredentialsSpec.secret("storage")));
        Job job = JobFactory.build(image("web", 2, spec), DEFAULTS, true);
        Golden.assertMatches("job/block-source.yaml", Serialization.asYaml(job));
        PodSpec pod = job.getSpec().getTemplate().getSpec();
        Container c = pod.getContainers().get(0);
        assertThat(c.getVolumeDevices()).singleElement().satisfies(d -> {
            assertThat(d.getName()).isEqualTo("source");
            assertThat(d.getDevicePath()).isEqualTo("/dev/linuximage-source");
        });
        assertThat(c.getVolumeMounts()).noneSatisfy(m -> assertThat(m.getName()).isEqualTo("source"));
        assertThat(volume(pod, "source").getPersistentVolumeClaim().getReadOnly())
                .isTrue();
        assertThat(c.getArgs())
                .containsSubsequence(
                        "prepare",
                        "/dev/linuximage-source",
                        "--output",
                        "/disks/output/out/web.vhd",
                        "--report",
                        "/disks/output/out/web.report.json");
        assertRestricted(pod);
        var parsed = dev.linuximage.core.cli.CoreCli.commandLine(c.getArgs().toArray(String[]::new))
                .parseArgs(c.getArgs().toArray(String[]::new));
        assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("prepare");

        LinuxImageSpec audit = prepare(null);
        audit.setMode(Mode.Audit);
        Container a = JobFactory.build(image("web", 1, audit), DEFAULTS, true)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
        assertThat(a.getArgs()).startsWith("check", "/dev/linuximage-source");
        assertThat(a.getVolumeDevices()).hasSize(1);
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream()
                .filter(v -> v.getName().equals(name))
                .findFirst()
                .orElseThrow();
    }

    /** The restricted Pod Security Standard, field by field, plus no API token. */
    static void assertRestricted(PodSpec pod) {
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        // no pinned IDs: OpenShift's restricted-v2 SCC assigns them from the namespace's range and refuses others
        assertThat(pod.getSecurityContext().getRunAsUser()).isNull();
        assertThat(pod.getSecurityContext().getRunAsGroup()).isNull();
        assertThat(pod.getSecurityContext().getSupplementalGroups()).isNullOrEmpty();
        assertThat(pod.getPriorityClassName())
                .satisfiesAnyOf(p -> assertThat(p).isNull(), p -> assertThat(p).doesNotStartWith("system-"));
        assertThat(pod.getHostIPC()).isNull();
        assertThat(pod.getServiceAccountName())
                .satisfiesAnyOf(
                        n -> assertThat(n).isNull(),
                        n -> assertThat(pod.getContainers().get(0).getArgs()).contains("--workload-identity"));
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getHostNetwork()).isNull();
        assertThat(pod.getHostPID()).isNull();
        assertThat(pod.getRestartPolicy()).isEqualTo("Never");
        for (Container c : pod.getContainers()) {
            assertThat(c.getSecurityContext().getRunAsUser()).isNull();
            assertThat(c.getSecurityContext().getRunAsGroup()).isNull();
            assertThat(c.getSecurityContext().getPrivileged()).isNotEqualTo(Boolean.TRUE);
            assertThat(c.getPorts()).allSatisfy(p -> assertThat(p.getHostPort()).isNull());
            assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
            assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
            assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
            assertThat(c.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
            assertThat(c.getTerminationMessagePolicy()).isEqualTo("FallbackToLogsOnError");
        }
        assertThat(pod.getVolumes()).allSatisfy(v -> assertThat(v.getHostPath()).isNull());
    }
}
