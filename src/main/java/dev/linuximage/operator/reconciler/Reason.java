package dev.linuximage.operator.reconciler;

import dev.linuximage.core.report.ResultReasons;

/**
 * Every reason the operator writes: condition reasons and event reasons alike (one vocabulary, so an event and the
 * condition it announces always agree). {@link #warning} reasons are failures and raise Warning events.
 */
public enum Reason {
    // --- progress and success
    /** The Job exists and waits for its pod. */
    Pending(false),
    /** The Job's pod is running. */
    Running(false),
    /** The Job of this generation was created. */
    JobCreated(false),
    /** Everything asked was done (Ready), or this stage was done (stage conditions). */
    Succeeded(false),
    /** The compliance check found no failed requirement. */
    Compliant(false),
    /** The spec does not ask for this stage (e.g. no upload, or Audit mode). */
    NotRequested(false),
    /** An earlier stage failed, so this one did not run. */
    NotReached(false),

    // --- errors a retry cannot fix: Ready=False, Warning event, no retry until the spec (or the cluster) changes
    /** The spec breaks a rule the API server should have enforced (CEL rules are not everywhere). */
    InvalidSpec(true),
    /** A PersistentVolumeClaim named in the spec does not exist (rechecked slowly: it may be applied later). */
    MissingClaim(true),
    /** The source file is not on the claim. */
    SourceNotFound(true),
    /** The credentials file was missing in the pod: the Secret or its key does not exist. */
    MissingCredentials(true),
    /** The disk or its guest uses something the core refuses. */
    UnsupportedImage(true),
    /** A structure of the disk or its guest fails validation (bad magic, checksum, field out of range, a loop). */
    CorruptImage(true),
    /** At least one requirement failed and was not repaired (and spec.strict is true). */
    NotCompliant(true),
    /** The storage service refused the credentials. */
    UploadUnauthorized(true),
    /** The core refused the command line the operator built: a bug or a version skew between the two. */
    InvalidArguments(true),
    /** A newer generation owns the output. */
    Superseded(true),
    /** A Job with this generation's name exists and is not this LinuxImage's (rechecked slowly). */
    JobNameConflict(true),

    // --- refused by the operator's security policy (issue 12); no Job is created
    /** spec.job.image is not the operator's image nor in linuximage.security.allowed-job-images. */
    ImageNotAllowed(true),
    /** The blob URL's host is not in linuximage.security.allowed-blob-hosts (or the core's list refused it). */
    BlobHostNotAllowed(true),
    /** The workload-identity ServiceAccount has not opted in (annotation linuximage.dev/allow-use) (rechecked). */
    ServiceAccountNotAllowed(true),
    /** An older LinuxImage names the same blob (rechecked slowly: it may go away). */
    BlobConflict(true),
    /** The blob belongs to another LinuxImage uid (e.g. a deleted predecessor); spec.upload.overwrite takes it. */
    BlobOwnedByOther(true),

    // --- the Job's pod cannot start or run (issue 16.2 / 13): Ready=False and Running=False while the Job is active,
    // one Warning event; cleared when the pod runs. Kubernetes keeps trying, so these are not final: the Job's
    // activeDeadlineSeconds ends it if nobody fixes the cause. Names follow the kubelet's and the scheduler's reasons.
    /** The image cannot be pulled: kubelet waiting reason ErrImagePull, ImagePullBackOff or ErrImageNeverPull. */
    ImagePullBackOff(true),
    /** The image reference cannot be parsed (kubelet waiting reason InvalidImageName). */
    InvalidImageName(true),
    /** The container's configuration cannot be built, e.g. a missing Secret or runAsNonRoot with a root image. */
    CreateContainerConfigError(true),
    /** The container runtime refused to create the container. */
    CreateContainerError(true),
    /** The container runtime refused to start the container. */
    RunContainerError(true),
    /** The container keeps failing and the kubelet backs off restarting it. */
    CrashLoopBackOff(true),
    /** The scheduler finds no node for the pod (PodScheduled=False, reason Unschedulable). */
    Unschedulable(true),
    /** The pod is unschedulable while a claim it mounts is not bound (phase Pending). */
    PersistentVolumeClaimPending(true),
    /** The Job controller cannot create the pod (Job event FailedCreate: quota, admission, PodSecurity). */
    FailedCreate(true),
    /** The pod's volumes cannot be attached, e.g. a ReadWriteOnce disk still used on another node (Multi-Attach). */
    FailedAttachVolume(true),
    /** The kubelet cannot mount the pod's volumes (pod event FailedMount). */
    FailedMount(true),
    /** A pod of the Job failed and the Job runs (or will create) another one within its backoffLimit. */
    Retrying(true),
    /** The operator itself failed to reconcile after all its retries (an API error; see the message). */
    ReconcileError(true),

    // --- Job failures
    /** The upload failed (network, service). */
    UploadFailed(true),
    /** The volume receiving the output filled up (the Job may retry; a larger claim or freed space fixes it). */
    OutputVolumeFull(true),
    /** The Job ran past its activeDeadlineSeconds. */
    DeadlineExceeded(true),
    /** The Job failed without a result the operator knows (see the message). */
    JobFailed(true),
    /** The Job finished but its termination message is not a result of the expected schema. */
    ResultUnreadable(true);

    private final boolean warning;

    Reason(boolean warning) {
        this.warning = warning;
    }

    public boolean isWarning() {
        return warning;
    }

    /**
     * A refusal the operator looks at again after its recheck interval, because the cluster (not the spec) may
     * change the answer: Reconciling=True rather than Stalled.
     */
    public boolean isRechecked() {
        return this == MissingClaim
                || this == ServiceAccountNotAllowed
                || this == BlobConflict
                || this == JobNameConflict;
    }

    /** The event type Kubernetes expects. */
    public String eventType() {
        return warning ? "Warning" : "Normal";
    }

    /** Maps a reason of the core's result ({@link ResultReasons}) to ours; an unknown one is a generic failure. */
    public static Reason fromResult(String resultReason) {
        if (resultReason == null) {
            return JobFailed;
        }
        for (Reason r : values()) {
            if (r.warning && r.name().equals(resultReason)) {
                return r;
            }
        }
        return ResultReasons.SUCCEEDED.equals(resultReason) ? Succeeded : JobFailed;
    }
}
