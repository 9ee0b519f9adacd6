package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Compliance outcome of the current generation. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ComplianceStatus {

    @JsonPropertyDescription("Number of findings per status (Pass, Fail, Warn, Fixed, NotApplicable, Unknown).")
    private Map<String, Integer> summary = new LinkedHashMap<>();

    @JsonPropertyDescription("Findings other than Pass, most severe first (may be cut to fit; see truncated).")
    private List<FindingEntry> findings = new ArrayList<>();

    @JsonPropertyDescription("True when findings were dropped or shortened to fit the Job's 4 KiB result; the "
            + "full report is next to the output and in the Job's log.")
    private Boolean truncated;

    public Map<String, Integer> getSummary() {
        return summary;
    }

    public void setSummary(Map<String, Integer> summary) {
        this.summary = summary;
    }

    public List<FindingEntry> getFindings() {
        return findings;
    }

    public void setFindings(List<FindingEntry> findings) {
        this.findings = findings;
    }

    public Boolean getTruncated() {
        return truncated;
    }

    public void setTruncated(Boolean truncated) {
        this.truncated = truncated;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ComplianceStatus c
                && Objects.equals(summary, c.summary)
                && Objects.equals(findings, c.findings)
                && Objects.equals(truncated, c.truncated);
    }

    @Override
    public int hashCode() {
        return Objects.hash(summary, findings, truncated);
    }
}
