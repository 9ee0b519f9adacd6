package dev.linuximage.core.guest;

import java.util.List;

/**
 * What the guest patches do, from the command line and/or a LinuxImage manifest ({@link PatchSpecReader}).
 *
 * @param imageKind           generalized images are deprovisioned, specialized ones are not
 * @param provisioning        cloud-init, waagent, or agent-less ({@code None}: report-ready unit installed)
 * @param resourceDiskSwapMiB swap size on the temporary resource disk in MiB (1024×1024 bytes); 0 = no swap
 * @param hyperVDrivers       repair missing Hyper-V drivers in the initramfs (KERNEL-HV-DRIVERS)
 * @param kernelArgsAdd       extra kernel arguments to add ({@code key=value} replaces an existing {@code key=});
 *                            none may contradict a required one ({@link CmdlinePolicy#conflict})
 * @param kernelArgsRemove    kernel arguments to remove ({@code key} also removes {@code key=...})
 * @param keepCrashkernel     keep {@code crashkernel=auto} (CMDLINE-NOQUIET)
 * @param removeUsers         user accounts to delete when generalizing (DEPROVISION-USERS)
 * @param cloudInitSwapDropIn write the opt-in cloud-init swap drop-in (CLOUDINIT-SWAP)
 * @param maxDiskSizeBytes    DISK-MAXSIZE limit in bytes (default 1023 GiB)
 * @param allowUnknown        requirement IDs whose {@code Unknown} the user accepts: an Unknown on any other
 *                            required item makes {@code check}/{@code prepare} not compliant (catalogue, "Every
 *                            check reports one of")
 */
public record PatchOptions(
        ImageKind imageKind,
        Provisioning provisioning,
        int resourceDiskSwapMiB,
        boolean hyperVDrivers,
        List<String> kernelArgsAdd,
        List<String> kernelArgsRemove,
        boolean keepCrashkernel,
        List<String> removeUsers,
        boolean cloudInitSwapDropIn,
        long maxDiskSizeBytes,
        List<String> allowUnknown) {

    /** 1023 GiB: the documents' limit for an uploaded VHD. */
    public static final long DEFAULT_MAX_DISK_SIZE = 1023L << 30;
    /** The documents' example swap size on the resource disk. */
    public static final int DEFAULT_SWAP_MIB = 2048;

    public PatchOptions {
        if (imageKind == null || provisioning == null) {
            throw new IllegalArgumentException("imageKind and provisioning are required");
        }
        if (resourceDiskSwapMiB < 0) {
            throw new IllegalArgumentException("resourceDiskSwapMiB must be >= 0, was " + resourceDiskSwapMiB);
        }
        if (maxDiskSizeBytes <= 0) {
            throw new IllegalArgumentException("maxDiskSize must be positive, was " + maxDiskSizeBytes);
        }
        kernelArgsAdd = List.copyOf(kernelArgsAdd == null ? List.of() : kernelArgsAdd);
        kernelArgsRemove = List.copyOf(kernelArgsRemove == null ? List.of() : kernelArgsRemove);
        removeUsers = List.copyOf(removeUsers == null ? List.of() : removeUsers);
        allowUnknown = List.copyOf(allowUnknown == null ? List.of() : allowUnknown);
        for (String id : allowUnknown) {
            if (!REQUIREMENT_ID.matcher(id).matches()) {
                throw new IllegalArgumentException("allowUnknown: '" + id + "' is not a requirement ID");
            }
        }
        for (String u : removeUsers) {
            if (!USER_NAME.matcher(u).matches() || u.equals("root")) {
                throw new IllegalArgumentException("removeUsers: '" + u + "' is not a removable user name");
            }
        }
        for (String a : kernelArgsAdd) {
            if (!KERNEL_ARG.matcher(a).matches()) {
                throw new IllegalArgumentException("kernelArgsAdd: '" + a + "' is not a kernel argument");
            }
        }
        String conflict = CmdlinePolicy.conflict(kernelArgsAdd);
        if (conflict != null) {
            throw new IllegalArgumentException("kernelArgsAdd: " + conflict);
        }
        for (String a : kernelArgsRemove) {
            if (!KERNEL_ARG.matcher(a).matches()) {
                throw new IllegalArgumentException("kernelArgsRemove: '" + a + "' is not a kernel argument");
            }
        }
    }

    /** Without {@code allowUnknown} (every Unknown on a required item counts against compliance). */
    public PatchOptions(
            ImageKind imageKind,
            Provisioning provisioning,
            int resourceDiskSwapMiB,
            boolean hyperVDrivers,
            List<String> kernelArgsAdd,
            List<String> kernelArgsRemove,
            boolean keepCrashkernel,
            List<String> removeUsers,
            boolean cloudInitSwapDropIn,
            long maxDiskSizeBytes) {
        this(
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
                List.of());
    }

    /** A catalogue requirement ID's shape ({@code KERNEL-NUMA}); membership is checked where the catalogue is known. */
    public static final java.util.regex.Pattern REQUIREMENT_ID =
            java.util.regex.Pattern.compile("[A-Z][A-Z0-9]*(-[A-Z0-9]+){1,5}");

    /** A user name as useradd accepts it (no path characters: it also names a home directory). */
    static final java.util.regex.Pattern USER_NAME = java.util.regex.Pattern.compile("[a-z_][a-z0-9_.-]{0,31}\\$?");
    /** One kernel argument: printable ASCII without spaces or quotes (quotes would change how GRUB splits it). */
    static final java.util.regex.Pattern KERNEL_ARG = java.util.regex.Pattern.compile("[\\x21\\x23-\\x26\\x28-\\x7e]+");

    /** Generalized, cloud-init, 2048 MiB swap on the resource disk, drivers repaired, nothing extra. */
    public static PatchOptions defaults() {
        return new PatchOptions(
                ImageKind.Generalized,
                Provisioning.CloudInit,
                DEFAULT_SWAP_MIB,
                true,
                List.of(),
                List.of(),
                false,
                List.of(),
                false,
                DEFAULT_MAX_DISK_SIZE);
    }

    public boolean generalized() {
        return imageKind == ImageKind.Generalized;
    }

    public PatchOptions withImageKind(ImageKind v) {
        return new PatchOptions(
                v,
                provisioning,
                resourceDiskSwapMiB,
                hyperVDrivers,
                kernelArgsAdd,
                kernelArgsRemove,
                keepCrashkernel,
                removeUsers,
                cloudInitSwapDropIn,
                maxDiskSizeBytes,
                allowUnknown);
    }

    public PatchOptions withProvisioning(Provisioning v) {
        return new PatchOptions(
                imageKind,
                v,
                resourceDiskSwapMiB,
                hyperVDrivers,
                kernelArgsAdd,
                kernelArgsRemove,
                keepCrashkernel,
                removeUsers,
                cloudInitSwapDropIn,
                maxDiskSizeBytes,
                allowUnknown);
    }

    public PatchOptions withRemoveUsers(List<String> v) {
        return new PatchOptions(
                imageKind,
                provisioning,
                resourceDiskSwapMiB,
                hyperVDrivers,
                kernelArgsAdd,
                kernelArgsRemove,
                keepCrashkernel,
                v,
                cloudInitSwapDropIn,
                maxDiskSizeBytes,
                allowUnknown);
    }

    public PatchOptions withCloudInitSwapDropIn(boolean v) {
        return new PatchOptions(
                imageKind,
                provisioning,
                resourceDiskSwapMiB,
                hyperVDrivers,
                kernelArgsAdd,
                kernelArgsRemove,
                keepCrashkernel,
                removeUsers,
                v,
                maxDiskSizeBytes,
                allowUnknown);
    }

    public PatchOptions withKernelArgs(List<String> add, List<String> remove, boolean keepCrash) {
        return new PatchOptions(
                imageKind,
                provisioning,
                resourceDiskSwapMiB,
                hyperVDrivers,
                add,
                remove,
                keepCrash,
                removeUsers,
                cloudInitSwapDropIn,
                maxDiskSizeBytes,
                allowUnknown);
    }

    public PatchOptions withAllowUnknown(List<String> v) {
        return new PatchOptions(
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
                v);
    }
}
