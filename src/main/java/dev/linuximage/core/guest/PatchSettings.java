package dev.linuximage.core.guest;

import java.util.List;

/**
 * A partial set of patch settings (null = not given), from one source: the manifest or the command line. Sources
 * merge with {@link #overriddenBy}; {@link #toOptions} fills the rest with {@link PatchOptions#defaults()}.
 *
 * @param mode the manifest's {@code spec.mode} as written (e.g. {@code Prepare}, {@code Check}); informational here
 * @param allowUnknown requirement IDs whose Unknown is accepted ({@code spec.guest.allowUnknown}, {@code --allow-unknown})
 */
public record PatchSettings(
        String mode,
        ImageKind imageKind,
        Provisioning provisioning,
        Integer resourceDiskSwapMiB,
        Boolean hyperVDrivers,
        List<String> kernelArgsAdd,
        List<String> kernelArgsRemove,
        Boolean keepCrashkernel,
        List<String> removeUsers,
        Boolean cloudInitSwapDropIn,
        Long maxDiskSizeBytes,
        List<String> allowUnknown) {

    /** Without {@code allowUnknown}. */
    public PatchSettings(
            String mode,
            ImageKind imageKind,
            Provisioning provisioning,
            Integer resourceDiskSwapMiB,
            Boolean hyperVDrivers,
            List<String> kernelArgsAdd,
            List<String> kernelArgsRemove,
            Boolean keepCrashkernel,
            List<String> removeUsers,
            Boolean cloudInitSwapDropIn,
            Long maxDiskSizeBytes) {
        this(
                mode,
                imageKind,
                provisioning,
                resourceDiskSwapMiB,
                hyperVDrivers,
                kernelArgsAdd,
                kernelArgsRemove,
                keepCrashkernel,
                removeUsers,
                cloudInitSwapDropIn,
                maxDiskSizeBytes,
                null);
    }

    public static PatchSettings empty() {
        return new PatchSettings(null, null, null, null, null, null, null, null, null, null, null);
    }

    /** Field-wise: {@code other}'s non-null values win (command-line flags over the manifest). */
    public PatchSettings overriddenBy(PatchSettings o) {
        return new PatchSettings(
                pick(o.mode, mode),
                pick(o.imageKind, imageKind),
                pick(o.provisioning, provisioning),
                pick(o.resourceDiskSwapMiB, resourceDiskSwapMiB),
                pick(o.hyperVDrivers, hyperVDrivers),
                pick(o.kernelArgsAdd, kernelArgsAdd),
                pick(o.kernelArgsRemove, kernelArgsRemove),
                pick(o.keepCrashkernel, keepCrashkernel),
                pick(o.removeUsers, removeUsers),
                pick(o.cloudInitSwapDropIn, cloudInitSwapDropIn),
                pick(o.maxDiskSizeBytes, maxDiskSizeBytes),
                pick(o.allowUnknown, allowUnknown));
    }

    private static <T> T pick(T a, T b) {
        return a != null ? a : b;
    }

    public PatchOptions toOptions() {
        PatchOptions d = PatchOptions.defaults();
        try {
            return new PatchOptions(
                    pick(imageKind, d.imageKind()),
                    pick(provisioning, d.provisioning()),
                    pick(resourceDiskSwapMiB, d.resourceDiskSwapMiB()),
                    pick(hyperVDrivers, d.hyperVDrivers()),
                    pick(kernelArgsAdd, d.kernelArgsAdd()),
                    pick(kernelArgsRemove, d.kernelArgsRemove()),
                    pick(keepCrashkernel, d.keepCrashkernel()),
                    pick(removeUsers, d.removeUsers()),
                    pick(cloudInitSwapDropIn, d.cloudInitSwapDropIn()),
                    pick(maxDiskSizeBytes, d.maxDiskSizeBytes()),
                    pick(allowUnknown, d.allowUnknown()));
        } catch (IllegalArgumentException e) {
            throw new PatchSpecException("options", e.getMessage());
        }
    }
}
