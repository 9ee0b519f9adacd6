package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** The uploaded page blob. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class UploadStatus {

    @JsonPropertyDescription("URL of the page blob, never with a query string (no SAS token).")
    private String blobUrl;

    @JsonPropertyDescription("Bytes actually sent (all-zero pages are skipped).")
    private Long bytesSent;

    @JsonPropertyDescription("Digest of the uploaded content as verified, with its algorithm: sparse-sha256-v1:<hex> "
            + "(as output.digest; older versions: sha256:<hex> of every byte).")
    private String digest;

    public UploadStatus() {}

    public UploadStatus(String blobUrl, Long bytesSent, String digest) {
        this.blobUrl = blobUrl;
        this.bytesSent = bytesSent;
        this.digest = digest;
    }

    public String getBlobUrl() {
        return blobUrl;
    }

    public void setBlobUrl(String blobUrl) {
        this.blobUrl = blobUrl;
    }

    public Long getBytesSent() {
        return bytesSent;
    }

    public void setBytesSent(Long bytesSent) {
        this.bytesSent = bytesSent;
    }

    public String getDigest() {
        return digest;
    }

    public void setDigest(String digest) {
        this.digest = digest;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UploadStatus s
                && Objects.equals(blobUrl, s.blobUrl)
                && Objects.equals(bytesSent, s.bytesSent)
                && Objects.equals(digest, s.digest);
    }

    @Override
    public int hashCode() {
        return Objects.hash(blobUrl, bytesSent, digest);
    }
}
