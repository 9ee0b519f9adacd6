package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import java.util.Objects;

/**
 * Kubernetes' metav1.Condition shape plus Cluster API's {@code severity}. {@code lastTransitionTime} changes only
 * when {@code status} flips.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Condition {

    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    /** Severities (Cluster API's ConditionSeverity): set only on a False condition. */
    public static final String ERROR = "Error";

    public static final String WARNING = "Warning";
    public static final String INFO = "Info";

    @JsonPropertyDescription(
            "Ready, Reconciling and Stalled (kstatus; present only while True), Running (only while the"
                    + " Job is active), Converted, Patched, Compliant or Uploaded.")
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

    @JsonPropertyDescription("Only on a False condition, as Cluster API: Error (a retry cannot fix it: the spec or the"
            + " cluster must change), Warning (retried, or tolerated), Info (normal, e.g. waiting or not requested).")
    private String severity;

    @JsonPropertyDescription("The metadata.generation this condition was computed for.")
    private Long observedGeneration;

    @JsonPropertyDescription("When status last changed (RFC 3339).")
    private String lastTransitionTime;

    public Condition() {}

    public Condition(
            String type,
            String status,
            String reason,
            String message,
            Long observedGeneration,
            String lastTransitionTime) {
        this.type = type;
        this.status = status;
        this.reason = reason;
        this.message = message;
        this.observedGeneration = observedGeneration;
        this.lastTransitionTime = lastTransitionTime;
    }

    public Condition(
            String type,
            String status,
            String reason,
            String message,
            String severity,
            Long observedGeneration,
            String lastTransitionTime) {
        this(type, status, reason, message, observedGeneration, lastTransitionTime);
        this.severity = severity;
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

    public String getSeverity() {
        return severity;
    }

    public void setSeverity(String severity) {
        this.severity = severity;
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
        return o instanceof Condition c
                && Objects.equals(type, c.type)
                && Objects.equals(status, c.status)
                && Objects.equals(reason, c.reason)
                && Objects.equals(message, c.message)
                && Objects.equals(severity, c.severity)
                && Objects.equals(observedGeneration, c.observedGeneration)
                && Objects.equals(lastTransitionTime, c.lastTransitionTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, status, reason, message, severity, observedGeneration, lastTransitionTime);
    }

    @Override
    public String toString() {
        return type + "=" + status + (severity == null ? "" : "/" + severity) + " (" + reason + ": " + message + ")";
    }
}
