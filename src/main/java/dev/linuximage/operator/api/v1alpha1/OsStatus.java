package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** The guest operating system as the core read it (os-release(5)). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class OsStatus {

    @JsonPropertyDescription("os-release ID, e.g. debian, ubuntu, rhel.")
    private String id;

    @JsonPropertyDescription("os-release VERSION_ID, e.g. 12, 22.04, 9.4.")
    private String versionId;

    @JsonPropertyDescription(
            "Distribution family from ID, else ID_LIKE: debian, redhat, suse, alpine, arch or unknown.")
    private String family;

    public OsStatus() {}

    public OsStatus(String id, String versionId, String family) {
        this.id = id;
        this.versionId = versionId;
        this.family = family;
    }

    public String getId() {
        return id;
    }

    public void setId(String id) {
        this.id = id;
    }

    public String getVersionId() {
        return versionId;
    }

    public void setVersionId(String versionId) {
        this.versionId = versionId;
    }

    public String getFamily() {
        return family;
    }

    public void setFamily(String family) {
        this.family = family;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OsStatus s
                && Objects.equals(id, s.id)
                && Objects.equals(versionId, s.versionId)
                && Objects.equals(family, s.family);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, versionId, family);
    }
}
