package dev.linuximage.core.format.vhd;

import java.util.UUID;

/**
 * Options for {@link FixedVhdView}.
 *
 * @param maxSize   refuse disks whose MiB-aligned size exceeds this many bytes (Azure: 1023 GiB for OS disks)
 * @param uniqueId  footer unique id, or {@code null} for a random one
 * @param timestamp footer timestamp in seconds since 2000-01-01T00:00:00Z, or {@code null} for now
 */
public record FixedVhdOptions(long maxSize, UUID uniqueId, Long timestamp) {
    public static final long DEFAULT_MAX_SIZE = 1023L << 30;

    public static FixedVhdOptions defaults() {
        return new FixedVhdOptions(DEFAULT_MAX_SIZE, null, null);
    }

    public FixedVhdOptions withMaxSize(long max) {
        return new FixedVhdOptions(max, uniqueId, timestamp);
    }

    public FixedVhdOptions withIdentity(UUID id, Long ts) {
        return new FixedVhdOptions(maxSize, id, ts);
    }
}
