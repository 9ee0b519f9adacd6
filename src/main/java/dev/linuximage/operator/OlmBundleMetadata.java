package dev.linuximage.operator;

import io.quarkiverse.operatorsdk.annotations.CSVMetadata;
import io.quarkiverse.operatorsdk.annotations.SharedCSVMetadata;

/**
 * The OLM bundle's ClusterServiceVersion metadata, read at build time by the Quarkiverse bundle generator
 * ({@code ./mvnw -Pbundle package}, docs/operator.md "Packaging"). The bundle name equals the Kubernetes resource
 * name (quarkus.kubernetes.name, default the artifact id), so the generator assigns the LinuxImage reconciler to
 * this bundle without an annotation on the reconciler.
 *
 * <p>Install mode: AllNamespaces only, the equivalent of the cluster-wide kustomize install ({@code k8s/}): the CSV's
 * clusterPermissions are the ClusterRole of {@code k8s/rbac.yaml}, cluster-wide whatever namespaces OLM targets.
 * The namespaced install ({@code k8s/namespaced/}, Roles per watched namespace) has no OLM equivalent here.
 */
@CSVMetadata(
        bundleName = "linuximage-operator",
        displayName = "LinuxImage operator",
        description = "Turns a Linux VM disk on a PersistentVolumeClaim into an Azure-ready fixed VHD: patches the"
                + " guest file systems in pure Java (no mounts, no root), checks it against Azure's requirements"
                + " and uploads it to a page blob. One Job per LinuxImage.",
        keywords = {"azure", "vhd", "linux", "image", "disk"},
        maturity = "alpha",
        // admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy (k8s/base/admission-policy.yaml) needs 1.30
        minKubeVersion = "1.30.0",
        provider = @CSVMetadata.Provider(name = "linuximage.dev"),
        installModes = {
            @CSVMetadata.InstallMode(type = "AllNamespaces"),
            @CSVMetadata.InstallMode(type = "OwnNamespace", supported = false),
            @CSVMetadata.InstallMode(type = "SingleNamespace", supported = false),
            @CSVMetadata.InstallMode(type = "MultiNamespace", supported = false)
        })
public final class OlmBundleMetadata implements SharedCSVMetadata {

    private OlmBundleMetadata() {}
}
