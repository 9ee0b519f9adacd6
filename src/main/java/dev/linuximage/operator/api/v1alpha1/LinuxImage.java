package dev.linuximage.operator.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A Linux VM disk on a PersistentVolumeClaim that the operator turns into an Azure-ready fixed VHD (mode
 * {@code Prepare}) or audits read-only (mode {@code Audit}). One Job runs per spec generation.
 */
@Group(LinuxImage.GROUP)
@Version(LinuxImage.VERSION)
@ShortNames("limg")
@AdditionalPrinterColumn(
        name = "Ready",
        type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Phase", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.phase")
@AdditionalPrinterColumn(
        name = "Progress",
        type = AdditionalPrinterColumn.Type.INTEGER,
        jsonPath = ".status.progress.percent")
@AdditionalPrinterColumn(
        name = "Compliant",
        type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Compliant\")].status")
@AdditionalPrinterColumn(
        name = "Reason",
        type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason")
@AdditionalPrinterColumn(
        name = "Age",
        type = AdditionalPrinterColumn.Type.DATE,
        jsonPath = ".metadata.creationTimestamp")
// -o wide (priority 1): what a user looks for next without reading the whole status
@AdditionalPrinterColumn(
        name = "Message",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].message")
@AdditionalPrinterColumn(
        name = "OS",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1,
        jsonPath = ".status.os.id")
@AdditionalPrinterColumn(
        name = "Version",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1,
        jsonPath = ".status.os.versionId")
@AdditionalPrinterColumn(
        name = "Generations",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1,
        jsonPath = ".status.generations")
@AdditionalPrinterColumn(
        name = "Blob",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1,
        jsonPath = ".status.upload.blobUrl")
public class LinuxImage extends CustomResource<LinuxImageSpec, LinuxImageStatus> implements Namespaced {

    public static final String GROUP = "linuximage.dev";
    public static final String VERSION = "v1alpha1";

    public LinuxImage() {}

    public LinuxImage(String namespace, String name, LinuxImageSpec spec) {
        getMetadata().setNamespace(namespace);
        getMetadata().setName(name);
        setSpec(spec);
    }

    @Override
    protected LinuxImageSpec initSpec() {
        return new LinuxImageSpec();
    }
}
