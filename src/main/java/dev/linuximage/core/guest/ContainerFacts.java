package dev.linuximage.core.guest;

/**
 * Facts about the output disk container, produced by the converter (DISK-* requirements).
 *
 * @param format           e.g. {@code vhd-fixed}, {@code vhd-dynamic}, {@code vhdx}, {@code raw}
 * @param virtualSizeBytes the virtual disk size in bytes
 * @param fileSizeBytes    the container file size in bytes
 * @param footerProblem    null when the VHD footer is valid (cookie, features, version, data offset, type,
 *                         checksum, sizes); otherwise the first problem found
 */
public record ContainerFacts(String format, long virtualSizeBytes, long fileSizeBytes, String footerProblem) {
}
