package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** What the patched guest must look like (docs/requirements.md). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GuestSpec {

    @JsonPropertyDescription("Generalized (deprovisioned: no users, host keys or machine-id) or Specialized "
            + "(kept as is). Default Generalized.")
    @Default("Generalized")
    private ImageKind imageKind = ImageKind.Generalized;

    @JsonPropertyDescription("Provisioning agent configured in the guest: CloudInit, WALinuxAgent or None "
            + "(agent-less: a report-ready unit is installed). Default CloudInit.")
    @Default("CloudInit")
    private Provisioning provisioning = Provisioning.CloudInit;

    @JsonPropertyDescription("Swap on the Azure resource disk, in MiB (configured through the agent, never on the "
            + "OS disk); 0 for none. Default 2048.")
    @Min(0)
    @Max(1048576)
    @Default("2048")
    private Integer resourceDiskSwapMiB = 2048;

    @JsonPropertyDescription(
            "Make sure the Hyper-V drivers (hv_vmbus, hv_storvsc, hv_netvsc) are in the " + "initramfs. Default true.")
    @Default("true")
    private Boolean hyperVDrivers = Boolean.TRUE;

    @JsonPropertyDescription("Kernel command-line changes on top of Azure's required arguments.")
    private KernelArgsSpec kernelArgs = new KernelArgsSpec();

    @JsonPropertyDescription("Deprovisioning of a Generalized image.")
    private DeprovisionSpec deprovision = new DeprovisionSpec();

    @JsonPropertyDescription("Requirement IDs (e.g. BOOT-GENERATION) whose Unknown finding is accepted. Any other "
            + "Unknown on a required item makes the image not compliant.")
    @Size(max = 40)
    @ValidationRule(
            value = "self.all(id, id.matches('^[A-Z][A-Z0-9]*(-[A-Z0-9]+){1,5}$'))",
            message = "each entry is a requirement ID such as BOOT-GENERATION")
    private List<String> allowUnknown;

    public List<String> getAllowUnknown() {
        return allowUnknown;
    }

    public void setAllowUnknown(List<String> allowUnknown) {
        this.allowUnknown = allowUnknown;
    }

    public ImageKind getImageKind() {
        return imageKind;
    }

    public void setImageKind(ImageKind imageKind) {
        this.imageKind = imageKind;
    }

    public Provisioning getProvisioning() {
        return provisioning;
    }

    public void setProvisioning(Provisioning provisioning) {
        this.provisioning = provisioning;
    }

    public Integer getResourceDiskSwapMiB() {
        return resourceDiskSwapMiB;
    }

    public void setResourceDiskSwapMiB(Integer resourceDiskSwapMiB) {
        this.resourceDiskSwapMiB = resourceDiskSwapMiB;
    }

    public Boolean getHyperVDrivers() {
        return hyperVDrivers;
    }

    public void setHyperVDrivers(Boolean hyperVDrivers) {
        this.hyperVDrivers = hyperVDrivers;
    }

    public KernelArgsSpec getKernelArgs() {
        return kernelArgs;
    }

    public void setKernelArgs(KernelArgsSpec kernelArgs) {
        this.kernelArgs = kernelArgs;
    }

    public DeprovisionSpec getDeprovision() {
        return deprovision;
    }

    public void setDeprovision(DeprovisionSpec deprovision) {
        this.deprovision = deprovision;
    }
}
