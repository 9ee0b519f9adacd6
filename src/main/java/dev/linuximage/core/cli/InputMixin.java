package dev.linuximage.core.cli;

import dev.linuximage.core.format.OpenOptions;
import picocli.CommandLine.Option;

/** How a command opens its input disk: {@code --format} and, for an OVA, {@code --ova-disk}. */
public class InputMixin {

    @Option(
            names = "--format",
            paramLabel = "F",
            description = "input format (skip detection): raw, vhd, vhdx, qcow2, vmdk, vdi, ova")
    String format;

    @Option(
            names = "--ova-disk",
            paramLabel = "DISK",
            description = "OVA with several disks: the one to use, by position (1, 2, ...), ovf:diskId or file name"
                    + " (default: the first, the boot disk by convention)")
    String ovaDisk;

    /** The format named with {@code --format}, or {@code null} to detect it from the content. */
    public String format() {
        return format;
    }

    /** The input choice as it enters a prepare request's identity (unchanged from {@code --format} alone by default). */
    public String identity() {
        return ovaDisk == null ? String.valueOf(format) : format + " ova-disk=" + ovaDisk;
    }

    /** The default open options with the chosen OVA disk. */
    public OpenOptions openOptions() {
        return OpenOptions.defaults().withOvaDisk(ovaDisk);
    }
}
