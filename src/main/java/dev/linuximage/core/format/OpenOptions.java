package dev.linuximage.core.format;

/**
 * Options for {@link DiskImages#open}.
 *
 * @param verifyManifest      OVA: verify the {@code .mf} SHA-1/SHA-256 digests when a manifest is present (reads
 *                            every referenced file once)
 * @param maxVirtualSize      refuse images whose virtual size exceeds this many bytes (hostile-input guard)
 */
public record OpenOptions(boolean verifyManifest, long maxVirtualSize) {

    /** 64 TiB: far above Azure's limits, far below sizes that overflow sector arithmetic. */
    public static final long DEFAULT_MAX_VIRTUAL_SIZE = 64L << 40;

    public static OpenOptions defaults() {
        return new OpenOptions(true, DEFAULT_MAX_VIRTUAL_SIZE);
    }
}
