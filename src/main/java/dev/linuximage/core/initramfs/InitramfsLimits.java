package dev.linuximage.core.initramfs;

/**
 * Caps applied while reading an initramfs, all in <b>bytes</b> unless stated. Every size read from the archive is
 * checked against these before it is used, so hostile input cannot make the reader allocate or spin without bound.
 *
 * @param maxEntrySize         largest cpio entry body accepted
 * @param maxNameLength        longest cpio path name (bytes, without the terminating NUL); Linux' PATH_MAX is 4096
 * @param maxTotalUncompressed total decompressed bytes over all members (decompression-bomb cap)
 * @param maxRatio             a member may expand at most this many times its compressed size (after the first
 *                             {@code ratioGrace} bytes)
 * @param ratioGrace           decompressed bytes a member may always produce regardless of ratio
 * @param maxEntries           total cpio entries over all members
 * @param maxMembers           number of concatenated members
 * @param maxDictionary        largest LZMA/XZ dictionary or zstd window a member may ask for
 */
public record InitramfsLimits(
        long maxEntrySize,
        int maxNameLength,
        long maxTotalUncompressed,
        long maxRatio,
        long ratioGrace,
        int maxEntries,
        int maxMembers,
        int maxDictionary) {

    /** Generous for real initramfs images (tens to a few hundred MiB), small enough to stop bombs. */
    public static InitramfsLimits defaults() {
        return new InitramfsLimits(512L << 20, 4096, 2L << 30, 250, 64L << 20, 1 << 20, 256, 128 << 20);
    }

    public InitramfsLimits {
        if (maxEntrySize <= 0
                || maxNameLength <= 0
                || maxTotalUncompressed <= 0
                || maxRatio <= 0
                || ratioGrace < 0
                || maxEntries <= 0
                || maxMembers <= 0
                || maxDictionary <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }
}
