package dev.linuximage.operator.job;

import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;
import dev.linuximage.operator.api.v1alpha1.Mode;
import dev.linuximage.operator.api.v1alpha1.OutputSpec;

/**
 * Where things are, on the claims and inside the pod. The source claim is mounted at {@value #SOURCE_MOUNT}; an
 * output claim other than the source claim at {@value #OUTPUT_MOUNT}.
 *
 * @param sourceClaim   the source PVC
 * @param sourcePath    the disk, relative to the source claim
 * @param outputClaim   the output PVC (null in Audit mode)
 * @param outputPath    the VHD, relative to the output claim (null in Audit mode)
 * @param separateClaim whether the output claim differs from the source claim
 * @param sourceBlock   whether the source claim is a raw block volume ({@code volumeMode: Block}): the disk is the
 *                      whole device at {@value #SOURCE_DEVICE}, {@code sourcePath} is null
 * @param outputBlock   whether the (separate) output claim is a raw block volume: the VHD is written onto the device
 *                      at {@value #OUTPUT_DEVICE} in place, {@code outputPath} is null and no report file is written
 *                      (a device has no file system; the result ConfigMap and the pod's log carry the report)
 */
public record Locations(
        String sourceClaim,
        String sourcePath,
        String outputClaim,
        String outputPath,
        boolean separateClaim,
        boolean sourceBlock,
        boolean outputBlock) {

    public static final String SOURCE_MOUNT = "/disks/source";
    public static final String OUTPUT_MOUNT = "/disks/output";
    /** Where a Block-mode source claim appears in the pod ({@code volumeDevices[].devicePath}). */
    public static final String SOURCE_DEVICE = "/dev/linuximage-source";
    /** Where a Block-mode output claim appears in the pod ({@code volumeDevices[].devicePath}). */
    public static final String OUTPUT_DEVICE = "/dev/linuximage-output";

    /** Resolves the defaults: output on the source claim, next to the source, extension replaced by .vhd. */
    public static Locations of(LinuxImageSpec spec) {
        return of(spec, false);
    }

    /** As {@link #of(LinuxImageSpec)}, the source claim being a Block volume when {@code sourceBlock}. */
    public static Locations of(LinuxImageSpec spec, boolean sourceBlock) {
        return of(spec, sourceBlock, false);
    }

    /**
     * As {@link #of(LinuxImageSpec)}, with the claims' volume modes: {@code outputBlock} applies to a separate
     * output claim only (an output on the source claim has the source's mode, and a Block source needs a separate
     * output claim: {@code SpecValidator.volumeModes}).
     */
    public static Locations of(LinuxImageSpec spec, boolean sourceBlock, boolean outputBlock) {
        String sourceClaim = spec.getSource().getClaimName();
        String sourcePath = sourceBlock ? null : spec.getSource().getPath();
        if (spec.getMode() == Mode.Audit) {
            return new Locations(sourceClaim, sourcePath, null, null, false, sourceBlock, false);
        }
        OutputSpec out = spec.getOutput();
        String claim = out != null && out.getClaimName() != null ? out.getClaimName() : sourceClaim;
        boolean separate = !claim.equals(sourceClaim);
        boolean block = separate && outputBlock;
        String path =
                block ? null : out != null && out.getPath() != null ? out.getPath() : defaultOutputPath(sourcePath);
        return new Locations(sourceClaim, sourcePath, claim, path, separate, sourceBlock, block);
    }

    /** {@code builds/web.qcow2} to {@code builds/web.vhd}; a source that is already {@code .vhd} gets -azure.vhd. */
    static String defaultOutputPath(String sourcePath) {
        if (sourcePath == null) {
            return null; // a Block source: the spec must name the output path (checked with the claim's mode)
        }
        String base = stripExtension(sourcePath);
        String candidate = base + ".vhd";
        return candidate.equals(sourcePath) ? base + "-azure.vhd" : candidate;
    }

    static String stripExtension(String path) {
        int slash = path.lastIndexOf('/');
        int dot = path.lastIndexOf('.');
        return dot > slash + 1 ? path.substring(0, dot) : path;
    }

    /** The source disk as the pod sees it: a file on the mounted claim, or the claim's block device. */
    public String sourceInPod() {
        return sourceBlock ? SOURCE_DEVICE : SOURCE_MOUNT + "/" + sourcePath;
    }

    /** The VHD as the pod sees it: a file on a mounted claim, or the output claim's device; null in Audit mode. */
    public String outputInPod() {
        if (outputBlock) {
            return OUTPUT_DEVICE;
        }
        return outputPath == null ? null : (separateClaim ? OUTPUT_MOUNT : SOURCE_MOUNT) + "/" + outputPath;
    }

    /** The full report next to the VHD; null in Audit mode and for a Block output (no file system to hold it). */
    public String reportInPod() {
        String out = outputBlock ? null : outputInPod();
        return out == null ? null : stripExtension(out) + ".report.json";
    }

    /** The full report as {@code claim:path}, for the status; null when none is written to a claim. */
    public String reportForStatus() {
        return outputPath == null ? null : outputClaim + ":" + stripExtension(outputPath) + ".report.json";
    }

    /** The VHD as {@code claim:path}, for the status; a Block output is the whole claim, {@code claim} alone. */
    public String outputForStatus() {
        if (outputBlock) {
            return outputClaim;
        }
        return outputPath == null ? null : outputClaim + ":" + outputPath;
    }
}
