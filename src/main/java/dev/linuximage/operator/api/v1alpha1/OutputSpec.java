package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Where the fixed VHD goes. Every field is optional; see {@link LinuxImageSpec#getOutput()}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class OutputSpec {

    @JsonPropertyDescription("PersistentVolumeClaim for the VHD and the report. Default: the source claim. A claim "
            + "with volumeMode Block gets the fixed VHD written onto the device (footer last; no report file: the "
            + "report is in the result ConfigMap and the pod log).")
    @Pattern(Patterns.DNS_LABEL)
    @Size(max = 63)
    private String claimName;

    @JsonPropertyDescription("Path of the VHD relative to the claim's root; no '..' segments. Default: the source "
            + "path with its extension replaced by .vhd. The full report is written next to it (.report.json). "
            + "Must be unset when the output claim is in Block mode.")
    @Pattern(Patterns.RELATIVE_PATH)
    @Size(max = 1024)
    @ValidationRule(value = Patterns.NO_DOT_DOT_CEL, message = "path must not contain '..' segments")
    private String path;

    @JsonPropertyDescription("Stream the VHD straight into the upload instead of writing it to the claim "
            + "(needs upload). The report is still written to the output location.")
    @Default("false")
    private Boolean streamToUpload = Boolean.FALSE;

    public OutputSpec() {}

    public OutputSpec(String claimName, String path) {
        this.claimName = claimName;
        this.path = path;
    }

    public String getClaimName() {
        return claimName;
    }

    public void setClaimName(String claimName) {
        this.claimName = claimName;
    }

    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    public Boolean getStreamToUpload() {
        return streamToUpload;
    }

    public void setStreamToUpload(Boolean streamToUpload) {
        this.streamToUpload = streamToUpload;
    }
}
