package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** Where the result of the observed run is published for other tools: a ConfigMap owned by the LinuxImage. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ReportRef {

    @JsonPropertyDescription("Name of the ConfigMap (same namespace, owned by this LinuxImage).")
    private String name;

    @JsonPropertyDescription("Key holding the result JSON (schema linuximage.dev/result/v1).")
    private String key;

    @JsonPropertyDescription(
            "The full JSON report as claimName:path on the output claim; absent in Audit mode or when streaming.")
    private String fullReport;

    public ReportRef() {}

    public ReportRef(String name, String key, String fullReport) {
        this.name = name;
        this.key = key;
        this.fullReport = fullReport;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
    }

    public String getFullReport() {
        return fullReport;
    }

    public void setFullReport(String fullReport) {
        this.fullReport = fullReport;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReportRef r
                && Objects.equals(name, r.name)
                && Objects.equals(key, r.key)
                && Objects.equals(fullReport, r.fullReport);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, key, fullReport);
    }
}
