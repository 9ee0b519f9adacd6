package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** Kernel command-line changes. Arguments are single tokens: no whitespace, no quotes. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class KernelArgsSpec {

    @JsonPropertyDescription("Arguments to add (e.g. 'nvme_core.io_timeout=240'); each a single token.")
    @Size(max = 64)
    @ValidationRule(
            value = "self.all(a, size(a) >= 1 && size(a) <= 256)",
            message = "each kernel argument has 1 to 256 characters")
    private List<String> add = new ArrayList<>();

    @JsonPropertyDescription("Arguments to remove, by name or name=value (e.g. 'quiet', 'rhgb').")
    @Size(max = 64)
    @ValidationRule(
            value = "self.all(a, size(a) >= 1 && size(a) <= 256)",
            message = "each kernel argument has 1 to 256 characters")
    private List<String> remove = new ArrayList<>();

    @JsonPropertyDescription(
            "Keep an existing crashkernel= argument (by default it is removed: Azure sizes " + "vary). Default false.")
    @Default("false")
    private Boolean keepCrashkernel = Boolean.FALSE;

    public List<String> getAdd() {
        return add;
    }

    public void setAdd(List<String> add) {
        this.add = add;
    }

    public List<String> getRemove() {
        return remove;
    }

    public void setRemove(List<String> remove) {
        this.remove = remove;
    }

    public Boolean getKeepCrashkernel() {
        return keepCrashkernel;
    }

    public void setKeepCrashkernel(Boolean keepCrashkernel) {
        this.keepCrashkernel = keepCrashkernel;
    }
}
