package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** Progress of the running Job, from its last progress line. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ProgressStatus {

    @JsonPropertyDescription("Overall progress, 0 to 100.")
    private Integer percent;

    @JsonPropertyDescription("Current stage: inspect, convert, patch, check, upload, done.")
    private String stage;

    public ProgressStatus() {}

    public ProgressStatus(Integer percent, String stage) {
        this.percent = percent;
        this.stage = stage;
    }

    public Integer getPercent() {
        return percent;
    }

    public void setPercent(Integer percent) {
        this.percent = percent;
    }

    public String getStage() {
        return stage;
    }

    public void setStage(String stage) {
        this.stage = stage;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProgressStatus p && Objects.equals(percent, p.percent) && Objects.equals(stage, p.stage);
    }

    @Override
    public int hashCode() {
        return Objects.hash(percent, stage);
    }
}
