package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** One compliance finding that is not a plain Pass. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FindingEntry {

    @JsonPropertyDescription("Requirement ID, e.g. CMDLINE-CONSOLE.")
    private String id;

    @JsonPropertyDescription("Fail, Warn, Fixed, NotApplicable or Unknown.")
    private String status;

    @JsonPropertyDescription("One sentence (possibly truncated; the full report is next to the output).")
    private String message;

    @JsonPropertyDescription("What was read, compact: file:line=value.")
    private String evidence;

    public FindingEntry() {}

    public FindingEntry(String id, String status, String message, String evidence) {
        this.id = id;
        this.status = status;
        this.message = message;
        this.evidence = evidence;
    }

    public String getId() {
        return id;
    }

    public void setId(String id) {
        this.id = id;
    }

    public String getStatus() {
        return status;
    }

    public void setStatus(String status) {
        this.status = status;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    public String getEvidence() {
        return evidence;
    }

    public void setEvidence(String evidence) {
        this.evidence = evidence;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FindingEntry f
                && Objects.equals(id, f.id)
                && Objects.equals(status, f.status)
                && Objects.equals(message, f.message)
                && Objects.equals(evidence, f.evidence);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, status, message, evidence);
    }
}
