package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** The written VHD. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class OutputStatus {

    @JsonPropertyDescription("Claim and path of the VHD, as claimName:path.")
    private String path;

    @JsonPropertyDescription("Virtual size of the VHD in bytes (a whole number of MiB).")
    private Long virtualSize;

    @JsonPropertyDescription("SHA-256 of the whole VHD file, hex: set by versions before the digest below "
            + "(it hashed every zero byte); kept for their statuses.")
    private String sha256;

    @JsonPropertyDescription("Digest of the VHD with its algorithm, sparse-sha256-v1:<hex> (SHA-256 over the "
            + "non-zero 512-byte pages and their offsets; `linuximage digest FILE` recomputes it).")
    private String digest;

    public OutputStatus() {}

    public OutputStatus(String path, Long virtualSize, String sha256) {
        this(path, virtualSize, sha256, null);
    }

    public OutputStatus(String path, Long virtualSize, String sha256, String digest) {
        this.path = path;
        this.virtualSize = virtualSize;
        this.sha256 = sha256;
        this.digest = digest;
    }

    public String getDigest() {
        return digest;
    }

    public void setDigest(String digest) {
        this.digest = digest;
    }

    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    public Long getVirtualSize() {
        return virtualSize;
    }

    public void setVirtualSize(Long virtualSize) {
        this.virtualSize = virtualSize;
    }

    public String getSha256() {
        return sha256;
    }

    public void setSha256(String sha256) {
        this.sha256 = sha256;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutputStatus s
                && Objects.equals(path, s.path)
                && Objects.equals(virtualSize, s.virtualSize)
                && Objects.equals(sha256, s.sha256)
                && Objects.equals(digest, s.digest);
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, virtualSize, sha256, digest);
    }
}
