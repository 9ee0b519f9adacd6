package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** A key of a Secret in the LinuxImage's namespace. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SecretRefSpec {

    @JsonPropertyDescription("Name of the Secret.")
    @Required
    @Pattern("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
    private String name;

    @JsonPropertyDescription(
            "Key in the Secret. Default: 'sas' for type Sas, 'connectionString' for type " + "ConnectionString.")
    @Pattern("^[-._a-zA-Z0-9]{1,253}$")
    private String key;

    @JsonPropertyDescription("What the key holds: Sas (a SAS token) or ConnectionString. Default Sas.")
    @Default("Sas")
    private CredentialType type = CredentialType.Sas;

    public SecretRefSpec() {}

    public SecretRefSpec(String name) {
        this.name = name;
    }

    /** The key to mount: the explicit one or the type's default. */
    public String effectiveKey() {
        return key != null ? key : (type == null ? CredentialType.Sas : type).defaultKey();
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
    }

    public CredentialType getType() {
        return type;
    }

    public void setType(CredentialType type) {
        this.type = type;
    }
}
