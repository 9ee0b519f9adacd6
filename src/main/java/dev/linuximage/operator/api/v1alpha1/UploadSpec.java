package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** Upload of the VHD as an Azure page blob. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class UploadSpec {

    @JsonPropertyDescription("URL of the page blob, without query string: a SAS token never goes into the spec, "
            + "it goes into a Secret (credentials.secretRef). https only (plain http only to 127.0.0.1/localhost, "
            + "for a local emulator).")
    @Required
    @Pattern(Patterns.BLOB_URL)
    @Size(max = 2048)
    private String blobUrl;

    @JsonPropertyDescription("How the Job authenticates: exactly one of secretRef or workloadIdentity.")
    @Required
    private CredentialsSpec credentials;

    @JsonPropertyDescription("Overwrite a blob that another owner wrote: another LinuxImage (e.g. this one's "
            + "predecessor of the same name, deleted and recreated) or an upload outside the operator. The blob "
            + "records the uid of the LinuxImage that wrote it; without overwrite another uid's blob is refused "
            + "(reason BlobOwnedByOther). Default false.")
    @Default("false")
    private Boolean overwrite = Boolean.FALSE;

    public UploadSpec() {}

    public UploadSpec(String blobUrl, CredentialsSpec credentials) {
        this.blobUrl = blobUrl;
        this.credentials = credentials;
    }

    public String getBlobUrl() {
        return blobUrl;
    }

    public void setBlobUrl(String blobUrl) {
        this.blobUrl = blobUrl;
    }

    public Boolean getOverwrite() {
        return overwrite;
    }

    public void setOverwrite(Boolean overwrite) {
        this.overwrite = overwrite;
    }

    public CredentialsSpec getCredentials() {
        return credentials;
    }

    public void setCredentials(CredentialsSpec credentials) {
        this.credentials = credentials;
    }
}
