package dev.linuximage.operator.job;

import dev.linuximage.core.upload.BlobHostAllowList;
import java.util.List;
import java.util.Objects;

/**
 * Operator-wide defaults for the Jobs, from configuration ({@code linuximage.job.*}); a LinuxImage's
 * {@code spec.job} overrides them.
 *
 * @param image                   the Job's image (the operator's own image by default)
 * @param cpuRequest              e.g. {@code 500m}
 * @param memoryRequest           e.g. {@code 512Mi}
 * @param memoryLimit             e.g. {@code 1Gi}
 * @param activeDeadlineSeconds   Job deadline
 * @param backoffLimit            pod retries
 * @param ttlSecondsAfterFinished how long a finished Job stays (its result is in the status already)
 * @param tmpSizeLimit            size limit of the pod's {@code /tmp} (emptyDir; the root file system is
 *                                read-only)
 * @param allowedBlobHosts        the blob host allow-list, passed to the core ({@code --allowed-blob-host}), which
 *                                refuses to send credentials anywhere else
 * @param pod                     cluster-wide pod settings (fsGroup, pull secrets, proxy, CA bundle, authority)
 */
public record JobDefaults(
        String image,
        String cpuRequest,
        String memoryRequest,
        String memoryLimit,
        long activeDeadlineSeconds,
        int backoffLimit,
        int ttlSecondsAfterFinished,
        String tmpSizeLimit,
        List<String> allowedBlobHosts,
        PodSettings pod) {
    public JobDefaults {
        Objects.requireNonNull(image, "image");
        allowedBlobHosts = List.copyOf(allowedBlobHosts);
        pod = pod == null ? PodSettings.none() : pod;
    }

    public JobDefaults(
            String image,
            String cpuRequest,
            String memoryRequest,
            String memoryLimit,
            long activeDeadlineSeconds,
            int backoffLimit,
            int ttlSecondsAfterFinished,
            String tmpSizeLimit,
            List<String> allowedBlobHosts) {
        this(
                image,
                cpuRequest,
                memoryRequest,
                memoryLimit,
                activeDeadlineSeconds,
                backoffLimit,
                ttlSecondsAfterFinished,
                tmpSizeLimit,
                allowedBlobHosts,
                PodSettings.none());
    }

    /** These defaults with other pod settings. */
    public JobDefaults withPod(PodSettings settings) {
        return new JobDefaults(
                image,
                cpuRequest,
                memoryRequest,
                memoryLimit,
                activeDeadlineSeconds,
                backoffLimit,
                ttlSecondsAfterFinished,
                tmpSizeLimit,
                allowedBlobHosts,
                settings);
    }

    /** Defaults used in tests and documented in docs/operator.md (blob hosts: Azure's). */
    public static JobDefaults standard(String image) {
        return new JobDefaults(image, "500m", "512Mi", "1Gi", 21600, 1, 86400, "1Gi", BlobHostAllowList.AZURE_DEFAULTS);
    }
}
