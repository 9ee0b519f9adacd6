package dev.linuximage.core.format;

/**
 * Options for {@link DiskImages#open}.
 *
 * @param verifyManifest      OVA: verify the {@code .mf} SHA-1/SHA-256 digests when a manifest is present (reads
 *                            every referenced file once)
 * @param maxVirtualSize      refuse images whose virtual size exceeds this many bytes (hostile-input guard)
 * @param ovaDisk             OVA: which of the OVF's disks to open — its 1-based position in the DiskSection, its
 *                            {@code ovf:diskId} or its file name; {@code null} opens the first disk (by convention
 *                            the boot disk)
 */
public record OpenOptions(boolean verifyManifest, long maxVirtualSize, String ovaDisk) {

    /** 64 TiB: far above Azure's limits, far below sizes that overflow sector arithmetic. */
    public static final long DEFAULT_MAX_VIRTUAL_SIZE = 64L << 40;

    public OpenOptions(boolean verifyManifest, long maxVirtualSize) {
        this(verifyManifest, maxVirtualSize, null);
    }

    public static OpenOptions defaults() {
        return new OpenOptions(true, DEFAULT_MAX_VIRTUAL_SIZE, null);
    }

    /** These options with another OVA disk choice ({@code null}: the first disk). */
    public OpenOptions withOvaDisk(String disk) {
        return new OpenOptions(verifyManifest, maxVirtualSize, disk);
    }
}
