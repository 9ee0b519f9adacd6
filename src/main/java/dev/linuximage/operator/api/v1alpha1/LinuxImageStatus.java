package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** What the operator observed. Written only by the operator, through the status subresource. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LinuxImageStatus {

    @JsonPropertyDescription("The metadata.generation the status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Pending, Running, Succeeded or Failed.")
    private Phase phase;

    @JsonPropertyDescription("Progress of the running Job.")
    private ProgressStatus progress;

    @JsonPropertyDescription(
            "Ready (summary), Running (the Job's pod, while the Job is active), Converted, Patched, Compliant, Uploaded.")
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("Compliance summary and findings.")
    private ComplianceStatus compliance;

    @JsonPropertyDescription("Hyper-V generations the image boots as: Gen1 (BIOS) and/or Gen2 (UEFI).")
    private List<String> generations;

    @JsonPropertyDescription("The written VHD.")
    private OutputStatus output;

    @JsonPropertyDescription("The uploaded blob.")
    private UploadStatus upload;

    @JsonPropertyDescription("Name of the Job of the observed generation.")
    private String jobName;

    @JsonPropertyDescription("The guest operating system (os-release).")
    private OsStatus os;

    @JsonPropertyDescription("The ConfigMap holding the result of the observed run, for other tools.")
    private ReportRef reportRef;

    @JsonPropertyDescription("The value of the linuximage.dev/rerun annotation whose run this status describes.")
    private String observedRerun;

    @JsonIgnore
    public Optional<Condition> condition(ConditionType type) {
        return conditions == null
                ? Optional.empty()
                : conditions.stream()
                        .filter(c -> type.name().equals(c.getType()))
                        .findFirst();
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public Phase getPhase() {
        return phase;
    }

    public void setPhase(Phase phase) {
        this.phase = phase;
    }

    public ProgressStatus getProgress() {
        return progress;
    }

    public void setProgress(ProgressStatus progress) {
        this.progress = progress;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public ComplianceStatus getCompliance() {
        return compliance;
    }

    public void setCompliance(ComplianceStatus compliance) {
        this.compliance = compliance;
    }

    public List<String> getGenerations() {
        return generations;
    }

    public void setGenerations(List<String> generations) {
        this.generations = generations;
    }

    public OutputStatus getOutput() {
        return output;
    }

    public void setOutput(OutputStatus output) {
        this.output = output;
    }

    public UploadStatus getUpload() {
        return upload;
    }

    public void setUpload(UploadStatus upload) {
        this.upload = upload;
    }

    public String getJobName() {
        return jobName;
    }

    public void setJobName(String jobName) {
        this.jobName = jobName;
    }

    public OsStatus getOs() {
        return os;
    }

    public void setOs(OsStatus os) {
        this.os = os;
    }

    public ReportRef getReportRef() {
        return reportRef;
    }

    public void setReportRef(ReportRef reportRef) {
        this.reportRef = reportRef;
    }

    public String getObservedRerun() {
        return observedRerun;
    }

    public void setObservedRerun(String observedRerun) {
        this.observedRerun = observedRerun;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LinuxImageStatus s
                && Objects.equals(observedGeneration, s.observedGeneration)
                && phase == s.phase
                && Objects.equals(progress, s.progress)
                && Objects.equals(conditions, s.conditions)
                && Objects.equals(compliance, s.compliance)
                && Objects.equals(generations, s.generations)
                && Objects.equals(output, s.output)
                && Objects.equals(upload, s.upload)
                && Objects.equals(jobName, s.jobName)
                && Objects.equals(os, s.os)
                && Objects.equals(reportRef, s.reportRef)
                && Objects.equals(observedRerun, s.observedRerun);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                observedGeneration,
                phase,
                progress,
                conditions,
                compliance,
                generations,
                output,
                upload,
                jobName,
                os,
                reportRef,
                observedRerun);
    }
}
