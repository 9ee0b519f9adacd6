package dev.linuximage.operator.job;

import dev.linuximage.core.report.ExitCodes;
import dev.linuximage.operator.api.v1alpha1.CredentialType;
import dev.linuximage.operator.api.v1alpha1.CredentialsSpec;
import dev.linuximage.operator.api.v1alpha1.GuestSpec;
import dev.linuximage.operator.api.v1alpha1.JobSettings;
import dev.linuximage.operator.api.v1alpha1.KernelArgsSpec;
import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.Mode;
import dev.linuximage.operator.api.v1alpha1.OutputSpec;
import dev.linuximage.operator.api.v1alpha1.SecretRefSpec;
import dev.linuximage.operator.api.v1alpha1.WorkloadIdentitySpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeDevice;
import io.fabric8.kubernetes.api.model.VolumeDeviceBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the Job of a LinuxImage's current generation. Pure: the same LinuxImage and defaults give the same Job.
 * <p>
 * The pod satisfies the restricted Pod Security Standard and gets no Kubernetes API token. Credentials reach it only
 * as files: a Secret volume (never an environment variable or an argument), or for workload identity a projected
 * token whose audience is Azure AD's token exchange, useless against the Kubernetes API.
 */
public final class JobFactory {

    public static final String CONTAINER = "linuximage";
    public static final String TERMINATION_LOG = "/dev/termination-log";
    public static final String CREDENTIALS_MOUNT = "/var/run/linuximage/credentials";
    public static final String AZURE_TOKEN_MOUNT = "/var/run/secrets/azure/tokens";
    public static final String AZURE_TOKEN_FILE = "azure-identity-token";
    public static final String AZURE_TOKEN_AUDIENCE = "api://AzureADTokenExchange";
    /** Where the CA bundle ConfigMap's key is mounted (read-only) and read by the core ({@code --ca-bundle}). */
    public static final String CA_BUNDLE_MOUNT = "/etc/linuximage/ca";
    /** Exit codes a retry cannot fix: usage, bad input, not compliant (named by the core's error contract). */
    static final List<Integer> NON_RETRIABLE_EXIT_CODES = ExitCodes.NON_RETRIABLE;

    private JobFactory() {}

    public static Job build(LinuxImage image, JobDefaults defaults) {
        return build(image, defaults, false);
    }

    /**
     * @param sourceBlock whether the source claim has {@code volumeMode: Block} (the operator reads the claim): it
     *                    is attached as a device ({@code volumeDevices}) and the core reads the device
     */
    public static Job build(LinuxImage image, JobDefaults defaults, boolean sourceBlock) {
        return build(image, defaults, sourceBlock, false);
    }

    /** A Job's annotation, {@code "Block"} when the output claim is a Block volume (see {@link #outputBlock}). */
    public static final String OUTPUT_VOLUME_MODE_ANNOTATION = "linuximage.dev/output-volume-mode";

    /**
     * @param sourceBlock whether the source claim has {@code volumeMode: Block}
     * @param outputBlock whether a separate output claim has {@code volumeMode: Block}: it is attached as a device
     *                    ({@code volumeDevices}, writable) and the core writes the VHD onto it in place; no report
     *                    file (the Job is annotated {@value #OUTPUT_VOLUME_MODE_ANNOTATION}, so the result's
     *                    publisher knows no copy is on the claim)
     */
    public static Job build(LinuxImage image, JobDefaults defaults, boolean sourceBlock, boolean outputBlock) {
        LinuxImageSpec spec = image.getSpec();
        long generation = image.getMetadata().getGeneration() == null
                ? 1
                : image.getMetadata().getGeneration();
        String name = JobNames.forGeneration(image.getMetadata().getName(), generation);
        JobSettings job = spec.getJob() == null ? new JobSettings() : spec.getJob();
        Locations loc = Locations.of(spec, sourceBlock, outputBlock);
        PodSettings pod = defaults.pod();
        Map<String, String> labels = labels(image, generation);
        // the spec's extra labels first: the operator's own are put over them (SpecValidator refuses reserved keys)
        Map<String, String> podLabels =
                new LinkedHashMap<>(nonEmpty(job.getPodLabels()) ? job.getPodLabels() : Map.of());
        podLabels.putAll(labels);
        WorkloadIdentitySpec wi = workloadIdentity(spec);
        if (wi != null) {
            podLabels.put(JobLabels.AZURE_WORKLOAD_IDENTITY, "true");
        }
        return new JobBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(image.getMetadata().getNamespace())
                .withLabels(labels)
                .withAnnotations(loc.outputBlock() ? Map.of(OUTPUT_VOLUME_MODE_ANNOTATION, "Block") : null)
                .withOwnerReferences(ownerReference(image))
                .endMetadata()
                .withNewSpec()
                .withBackoffLimit(job.getBackoffLimit() != null ? job.getBackoffLimit() : defaults.backoffLimit())
                .withActiveDeadlineSeconds(
                        job.getActiveDeadlineSeconds() != null
                                ? job.getActiveDeadlineSeconds()
                                : defaults.activeDeadlineSeconds())
                .withTtlSecondsAfterFinished(defaults.ttlSecondsAfterFinished())
                .withPodFailurePolicy(new PodFailurePolicyBuilder()
                        .addNewRule()
                        .withAction("FailJob")
                        .withNewOnExitCodes()
                        .withContainerName(CONTAINER)
                        .withOperator("In")
                        .withValues(NON_RETRIABLE_EXIT_CODES)
                        .endOnExitCodes()
                        .endRule()
                        .addNewRule()
                        .withAction("Ignore")
                        .addNewOnPodCondition()
                        .withType("DisruptionTarget")
                        .withStatus("True")
                        .endOnPodCondition()
                        .endRule()
                        .build())
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(podLabels)
                .withAnnotations(
                        nonEmpty(job.getPodAnnotations()) ? new LinkedHashMap<>(job.getPodAnnotations()) : null)
                .endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .withServiceAccountName(wi != null ? wi.getServiceAccountName() : null)
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                // No runAsUser/runAsGroup: the image's numeric USER applies, or the platform assigns
                // one (OpenShift's restricted-v2 SCC refuses a UID outside the namespace's range).
                // runAsNonRoot makes the kubelet refuse UID 0 either way.
                .withSecurityContext(new PodSecurityContextBuilder()
                        .withRunAsNonRoot(true)
                        .withFsGroup(pod.fsGroup())
                        .withNewSeccompProfile()
                        .withType("RuntimeDefault")
                        .endSeccompProfile()
                        .build())
                .withImagePullSecrets(
                        pod.imagePullSecrets().isEmpty()
                                ? null
                                : pod.imagePullSecrets().stream()
                                        .map(n -> new LocalObjectReference(n))
                                        .toList())
                .withPriorityClassName(job.getPriorityClassName())
                .withAffinity(job.getAffinity())
                .withNodeSelector(
                        job.getNodeSelector() == null || job.getNodeSelector().isEmpty() ? null : job.getNodeSelector())
                .withTolerations(
                        job.getTolerations() == null || job.getTolerations().isEmpty() ? null : job.getTolerations())
                .withContainers(container(image, job, defaults, generation, loc))
                .withVolumes(volumes(spec, defaults, loc))
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    static Map<String, String> labels(LinuxImage image, long generation) {
        Map<String, String> labels = new LinkedHashMap<>();
        String value = JobNames.labelValue(image.getMetadata().getName());
        labels.put(JobLabels.NAME, JobLabels.APP);
        labels.put(JobLabels.INSTANCE, value);
        labels.put(JobLabels.COMPONENT, image.getSpec().getMode() == Mode.Audit ? "audit" : "prepare");
        labels.put(JobLabels.MANAGED_BY, JobLabels.OPERATOR);
        labels.put(JobLabels.PART_OF, JobLabels.OPERATOR);
        labels.put(JobLabels.LINUXIMAGE, value);
        labels.put(JobLabels.GENERATION, Long.toString(generation));
        return labels;
    }

    /** Controller reference: the garbage collector deletes the Job (and its pods) with the LinuxImage. */
    static OwnerReference ownerReference(LinuxImage image) {
        return new OwnerReferenceBuilder()
                .withApiVersion(image.getApiVersion())
                .withKind(image.getKind())
                .withName(image.getMetadata().getName())
                .withUid(image.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    static Container container(
            LinuxImage image, JobSettings job, JobDefaults defaults, long generation, Locations loc) {
        LinuxImageSpec spec = image.getSpec();
        List<String> args = args(spec, loc, generation, image.getMetadata().getUid(), defaults.allowedBlobHosts());
        if (caBundle(spec, defaults)) {
            args.add("--ca-bundle");
            args.add(CA_BUNDLE_MOUNT + "/" + PodSettings.DEFAULT_CA_KEY);
        }
        return new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(job.getImage() != null ? job.getImage() : defaults.image())
                .withImagePullPolicy("IfNotPresent")
                .withArgs(args)
                .withEnv(env(spec, defaults.pod()))
                .withResources(resources(job.getResources(), defaults))
                .withVolumeMounts(mounts(spec, loc, caBundle(spec, defaults)))
                .withVolumeDevices(devices(loc))
                .withTerminationMessagePath(TERMINATION_LOG)
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .withSecurityContext(new SecurityContextBuilder()
                        .withAllowPrivilegeEscalation(false)
                        .withPrivileged(false)
                        .withReadOnlyRootFilesystem(true)
                        .withRunAsNonRoot(true)
                        .withNewCapabilities()
                        .withDrop("ALL")
                        .endCapabilities()
                        .build())
                .build();
    }

    /** The Block claims, as devices (a volumeDevice has no readOnly: the claim's volume carries it). */
    private static List<VolumeDevice> devices(Locations loc) {
        List<VolumeDevice> d = new ArrayList<>();
        if (loc.sourceBlock()) {
            d.add(new VolumeDeviceBuilder()
                    .withName("source")
                    .withDevicePath(Locations.SOURCE_DEVICE)
                    .build());
        }
        if (loc.outputBlock()) {
            d.add(new VolumeDeviceBuilder()
                    .withName("output")
                    .withDevicePath(Locations.OUTPUT_DEVICE)
                    .build());
        }
        return d.isEmpty() ? null : d;
    }

    /** Whether {@code job} writes onto a Block output claim (its {@value #OUTPUT_VOLUME_MODE_ANNOTATION}). */
    public static boolean outputBlock(Job job) {
        return job != null
                && job.getMetadata() != null
                && job.getMetadata().getAnnotations() != null
                && "Block".equals(job.getMetadata().getAnnotations().get(OUTPUT_VOLUME_MODE_ANNOTATION));
    }

    /**
     * The core command line: {@code prepare} (or {@code check} in Audit mode) and the flags the spec implies.
     *
     * @param owner      the LinuxImage's uid: the blob's fencing identity ({@code --fence-owner})
     * @param blobHosts  the blob host allow-list the core enforces before sending a credential
     */
    public static List<String> args(LinuxImageSpec spec, long generation, String owner, List<String> blobHosts) {
        return args(spec, Locations.of(spec), generation, owner, blobHosts);
    }

    static List<String> args(
            LinuxImageSpec spec, Locations loc, long generation, String owner, List<String> blobHosts) {
        boolean audit = spec.getMode() == Mode.Audit;
        OutputSpec out = spec.getOutput();
        boolean stream = !audit && out != null && Boolean.TRUE.equals(out.getStreamToUpload());
        List<String> a = new ArrayList<>();
        a.add(audit ? "check" : "prepare");
        a.add(loc.sourceInPod());
        if (spec.getSource().getFormat() != null) {
            a.add("--format");
            a.add(spec.getSource().getFormat());
        }
        if (spec.getSource().getOvaDisk() != null) {
            a.add("--ova-disk");
            a.add(spec.getSource().getOvaDisk());
        }
        if (!audit) {
            if (!stream) {
                a.add("--output");
                a.add(loc.outputInPod());
                if (loc.outputBlock()) {
                    // explicit, though the core detects a device: a missing device is an error, never a new file
                    a.add("--output-in-place");
                }
            }
            if (loc.reportInPod() != null) {
                a.add("--report");
                a.add(loc.reportInPod());
            }
        }
        a.add("--termination-log");
        a.add(TERMINATION_LOG);
        guestArgs(spec.getGuest() == null ? new GuestSpec() : spec.getGuest(), a);
        if (!audit && spec.getUpload() != null) {
            if (stream) {
                a.add("--stream-to-upload");
            }
            a.add("--blob-url");
            a.add(spec.getUpload().getBlobUrl());
            for (String host : blobHosts) {
                a.add("--allowed-blob-host");
                a.add(host);
            }
            if (owner != null) {
                a.add("--fence-owner");
                a.add(owner);
            }
            if (Boolean.TRUE.equals(spec.getUpload().getOverwrite())) {
                a.add("--take-over");
            }
            CredentialsSpec c = spec.getUpload().getCredentials();
            if (c.getSecretRef() != null) {
                boolean sas = c.getSecretRef().getType() != CredentialType.ConnectionString;
                a.add(sas ? "--sas-file" : "--connection-string-file");
                a.add(CREDENTIALS_MOUNT + "/" + credentialFile(c.getSecretRef()));
            } else {
                a.add("--workload-identity");
            }
        }
        if (!audit) {
            // prepare only: fencing guards the output and the blob; check writes nothing and refuses the flag
            a.add("--fence-generation");
            a.add(Long.toString(generation));
        }
        return a;
    }

    private static void guestArgs(GuestSpec g, List<String> a) {
        a.add("--image-kind");
        a.add(String.valueOf(g.getImageKind()));
        a.add("--provisioning");
        a.add(String.valueOf(g.getProvisioning()));
        a.add("--resource-disk-swap-mib");
        a.add(String.valueOf(g.getResourceDiskSwapMiB() == null ? 2048 : g.getResourceDiskSwapMiB()));
        a.add("--hyperv-drivers=" + !Boolean.FALSE.equals(g.getHyperVDrivers()));
        KernelArgsSpec k = g.getKernelArgs();
        if (k != null) {
            if (k.getAdd() != null) {
                k.getAdd().forEach(x -> {
                    a.add("--kernel-arg-add");
                    a.add(x);
                });
            }
            if (k.getRemove() != null) {
                k.getRemove().forEach(x -> {
                    a.add("--kernel-arg-remove");
                    a.add(x);
                });
            }
            if (Boolean.TRUE.equals(k.getKeepCrashkernel())) {
                a.add("--keep-crashkernel");
            }
        }
        if (g.getDeprovision() != null && g.getDeprovision().getRemoveUsers() != null) {
            g.getDeprovision().getRemoveUsers().forEach(u -> {
                a.add("--remove-user");
                a.add(u);
            });
        }
        if (g.getAllowUnknown() != null) {
            g.getAllowUnknown().forEach(id -> {
                a.add("--allow-unknown");
                a.add(id);
            });
        }
    }

    /** The file name the credential gets in the pod: the flag says what it is, the file name matches it. */
    static String credentialFile(SecretRefSpec ref) {
        return ref.getType() == CredentialType.ConnectionString ? "connection-string" : "sas";
    }

    /** Whether the pod gets the operator's CA bundle: only a pod that uploads makes TLS connections. */
    private static boolean caBundle(LinuxImageSpec spec, JobDefaults defaults) {
        return defaults.pod().caBundleConfigMap() != null && spec.getMode() != Mode.Audit && spec.getUpload() != null;
    }

    private static boolean nonEmpty(Map<String, String> m) {
        return m != null && !m.isEmpty();
    }

    private static List<EnvVar> env(LinuxImageSpec spec, PodSettings pod) {
        List<EnvVar> env = new ArrayList<>();
        boolean uploads = spec.getMode() != Mode.Audit && spec.getUpload() != null;
        if (uploads) {
            // azure-core reads these for every request (Storage and Entra ID); an Audit pod makes no connection
            pod.proxyEnv().forEach((k, v) -> env.add(new EnvVar(k, v, null)));
        }
        WorkloadIdentitySpec wi = workloadIdentity(spec);
        if (wi == null) {
            return env;
        }
        // Set explicitly so the pod works without the workload identity webhook; the webhook, when installed,
        // keeps variables already present and only adds the missing ones (e.g. AZURE_TENANT_ID).
        env.add(new EnvVar("AZURE_CLIENT_ID", wi.getClientId(), null));
        if (wi.getTenantId() != null) {
            env.add(new EnvVar("AZURE_TENANT_ID", wi.getTenantId(), null));
        }
        env.add(new EnvVar("AZURE_FEDERATED_TOKEN_FILE", AZURE_TOKEN_MOUNT + "/" + AZURE_TOKEN_FILE, null));
        // the operator's configuration only: the federated token goes there, so no LinuxImage may choose it
        env.add(new EnvVar("AZURE_AUTHORITY_HOST", pod.azureAuthorityHost(), null));
        return env;
    }

    private static List<VolumeMount> mounts(LinuxImageSpec spec, Locations loc, boolean caBundle) {
        boolean audit = spec.getMode() == Mode.Audit;
        List<VolumeMount> m = new ArrayList<>();
        // The source is read-only unless the output goes to the same claim. A Block source is a device instead.
        boolean sourceReadOnly = audit || loc.separateClaim();
        if (!loc.sourceBlock()) {
            m.add(mount("source", Locations.SOURCE_MOUNT, sourceReadOnly));
        }
        if (loc.separateClaim() && !loc.outputBlock()) {
            m.add(mount("output", Locations.OUTPUT_MOUNT, false));
        }
        m.add(mount("tmp", "/tmp", false));
        if (!audit && spec.getUpload() != null) {
            if (spec.getUpload().getCredentials().getSecretRef() != null) {
                m.add(mount("credentials", CREDENTIALS_MOUNT, true));
            } else {
                m.add(mount(AZURE_TOKEN_FILE, AZURE_TOKEN_MOUNT, true));
            }
        }
        if (caBundle) {
            m.add(mount("ca-bundle", CA_BUNDLE_MOUNT, true));
        }
        return m;
    }

    private static VolumeMount mount(String name, String path, boolean readOnly) {
        return new VolumeMountBuilder()
                .withName(name)
                .withMountPath(path)
                .withReadOnly(readOnly)
                .build();
    }

    private static List<Volume> volumes(LinuxImageSpec spec, JobDefaults defaults, Locations loc) {
        boolean audit = spec.getMode() == Mode.Audit;
        List<Volume> v = new ArrayList<>();
        v.add(new VolumeBuilder()
                .withName("source")
                .withNewPersistentVolumeClaim(loc.sourceClaim(), audit || loc.separateClaim())
                .build());
        if (loc.separateClaim()) {
            v.add(new VolumeBuilder()
                    .withName("output")
                    .withNewPersistentVolumeClaim(loc.outputClaim(), false)
                    .build());
        }
        v.add(new VolumeBuilder()
                .withName("tmp")
                .withNewEmptyDir()
                .withSizeLimit(new Quantity(defaults.tmpSizeLimit()))
                .endEmptyDir()
                .build());
        if (!audit && spec.getUpload() != null) {
            SecretRefSpec ref = spec.getUpload().getCredentials().getSecretRef();
            if (ref != null) {
                // optional: a missing Secret or key does not leave the pod stuck in ContainerCreating; the core
                // finds no file and reports MissingCredentials, and the operator needs no access to Secrets.
                v.add(new VolumeBuilder()
                        .withName("credentials")
                        .withNewSecret()
                        .withSecretName(ref.getName())
                        .addNewItem()
                        .withKey(ref.effectiveKey())
                        .withPath(credentialFile(ref))
                        .endItem()
                        .withDefaultMode(0440)
                        .withOptional(true)
                        .endSecret()
                        .build());
            } else {
                v.add(new VolumeBuilder()
                        .withName(AZURE_TOKEN_FILE)
                        .withNewProjected()
                        .addNewSource()
                        .withNewServiceAccountToken()
                        .withAudience(AZURE_TOKEN_AUDIENCE)
                        .withExpirationSeconds(3600L)
                        .withPath(AZURE_TOKEN_FILE)
                        .endServiceAccountToken()
                        .endSource()
                        .withDefaultMode(0440)
                        .endProjected()
                        .build());
            }
        }
        if (caBundle(spec, defaults)) {
            // not optional: a missing ConfigMap keeps the pod in ContainerCreating with a FailedMount event, which the
            // status shows, rather than an upload failing later on an untrusted certificate
            v.add(new VolumeBuilder()
                    .withName("ca-bundle")
                    .withNewConfigMap()
                    .withName(defaults.pod().caBundleConfigMap())
                    .addNewItem()
                    .withKey(defaults.pod().caBundleKey())
                    .withPath(PodSettings.DEFAULT_CA_KEY)
                    .endItem()
                    .withDefaultMode(0444)
                    .endConfigMap()
                    .build());
        }
        return v;
    }

    static ResourceRequirements resources(ResourceRequirements custom, JobDefaults d) {
        if (custom != null
                && ((custom.getRequests() != null && !custom.getRequests().isEmpty())
                        || (custom.getLimits() != null && !custom.getLimits().isEmpty()))) {
            return custom;
        }
        // No CPU limit: throttling only slows the conversion; memory is bounded by design and limited here.
        return new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity(d.cpuRequest()))
                .addToRequests("memory", new Quantity(d.memoryRequest()))
                .addToLimits("memory", new Quantity(d.memoryLimit()))
                .build();
    }

    private static WorkloadIdentitySpec workloadIdentity(LinuxImageSpec spec) {
        return spec.getMode() != Mode.Audit
                        && spec.getUpload() != null
                        && spec.getUpload().getCredentials() != null
                ? spec.getUpload().getCredentials().getWorkloadIdentity()
                : null;
    }
}
