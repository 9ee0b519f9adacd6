package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** Upload credentials: a Secret mounted into the Job's pod as a file, or Azure workload identity. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "has(self.secretRef) != has(self.workloadIdentity)",
        message = "exactly one of secretRef or workloadIdentity must be set",
        reason = "FieldValueInvalid")
public class CredentialsSpec {

    @JsonPropertyDescription("A Secret in the same namespace holding a SAS token or a connection string. It is "
            + "mounted into the Job's pod as a read-only file; the operator itself never reads it.")
    private SecretRefSpec secretRef;

    @JsonPropertyDescription("Azure workload identity: the pod exchanges a projected service-account token "
            + "(audience api://AzureADTokenExchange) for an Azure AD token; no secret is stored.")
    private WorkloadIdentitySpec workloadIdentity;

    public static CredentialsSpec secret(String name) {
        CredentialsSpec c = new CredentialsSpec();
        c.setSecretRef(new SecretRefSpec(name));
        return c;
    }

    public static CredentialsSpec workloadIdentity(String clientId) {
        CredentialsSpec c = new CredentialsSpec();
        c.setWorkloadIdentity(new WorkloadIdentitySpec(clientId));
        return c;
    }

    public SecretRefSpec getSecretRef() {
        return secretRef;
    }

    public void setSecretRef(SecretRefSpec secretRef) {
        this.secretRef = secretRef;
    }

    public WorkloadIdentitySpec getWorkloadIdentity() {
        return workloadIdentity;
    }

    public void setWorkloadIdentity(WorkloadIdentitySpec workloadIdentity) {
        this.workloadIdentity = workloadIdentity;
    }
}
