package dev.linuximage.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * Azure workload identity. The Job's pod runs as {@link #serviceAccountName} (federated with the Azure identity)
 * without the Kubernetes API token; it only gets a projected token for audience {@code api://AzureADTokenExchange}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WorkloadIdentitySpec {

    @JsonPropertyDescription("Client (application) ID of the Azure managed identity or app registration.")
    @Required
    @Pattern(Patterns.UUID)
    private String clientId;

    @JsonPropertyDescription(
            "Azure AD tenant ID. Default: the one the workload identity webhook injects " + "(AZURE_TENANT_ID).")
    @Pattern(Patterns.UUID)
    private String tenantId;

    @JsonPropertyDescription("Service account the Job's pod runs as; its federated credential subject is "
            + "system:serviceaccount:<namespace>:<name>. Default: 'default'. Its API token is never mounted.")
    @Pattern(Patterns.DNS_LABEL)
    private String serviceAccountName;

    public WorkloadIdentitySpec() {}

    public WorkloadIdentitySpec(String clientId) {
        this.clientId = clientId;
    }

    public String getClientId() {
        return clientId;
    }

    public void setClientId(String clientId) {
        this.clientId = clientId;
    }

    public String getTenantId() {
        return tenantId;
    }

    public void setTenantId(String tenantId) {
        this.tenantId = tenantId;
    }

    public String getServiceAccountName() {
        return serviceAccountName;
    }

    public void setServiceAccountName(String serviceAccountName) {
        this.serviceAccountName = serviceAccountName;
    }
}
