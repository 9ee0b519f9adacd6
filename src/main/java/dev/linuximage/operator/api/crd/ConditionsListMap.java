package dev.linuximage.operator.api.crd;

import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.util.List;

/**
 * Build-time only ({@code quarkus.operator-sdk.crd.post-processor}): marks {@code status.conditions} of the generated
 * CRD as {@code x-kubernetes-list-type: map} keyed by {@code type}, as metav1.Condition lists are declared upstream
 * ({@code +listType=map}, {@code +listMapKey=type}): one condition per type, and server-side apply merges by type
 * instead of replacing the whole list. fabric8's crd-generator 7.3 has no annotation for list types, hence this hook.
 * Never loaded at run time (its interface is on the build's class path only).
 */
public class ConditionsListMap implements CRDPostProcessor {

    @Override
    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
        if (crd instanceof CustomResourceDefinition v1) {
            for (CustomResourceDefinitionVersion version : v1.getSpec().getVersions()) {
                JSONSchemaProps conditions = child(
                        child(
                                child(
                                        version.getSchema() == null
                                                ? null
                                                : version.getSchema().getOpenAPIV3Schema(),
                                        "status"),
                                "conditions"),
                        null);
                if (conditions == null) {
                    throw new IllegalStateException("status.conditions missing from the schema of "
                            + crd.getMetadata().getName() + " " + version.getName());
                }
                conditions.setXKubernetesListType("map");
                conditions.setXKubernetesListMapKeys(List.of("type"));
            }
        }
        return crd;
    }

    /** The property {@code name} of {@code schema}; with null, {@code schema} itself. */
    private static JSONSchemaProps child(JSONSchemaProps schema, String name) {
        if (schema == null || name == null) {
            return schema;
        }
        return schema.getProperties() == null ? null : schema.getProperties().get(name);
    }
}
