package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The source disk: a file on a PersistentVolumeClaim in the LinuxImage's namespace. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SourceSpec {

    @JsonPropertyDescription("Name of the PersistentVolumeClaim holding the disk (same namespace).")
    @Required
    @Pattern(Patterns.DNS_LABEL)
    @Size(max = 63)
    private String claimName;

    @JsonPropertyDescription("Path of the disk file, relative to the claim's root; no '..' segments. Required "
            + "for a Filesystem claim; unset for a Block claim (volumeMode: Block), whose whole device is the disk.")
    @Pattern(Patterns.RELATIVE_PATH)
    @Size(max = 1024)
    @ValidationRule(value = Patterns.NO_DOT_DOT_CEL, message = "path must not contain '..' segments")
    private String path;

    @JsonPropertyDescription("Container format of the disk (raw, qcow2, vhd, vhdx, vmdk, vdi, ova). "
            + "Default: detected from the content.")
    @Pattern("^(raw|qcow2|vhd|vhdx|vmdk|vdi|ova)$")
    @Size(max = 8)
    private String format;

    @JsonPropertyDescription("For an OVA holding several disks: the disk to convert, by its position in the OVF's "
            + "DiskSection (1, 2, ...), its ovf:diskId or its file name. Default: the first disk (the boot disk by "
            + "convention).")
    @Pattern("^[A-Za-z0-9_.][A-Za-z0-9_.:-]*$")
    @Size(max = 255)
    private String ovaDisk;

    public SourceSpec() {}

    public SourceSpec(String claimName, String path) {
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

    public String getFormat() {
        return format;
    }

    public void setFormat(String format) {
        this.format = format;
    }

    public String getOvaDisk() {
        return ovaDisk;
    }

    public void setOvaDisk(String ovaDisk) {
        this.ovaDisk = ovaDisk;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SourceSpec s
                && java.util.Objects.equals(claimName, s.claimName)
                && java.util.Objects.equals(path, s.path)
                && java.util.Objects.equals(format, s.format)
                && java.util.Objects.equals(ovaDisk, s.ovaDisk);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(claimName, path, format, ovaDisk);
    }
}
