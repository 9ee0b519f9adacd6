package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** Deprovisioning of a Generalized image, beyond what is always done (host keys, machine-id, logs). */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class DeprovisionSpec {

    @JsonPropertyDescription("Local users to remove with their home directories (e.g. the build user).")
    @Size(max = 64)
    @ValidationRule(
            value = "self.all(u, size(u) >= 1 && size(u) <= 32)",
            message = "each user name has 1 to 32 characters")
    private List<String> removeUsers = new ArrayList<>();

    public List<String> getRemoveUsers() {
        return removeUsers;
    }

    public void setRemoveUsers(List<String> removeUsers) {
        this.removeUsers = removeUsers;
    }
}
