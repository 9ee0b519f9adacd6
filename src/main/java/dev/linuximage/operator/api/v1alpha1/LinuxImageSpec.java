package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * The desired image. Java field initialisers repeat the CRD defaults because not every API server applies them
 * (the test API server does not): code never has to guess a default.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "self.mode != 'Audit' || (!has(self.upload) && !has(self.output))",
        message = "Audit mode is read-only: upload and output are not allowed",
        reason = "FieldValueForbidden")
@ValidationRule(
        value = "!has(self.output) || !has(self.output.streamToUpload) || !self.output.streamToUpload"
                + " || has(self.upload)",
        message = "output.streamToUpload requires upload",
        reason = "FieldValueRequired")
public class LinuxImageSpec {

    @JsonPropertyDescription(
            "Prepare (convert, patch, check, upload) or Audit (read-only compliance check). " + "Default Prepare.")
    @Default("Prepare")
    private Mode mode = Mode.Prepare;

    @JsonPropertyDescription("The disk to read. Immutable: create a new LinuxImage for another disk.")
    @Required
    @ValidationRule(value = "self == oldSelf", message = "source is immutable", reason = "FieldValueForbidden")
    private SourceSpec source;

    @JsonPropertyDescription("Where the fixed VHD is written. Default: on the source claim, next to the source, "
            + "with the extension replaced by .vhd. Not allowed in Audit mode.")
    private OutputSpec output;

    @JsonPropertyDescription("What the guest must look like: image kind, provisioning agent, kernel arguments.")
    private GuestSpec guest = new GuestSpec();

    @JsonPropertyDescription("Upload of the VHD to an Azure page blob. Omit to keep the VHD on the claim only. "
            + "Not allowed in Audit mode.")
    private UploadSpec upload;

    @JsonPropertyDescription("Settings of the Job that runs the work: image, resources, deadline, scheduling.")
    private JobSettings job = new JobSettings();

    @JsonPropertyDescription("When true (default), a failed compliance requirement makes Ready=False with reason "
            + "NotCompliant; when false, Ready only says the work ran and the Compliant condition carries the "
            + "failures.")
    @Default("true")
    private Boolean strict = Boolean.TRUE;

    public Mode getMode() {
        return mode;
    }

    public void setMode(Mode mode) {
        this.mode = mode;
    }

    public SourceSpec getSource() {
        return source;
    }

    public void setSource(SourceSpec source) {
        this.source = source;
    }

    public OutputSpec getOutput() {
        return output;
    }

    public void setOutput(OutputSpec output) {
        this.output = output;
    }

    public GuestSpec getGuest() {
        return guest;
    }

    public void setGuest(GuestSpec guest) {
        this.guest = guest;
    }

    public UploadSpec getUpload() {
        return upload;
    }

    public void setUpload(UploadSpec upload) {
        this.upload = upload;
    }

    public JobSettings getJob() {
        return job;
    }

    public void setJob(JobSettings job) {
        this.job = job;
    }

    public Boolean getStrict() {
        return strict;
    }

    public void setStrict(Boolean strict) {
        this.strict = strict;
    }
}
