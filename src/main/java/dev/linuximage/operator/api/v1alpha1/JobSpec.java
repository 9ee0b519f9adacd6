package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Settings of the Job. Unset fields take the operator's defaults (see docs/operator.md). */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class JobSpec {

    @JsonPropertyDescription("Container image of the Job. Default: the operator's own image (one executable "
            + "serves both modes).")
    private String image;

    @JsonPropertyDescription("Resources of the Job's container. Default: requests cpu 500m, memory 512Mi; "
            + "limit memory 1Gi.")
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
}
