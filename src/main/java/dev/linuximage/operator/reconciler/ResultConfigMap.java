package dev.linuximage.operator.reconciler;

import dev.linuximage.core.report.JobResult;
import dev.linuximage.core.report.JobResultCodec;
import dev.linuximage.operator.api.v1alpha1.LinuxImage;
import dev.linuximage.operator.api.v1alpha1.ReportRef;
import dev.linuximage.operator.job.JobLabels;
import dev.linuximage.operator.job.JobNames;
import dev.linuximage.operator.job.Locations;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Pure: the ConfigMap that publishes a run's result for other tools ({@code status.reportRef}), owned by the
 * LinuxImage (controller owner reference: Kubernetes' garbage collector deletes it with the LinuxImage).
 *
 * <p>What it holds is the result the pod handed back (the termination message, schema
 * {@code linuximage.dev/result/v1}: outcome, reason, stage flags, every status count, the non-Pass findings, OS,
 * generations, output, upload), re-serialised by {@link JobResultCodec#write}, so at most
 * {@link JobResultCodec#MAX_BYTES} bytes: far below a ConfigMap's 1 MiB, without a cut of its own. The full report
 * (every finding with all its evidence) stays where the pod wrote it, on the output claim; its {@code claim:path}
 * is the {@code fullReport} key. The operator never reads the claim (it has no mount and no such right).
 *
 * <p>One immutable ConfigMap per run ({@code <job name>-result}), created once and never updated: the operator needs
 * {@code create} and {@code get} on ConfigMaps, not {@code update} (which, cluster-wide, would let it rewrite any
 * ConfigMap of the cluster, e.g. EKS' {@code aws-auth}) nor {@code delete}. The ConfigMaps of earlier runs stay until
 * the LinuxImage is deleted (one per spec generation or rerun, each at most ~5 KiB).
 */
public final class ResultConfigMap {

    /** Data key of the result JSON. */
    public static final String RESULT_KEY = "result.json";
    /** Data key of the full report's {@code claim:path}. */
    public static final String FULL_REPORT_KEY = "fullReport";

    public static final String JOB_ANNOTATION = "linuximage.dev/job-name";
    /** A ConfigMap's data may not exceed 1 MiB (Kubernetes "ConfigMaps" concept page). */
    static final int CONFIGMAP_MAX_BYTES = 1 << 20;

    private ResultConfigMap() {}

    public static ReportRef ref(LinuxImage image, String jobName) {
        return new ReportRef(
                JobNames.resultConfigMap(jobName),
                RESULT_KEY,
                Locations.of(image.getSpec()).reportForStatus());
    }

    /** The ConfigMap for the result of Job {@code jobName}. */
    public static ConfigMap build(LinuxImage image, String jobName, JobResult result) {
        ReportRef ref = ref(image, jobName);
        Map<String, String> data = new LinkedHashMap<>();
        String json = JobResultCodec.write(result);
        if (json.getBytes(StandardCharsets.UTF_8).length > CONFIGMAP_MAX_BYTES - 4096) {
            throw new IllegalStateException("result exceeds its bound"); // JobResultCodec guarantees 4096 bytes
        }
        data.put(RESULT_KEY, json);
        if (ref.getFullReport() != null) {
            data.put(FULL_REPORT_KEY, ref.getFullReport());
        }
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(JobLabels.NAME, JobLabels.APP);
        labels.put(JobLabels.COMPONENT, "result");
        labels.put(JobLabels.MANAGED_BY, JobLabels.OPERATOR);
        labels.put(JobLabels.LINUXIMAGE, JobNames.labelValue(image.getMetadata().getName()));
        labels.put(JobLabels.GENERATION, String.valueOf(image.getMetadata().getGeneration()));
        return new ConfigMapBuilder()
                .withNewMetadata()
                .withName(ref.getName())
                .withNamespace(image.getMetadata().getNamespace())
                .withLabels(labels)
                .withAnnotations(Map.of(JOB_ANNOTATION, jobName))
                .withOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion(image.getApiVersion())
                        .withKind(image.getKind())
                        .withName(image.getMetadata().getName())
                        .withUid(image.getMetadata().getUid())
                        .withController(true)
                        .withBlockOwnerDeletion(true)
                        .build())
                .endMetadata()
                .withImmutable(true)
                .withData(data)
                .build();
    }

    /** Whether {@code existing} is controlled by this LinuxImage (a ConfigMap of someone else is never touched). */
    public static boolean ownedBy(ConfigMap existing, LinuxImage image) {
        return existing.getMetadata().getOwnerReferences() != null
                && existing.getMetadata().getOwnerReferences().stream()
                        .anyMatch(r -> Boolean.TRUE.equals(r.getController())
                                && Objects.equals(image.getMetadata().getUid(), r.getUid()));
    }
}
