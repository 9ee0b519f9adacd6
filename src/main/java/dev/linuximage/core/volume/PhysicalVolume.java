package dev.linuximage.core.volume;

import dev.linuximage.core.io.ByteSource;
import java.util.Map;

/**
 * An LVM2 physical volume found on a device (a partition or a whole disk).
 *
 * @param uuid       PV UUID as in the metadata text (dashed, 6-4-4-4-4-4-6)
 * @param device     the PV's bytes (offsets in bytes)
 * @param deviceName where it was found ({@code partition 2}), for messages
 * @param vgName     the volume group named by the newest metadata copy on this PV, or empty (orphan PV or no mda)
 * @param seqno      that copy's {@code seqno}; -1 when none
 * @param metadata   that copy's parsed text (top-level section) or {@code null}
 */
public record PhysicalVolume(
        String uuid, ByteSource device, String deviceName, String vgName, long seqno, Map<String, Object> metadata) {}
