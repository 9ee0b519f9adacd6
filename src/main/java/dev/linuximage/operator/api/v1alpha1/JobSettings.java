package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Settings of the Job. Unset fields take the operator's defaults (see docs/operator.md). */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class JobSettings {

    @JsonPropertyDescription(
            "Container image of the Job. Default: the operator's own image (one executable " + "serves both modes).")
    private String image;

    @JsonPropertyDescription(
            "Resources of the Job's container. Default: requests cpu 500m, memory 512Mi; " + "limit memory 1Gi.")
    private ResourceRequirements resources;

    @JsonPropertyDescription("Deadline of the Job in seconds. Default 21600 (6 h).")
    @Min(60)
    @Max(604800)
    private Long activeDeadlineSeconds;

    @JsonPropertyDescription("Retries of a failed pod (errors the retry cannot fix, like a bad image or a "
            + "compliance failure, never retry). Default 1.")
    @Min(0)
    @Max(6)
    private Integer backoffLimit;

    @JsonPropertyDescription("Node selector of the Job's pod.")
    private Map<String, String> nodeSelector = new LinkedHashMap<>();

    @JsonPropertyDescription("Tolerations of the Job's pod.")
    private List<Toleration> tolerations = new ArrayList<>();

    @JsonPropertyDescription("Affinity of the Job's pod (node, pod and pod anti-affinity).")
    private Affinity affinity;

    @JsonPropertyDescription("PriorityClass of the Job's pod. Names starting with 'system-' are refused.")
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
    @Size(max = 253)
    private String priorityClassName;

    @JsonPropertyDescription("Extra labels of the Job's pod. The operator's own labels win; keys under "
            + "kubernetes.io, k8s.io, openshift.io, linuximage.dev and azure.workload.identity are refused.")
    private Map<String, String> podLabels = new LinkedHashMap<>();

    @JsonPropertyDescription("Extra annotations of the Job's pod (e.g. for a service mesh or a backup tool). Keys "
            + "under kubernetes.io, k8s.io, openshift.io, linuximage.dev and azure.workload.identity are refused.")
    private Map<String, String> podAnnotations = new LinkedHashMap<>();

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public ResourceRequirements getResources() {
        return resources;
    }

    public void setResources(ResourceRequirements resources) {
        this.resources = resources;
    }

    public Long getActiveDeadlineSeconds() {
        return activeDeadlineSeconds;
    }

    public void setActiveDeadlineSeconds(Long activeDeadlineSeconds) {
        this.activeDeadlineSeconds = activeDeadlineSeconds;
    }

    public Integer getBackoffLimit() {
        return backoffLimit;
    }

    public void setBackoffLimit(Integer backoffLimit) {
        this.backoffLimit = backoffLimit;
    }

    public Map<String, String> getNodeSelector() {
        return nodeSelector;
    }

    public void setNodeSelector(Map<String, String> nodeSelector) {
        this.nodeSelector = nodeSelector;
    }

    public List<Toleration> getTolerations() {
        return tolerations;
    }

    public void setTolerations(List<Toleration> tolerations) {
        this.tolerations = tolerations;
    }

    public Affinity getAffinity() {
        return affinity;
    }

    public void setAffinity(Affinity affinity) {
        this.affinity = affinity;
    }

    public String getPriorityClassName() {
        return priorityClassName;
    }

    public void setPriorityClassName(String priorityClassName) {
        this.priorityClassName = priorityClassName;
    }

    public Map<String, String> getPodLabels() {
        return podLabels;
    }

    public void setPodLabels(Map<String, String> podLabels) {
        this.podLabels = podLabels;
    }

    public Map<String, String> getPodAnnotations() {
        return podAnnotations;
    }

    public void setPodAnnotations(Map<String, String> podAnnotations) {
        this.podAnnotations = podAnnotations;
    }
}
