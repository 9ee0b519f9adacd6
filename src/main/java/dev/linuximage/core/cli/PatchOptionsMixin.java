package dev.linuximage.core.cli;

import dev.linuximage.core.compliance.Requirements;
import dev.linuximage.core.guest.ImageKind;
import dev.linuximage.core.guest.PatchOptions;
import dev.linuximage.core.guest.PatchSettings;
import dev.linuximage.core.guest.PatchSpecException;
import dev.linuximage.core.guest.PatchSpecReader;
import dev.linuximage.core.guest.Provisioning;
import dev.linuximage.core.report.CoreException;
import dev.linuximage.core.report.ExitCodes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The guest patch options shared by {@code check} and {@code prepare} ({@code @Mixin PatchOptionsMixin patch;}).
 * Flags override the {@code --spec} manifest field by field; {@link #resolve()} gives the final {@link PatchOptions}
 * or throws a {@link CoreException} with {@link ExitCodes#USAGE} naming the bad field.
 */
public class PatchOptionsMixin {

    @Option(
            names = "--spec",
            paramLabel = "linuximage.yaml",
            description =
                    "A LinuxImage manifest; its spec.guest says what the guest must look like (flags override it).")
    Path spec;

    @Option(names = "--image-kind", paramLabel = "KIND", description = "Generalized (default) or Specialized.")
    ImageKind imageKind;

    @Option(
            names = "--provisioning",
            paramLabel = "AGENT",
            description = "CloudInit (default), WALinuxAgent or None (agent-less report-ready unit).")
    Provisioning provisioning;

    @Option(
            names = "--resource-disk-swap-mib",
            paramLabel = "MIB",
            description = "Swap on the resource disk in MiB, 0 = none (default 2048).")
    Integer resourceDiskSwapMiB;

    @Option(
            names = "--hyperv-drivers",
            paramLabel = "true|false",
            arity = "1",
            description = "Require the Hyper-V drivers in every initramfs (default true).")
    Boolean hyperVDrivers;

    @Option(
            names = "--kernel-arg-add",
            paramLabel = "ARG",
            description = "A kernel argument the command line must have (repeatable).")
    List<String> kernelArgAdd;

    @Option(
            names = "--kernel-arg-remove",
            paramLabel = "ARG",
            description = "A kernel argument the command line must not have (repeatable; 'key' also means 'key=...').")
    List<String> kernelArgRemove;

    @Option(names = "--keep-crashkernel", description = "Allow crashkernel=auto on the kernel command line.")
    Boolean keepCrashkernel;

    @Option(
            names = "--remove-user",
            paramLabel = "USER",
            description = "A user that must not be in a generalized image (repeatable).")
    List<String> removeUsers;

    @Option(names = "--cloud-init-swap", description = "Require the opt-in cloud-init resource-disk swap drop-in.")
    Boolean cloudInitSwap;

    @Option(
            names = {"--max-size", "--max-disk-size"},
            paramLabel = "SIZE",
            description = "DISK-MAXSIZE limit (bytes, or K/M/G/T, binary: 1023G = 1023Gi; default 1023G).")
    String maxDiskSize;

    @Option(
            names = "--allow-unknown",
            paramLabel = "ID",
            description = "Accept an Unknown finding of this requirement (repeatable); any other Unknown on a "
                    + "required item makes the image not compliant.")
    List<String> allowUnknown;

    /** The flags given on the command line only (null where absent). */
    public PatchSettings flags() {
        Long max = null;
        if (maxDiskSize != null) {
            try {
                max = PatchSpecReader.parseSize(maxDiskSize);
            } catch (IllegalArgumentException e) {
                throw new CoreException(ExitCodes.USAGE, "--max-size: " + e.getMessage());
            }
        }
        return new PatchSettings(
                null,
                imageKind,
                provisioning,
                resourceDiskSwapMiB,
                hyperVDrivers,
                kernelArgAdd,
                kernelArgRemove,
                keepCrashkernel,
                removeUsers,
                cloudInitSwap,
                max,
                allowUnknown);
    }

    /** The spec file's path, or null. */
    public Path specFile() {
        return spec;
    }

    /** Manifest (if any) overridden by flags, defaults for the rest. */
    public PatchOptions resolve() {
        try {
            PatchSettings base = spec == null ? PatchSettings.empty() : PatchSpecReader.read(spec);
            PatchOptions o = base.overriddenBy(flags()).toOptions();
            for (String id : o.allowUnknown()) {
                if (!Requirements.ids().contains(id)) {
                    throw new CoreException(
                            ExitCodes.USAGE,
                            "allowUnknown: '" + id + "' is not a requirement ID of " + "the catalogue");
                }
            }
            return o;
        } catch (PatchSpecException e) {
            throw new CoreException(ExitCodes.USAGE, (spec == null ? "" : spec + ": ") + e.getMessage(), e);
        } catch (IOException e) {
            throw new CoreException(ExitCodes.USAGE, "cannot read --spec " + spec + ": " + e.getMessage(), e);
        }
    }
}
