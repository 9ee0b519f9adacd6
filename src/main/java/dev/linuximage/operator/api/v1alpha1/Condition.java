package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

import java.util.Objects;

/** Kubernetes' metav1.Condition shape. {@code lastTransitionTime} changes only when {@code status} flips. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Condition {

    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    @JsonPropertyDescription("Ready, Running (only while the Job is active), Converted, Patched, Compliant or Uploaded.")
    @Required
    private String type;

    @JsonPropertyDescription("True, False or Unknown.")
    @Required
    private String status;

    @JsonPropertyDescription("CamelCase reason, one of the operator's documented reasons.")
    @Required
    private String reason;

    @JsonPropertyDescription("Human-readable detail.")
    private String message;

    @JsonPropertyDescription("The metadata.generation this condition was computed for.")
    private Long observedGeneration;

    @JsonPropertyDescription("When status last changed (RFC 3339).")
    private String lastTransitionTime;

    public Condition() {
    }

    public Condition(String type, String status, String reason, String message, Long observedGeneration,
                     String lastTransitionTime) {
        this.type = type;
        this.status = status;
        this.reason = reason;
        this.message = message;
        this.observedGeneration = observedGeneration;
        this.lastTransitionTime = lastTransitionTime;
    }

    public String getType() {
        return type;
    }

    public void setType(String type) {
        this.type = type;
    }

    public String getStatus() {
        return status;
    }

    public void setStatus(String status) {
        this.status = status;
    }

    public String getReason() {
        return reason;
    }

    public void setReason(String reason) {
        this.reason = reason;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public String getLastTransitionTime() {
        return lastTransitionTime;
    }

    public void setLastTransitionTime(String lastTransitionTime) {
        this.lastTransitionTime = lastTransitionTime;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Condition c && Objects.equals(type, c.type) && Objects.equals(status, c.status)
                && Objects.equals(reason, c.reason) && Objects.equals(message, c.message)
                && Objects.equals(observedGeneration, c.observedGeneration)
                && Objects.equals(lastTransitionTime, c.lastTransitionTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, status, reason, message, observedGeneration, lastTransitionTime);
    }

    @Override
    public String toString() {
        return type + "=" + status + " (" + reason + ": " + message + ")";
    }
}
