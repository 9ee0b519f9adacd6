package dev.linuximage.core.guest;

import java.util.List;

/**
 * Facts about the output disk container, produced by the converter (DISK-* requirements).
 *
 * @param format           e.g. {@code vhd-fixed}, {@code vhd-dynamic}, {@code vhdx}, {@code raw}
 * @param virtualSizeBytes the virtual disk size in bytes
 * @param fileSizeBytes    the container file size in bytes
 * @param footerProblem    null when the VHD footer is valid (cookie, features, version, data offset, type,
 *                         checksum, sizes); otherwise the first problem found
 * @param gptFound         what the converter found inconsistent in the GPT at the final size (DISK-GPT)
 * @param gptRebuilt       what the converter rewrote to make it consistent; empty when nothing was needed
 */
public record ContainerFacts(
        String format,
        long virtualSizeBytes,
        long fileSizeBytes,
        String footerProblem,
        List<String> gptFound,
        List<String> gptRebuilt) {
    public ContainerFacts {
        gptFound = List.copyOf(gptFound == null ? List.of() : gptFound);
        gptRebuilt = List.copyOf(gptRebuilt == null ? List.of() : gptRebuilt);
    }

    public ContainerFacts(String format, long virtualSizeBytes, long fileSizeBytes, String footerProblem) {
        this(format, virtualSizeBytes, fileSizeBytes, footerProblem, List.of(), List.of());
    }

    public ContainerFacts withGptRepair(List<String> found, List<String> rebuilt) {
        return new ContainerFacts(format, virtualSizeBytes, fileSizeBytes, footerProblem, found, rebuilt);
    }
}
