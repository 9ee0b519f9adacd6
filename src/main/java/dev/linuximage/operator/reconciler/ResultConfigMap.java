package dev.linuximage.operator.reconciler;

import dev.linuximage.core.report.JobResult;
import dev.linuximage.core.report.JobResultCodec;
import dev.linuximage.core.report.ReportLine;
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
 * {@link JobResultCodec#MAX_BYTES} bytes, and the full report (every finding with all its evidence, the changes) as
 * the pod printed it in its log ({@link ReportLine}) when the whole ConfigMap stays within a ConfigMap's 1 MiB;
 * otherwise {@value #REPORT_OMITTED_KEY} says why it is missing and where it is. The copy on the output claim keeps
 * its {@code claim:path} in the {@code fullReport} key. The operator never reads the claim (it has no mount and no
 * such right).
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
    /** Data key of the full report (schema {@code linuximage.dev/report/v1}), when it fits. */
    public static final String REPORT_KEY = "report.json";
    /** Data key of the sentence saying why {@value #REPORT_KEY} is missing and where the report is. */
    public static final String REPORT_OMITTED_KEY = "reportOmitted";
    /** Room kept for the omission note and the keys. */
    static final int RESERVE_BYTES = 4096;

    public static final String JOB_ANNOTATION = "linuximage.dev/job-name";
    /** A ConfigMap's data may not exceed 1 MiB (Kubernetes "ConfigMaps" concept page). */
    static final int CONFIGMAP_MAX_BYTES = 1 << 20;

    private ResultConfigMap() {}

    public static ReportRef ref(LinuxImage image, String jobName) {
        return ref(image, jobName, false);
    }

    /**
     * @param outputBlock the run wrote onto a Block output claim ({@code JobFactory.outputBlock}): no report file
     *                    is on a claim, so no {@code fullReport}
     */
    public static ReportRef ref(LinuxImage image, String jobName, boolean outputBlock) {
        return new ReportRef(
                JobNames.resultConfigMap(jobName),
                RESULT_KEY,
                outputBlock ? null : Locations.of(image.getSpec()).reportForStatus());
    }

    /**
     * How many bytes the full report may take: a ConfigMap's 1 MiB of data less the result, the claim path and a
     * reserve.
     */
    public static int reportBudget(LinuxImage image, String jobName, JobResult result) {
        return reportBudget(ref(image, jobName), result);
    }

    private static int reportBudget(ReportRef ref, JobResult result) {
        String fullReport = ref.getFullReport();
        return CONFIGMAP_MAX_BYTES
                - utf8(JobResultCodec.write(result))
                - (fullReport == null ? 0 : utf8(fullReport))
                - RESERVE_BYTES;
    }

    /** The ConfigMap for the result of Job {@code jobName}, without the full report (none was read). */
    public static ConfigMap build(LinuxImage image, String jobName, JobResult result) {
        return build(image, jobName, result, new ReportLine.Scan(null, false));
    }

    /** The ConfigMap for the result of Job {@code jobName}, with the full report the pod's log held if it fits. */
    public static ConfigMap build(LinuxImage image, String jobName, JobResult result, ReportLine.Scan report) {
        return build(image, jobName, result, report, false);
    }

    /** As {@link #build(LinuxImage, String, JobResult, ReportLine.Scan)}, for a run onto a Block output claim. */
    public static ConfigMap build(
            LinuxImage image, String jobName, JobResult result, ReportLine.Scan report, boolean outputBlock) {
        ReportRef ref = ref(image, jobName, outputBlock);
        Map<String, String> data = new LinkedHashMap<>();
        String json = JobResultCodec.write(result);
        if (utf8(json) > CONFIGMAP_MAX_BYTES - RESERVE_BYTES) {
            throw new IllegalStateException("result exceeds its bound"); // JobResultCodec guarantees 4096 bytes
        }
        data.put(RESULT_KEY, json);
        if (ref.getFullReport() != null) {
            data.put(FULL_REPORT_KEY, ref.getFullReport());
        }
        String where = ref.getFullReport() != null
                ? "the full report is on the claim at " + ref.getFullReport()
                : "no copy is written to a claim in this mode: the Job's log has it (kubectl logs job/" + jobName
                        + ") until the Job is deleted";
        if (report.report() != null && utf8(report.report()) <= reportBudget(ref, result)) {
            data.put(REPORT_KEY, report.report());
        } else if (report.report() != null || report.tooLong()) {
            data.put(
                    REPORT_OMITTED_KEY,
                    "the full report is larger than a ConfigMap can hold (1 MiB with the result); " + where);
        } else {
            data.put(
                    REPORT_OMITTED_KEY,
                    "the pod's log held no full report (an older core, or it failed first); " + where);
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

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Whether {@code existing} is controlled by this LinuxImage (a ConfigMap of someone else is never touched). */
    public static boolean ownedBy(ConfigMap existing, LinuxImage image) {
        return existing.getMetadata().getOwnerReferences() != null
                && existing.getMetadata().getOwnerReferences().stream()
                        .anyMatch(r -> Boolean.TRUE.equals(r.getController())
                                && Objects.equals(image.getMetadata().getUid(), r.getUid()));
    }
}
